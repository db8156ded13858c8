#pragma once
// The Recorder subscribes to a Simulation's observations and keeps what the run directory needs:
// whole-run totals over the measured period (after warmup), one row per window for the fleet
// (kept in memory: small), one row per window per server (streamed to a CSV as windows close, so
// memory stays constant for any fleet size and run length), and the incident log.
//
// Counting rules (documented in the README):
// - a request belongs to the measured period when it *arrived* at or after the warmup's end;
//   offered/completed/failed/by_error and the latency histograms count only those;
// - window rows count arrivals by arrival time and completions/failures by their end time;
// - latency = response time of a completed request (end - arrival); response = end - arrival of
//   every request, a failure counted at the time it failed; wait = service start - arrival;
// - utilisation = busy-worker time / (workers * time up in the fleet): a down server has no
//   capacity, so it is never read as idle (servers.csv says how long it was down);
// - a server's attempts: dispatched when the balancer sends one, failed when one fails there;
//   counted by the time it happened.
#include <array>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <vector>

#include "sim/metrics/histogram.hpp"
#include "sim/model/config.hpp"
#include "sim/model/observer.hpp"
#include "sim/model/run_info.hpp"

namespace lbsim {

inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

// The ways an attempt can fail at a server; servers.csv has a column for each.
inline constexpr std::array<ErrorKind, 5> kServerErrorKinds = {
    ErrorKind::kQueueFull, ErrorKind::kTimeout, ErrorKind::kRefused, ErrorKind::kCrashLost,
    ErrorKind::kQueueTimeout};

// Overload errors: the server took the attempt and could not keep up with it.
[[nodiscard]] constexpr bool is_overload_error(ErrorKind kind) {
  return kind == ErrorKind::kQueueFull || kind == ErrorKind::kQueueTimeout ||
         kind == ErrorKind::kTimeout;
}

// A server's share of the attempts dispatched, over its fair share: its configured weight times
// its time in the fleet, over the fleet's sum of the same. 1 = exactly its fair share.
[[nodiscard]] inline double share_over_fair(double dispatched, double total_dispatched,
                                            double weighted_time, double total_weighted_time) {
  if (total_dispatched <= 0.0 || weighted_time <= 0.0 || total_weighted_time <= 0.0) {
    return kNoValue;
  }
  return (dispatched / total_dispatched) / (weighted_time / total_weighted_time);
}

struct WindowRow {
  SimTime start = 0;
  std::uint64_t offered = 0;
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  std::array<std::uint64_t, kErrorKindCount> by_error{};
  double mean_s = kNoValue, p50_s = kNoValue, p90_s = kNoValue, p99_s = kNoValue;  // completed
  double response_mean_s = kNoValue, response_p50_s = kNoValue;  // every request that ended
  double response_p90_s = kNoValue, response_p99_s = kNoValue;
  double utilization_mean = 0.0, utilization_max = 0.0;
  double queue_total_mean = 0.0;   // time-averaged queued requests, summed over servers
  std::uint64_t wasted = 0;        // services completed after the client gave up
  std::uint64_t retries = 0;       // failed attempts sent again
  std::uint32_t servers_down = 0;  // servers down at the window's end
  std::uint32_t members = 0;       // servers in the fleet at the window's end
  std::uint32_t healthy = 0;       // of which in rotation (ServerStatus::in_rotation)
  double imbalance = kNoValue;     // utilization_max / utilization_mean
  double traffic_imbalance = kNoValue;  // the largest share_over_fair of the window
  [[nodiscard]] double error_rate() const {
    const auto done = completed + failed;
    return done == 0 ? 0.0 : static_cast<double>(failed) / static_cast<double>(done);
  }
};

struct LogRow {
  SimTime time = 0;
  std::string kind, subject, detail;
};

struct RecorderSetup {
  SimTime warmup_ns = 0;
  SimTime end_ns = 0;
  SimTime window_ns = 0;
  std::vector<ServerInfo> servers;
  std::uint64_t user_population = 1;
  std::ostream* servers_csv = nullptr;  // per-server rows are streamed here (header included)
  IncidentConfig incident;              // start_ns < 0: no incident metrics
  // Receives each window's metrics at the model's window boundaries (the alert rules:
  // Simulation::window_listener()); may be null.
  WindowListener* window_listener = nullptr;
};

// One server's first failure after the incident started: the cascade, in order.
struct CascadeStep {
  SimTime time = 0;
  std::uint32_t server = 0;
  std::string cause;  // crash, killed, unhealthy (failed health checks), ejected
};

// summary.json's incident section (DESIGN.md "Outputs"). Times in ns from the run start; -1 =
// did not happen.
struct IncidentSummary {
  SimTime start = -1;
  SimTime detected = -1;   // the first alert firing at or after the start
  SimTime mitigated = -1;  // the first mitigation action at or after the start
  bool mitigation_scripted = false;  // it was a dated timeline action (not run on an alert)
  SimTime recovered = -1;  // start of the window after the last one above the recovery threshold
  bool degraded = false;   // some window after the start was above the recovery threshold
  double recovery_error_rate = 0.0;
  double peak_error_rate = 0.0;  // worst window after the start
  SimTime peak_at = -1;
  std::uint64_t offered = 0, failed = 0;  // requests that arrived in [start, end of incident)
  std::uint64_t users_active = 0, users_affected = 0;  // in [start, end of incident)
  std::uint32_t servers_crashed = 0, crashes = 0;      // overload crashes (distinct, events)
  std::uint32_t servers_killed = 0;                    // by actions (kill, restart stops)
  std::uint32_t servers_ejected = 0, ejections = 0;
  std::uint32_t alerts_fired = 0;
  double max_fleet_down_fraction = 0.0;  // most of the fleet out of rotation at once
  SimTime max_fleet_down_at = -1;
  std::vector<CascadeStep> cascade;
  // Per server over the incident window (the windows that overlap it): utilisation while up (NaN
  // for a server never up in the fleet then) and the fleet's mean of them; attempts dispatched
  // and overload errors; share_over_fair; the fraction of its time in the fleet it was down.
  std::vector<double> utilization;
  double utilization_mean = 0.0;
  std::vector<std::uint64_t> dispatched, failed_attempts, overload_errors;
  std::vector<double> traffic_share, down_fraction;
  std::vector<std::uint8_t> crashed;  // per server: crashed (overload) after the start
};

struct Totals {
  std::uint64_t offered = 0, completed = 0, failed = 0, wasted = 0;
  std::uint64_t waited = 0;  // completed requests that queued before service (wait > 0)
  std::uint64_t retries = 0;
  std::uint64_t crashes = 0;  // servers going down (crash or kill), measured period
  std::array<std::uint64_t, kErrorKindCount> by_error{};
  double wait_sum_s = 0.0;
  std::uint64_t users_active = 0, users_affected = 0;
  // Per server, over the measured period: utilisation while up (NaN: never up in the fleet),
  // attempts dispatched and failed (overload errors of them), share_over_fair, and the fraction
  // of its time in the fleet it was down (NaN: never in the fleet).
  std::vector<double> utilization;
  std::vector<std::uint64_t> dispatched, failed_attempts, overload_errors;
  std::vector<double> traffic_share, down_fraction;
  double traffic_imbalance = kNoValue;  // the largest traffic_share
};

class Recorder final : public Observer {
 public:
  explicit Recorder(RecorderSetup setup);

