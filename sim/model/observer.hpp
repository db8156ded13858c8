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
  // A failed attempt will be retried (after its back-off).
  virtual void on_retry(SimTime /*now*/) {}
  // A server joined the fleet (servers not present from the start: join_at).
  virtual void on_server_join(SimTime /*now*/, std::uint32_t /*server*/) {}
  // A server crashed (or was killed), or came back after a restart.
  virtual void on_server_down(SimTime /*now*/, std::uint32_t /*server*/) {}
  virtual void on_server_up(SimTime /*now*/, std::uint32_t /*server*/) {}
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
