#pragma once
// One run of the model: workload -> balancer instances -> servers, driven by the event queue.
// An ordinary object with no globals: several can run side by side in one process (replications
// on threads). Build with a validated SimulationConfig; attach an Observer; run().
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/distributions.hpp"
#include "sim/core/event_queue.hpp"
#include "sim/core/ring_queue.hpp"
#include "sim/core/rng.hpp"
#include "sim/core/slot_pool.hpp"
#include "sim/model/config.hpp"
#include "sim/model/observer.hpp"
#include "sim/model/strategy.hpp"
#include "sim/model/workload.hpp"

namespace lbsim {

// Static facts about one server, for outputs.
struct ServerInfo {
  std::string name;  // "<group>-<index within group>"
  std::string group;
  std::int32_t workers = 1;
  double speed = 1.0;
  SimTime joins_at = 0;  // when it joins the fleet (0 = from the start)
};

struct RunStats {
  std::uint64_t events = 0;    // events popped and handled
  std::uint64_t arrivals = 0;  // requests generated (whole run, warmup included)
  double wall_s = 0.0;
  SimTime end_time = 0;
};

struct Progress {
  SimTime now = 0;
  SimTime end = 0;
  std::uint64_t events = 0;
  double wall_s = 0.0;
};

class Simulation {
 public:
  // Throws std::invalid_argument on a configuration the loader should have rejected.
  explicit Simulation(SimulationConfig config);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Not owned; must outlive run(). Without one, observations are dropped.
  void set_observer(Observer* observer);
  // Called about every `every_events` events and once at the end.
  void set_progress(std::function<void(const Progress&)> callback,
                    std::uint64_t every_events = 1u << 20);

  // Runs from time 0 to warmup + duration. Call once.
  RunStats run();

  // Runs `action` at simulated time `at`, in order with the other events (ties: in the order
  // scheduled). Before run(): at >= 0; from inside the run (an action scheduling a later step):
  // at >= now. The mechanism behind timeline and alert actions; tests use it to change the
  // fleet mid-run.
  void schedule_action(SimTime at, std::function<void(Simulation&, SimTime)> action);
  // Runs one timeline action now, as the timeline would (logged in the incident log; a named
  // action first records the balancer configuration for a later rollback).
  void run_action(const ActionConfig& action, bool from_alert = false,
                  std::string_view trigger = {});

  // Changes a server's configured weight now (its effective weight also reflects slow start).
  // Strategies see it at their next pick, with their own semantics (Envoy EDF applies it when
  // the host is next re-queued). Callable before run() and from timeline actions.
  void set_weight(std::uint32_t server, double weight);
  // Takes a server down now, as a crash: everything queued and in service is lost (crash_lost)
  // and requests sent to it are refused until restart_server(). Logged as `kind`.
  void kill_server(std::uint32_t server, std::string_view kind = "server_kill");
  // Brings a down server back now (cold start applies). No effect on a server that is up.
  void restart_server(std::uint32_t server);
  [[nodiscard]] bool server_up(std::uint32_t server) const { return servers_[server].up; }
  [[nodiscard]] ServerStatus server_status(std::uint32_t server) const;

  // Runtime configuration changes (timeline actions use these). Each takes effect now; each
  // throws std::invalid_argument on a value the loader should have rejected.
  // Replaces every instance's strategy with a fresh one (its state starts over, seeing the
  // current load and membership).
  void set_strategy(const StrategyChoice& strategy);
  // New health-check settings: each server's checks restart at a random phase of the new
  // interval; pass/fail standing is kept. enabled == false: checks stop and every server passes.
  void set_health_check(const HealthCheckConfig& check);
  // New outlier-detection settings for later ejections; enabled == false also ends every
  // ejection now.
  void set_outlier_detection(const OutlierConfig& outlier);
  void set_circuit_breakers(const CircuitBreakerConfig& breakers);
  void set_panic_threshold(double threshold);
  // Service started from now on takes demand / speed.
  void set_speed(std::uint32_t server, double speed);
  // A server (re)joins the fleet: slow start applies as to any joining server. No effect on a
  // member.
  void add_server(std::uint32_t server);
  // A server leaves the fleet: it gets no new requests and finishes what it holds. No effect on
  // a non-member.
  void remove_server(std::uint32_t server);
  // Drained: out of rotation (no new requests) while it stays a member; for restarts.
  void set_drained(std::uint32_t server, bool drained);
  // The offered rate moves to `target_rate_per_s` now, at once or over `ramp_ns`
  // (ArrivalSource::retime). Not for traced workloads.
  void change_traffic(double target_rate_per_s, SimTime ramp_ns);
  [[nodiscard]] double offered_rate_now() const;

