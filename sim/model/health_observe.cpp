// HAProxy's `observe layer4|layer7`, `error-limit` and `on-error` (doc/configuration.txt 3.5;
// src/check.c __health_adjust, src/http_ana.c): live traffic feeds the active checks' state.
//
// layer4: only whether the TCP connection succeeded counts: a refused connection is an error,
// anything else (the connection was made) is OK. layer7: HTTP statuses 100-499, 501 and 505 are
// OK, every other status is an error (lbsim's queue_full and queue_timeout are 503), and so are
// connection errors, read errors and timeouts (refused, crash_lost, timeout). An OK observation
// resets the count of consecutive errors, and so does a passing check. At error_limit (10)
// consecutive errors the on-error action runs and the count restarts:
//   fail-check (the default): one failed check, as if a probe had failed;
//   sudden-death: one failed check and the server left one more failure away from down;
//   mark-down: the server goes down at once.
// (`fastinter`, which only shortens the next check's interval, is not modelled: lbsim has no
// fastinter interval; a scenario naming it gets an error.)
#include <algorithm>

#include "sim/model/health.hpp"
#include "sim/model/model.hpp"

namespace lbsim {

void Health::observe_traffic(SimTime now, std::uint32_t server, ErrorKind error) {
  const HealthCheckConfig& check = m_.settings.health_check;
  if (!check.enabled || check.observe == HealthCheckConfig::Observe::kOff) return;
  bool is_error = false;
  if (check.observe == HealthCheckConfig::Observe::kLayer4) {
    is_error = error == ErrorKind::kRefused;
  } else {
    is_error = error == ErrorKind::kRefused || error == ErrorKind::kCrashLost ||
               error == ErrorKind::kTimeout || error == ErrorKind::kQueueFull ||
               error == ErrorKind::kQueueTimeout;
  }
  const bool not_observed = error == ErrorKind::kCircuitOpen ||
                            error == ErrorKind::kNoHealthyBackend ||
                            error == ErrorKind::kLbQueueFull || error == ErrorKind::kLbQueueTimeout;
  if (not_observed) return;  // never reached the server
  std::int32_t& count = observed_errors_[server];
  if (!is_error) {
    count = 0;
    return;
  }
  if (++count < check.error_limit) return;
  count = 0;
  const int fall = check.fall;
  std::int32_t& streak = streak_[server];
  switch (check.on_error) {
    case HealthCheckConfig::OnError::kFailCheck:
      break;  // one failed check, below
    case HealthCheckConfig::OnError::kSuddenDeath:
      // One failure short of down after the failed check below: HAProxy sets health to rise + 1
      // (one above the DOWN threshold) before it.
      streak = std::min(std::min(streak, 0), -(fall - 2));
      break;
    case HealthCheckConfig::OnError::kMarkDown:
      streak = std::min(std::min(streak, 0), -(fall - 1));
      break;
  }
  m_.observer->on_log(now, "observe_error", m_.fleet.info()[server].name,
                      std::to_string(check.error_limit) + " consecutive errors in traffic");
  probe_result(now, server, false);
}

}  // namespace lbsim
