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
  bool operator==(const HealthCheckConfig&) const = default;
};

// Passive outlier detection (Envoy outlier_detection): `consecutive_errors` failed attempts in a
// row eject a server for base_ejection x (number of times ejected), capped at max_ejection; the
// count decays by one per `interval` without an ejection. At most max_ejection_fraction of the
// fleet is ejected at once, but always at least one server. Failures that count: queue_full,
// refused, crash_lost, queue_timeout and timeout (Envoy counts local origin errors as 5xx).
struct OutlierConfig {
  bool enabled = false;
  int consecutive_errors = 5;
  SimTime interval_ns = 10 * kSecond;
  SimTime base_ejection_ns = 30 * kSecond;
  SimTime max_ejection_ns = 300 * kSecond;
  double max_ejection_fraction = 0.1;
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