  [[nodiscard]] const SimulationConfig& config() const { return config_; }
  [[nodiscard]] const std::vector<ServerInfo>& servers() const { return server_info_; }
  [[nodiscard]] std::uint64_t user_population() const { return user_population_; }
  [[nodiscard]] SimTime end_time() const { return config_.warmup_ns + config_.duration_ns; }
  [[nodiscard]] std::span<const double> effective_weights() const { return weights_; }

 private:
  enum EventKind : std::uint8_t {
    kArrival = 1,
    kDeparture,         // a = attempt slot, b = generation
    kTimeout,           // a = attempt slot, b = generation (client per-attempt timeout)
    kLbQueueTimeout,    // a = attempt slot, b = generation
    kDeferredDispatch,  // a = attempt slot, b = generation (L4: waits for its reconnection)
    kConnectionClose,   // a = user, b = connection generation (L4 lifetime)
    kViewRefresh,       // stale global view snapshot
    kGroupJoin,         // a = group index
    kSlowStartTick,
    kAction,         // a = index into actions_
    kRetry,          // a = call, b = call generation: the back-off is over
    kDeadline,       // a = call, b = call generation: the overall deadline
    kServerRestart,  // a = server, b = server incarnation
    kProbeSend,      // a = server: an active health check is due
    kProbeTimeout,   // a = probe slot, b = generation
    kUneject,        // a = server, b = ejection number
    kOutlierTick,    // the outlier detector's interval; b = outlier epoch
    kWindowEnd,      // a window boundary: alerts are evaluated
  };

  enum class Stage : std::uint8_t { kNew, kInLbQueue, kAtServer };

  // What the client sees: one request, possibly retried. Lives from arrival to its outcome.
  struct Call {
    SimTime arrival = 0;
    double demand_s = 0.0;
    std::uint64_t user = 0;
    std::uint32_t generation = 0;
    std::uint32_t instance = 0;
    std::uint32_t attempt = kNoServer;      // slot of the attempt in progress, or kNoServer
    std::uint32_t attempts = 0;             // attempts started
    std::uint32_t last_server = kNoServer;  // server of the previous attempt
    bool retrying = false;                  // counted in its instance's retries in progress
  };

  // What servers see: one attempt of a call. Lives until the server is done with it, which can
  // be long after the client gave up on it (wasted work).
  struct Request {
    SimTime sent = 0;      // when the attempt left the client
    SimTime enqueued = 0;  // when it entered the server's queue
    SimTime service_start = 0;
    double demand_s = 0.0;
    std::uint64_t user = 0;
    std::uint32_t call = 0;  // a probe: the health-check epoch it was sent under
    std::uint32_t server = 0;
    std::uint32_t generation = 0;
    std::uint32_t instance = 0;
    std::uint32_t service_index = 0;  // position in its server's in_service list
    bool client_waiting = false;      // the client still wants this attempt's answer
    bool probe = false;               // an active health check, not a client's request
    bool counted = false;  // holds one of its instance's outstanding slots for `server` (L7)
    Stage stage = Stage::kNew;
  };

  struct Server {
    std::int32_t workers = 1;
    std::int32_t busy = 0;
    std::int64_t queue_limit = kUnlimitedQueue;
    double ns_per_demand_s = 1e9;  // 1e9 / speed
    RingQueue<std::uint32_t> queue;
    bool up = true;
    bool overload = false;                  // any of the overload settings below is on
    std::uint32_t incarnation = 0;          // bumped at each crash: stale restarts are ignored
    SimTime restarted_at = -1;              // for cold start; -1 = never restarted
    std::vector<std::uint32_t> in_service;  // attempt slots in service (lost if it crashes)
  };

  struct Instance {
    std::unique_ptr<Strategy> strategy;
    std::vector<std::uint32_t> outstanding;  // L7: requests in flight; L4: open connections
    std::vector<std::uint8_t> eligible;      // available and below max_connections
    std::uint32_t eligible_count = 0;
    RingQueue<std::uint32_t> queue;     // balancer-side queue (request slots)
    std::uint32_t queued_live = 0;      // entries in `queue` whose client still waits
    std::uint32_t calls_active = 0;     // calls in progress through this instance
    std::uint32_t retries_active = 0;   // of which in a retry (budget)
    std::uint32_t attempts_active = 0;  // attempts in flight (circuit breaker)
    Rng rng{0};
  };

