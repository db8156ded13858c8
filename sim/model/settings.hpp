#pragma once
// The balancer settings that can change during a run (timeline and alert actions change them, a
// rollback restores them): the strategy with its options, health checks, outlier detection,
// circuit breakers and the panic threshold. The scenario's BalancerConfig holds their loaded
// values; a running model keeps its current ones in a BalancerSettings of its own, so the
// configuration stays what was loaded.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "sim/core/time.hpp"

namespace lbsim {

// A strategy option's value after validation: a number (durations in seconds) or a name.
using OptionValue = std::variant<double, std::string>;
using StrategyOptions = std::map<std::string, OptionValue, std::less<>>;

struct StrategyInfo;  // sim/model/strategy.hpp

// A balancing strategy, typed once at load: the registered strategy and every option it
// declares, defaults filled in. Compared by identity of the strategy and value of the options.
struct StrategyChoice {
  const StrategyInfo* info = nullptr;
  StrategyOptions options;
  [[nodiscard]] const std::string& name() const;  // "round_robin"; sim/model/strategy.cpp
  bool operator==(const StrategyChoice&) const = default;
};

// round_robin (the scenario default) with its options' defaults.
[[nodiscard]] StrategyChoice default_strategy();

// Active health checks (HAProxy `check`, Envoy health_check): every `interval` the balancer
// probes each server; `fall` consecutive failures mark it unhealthy (no traffic), `rise`
// consecutive successes bring it back. A probe fails when the server is down, answers 503 (full
// queue), or does not answer within `timeout`. Unless out_of_band, a probe is served like a
// request (it waits in the queue for a worker and takes probe_demand of work), so an overloaded
// server fails its checks.
struct HealthCheckConfig {
  bool enabled = false;
  SimTime interval_ns = 2 * kSecond;  // HAProxy inter
  SimTime timeout_ns = 1 * kSecond;
  int rise = 2;
  int fall = 3;
  bool out_of_band = false;
  double probe_demand_s = 0.001;
  // A TCP connect check (HAProxy `check` in mode tcp without option httpchk, Envoy
  // tcp_health_check): it passes whenever the server is up, as the kernel accepts the connection.
  bool tcp = false;
  // HAProxy `observe layer4|layer7` with `error-limit` and `on-error` (health_observe.cpp):
  // consecutive errors seen in live traffic act on the check state.
  enum class Observe : std::uint8_t { kOff, kLayer4, kLayer7 };
  enum class OnError : std::uint8_t { kFailCheck, kSuddenDeath, kMarkDown };
  Observe observe = Observe::kOff;
  int error_limit = 10;
  OnError on_error = OnError::kFailCheck;
  bool operator==(const HealthCheckConfig&) const = default;
};

// Passive outlier detection as current Envoy does it (source/common/upstream/
// outlier_detection_impl.cc; defaults from its DetectorConfig; sim/model/health_outlier.cpp has
// the rules). Names follow Envoy's; consecutive_errors is Envoy's consecutive_5xx. Percentages
// are fractions here (enforcing 100% = 1.0). An ejection lasts min(base x backoff, max) + jitter
// and ends at the first interval tick that finds it over (or at a passing active health check).
struct OutlierConfig {
  bool enabled = false;
  int consecutive_errors = 5;  // consecutive_5xx
  double enforcing_consecutive_errors = 1.0;
  int consecutive_gateway_failure = 5;  // 502, 503, 504 in a row
  double enforcing_consecutive_gateway_failure = 0.0;
  // Locally originated failures (connect refused, reset, timeout) apart from the server's own
  // 503s; otherwise they count as 503 / 504 responses.
  bool split_external_local_origin_errors = false;
  int consecutive_local_origin_failure = 5;
  double enforcing_consecutive_local_origin_failure = 1.0;
  double enforcing_local_origin_success_rate = 1.0;
  double enforcing_failure_percentage_local_origin = 0.0;
  // Success rate: per interval, hosts with at least request_volume requests; with at least
  // minimum_hosts of them, a host below mean - stdev_factor / 1000 x stdev is ejected.
  int success_rate_minimum_hosts = 5;
  int success_rate_request_volume = 100;
  int success_rate_stdev_factor = 1900;
  double enforcing_success_rate = 1.0;
  // Failure percentage: a host failing at least `threshold` of its requests in an interval.
  double failure_percentage_threshold = 0.85;
  int failure_percentage_minimum_hosts = 5;
  int failure_percentage_request_volume = 50;
  double enforcing_failure_percentage = 0.0;
  SimTime interval_ns = 10 * kSecond;
  SimTime base_ejection_ns = 30 * kSecond;
  SimTime max_ejection_ns = 300 * kSecond;
  SimTime max_ejection_jitter_ns = 0;
  // An ejection is allowed while 100 x (ejected + 1) / hosts <= max_ejection_percent; with
  // always_eject_one_host, the first one always is.
  double max_ejection_fraction = 0.1;
  bool always_eject_one_host = false;
  bool successful_active_health_check_uneject_host = true;
  bool operator==(const OutlierConfig&) const = default;
};

// Circuit breakers, per balancer instance (Envoy: per cluster and worker, no coordination).
// Exceeding one fails the attempt at once with circuit_open; -1 = no limit.
struct CircuitBreakerConfig {
  std::int64_t max_requests = -1;  // attempts in flight through the instance
  std::int64_t max_pending = -1;   // requests waiting in the balancer-side queue
  std::int64_t max_retries = -1;   // retries in progress (a retry over it is not made)
  bool operator==(const CircuitBreakerConfig&) const = default;
};

// What a running balancer applies now; starts as the scenario's balancer configuration.
struct BalancerSettings {
  StrategyChoice strategy;
  HealthCheckConfig health_check;
  OutlierConfig outlier;
  CircuitBreakerConfig circuit_breakers;
  double panic_threshold = 0.5;
  bool operator==(const BalancerSettings&) const = default;
};

}  // namespace lbsim
