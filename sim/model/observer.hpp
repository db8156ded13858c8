#pragma once
// What the model tells the outside world. The model emits observations through this interface;
// metrics (sim/metrics) implement it. The model never includes metrics code (DESIGN.md).
// Calls arrive in nondecreasing time order.
#include <cstdint>
#include <string_view>

#include "sim/core/time.hpp"

namespace lbsim {

// Named error kinds; their names are the keys of summary.json's requests.by_error.
enum class ErrorKind : std::uint8_t {
  kNone = 0,
  kQueueFull,         // 503 from a full server queue
  kTimeout,           // the client gave up (per-attempt timeout)
  kRefused,           // server down
  kNoHealthyBackend,  // nothing left to route to
  kCircuitOpen,       // a circuit breaker rejected it
  kCrashLost,         // in flight when the server crashed
  kLbQueueFull,       // 503: the balancer's queue (all servers at max_connections) was full
  kLbQueueTimeout,    // 503: waited in the balancer's queue longer than its queue_timeout
  kQueueTimeout,      // 503: the server dropped it after it waited too long in its queue
};
inline constexpr int kErrorKindCount = 10;

[[nodiscard]] constexpr std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone:
      return "none";
    case ErrorKind::kQueueFull:
      return "queue_full";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kRefused:
      return "refused";
    case ErrorKind::kNoHealthyBackend:
      return "no_healthy_backend";
    case ErrorKind::kCircuitOpen:
      return "circuit_open";
    case ErrorKind::kCrashLost:
      return "crash_lost";
    case ErrorKind::kLbQueueFull:
      return "lb_queue_full";
    case ErrorKind::kLbQueueTimeout:
      return "lb_queue_timeout";
    case ErrorKind::kQueueTimeout:
      return "queue_timeout";
  }
  return "unknown";
}

// The end of one request, as the client sees it.
struct RequestOutcome {
  std::uint64_t user = 0;
  SimTime arrival = 0;        // when the client sent it
  SimTime service_start = 0;  // when a worker took it (completed requests)
  SimTime end = 0;            // response or failure time
  std::uint32_t server = 0;   // UINT32_MAX when it never reached one
  ErrorKind error = ErrorKind::kNone;
  std::uint32_t instance = 0;  // the balancer instance it went through
};

// Why a server went down.
enum class DownCause : std::uint8_t {
  kCrash,  // overload (crash_queue)
  kKill,   // a timeline action: kill, or the stop of a restart
};

// A server's standing in the fleet. In rotation = member && up && passing && !ejected &&
// !drained (while the balancer panics it routes to members that are not in rotation too).
struct ServerStatus {
  bool member = false;   // joined and not removed
  bool up = true;        // not crashed or killed
  bool passing = true;   // not failing its active health checks
  bool ejected = false;  // by outlier detection, or banned by nginx's max_fails
  bool drained = false;  // taken out of rotation for a restart
  [[nodiscard]] bool in_rotation() const { return member && up && passing && !ejected && !drained; }
  bool operator==(const ServerStatus&) const = default;
};

// The window that just closed, as measured by the observer (alerts evaluate these). NaN = no
// data (no completed request: no latency; no member server: no utilisation).
struct WindowMetrics {
  SimTime start = 0, end = 0;
  double error_rate = 0.0;
  // Completed requests only.
  double latency_mean_s = 0.0, p50_s = 0.0, p90_s = 0.0, p99_s = 0.0;
  // Every request that ended in the window, a failure counted at the time it failed.
  double response_mean_s = 0.0, response_p50_s = 0.0, response_p90_s = 0.0, response_p99_s = 0.0;
  double utilization_mean = 0.0, utilization_max = 0.0, imbalance = 0.0;
  double traffic_imbalance = 0.0;  // the largest dispatched share over its fair share by weight
  double healthy_servers = 0.0, healthy_fraction = 0.0, servers_down = 0.0;
  double offered_per_s = 0.0, retries_per_s = 0.0, queue_total = 0.0;
};