  // Event handlers.
  void handle_arrival(SimTime now);
  void handle_departure(SimTime now, std::uint32_t slot);
  void handle_timeout(SimTime now, std::uint32_t slot, std::uint32_t generation);
  void handle_lb_queue_timeout(SimTime now, std::uint32_t slot, std::uint32_t generation);
  void handle_deferred_dispatch(SimTime now, std::uint32_t slot, std::uint32_t generation);
  void handle_connection_close(SimTime now, std::uint32_t user, std::uint32_t generation);
  void handle_view_refresh(SimTime now);
  void handle_group_join(SimTime now, std::uint32_t group);
  void handle_slow_start_tick(SimTime now);
  void handle_retry(SimTime now, std::uint32_t call, std::uint32_t generation);
  void handle_deadline(SimTime now, std::uint32_t call, std::uint32_t generation);
  void handle_server_restart(SimTime now, std::uint32_t server, std::uint32_t incarnation);
  void handle_probe_send(SimTime now, std::uint32_t server);
  void handle_probe_timeout(SimTime now, std::uint32_t slot, std::uint32_t generation);
  void handle_uneject(SimTime now, std::uint32_t server, std::uint32_t ejection);
  void handle_outlier_tick(SimTime now);
  void handle_window_end(SimTime now);
  void join_server(SimTime now, std::uint32_t server);
  void report_status(SimTime now, std::uint32_t server);
  void restart_sequence(SimTime now, std::uint32_t server, SimTime drain_ns, SimTime down_ns);
  [[nodiscard]] std::vector<std::uint32_t> resolve_targets(const ServerTarget& target,
                                                           bool members_only) const;
  [[nodiscard]] std::string describe_targets(const Action& action) const;
  struct Apply;  // timeline.cpp: one apply per action
  // Restores the configuration recorded before `name`; false (logged) when it has not run yet.
  bool rollback(SimTime now, const std::string& name, std::string_view trigger);
  void probe_result(SimTime now, std::uint32_t server, bool success);
  void probe_done(SimTime now, std::uint32_t slot, bool success);  // frees the slot
  void outlier_observe(SimTime now, std::uint32_t server, ErrorKind error);
  void recompute_availability(SimTime now);
  void end_attempt(Request& request);  // the client stops waiting for this attempt

  // Request routing.
  void route(SimTime now, std::uint32_t slot);  // L7 or L4, after arrival
  void route_l4(SimTime now, std::uint32_t slot);
  std::uint32_t pick(SimTime now, std::uint32_t instance, std::uint64_t user);
  void send_to_server(SimTime now, std::uint32_t slot, std::uint32_t server);
  void start_service(SimTime now, std::uint32_t server_index, std::uint32_t slot);
  void start_attempt(SimTime now, std::uint32_t call);
  void attempt_failed(SimTime now, std::uint32_t slot, ErrorKind error);
  void attempt_succeeded(SimTime now, std::uint32_t slot);
  void finish_call(SimTime now, std::uint32_t call, ErrorKind error, SimTime service_start,
                   std::uint32_t server);
  [[nodiscard]] bool may_retry(const Call& call, ErrorKind error, SimTime now) const;
  [[nodiscard]] SimTime backoff(std::uint32_t retry_number);
  void abandon_attempt(SimTime now, std::uint32_t slot);  // the client stops waiting for it
  void crash(SimTime now, std::uint32_t server, std::string_view why);
  void restart_server_at(SimTime now, std::uint32_t server);
  [[nodiscard]] double service_factor(SimTime now, std::uint32_t server) const;
  void release_outstanding(SimTime now, std::uint32_t slot);  // L7 in-flight slot returned
  void drain_lb_queue(SimTime now, std::uint32_t instance, std::uint32_t server);

  // Bookkeeping.
  void change_outstanding(std::uint32_t instance, std::uint32_t server, std::int32_t delta);
  void server_state_changed(SimTime now, std::uint32_t server);
  void recompute_eligibility(std::uint32_t instance, std::uint32_t server);
  void notify_fleet_change();
  [[nodiscard]] double slow_start_factor(SimTime since_join) const;
  void refresh_effective_weight(std::uint32_t server, SimTime now);
  std::uint32_t allocate_request();
  void free_request(std::uint32_t slot);
  std::uint32_t allocate_call();
  void free_call(std::uint32_t call);
  void schedule_next_arrival();
  [[nodiscard]] BackendView view_for(std::uint32_t instance) const;
  [[nodiscard]] std::uint32_t instance_for(std::uint64_t user);

