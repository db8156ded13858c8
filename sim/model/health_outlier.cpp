// Passive outlier detection as current Envoy does it: source/common/upstream/
// outlier_detection_impl.cc (DetectorImpl, DetectorHostMonitorImpl; envoyproxy/envoy main, late
// 2026, the version with always_eject_one_host, added in 1.31), defaults from its DetectorConfig.
//
// What an attempt's outcome is to Envoy. Without split_external_local_origin_errors (the default)
// the router reports every outcome as an HTTP code: a server's 503 (queue_full, queue_timeout) as
// itself, a connect failure or reset (refused, crash_lost) as 503, a timeout as 504, a success as
// 200; all of lbsim's failures are 5xx and gateway failures (502/503/504). With the split, the
// server's 503s stay external, and refused, crash_lost and timeout are local-origin failures
// that count only towards the local-origin counters (each attempt is one local-origin result).
//
// Consecutive failures eject at once (the worker posts to the main thread; here, at the event):
// consecutive_5xx (lbsim's consecutive_errors), consecutive_gateway_failure and, with the split,
// consecutive_local_origin_failure; each counter is reset when it fires, and a success resets
// them. Every `interval` the detector (1) ends each ejection with min(base x backoff, max) +
// jitter <= now - ejected at; (2) runs the success-rate and failure-percentage passes over the
// interval's requests, external then (with the split) local origin, in fleet order (Envoy walks
// a hash map; the order only matters when max_ejection_percent binds); (3) decays the backoff by
// one for every server back for at least an interval. An ejection is allowed while
// 100 x (ejected + 1) / hosts <= max_ejection_percent, or as the first one with
// always_eject_one_host; then it is enforced with its enforcing_* probability; the backoff grows
// by one while backoff x base < max + base. An active health check that finds an ejected host
// healthy ends its ejection (successful_active_health_check_uneject_host).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/model/health.hpp"
#include "sim/model/model.hpp"