  void on_request_arrival(SimTime now, std::uint64_t user, double demand_s) override;
  void on_dispatch(SimTime now, std::uint32_t server) override;
  void on_request_done(SimTime now, const RequestOutcome& outcome) override;
  void on_service_done(SimTime now, std::uint32_t server, bool client_waiting) override;
  void on_server_state(SimTime now, std::uint32_t server, std::int32_t busy,
                       std::int64_t queued) override;
  void on_log(SimTime now, std::string_view kind, std::string_view subject,
              std::string_view detail) override;
  void on_retry(SimTime now) override;
  void on_attempt_failed(SimTime now, std::uint32_t server, ErrorKind error) override;
  void on_server_down(SimTime now, std::uint32_t server, DownCause cause) override;
  void on_server_up(SimTime now, std::uint32_t server) override;
  void on_server_join(SimTime now, std::uint32_t server) override;
  void on_server_leave(SimTime now, std::uint32_t server) override;
  void on_server_status(SimTime now, std::uint32_t server, const ServerStatus& status) override;
  void on_action(SimTime now, std::string_view kind, bool change, bool mitigation,
                 bool from_alert) override;
  void on_alert(SimTime now, std::string_view name, bool firing) override;
  void on_window_boundary(SimTime now) override;

  // Closes every window up to the end of the run. Call once after Simulation::run().
  void finish();