// Receives each window's metrics as it closes (alert rules subscribe). The metrics Recorder
// pushes them; the model declares the interface, so it never reads the recorder back.
class WindowListener {
 public:
  virtual ~WindowListener() = default;
  WindowListener() = default;
  WindowListener(const WindowListener&) = default;
  WindowListener& operator=(const WindowListener&) = default;
  virtual void on_window(SimTime now, const WindowMetrics& window) = 0;
};

class Observer {
 public:
  virtual ~Observer() = default;
  Observer() = default;
  Observer(const Observer&) = default;
  Observer& operator=(const Observer&) = default;

  // A client sent a request (offered load) from `user`, needing `demand_s` seconds of work at
  // speed 1.
  virtual void on_request_arrival(SimTime /*now*/, std::uint64_t /*user*/, double /*demand_s*/) {}
  // The balancer sent a request to `server` (whether or not the server admits it).
  virtual void on_dispatch(SimTime /*now*/, std::uint32_t /*server*/) {}
  // The client got a response or gave up; exactly once per request.
  virtual void on_request_done(SimTime /*now*/, const RequestOutcome& /*outcome*/) {}
  // An attempt that reached `server` failed there (queue_full, refused, timeout, crash_lost,
  // queue_timeout), whether or not it will be retried: the server's own failures.
  virtual void on_attempt_failed(SimTime /*now*/, std::uint32_t /*server*/, ErrorKind /*error*/) {}
  // A failed attempt will be retried (after its back-off).
  virtual void on_retry(SimTime /*now*/) {}
  // A server joined the fleet (servers not present from the start: join_at).
  virtual void on_server_join(SimTime /*now*/, std::uint32_t /*server*/) {}
  // A server left the fleet (remove_servers); it still finishes what it holds.
  virtual void on_server_leave(SimTime /*now*/, std::uint32_t /*server*/) {}
  // A server crashed (or was killed), or came back after a restart.
  virtual void on_server_down(SimTime /*now*/, std::uint32_t /*server*/, DownCause /*cause*/) {}
  virtual void on_server_up(SimTime /*now*/, std::uint32_t /*server*/) {}
  // A server's standing changed (any field of ServerStatus); `status` is the new one. Also
  // called once per server at the start of the run.
  virtual void on_server_status(SimTime /*now*/, std::uint32_t /*server*/,
                                const ServerStatus& /*status*/) {}
  // A timeline or alert action ran. `change`: it changes the system (everything but a note);
  // `mitigation`: a rollback, or an action marked as mitigation; `from_alert`: triggered by an
  // alert rather than dated in the timeline.
  virtual void on_action(SimTime /*now*/, std::string_view /*kind*/, bool /*change*/,
                         bool /*mitigation*/, bool /*from_alert*/) {}
  // An alert rule started or stopped firing.
  virtual void on_alert(SimTime /*now*/, std::string_view /*name*/, bool /*firing*/) {}
  // The model's window boundary `now` (a multiple of the window): the window that ends here is
  // complete; an observer that measures windows closes it and pushes its metrics to its
  // WindowListener. Only called when alert rules exist.
  virtual void on_window_boundary(SimTime /*now*/) {}
  // A server finished a unit of work (counted even if its client had given up: wasted work).
  virtual void on_service_done(SimTime /*now*/, std::uint32_t /*server*/, bool /*client_waiting*/) {
  }
  // A server's busy workers or queue length changed; values are the new state.
  virtual void on_server_state(SimTime /*now*/, std::uint32_t /*server*/, std::int32_t /*busy*/,
                               std::int64_t /*queued*/) {}
  // An entry for the incident log (events.csv).
  virtual void on_log(SimTime /*now*/, std::string_view /*kind*/, std::string_view /*subject*/,
                      std::string_view /*detail*/) {}
};

}  // namespace lbsim