  SimulationConfig config_;
  EventQueue events_;
  EventQueue::LaneId arrival_lane_ = 0;
  EventQueue::LaneId timeout_lane_ = 0;
  EventQueue::LaneId lb_queue_lane_ = 0;
  EventQueue::LaneId connection_lane_ = 0;
  Observer null_observer_;
  Observer* observer_ = &null_observer_;
  std::function<void(const Progress&)> progress_;
  std::uint64_t progress_every_ = 1u << 20;

  ArrivalSource arrivals_;
  UserPicker users_;
  Distribution service_;
  Rng service_rng_;
  Rng instance_rng_;
  Rng idle_report_rng_;
  std::uint64_t user_population_ = 1;
  Arrival pending_arrival_;

  // Fleet.
  std::vector<Server> servers_;
  std::vector<ServerInfo> server_info_;
  std::vector<std::string> server_names_;
  std::vector<std::uint32_t> server_group_;
  std::vector<double> base_weights_;
  std::vector<double> weights_;  // effective: base x slow-start factor
  std::uint64_t weights_version_ = 0;
  std::vector<std::uint32_t> max_connections_;
  bool any_max_connections_ = false;
  std::vector<std::uint8_t> available_;  // what strategies may pick: healthy members, or every
                                         // member while the balancer panics
  std::uint32_t available_count_ = 0;
  std::vector<std::uint8_t> member_;        // joined the fleet
  std::vector<std::uint8_t> check_failed_;  // failed its active health checks
  std::vector<std::uint8_t> ejected_;       // ejected by outlier detection
  bool panic_ = false;
  // Health-check and outlier-detection state per server.
  std::vector<std::int32_t> check_streak_;  // > 0: successes in a row; < 0: failures
  std::vector<std::int32_t> consecutive_errors_;
  std::vector<std::uint32_t> ejections_;        // Envoy's ejection multiplier
  std::vector<std::uint32_t> ejection_serial_;  // identifies the pending uneject timer
  std::vector<SimTime> last_ejected_;
  std::uint32_t ejected_count_ = 0;
  Rng health_rng_{0};
  EventQueue::LaneId probe_lane_ = 0;
  bool probe_lane_ready_ = false;
  std::vector<SimTime> joined_at_;  // kTimeNever until the server joins
  std::uint32_t ramping_ = 0;       // servers still inside their slow-start window
  bool slow_start_ticking_ = false;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> drain_work_;  // (instance, server)
  bool draining_ = false;

  // Balancer.
  std::vector<Instance> instances_;
  bool global_view_ = false;
  std::vector<std::uint32_t> global_load_;  // busy + queued per server (always current)
  std::vector<std::uint32_t> view_load_;    // what strategies see under the global view

  // L4 connections, per user.
  bool connection_mode_ = false;
  std::vector<std::uint32_t> connection_server_;
  std::vector<std::uint32_t> connection_generation_;
  std::vector<std::uint32_t> connection_instance_;
  std::vector<SimTime> reconnect_at_;

  std::vector<std::pair<SimTime, std::function<void(Simulation&, SimTime)>>> actions_;
  bool running_ = false;
  // The balancer configuration a rollback restores, recorded just before each named action.
  struct ConfigSnapshot {
    std::vector<double> weights;
    StrategyChoice strategy;
    HealthCheckConfig health_check;
    OutlierConfig outlier;
    CircuitBreakerConfig circuit_breakers;
    double panic_threshold = 0.0;
  };
  std::vector<std::pair<std::string, ConfigSnapshot>> snapshots_;
  struct AlertState {
    SimTime pending_since = kTimeNever;  // start of the first window of the current run of
                                         // windows meeting the condition
    bool firing = false;
  };
  std::vector<AlertState> alert_states_;
  std::vector<std::uint8_t> drained_;
  std::vector<ServerStatus> reported_status_;
  std::uint32_t health_epoch_ = 0;   // probe chains of older settings are ignored
  std::uint32_t outlier_epoch_ = 0;  // so are outlier ticks
  std::uint32_t arrival_epoch_ = 0;  // and arrivals the traffic was retimed past

  SlotPool<Request> requests_;  // attempts and health probes
  SlotPool<Call> calls_;
  Rng retry_rng_{0};
  std::vector<std::uint32_t> crash_scratch_;
  EventQueue::LaneId deadline_lane_ = 0;
  RunStats stats_;
  bool ran_ = false;
};

}  // namespace lbsim