  [[nodiscard]] const std::vector<WindowRow>& windows() const { return windows_; }
  [[nodiscard]] const std::vector<LogRow>& log() const { return log_; }
  [[nodiscard]] const Totals& totals() const { return totals_; }
  [[nodiscard]] const LatencyHistogram& latency() const { return latency_; }
  [[nodiscard]] const LatencyHistogram& response() const { return response_; }
  [[nodiscard]] const LatencyHistogram& wait() const { return wait_; }
  [[nodiscard]] const RecorderSetup& setup() const { return setup_; }
  // After finish(); nullptr when the run has no incident (setup.incident.start_ns < 0).
  [[nodiscard]] const IncidentSummary* incident() const {
    return setup_.incident.start_ns >= 0 ? &incident_ : nullptr;
  }

 private:
  struct ServerTrack {
    std::int32_t busy = 0;
    std::int64_t queued = 0;
    SimTime last_change = 0;
    bool member = false;
    ServerStatus status;
    bool failed_in_incident = false;  // already in the cascade
    bool crashed = false, killed = false, ejected = false;
    // Current window. Areas in worker-ns, request-ns and ns.
    double busy_area = 0.0, queue_area = 0.0;
    double capacity_area = 0.0;  // up in the fleet, or still busy after leaving
    double fleet_area = 0.0;     // in the fleet; of which:
    double down_area = 0.0, ejected_area = 0.0, failing_area = 0.0, drained_area = 0.0;
    std::int64_t queue_max = 0;
    std::uint64_t dispatched = 0, completed = 0, failed = 0;
    std::array<std::uint32_t, kServerErrorKinds.size()> by_error{};
    std::uint32_t overload = 0;
    // Measured period.
    double measured_busy_area = 0.0, measured_capacity_area = 0.0;
    double measured_fleet_area = 0.0, measured_down_area = 0.0;
    std::uint64_t measured_dispatched = 0, measured_failed = 0, measured_overload = 0;
  };

  void advance_to(SimTime now);  // closes windows that ended at or before now
  void close_window();
  void integrate(ServerTrack& track, SimTime until);
  static void mark(std::vector<std::uint64_t>& bits, std::uint64_t user, std::uint64_t& count);

  RecorderSetup setup_;
  SimTime window_start_ = 0;
  SimTime window_end_ = 0;
  WindowRow current_;
  LatencyHistogram window_latency_;
  LatencyHistogram latency_;
  LatencyHistogram window_response_;
  LatencyHistogram response_;
  LatencyHistogram wait_;
  std::vector<ServerTrack> tracks_;
  std::vector<WindowRow> windows_;
  std::vector<LogRow> log_;
  std::vector<std::uint64_t> active_bits_, affected_bits_;
  Totals totals_;
  std::uint32_t servers_down_ = 0;
  std::uint32_t members_ = 0;
  std::uint32_t in_rotation_ = 0;
  bool finished_ = false;
  // Incident window: per user, the first window index (from the incident start's window) with an
  // arrival / a failure at or after the start; UINT32_MAX = none.
  std::vector<std::uint32_t> incident_first_arrival_, incident_first_failure_;
  std::vector<std::uint64_t> incident_offered_, incident_failed_;  // per window from the start
  // Per closed window, each server's busy time and capacity (worker-ns), time in the fleet and
  // down (ns), attempts dispatched and overload errors, for the incident window's per-server
  // figures once its end is known. Only with an incident.
  std::vector<float> window_busy_, window_member_, window_fleet_, window_down_;
  std::vector<std::uint32_t> window_dispatched_, window_failed_, window_overload_;
  void write_server_row(std::size_t i, double utilization, double queue_mean) const;
  void keep_incident_window(std::size_t i);
  void finish_totals();
  IncidentSummary incident_;
  void incident_status(SimTime now, std::uint32_t server, const ServerStatus& before);
  void finish_incident();
};

}  // namespace lbsim