namespace lbsim {

namespace {

bool is_local_origin(ErrorKind error) {
  return error == ErrorKind::kRefused || error == ErrorKind::kCrashLost ||
         error == ErrorKind::kTimeout;
}

bool is_external_5xx(ErrorKind error) {
  return error == ErrorKind::kQueueFull || error == ErrorKind::kQueueTimeout;
}

std::string percent_text(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f%%", fraction * 100.0);
  return buffer;
}

}  // namespace

void Health::observe(SimTime now, std::uint32_t server, ErrorKind error) {
  passive_observe(now, server, error);
  observe_traffic(now, server, error);
  const OutlierConfig& outlier = m_.settings.outlier;
  if (!outlier.enabled) return;
  // L4 (unit: connection): the balancer sees connections, not HTTP statuses; the server's 503s
  // are a successful connection to it (Envoy's TCP proxy reports connect success / failure and
  // timeouts only; HAProxy observe layer4).
  if (m_.config.balancer.unit == BalancingUnit::kConnection && is_external_5xx(error)) {
    error = ErrorKind::kNone;
  }
  const bool local = is_local_origin(error);
  const bool external = is_external_5xx(error);
  if (error != ErrorKind::kNone && !local && !external) return;  // not the server's doing
  OutlierHost& host = outlier_[server];
  if (outlier.split_external_local_origin_errors) {
    ++host.local_total;
    if (local) {
      ++host.local_failed;
      count_consecutive(now, server, host.consecutive_local,
                        outlier.consecutive_local_origin_failure,
                        Ejection::kConsecutiveLocalOriginFailure);
      return;  // the code is not looked at
    }
    host.consecutive_local = 0;
  }
  ++host.external_total;
  if (error == ErrorKind::kNone) {
    host.consecutive_5xx = 0;
    host.consecutive_gateway = 0;
    return;
  }
  ++host.external_failed;
  // Every lbsim failure is a 502/503/504: a gateway failure as well as a 5xx. Envoy counts the
  // gateway failure first.
  count_consecutive(now, server, host.consecutive_gateway, outlier.consecutive_gateway_failure,
                    Ejection::kConsecutiveGatewayFailure);
  count_consecutive(now, server, host.consecutive_5xx, outlier.consecutive_errors,
                    Ejection::kConsecutive5xx);
}

void Health::count_consecutive(SimTime now, std::uint32_t server, std::int32_t& counter,
                               int threshold, Ejection type) {
  if (++counter != threshold) return;
  counter = 0;
  const char* what = type == Ejection::kConsecutive5xx ? " consecutive 5xx (consecutive_errors)"
                     : type == Ejection::kConsecutiveGatewayFailure
                         ? " consecutive gateway failures (consecutive_gateway_failure)"
                         : " consecutive local-origin failures (consecutive_local_origin_failure)";
  eject(now, server, type, std::to_string(threshold) + what);
}

double Health::enforcement(Ejection type) const {
  const OutlierConfig& o = m_.settings.outlier;
  double share = 0.0;
  switch (type) {
    case Ejection::kConsecutive5xx:
      share = o.enforcing_consecutive_errors;
      break;
    case Ejection::kConsecutiveGatewayFailure:
      share = o.enforcing_consecutive_gateway_failure;
      break;
    case Ejection::kConsecutiveLocalOriginFailure:
      share = o.enforcing_consecutive_local_origin_failure;
      break;
    case Ejection::kSuccessRate:
      share = o.enforcing_success_rate;
      break;
    case Ejection::kSuccessRateLocalOrigin:
      share = o.enforcing_local_origin_success_rate;
      break;
    case Ejection::kFailurePercentage:
      share = o.enforcing_failure_percentage;
      break;
    case Ejection::kFailurePercentageLocalOrigin:
      share = o.enforcing_failure_percentage_local_origin;
      break;
  }
  return share;
}

bool Health::enforced(Ejection type) {
  // Envoy's featureEnabled(key, percent): a draw only when the share is neither 0 nor 100%, so
  // the defaults draw nothing.
  const double share = enforcement(type);
  if (share <= 0.0) return false;
  if (share >= 1.0) return true;
  return rng_.uniform01() < share;
}

void Health::eject(SimTime now, std::uint32_t server, Ejection type, const std::string& why) {
  if (m_.fleet.has(server, kEjected)) return;
  const OutlierConfig& outlier = m_.settings.outlier;
  // In whole percent, as Envoy's max_ejection_percent is an integer: 100 (ejected + 1) / hosts
  // <= percent, compared without rounding error.
  const std::uint64_t hosts = m_.fleet.members();
  const auto percent =
      static_cast<std::uint64_t>(std::llround(outlier.max_ejection_fraction * 100.0));
  bool allowed =
      hosts > 0 && 100 * (static_cast<std::uint64_t>(ejected_count_) + 1) <= percent * hosts;
  if (outlier.always_eject_one_host) allowed = allowed || ejected_count_ == 0;
  if (!allowed) {
    // A detection that is never enforced (enforcing 0%, the gateway-failure default) is not
    // worth a line in the incident log.
    if (enforcement(type) <= 0.0) return;
    m_.observer->on_log(now, "outlier_overflow", m_.fleet.info()[server].name,
                        why + "; not ejected: max_ejection_percent " +
                            percent_text(outlier.max_ejection_fraction) + " reached");
    return;
  }
  if (!enforced(type)) return;
  OutlierHost& host = outlier_[server];
  if (host.backoff * outlier.base_ejection_ns <
      outlier.max_ejection_ns + outlier.base_ejection_ns) {
    ++host.backoff;
  }
  host.last_ejection = now;
  host.jitter =
      outlier.max_ejection_jitter_ns > 0
          ? static_cast<SimTime>(rng_.below(
                static_cast<std::uint64_t>(outlier.max_ejection_jitter_ns / kMillisecond) + 1)) *
                kMillisecond
          : 0;
  ++ejected_count_;
  const SimTime duration = ejection_time(host);
  m_.observer->on_log(now, "outlier_eject", m_.fleet.info()[server].name,
                      why + "; ejected for " + std::to_string(to_seconds(duration)) +
                          " s, until the first interval after");
  m_.fleet.set_flag(now, server, kEjected, true);
  update_panic(now);
}

SimTime Health::ejection_time(const OutlierHost& host) const {
  const OutlierConfig& outlier = m_.settings.outlier;
  return std::min(outlier.base_ejection_ns * static_cast<SimTime>(host.backoff),
                  outlier.max_ejection_ns) +
         host.jitter;
}

void Health::uneject(SimTime now, std::uint32_t server, const char* why) {
  OutlierHost& host = outlier_[server];
  --ejected_count_;
  host.consecutive_5xx = 0;
  host.consecutive_gateway = 0;
  host.consecutive_local = 0;
  host.last_unejection = now;
  m_.observer->on_log(now, "outlier_return", m_.fleet.info()[server].name, why);
  m_.fleet.set_flag(now, server, kEjected, false);
  update_panic(now);
}

void Health::success_rate_pass(SimTime now, bool local) {
  const OutlierConfig& o = m_.settings.outlier;
  struct Rate {
    std::uint32_t server;
    double success;  // percent, as Envoy computes it
  };
  std::vector<Rate> rated, failure_rated;
  double sum = 0.0;
  for (std::uint32_t s = 0; s < outlier_.size(); ++s) {
    if (!m_.fleet.member(s) || m_.fleet.has(s, kEjected)) continue;
    const OutlierHost& host = outlier_[s];
    const std::uint32_t total = local ? host.local_total : host.external_total;
    const std::uint32_t failed = local ? host.local_failed : host.external_failed;
    if (total == 0) continue;
    const double success = static_cast<double>(total - failed) * 100.0 / total;
    if (total >= static_cast<std::uint32_t>(o.success_rate_request_volume)) {
      rated.push_back({s, success});
      sum += success;
    }
    if (total >= static_cast<std::uint32_t>(o.failure_percentage_request_volume)) {
      failure_rated.push_back({s, success});
    }
  }
  if (!rated.empty() && rated.size() >= static_cast<std::size_t>(o.success_rate_minimum_hosts)) {
    // Mean and population standard deviation (successRateEjectionThreshold).
    const double mean = sum / static_cast<double>(rated.size());
    double variance = 0.0;
    for (const Rate& r : rated) variance += (r.success - mean) * (r.success - mean);
    variance /= static_cast<double>(rated.size());
    const double threshold = mean - o.success_rate_stdev_factor / 1000.0 * std::sqrt(variance);
    for (const Rate& r : rated) {
      if (r.success < threshold) {
        eject(now, r.server, local ? Ejection::kSuccessRateLocalOrigin : Ejection::kSuccessRate,
              std::string(local ? "local-origin " : "") + "success rate " +
                  percent_text(r.success / 100.0) + " < threshold " +
                  percent_text(threshold / 100.0) + " (mean " + percent_text(mean / 100.0) + ")");
      }
    }
  }
  if (!failure_rated.empty() &&
      failure_rated.size() >= static_cast<std::size_t>(o.failure_percentage_minimum_hosts)) {
    for (const Rate& r : failure_rated) {
      if (100.0 - r.success >= o.failure_percentage_threshold * 100.0) {
        eject(now, r.server,
              local ? Ejection::kFailurePercentageLocalOrigin : Ejection::kFailurePercentage,
              std::string(local ? "local-origin " : "") + "failure percentage " +
                  percent_text((100.0 - r.success) / 100.0) +
                  " >= " + percent_text(o.failure_percentage_threshold));
      }
    }
  }
}

void Health::handle_outlier_tick(SimTime now, std::uint32_t epoch) {
  if (epoch != outlier_epoch_) return;
  const OutlierConfig& outlier = m_.settings.outlier;
  for (std::uint32_t s = 0; s < outlier_.size(); ++s) {
    const OutlierHost& host = outlier_[s];
    if (m_.fleet.has(s, kEjected) && ejection_time(host) <= now - host.last_ejection) {
      uneject(now, s, "ejection over");
    }
  }
  const double hosts = static_cast<double>(m_.fleet.members());
  if (hosts >= outlier.success_rate_minimum_hosts ||
      hosts >= outlier.failure_percentage_minimum_hosts) {
    success_rate_pass(now, false);
    if (outlier.split_external_local_origin_errors) success_rate_pass(now, true);
  }
  for (std::uint32_t s = 0; s < outlier_.size(); ++s) {
    OutlierHost& host = outlier_[s];
    host.external_total = host.external_failed = host.local_total = host.local_failed = 0;
    if (!m_.fleet.has(s, kEjected) && host.last_unejection >= 0 &&
        now - host.last_unejection >= outlier.interval_ns && host.backoff > 0) {
      --host.backoff;
    }
  }
  m_.events.schedule(now + outlier.interval_ns, kOutlierTick, 0, outlier_epoch_);
}

void Health::set_outlier_detection(SimTime now, const OutlierConfig& outlier) {
  const auto share = [](double f) { return f >= 0.0 && f <= 1.0; };
  if (outlier.enabled &&
      (outlier.consecutive_errors < 1 || outlier.consecutive_gateway_failure < 1 ||
       outlier.consecutive_local_origin_failure < 1 || outlier.interval_ns <= 0 ||
       outlier.base_ejection_ns <= 0 || outlier.max_ejection_ns < outlier.base_ejection_ns ||
       outlier.max_ejection_jitter_ns < 0 || outlier.success_rate_minimum_hosts < 1 ||
       outlier.success_rate_request_volume < 1 || outlier.success_rate_stdev_factor < 0 ||
       outlier.failure_percentage_minimum_hosts < 1 ||
       outlier.failure_percentage_request_volume < 1 || !share(outlier.max_ejection_fraction) ||
       !share(outlier.enforcing_consecutive_errors) ||
       !share(outlier.enforcing_consecutive_gateway_failure) ||
       !share(outlier.enforcing_consecutive_local_origin_failure) ||
       !share(outlier.enforcing_success_rate) ||
       !share(outlier.enforcing_local_origin_success_rate) ||
       !share(outlier.enforcing_failure_percentage) ||
       !share(outlier.enforcing_failure_percentage_local_origin) ||
       !share(outlier.failure_percentage_threshold))) {
    throw std::invalid_argument("set_outlier_detection: bad settings");
  }
  const bool was_enabled = m_.settings.outlier.enabled;
  m_.settings.outlier = outlier;
  ++outlier_epoch_;
  if (!outlier.enabled) {
    // Without a detector nothing stays ejected (Envoy drops the detector with its state).
    for (std::uint32_t s = 0; s < m_.fleet.size(); ++s) {
      m_.fleet.set_flag(now, s, kEjected, false);
      outlier_[s] = OutlierHost{};
    }
    ejected_count_ = 0;
    if (was_enabled) update_panic(now);
    return;
  }
  m_.events.schedule(now + outlier.interval_ns, kOutlierTick, 0, outlier_epoch_);
}

}  // namespace lbsim
