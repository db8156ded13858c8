#include "sim/model/health.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "sim/model/model.hpp"

namespace lbsim {

Health::Health(Model& model, const SimulationConfig& config, std::uint32_t servers)
    : m_(model),
      rng_(config.seed, config.replication, StreamPurpose::kHealth, 0),
      streak_(servers, 0),
      outlier_(servers),
      passive_(servers),
      observed_errors_(servers, 0) {}

void Health::schedule_start() {
  if (m_.settings.health_check.enabled) schedule_probes(0);
  if (m_.settings.outlier.enabled) {
    m_.events.schedule(m_.settings.outlier.interval_ns, kOutlierTick, 0, outlier_epoch_);
  }
}

void Health::schedule_probes(SimTime now) {
  const auto interval = static_cast<double>(m_.settings.health_check.interval_ns);
  for (std::uint32_t s = 0; s < m_.fleet.size(); ++s) {
    m_.events.schedule(now + static_cast<SimTime>(interval * rng_.uniform01()), kProbeSend, s,
                       check_epoch_);
  }
}

// ---- active health checks
// ------------------------------------------------------------------------

void Health::handle_probe_send(SimTime now, std::uint32_t server, std::uint32_t epoch) {
  if (epoch != check_epoch_) return;
  const HealthCheckConfig& check = m_.settings.health_check;
  m_.events.schedule(now + check.interval_ns, kProbeSend, server, check_epoch_);
  if (!m_.fleet.member(server)) return;  // not in the fleet yet
  if (!m_.fleet.up(server)) {
    probe_result(now, server, false);  // connection refused
    return;
  }
  if (check.out_of_band || check.tcp) {
    probe_result(now, server, true);
    return;
  }
  // The probe is served like a request: it waits for a worker behind the queue.
  const std::uint32_t slot = m_.requests.allocate();
  Request& probe = m_.requests[slot];
  probe.sent = now;
  probe.service_start = -1;
  probe.demand_s = check.probe_demand_s;
  probe.user = 0;
  probe.call = check_epoch_;  // a probe has no call; its result counts only under these settings
  probe.server = server;
  probe.instance = 0;
  probe.client_waiting = true;
  probe.counted = false;
  probe.probe = true;
  probe.stage = Stage::kAtServer;
  m_.events.schedule_preferring_lane(m_.lanes.probe, now + check.timeout_ns, kProbeTimeout, slot,
                                     probe.generation);
  if (!m_.fleet.admit_probe(now, slot, server)) probe_done(now, slot, false);  // 503
}

void Health::probe_done(SimTime now, std::uint32_t slot, bool success) {
  Request& probe = m_.requests[slot];
  const bool waiting = probe.client_waiting;
  probe.client_waiting = false;
  if (waiting && probe.call == check_epoch_) probe_result(now, probe.server, success);
  m_.free_request(slot);
}

void Health::handle_probe_timeout(SimTime now, std::uint32_t slot, std::uint32_t generation) {
  Request& probe = m_.requests[slot];
  if (probe.generation != generation || !probe.client_waiting) return;
  // The checker gives up; the probe stays with the server (it is freed when served or lost).
  probe.client_waiting = false;
  if (probe.call == check_epoch_) probe_result(now, probe.server, false);
}

void Health::probe_result(SimTime now, std::uint32_t server, bool success) {
  const HealthCheckConfig& check = m_.settings.health_check;
  std::int32_t& streak = streak_[server];
  streak = success ? std::max(streak, 0) + 1 : std::min(streak, 0) - 1;
  if (success) observed_errors_[server] = 0;  // HAProxy: a passing check resets observe's count
  const bool failed = m_.fleet.has(server, kFailedCheck);
  if (!failed && streak <= -check.fall) {
    m_.observer->on_log(now, "health_down", m_.fleet.info()[server].name,
                        std::to_string(check.fall) + " failed checks");
    m_.fleet.set_flag(now, server, kFailedCheck, true);
    update_panic(now);
  } else if (failed && streak >= check.rise) {
    m_.observer->on_log(now, "health_up", m_.fleet.info()[server].name,
                        std::to_string(check.rise) + " passed checks");
    m_.fleet.set_flag(now, server, kFailedCheck, false);
    m_.balancer.restart_slow_start(now, server);
    update_panic(now);
  }
  // Envoy (successful_active_health_check_uneject_host, default true): a check that finds the
  // host healthy ends its outlier ejection at once.
  const OutlierConfig& outlier = m_.settings.outlier;
  if (success && outlier.enabled && outlier.successful_active_health_check_uneject_host &&
      !m_.fleet.has(server, kFailedCheck) && m_.fleet.has(server, kEjected)) {
    uneject(now, server, "active health check passed");
  }
}

// ---- panic
// ---------------------------------------------------------------------------------------

// Envoy's panic mode: below the threshold, route to every member as if all were healthy (better
// to overload the healthy than to refuse everything when health checks mislead). A drained
// server is out of the host set, for this rule too.
void Health::update_panic(SimTime now) {
  const std::uint32_t hosts = m_.fleet.hosts();
  const std::uint32_t healthy = m_.fleet.healthy_hosts();
  const double threshold = m_.settings.panic_threshold;
  const bool panic = threshold > 0.0 && hosts > 0 &&
                     static_cast<double>(healthy) < threshold * static_cast<double>(hosts);
  if (panic == panic_) return;
  panic_ = panic;
  m_.observer->on_log(
      now, panic ? "panic_start" : "panic_end", "balancer",
      std::to_string(healthy) + " of " + std::to_string(hosts) + " servers healthy");
  m_.balancer.mark_all_changed();
}

// ---- settings
// ------------------------------------------------------------------------------------

void Health::set_health_check(SimTime now, const HealthCheckConfig& check) {
  if (check.enabled && (check.interval_ns <= 0 || check.timeout_ns <= 0 || check.rise < 1 ||
                        check.fall < 1 || !(check.probe_demand_s >= 0.0))) {
    throw std::invalid_argument("set_health_check: bad settings");
  }
  if (check.enabled && !m_.lanes.probe_ready) {
    throw std::logic_error(
        "set_health_check: health checks were off and no timeline or alert action turns them "
        "on, so the run was built without them");
  }
  m_.settings.health_check = check;
  ++check_epoch_;  // the old probe chains stop
  std::fill(observed_errors_.begin(), observed_errors_.end(), 0);
  if (!check.enabled) {
    for (std::uint32_t s = 0; s < m_.fleet.size(); ++s) {
      m_.fleet.set_flag(now, s, kFailedCheck, false);
      streak_[s] = 0;
    }
    update_panic(now);
    return;
  }
  schedule_probes(now);
}

void Health::set_panic_threshold(SimTime now, double threshold) {
  if (!(threshold >= 0.0 && threshold <= 1.0)) {
    throw std::invalid_argument("set_panic_threshold: expected a fraction in [0, 1]");
  }
  m_.settings.panic_threshold = threshold;
  update_panic(now);
}

}  // namespace lbsim
