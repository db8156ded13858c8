// The balancer's health keys (health_check, outlier_detection, panic_threshold,
// circuit_breakers): defaults with the maps absent and present but empty, every value read, each
// error at its exact file:line:column, --set reaching them, and compare variants keeping them.
// Inline YAML is named "inline.yaml" so locations are exact. Every value compared is exact
// (integers, whole nanoseconds, or decimals that parse to the nearest double of the literal).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "test_util.hpp"

namespace lbsim {
namespace {

using test::kDataDir;

Scenario load(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return load_scenario(ScenarioText{yaml, "inline.yaml", kDataDir}, {.overrides = overrides});
}

// Lines 1-7: a valid scenario of a 1-minute run; tests append a balancer from line 8.
const std::string kValid =
    "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
    "10ms}\nservers:\n  - {group: web, count: 2}\n";

// kValid with a connection cap, so the balancer-side queue exists.
const std::string kValidCapped =
    "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
    "10ms}\nservers:\n  - {group: web, count: 2, max_connections: 8}\n";

// kValid plus "balancer:" (line 8) and "  <key>:" (line 9); the map's lines start on line 10,
// indented by 4.
std::string with_map(const std::string& key, const std::string& lines) {
  return kValid + "balancer:\n  " + key + ":\n" + lines;
}

void check_health_check_defaults(const HealthCheckConfig& h, bool enabled) {
  CHECK(h.enabled == enabled);
  CHECK(h.interval_ns == 2 * kSecond);
  CHECK(h.timeout_ns == kSecond);
  CHECK(h.rise == 2);
  CHECK(h.fall == 3);
  CHECK_FALSE(h.out_of_band);
  CHECK(h.probe_demand_s == 0.001);  // 1ms: 1e6 ns / 1e9, the double nearest 0.001
}

void check_outlier_defaults(const OutlierConfig& o, bool enabled) {
  CHECK(o.enabled == enabled);
  CHECK(o.consecutive_errors == 5);
  CHECK(o.interval_ns == 10 * kSecond);
  CHECK(o.base_ejection_ns == 30 * kSecond);
  CHECK(o.max_ejection_ns == 300 * kSecond);
  CHECK(o.max_ejection_fraction == 0.1);
  // Envoy's DetectorConfig defaults.
  CHECK(o.enforcing_consecutive_errors == 1.0);
  CHECK(o.consecutive_gateway_failure == 5);
  CHECK(o.enforcing_consecutive_gateway_failure == 0.0);
  CHECK_FALSE(o.split_external_local_origin_errors);
  CHECK(o.consecutive_local_origin_failure == 5);
  CHECK(o.enforcing_consecutive_local_origin_failure == 1.0);
  CHECK(o.enforcing_local_origin_success_rate == 1.0);
  CHECK(o.enforcing_failure_percentage_local_origin == 0.0);
  CHECK(o.success_rate_minimum_hosts == 5);
  CHECK(o.success_rate_request_volume == 100);
  CHECK(o.success_rate_stdev_factor == 1900);
  CHECK(o.enforcing_success_rate == 1.0);
  CHECK(o.failure_percentage_threshold == 0.85);
  CHECK(o.failure_percentage_minimum_hosts == 5);
  CHECK(o.failure_percentage_request_volume == 50);
  CHECK(o.enforcing_failure_percentage == 0.0);
  CHECK(o.max_ejection_jitter_ns == 0);
  CHECK_FALSE(o.always_eject_one_host);
  CHECK(o.successful_active_health_check_uneject_host);
}

void check_unlimited_breakers(const CircuitBreakerConfig& c) {
  CHECK(c.max_requests == -1);
  CHECK(c.max_pending == -1);
  CHECK(c.max_retries == -1);
}

TEST_CASE("without the health keys, checks and ejection are off and the rest is default") {
  for (const std::string& yaml : {kValid, kValid + "balancer:\n  strategy: random\n"}) {
    const BalancerConfig b = load(yaml).config.balancer;
    check_health_check_defaults(b.health_check, false);
    check_outlier_defaults(b.outlier, false);
    CHECK(b.panic_threshold == 0.5);
    check_unlimited_breakers(b.circuit_breakers);
  }
}

TEST_CASE("empty maps enable checks and ejection with every default") {
  const BalancerConfig b =
      load(kValid +
           "balancer:\n  health_check: {}\n  outlier_detection: {}\n  circuit_breakers: "
           "{}\n")
          .config.balancer;
  check_health_check_defaults(b.health_check, true);
  check_outlier_defaults(b.outlier, true);
  CHECK(b.panic_threshold == 0.5);
  check_unlimited_breakers(b.circuit_breakers);
}

TEST_CASE("every health key is read, beside a strategy and its options") {
  const BalancerConfig b = load(R"(name: t
duration: 1m
workload:
  rate: 100/s
  service: {dist: exponential, mean: 10ms}
balancer:
  strategy: least_request
  choices: 3
  health_check:
    interval: 5s
    timeout: 500ms
    rise: 1
    fall: 7
    out_of_band: false
    probe_demand: 2500us
  outlier_detection:
    consecutive_errors: 3
    interval: 1s
    base_ejection: 10s
    max_ejection: 90s
    max_ejection_percent: 25%
    max_ejection_jitter: 2s
    always_eject_one_host: true
    successful_active_health_check_uneject_host: false
    enforcing_consecutive_errors: 50%
    consecutive_gateway_failure: 4
    enforcing_consecutive_gateway_failure: 100%
    split_external_local_origin_errors: true
    consecutive_local_origin_failure: 6
    enforcing_consecutive_local_origin_failure: 0%
    enforcing_local_origin_success_rate: 10%
    enforcing_failure_percentage_local_origin: 20%
    success_rate_minimum_hosts: 3
    success_rate_request_volume: 40
    success_rate_stdev_factor: 1000
    enforcing_success_rate: 0%
    failure_percentage_threshold: 70%
    failure_percentage_minimum_hosts: 2
    failure_percentage_request_volume: 20
    enforcing_failure_percentage: 100%
  panic_threshold: 30%
  circuit_breakers:
    max_requests: 100
    max_pending: 0
    max_retries: 7
servers:
  - {group: web, count: 4, max_connections: 2}
)")
                               .config.balancer;
  CHECK(b.strategy.name() == "least_request");
  CHECK(b.strategy.options.at("choices") == OptionValue{3.0});
  const HealthCheckConfig& h = b.health_check;
  CHECK(h.enabled);
  CHECK(h.interval_ns == 5 * kSecond);
  CHECK(h.timeout_ns == 500 * kMillisecond);
  CHECK(h.rise == 1);
  CHECK(h.fall == 7);
  CHECK_FALSE(h.out_of_band);
  CHECK(h.probe_demand_s == 0.0025);  // 2.5e6 ns / 1e9, the double nearest 0.0025
  const OutlierConfig& o = b.outlier;
  CHECK(o.enabled);
  CHECK(o.consecutive_errors == 3);
  CHECK(o.interval_ns == kSecond);
  CHECK(o.base_ejection_ns == 10 * kSecond);
  CHECK(o.max_ejection_ns == 90 * kSecond);
  CHECK(o.max_ejection_fraction == 0.25);  // "25%": 25 / 100, exact
  CHECK(o.max_ejection_jitter_ns == 2 * kSecond);
  CHECK(o.always_eject_one_host);
  CHECK_FALSE(o.successful_active_health_check_uneject_host);
  CHECK(o.enforcing_consecutive_errors == 0.5);
  CHECK(o.consecutive_gateway_failure == 4);
  CHECK(o.enforcing_consecutive_gateway_failure == 1.0);
  CHECK(o.split_external_local_origin_errors);
  CHECK(o.consecutive_local_origin_failure == 6);
  CHECK(o.enforcing_consecutive_local_origin_failure == 0.0);
  CHECK(o.enforcing_local_origin_success_rate == 0.1);
  CHECK(o.enforcing_failure_percentage_local_origin == 0.2);
  CHECK(o.success_rate_minimum_hosts == 3);
  CHECK(o.success_rate_request_volume == 40);
  CHECK(o.success_rate_stdev_factor == 1000);
  CHECK(o.enforcing_success_rate == 0.0);
  CHECK(o.failure_percentage_threshold == 0.7);
  CHECK(o.failure_percentage_minimum_hosts == 2);
  CHECK(o.failure_percentage_request_volume == 20);
  CHECK(o.enforcing_failure_percentage == 1.0);
  CHECK(b.panic_threshold == 0.3);         // "30%": 30 / 100, correctly rounded
  CHECK(b.circuit_breakers.max_requests == 100);
  CHECK(b.circuit_breakers.max_pending == 0);
  CHECK(b.circuit_breakers.max_retries == 7);
}

TEST_CASE("health keys at their bounds") {
  // timeout == interval, out-of-band probes, fractions 0 and 1 (as plain numbers), limits
  // "unlimited" and 0.
  const BalancerConfig b = load(kValid + R"(balancer:
  health_check: {interval: 1s, timeout: 1s, out_of_band: true}
  outlier_detection: {base_ejection: 5s, max_ejection: 5s, max_ejection_percent: 1}
  panic_threshold: 0
  circuit_breakers: {max_requests: unlimited, max_retries: 0}
)")
                               .config.balancer;
  CHECK(b.health_check.interval_ns == kSecond);
  CHECK(b.health_check.timeout_ns == kSecond);
  CHECK(b.health_check.out_of_band);
  CHECK(b.health_check.probe_demand_s == 0.001);
  CHECK(b.outlier.base_ejection_ns == 5 * kSecond);
  CHECK(b.outlier.max_ejection_ns == 5 * kSecond);
  CHECK(b.outlier.max_ejection_fraction == 1.0);
  CHECK(b.panic_threshold == 0.0);
  CHECK(b.circuit_breakers.max_requests == -1);
  CHECK(b.circuit_breakers.max_pending == -1);
  CHECK(b.circuit_breakers.max_retries == 0);
  CHECK(load(kValid + "balancer: {panic_threshold: 100%}\n").config.balancer.panic_threshold ==
        1.0);
  // A timeout alone, up to the default interval (2s).
  CHECK(
      load(with_map("health_check", "    timeout: 2s\n")).config.balancer.health_check.timeout_ns ==
      2 * kSecond);
}

TEST_CASE("max_ejection defaults to 300s, or to base_ejection when that is longer (Envoy)") {
  const auto max_ejection_ns = [](const std::string& lines) {
    return load(with_map("outlier_detection", lines)).config.balancer.outlier.max_ejection_ns;
  };
  CHECK(max_ejection_ns("    base_ejection: 1m\n") == 300 * kSecond);
  CHECK(max_ejection_ns("    base_ejection: 300s\n") == 300 * kSecond);
  CHECK(max_ejection_ns("    base_ejection: 10m\n") == 600 * kSecond);
  CHECK(max_ejection_ns("    max_ejection: 1h\n") == kHour);
  CHECK(max_ejection_ns("    max_ejection: 30s\n") == 30 * kSecond);  // == the default base
}

TEST_CASE("health_check errors") {
  const std::string head = kValid + "balancer:\n  health_check: ";
  CHECK_CONFIG_ERROR(load(head + "true\n"), "inline.yaml", 9, 17,
                     "balancer.health_check: expected a map of health-check keys like {interval: "
                     "2s, fall: 3} ({} for the defaults); got \"true\"");
  // An empty value is not "on": the hint says how to ask for the defaults.
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  health_check:\n"), "inline.yaml", 9, 3,
                     "({} for the defaults); got nothing");
  CHECK_CONFIG_ERROR(load(head + "{intervall: 2s}\n"), "inline.yaml", 9, 18,
                     "unknown key \"intervall\" in balancer.health_check; valid keys: type, interval, "
                     "timeout, rise, fall, out_of_band, probe_demand");
  CHECK_CONFIG_ERROR(load(head + "{interval: 0s}\n"), "inline.yaml", 9, 28,
                     "balancer.health_check.interval: expected a duration > 0; got \"0s\"");
  CHECK_CONFIG_ERROR(load(head + "{interval: 2}\n"), "inline.yaml", 9, 28,
                     "balancer.health_check.interval: expected a duration with a unit");
  CHECK_CONFIG_ERROR(load(head + "{timeout: 0ms}\n"), "inline.yaml", 9, 27,
                     "balancer.health_check.timeout: expected a duration > 0; got \"0ms\"");
  CHECK_CONFIG_ERROR(load(head + "{rise: 0}\n"), "inline.yaml", 9, 24,
                     "balancer.health_check.rise: expected an integer >= 1; got \"0\"");
  CHECK_CONFIG_ERROR(load(head + "{fall: 1.5}\n"), "inline.yaml", 9, 24,
                     "balancer.health_check.fall: expected an integer >= 1; got \"1.5\"");
  CHECK_CONFIG_ERROR(load(head + "{fall: [3]}\n"), "inline.yaml", 9, 24,
                     "balancer.health_check.fall: expected an integer; got a list");
  CHECK_CONFIG_ERROR(load(head + "{out_of_band: yes}\n"), "inline.yaml", 9, 31,
                     "balancer.health_check.out_of_band: expected true or false; got \"yes\"");
  CHECK_CONFIG_ERROR(load(head + "{probe_demand: 0s}\n"), "inline.yaml", 9, 32,
                     "balancer.health_check.probe_demand: expected a duration > 0; got \"0s\"");
}

TEST_CASE("health_check: timeout <= interval; probe_demand only for in-band probes") {
  // Both given: at the timeout.
  CHECK_CONFIG_ERROR(load(with_map("health_check", "    interval: 1s\n    timeout: 1500ms\n")),
                     "inline.yaml", 11, 14,
                     "balancer.health_check.timeout: expected timeout <= interval (1s); got "
                     "\"1500ms\"");
  // Only the timeout: the default interval is named.
  CHECK_CONFIG_ERROR(load(with_map("health_check", "    timeout: 3s\n")), "inline.yaml", 10, 14,
                     "balancer.health_check.timeout: expected timeout <= interval (2s, the "
                     "default); got \"3s\"");
  // Only the interval, below the default timeout: at the interval, naming the default.
  CHECK_CONFIG_ERROR(load(with_map("health_check", "    interval: 500ms\n")), "inline.yaml", 10, 15,
                     "balancer.health_check.interval: expected interval >= timeout (1s, the "
                     "default; set a shorter timeout); got \"500ms\"");
  CHECK_CONFIG_ERROR(
      load(with_map("health_check", "    out_of_band: true\n    probe_demand: 5ms\n")),
      "inline.yaml", 11, 5,
      "balancer.health_check.probe_demand: expected no probe_demand unless out_of_band: false");
}

TEST_CASE("outlier_detection errors") {
  const std::string head = kValid + "balancer:\n  outlier_detection: ";
  CHECK_CONFIG_ERROR(load(head + "[5]\n"), "inline.yaml", 9, 22,
                     "balancer.outlier_detection: expected a map of outlier-detection keys");
  CHECK_CONFIG_ERROR(load(head + "{consecutive_5xx: 5}\n"), "inline.yaml", 9, 23,
                     "unknown key \"consecutive_5xx\" in balancer.outlier_detection; valid keys: "
                     "consecutive_errors, enforcing_consecutive_errors, "
                     "consecutive_gateway_failure, enforcing_consecutive_gateway_failure, "
                     "split_external_local_origin_errors, consecutive_local_origin_failure, "
                     "enforcing_consecutive_local_origin_failure, "
                     "enforcing_local_origin_success_rate, "
                     "enforcing_failure_percentage_local_origin, success_rate_minimum_hosts, "
                     "success_rate_request_volume, success_rate_stdev_factor, "
                     "enforcing_success_rate, failure_percentage_threshold, "
                     "failure_percentage_minimum_hosts, failure_percentage_request_volume, "
                     "enforcing_failure_percentage, interval, base_ejection, max_ejection, "
                     "max_ejection_jitter, max_ejection_percent, always_eject_one_host, "
                     "successful_active_health_check_uneject_host");
  CHECK_CONFIG_ERROR(load(head + "{consecutive_local_origin_failure: 3}\n"), "inline.yaml", 9, 23,
                     "balancer.outlier_detection.consecutive_local_origin_failure: expected no "
                     "consecutive_local_origin_failure unless split_external_local_origin_errors: "
                     "true (without it local-origin failures count as 503/504 responses)");
  CHECK_CONFIG_ERROR(load(head + "{enforcing_success_rate: 120%}\n"), "inline.yaml", 9, 47,
                     "balancer.outlier_detection.enforcing_success_rate: expected a fraction");
  CHECK_CONFIG_ERROR(load(head + "{consecutive_errors: 0}\n"), "inline.yaml", 9, 43,
                     "balancer.outlier_detection.consecutive_errors: expected an integer >= 1; "
                     "got \"0\"");
  CHECK_CONFIG_ERROR(load(head + "{interval: 0s}\n"), "inline.yaml", 9, 33,
                     "balancer.outlier_detection.interval: expected a duration > 0; got \"0s\"");
  CHECK_CONFIG_ERROR(load(head + "{base_ejection: 0s}\n"), "inline.yaml", 9, 38,
                     "balancer.outlier_detection.base_ejection: expected a duration > 0");
  CHECK_CONFIG_ERROR(load(head + "{max_ejection: 30}\n"), "inline.yaml", 9, 37,
                     "balancer.outlier_detection.max_ejection: expected a duration with a unit");
  CHECK_CONFIG_ERROR(load(head + "{max_ejection_percent: 110%}\n"), "inline.yaml", 9, 45,
                     "balancer.outlier_detection.max_ejection_percent: expected a fraction");
  CHECK_CONFIG_ERROR(load(head + "{max_ejection_percent: -0.1}\n"), "inline.yaml", 9, 45,
                     "balancer.outlier_detection.max_ejection_percent: expected a fraction");
  // max_ejection below base_ejection: given, or the default 30s.
  CHECK_CONFIG_ERROR(
      load(with_map("outlier_detection", "    base_ejection: 1m\n    max_ejection: 59s\n")),
      "inline.yaml", 11, 19,
      "balancer.outlier_detection.max_ejection: expected max_ejection >= base_ejection (1m); got "
      "\"59s\"");
  CHECK_CONFIG_ERROR(load(with_map("outlier_detection", "    max_ejection: 10s\n")), "inline.yaml",
                     10, 19,
                     "balancer.outlier_detection.max_ejection: expected max_ejection >= "
                     "base_ejection (30s, the default); got \"10s\"");
}

TEST_CASE("panic_threshold and circuit_breakers errors") {
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  panic_threshold: 150%\n"), "inline.yaml", 9, 20,
                     "balancer.panic_threshold: expected a fraction");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  panic_threshold: half\n"), "inline.yaml", 9, 20,
                     "balancer.panic_threshold: expected a fraction");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  panic_threshold: {}\n"), "inline.yaml", 9, 20,
                     "balancer.panic_threshold: expected a fraction like 10%; got a map");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  panek_threshold: 10%\n"), "inline.yaml", 9, 3,
                     "unknown key \"panek_threshold\" in balancer; valid keys for strategy "
                     "round_robin: ");
  const std::string head = kValid + "balancer:\n  circuit_breakers: ";
  CHECK_CONFIG_ERROR(load(head + "1024\n"), "inline.yaml", 9, 21,
                     "balancer.circuit_breakers: expected a map of circuit-breaker limits like "
                     "{max_requests: 1024} ({} for the defaults); got \"1024\"");
  CHECK_CONFIG_ERROR(load(head + "{max_connections: 5}\n"), "inline.yaml", 9, 22,
                     "unknown key \"max_connections\" in balancer.circuit_breakers; valid keys: "
                     "max_requests, max_pending, max_retries");
  CHECK_CONFIG_ERROR(load(head + "{max_requests: -1}\n"), "inline.yaml", 9, 36,
                     "balancer.circuit_breakers.max_requests: expected an integer >= 0 or "
                     "unlimited; got \"-1\"");
  CHECK_CONFIG_ERROR(load(head + "{max_retries: 2.5}\n"), "inline.yaml", 9, 35,
                     "balancer.circuit_breakers.max_retries: expected an integer >= 0 or "
                     "unlimited; got \"2.5\"");
  CHECK_CONFIG_ERROR(load(head + "{max_retries: [1]}\n"), "inline.yaml", 9, 35,
                     "balancer.circuit_breakers.max_retries: expected an integer >= 0 or "
                     "unlimited; got a list");
  CHECK_CONFIG_ERROR(load(head + "{max_requests: Unlimited}\n"), "inline.yaml", 9, 36,
                     "got \"Unlimited\"");
}

TEST_CASE("max_pending needs the balancer-side queue (some group's max_connections)") {
  CHECK_CONFIG_ERROR(load(with_map("circuit_breakers",
                                   "    max_requests: 10\n    max_pending: "
                                   "5\n")),
                     "inline.yaml", 11, 18,
                     "balancer.circuit_breakers.max_pending: acts only on the balancer-side "
                     "queue, which exists when a server group sets max_connections; expected "
                     "max_connections on some group, or no max_pending");
  // "unlimited" too: any max_pending is meaningless without the queue, like queue_limit.
  CHECK_CONFIG_ERROR(load(with_map("circuit_breakers", "    max_pending: unlimited\n")),
                     "inline.yaml", 10, 18, "or no max_pending");
  // A bad value is reported as such, before the check against the fleet.
  CHECK_CONFIG_ERROR(load(with_map("circuit_breakers", "    max_pending: -5\n")), "inline.yaml", 10,
                     18, "expected an integer >= 0 or unlimited; got \"-5\"");
  CHECK(load(kValidCapped + "balancer:\n  circuit_breakers: {max_pending: 5}\n")
            .config.balancer.circuit_breakers.max_pending == 5);
  // Without max_pending, circuit breakers need no connection cap.
  CHECK(load(with_map("circuit_breakers", "    max_requests: 10\n"))
            .config.balancer.circuit_breakers.max_requests == 10);
}

TEST_CASE("--set reaches the health keys, creating maps, and its errors are located there") {
  const BalancerConfig b =
      load(kValid, {"balancer.health_check.fall=4", "balancer.outlier_detection={}",
                    "balancer.panic_threshold=20%", "balancer.circuit_breakers.max_retries=2"})
          .config.balancer;
  CHECK(b.health_check.enabled);  // health_check: created as a map by the override
  CHECK(b.health_check.fall == 4);
  CHECK(b.health_check.rise == 2);
  check_outlier_defaults(b.outlier, true);
  CHECK(b.panic_threshold == 0.2);  // "20%": 20 / 100, correctly rounded
  CHECK(b.circuit_breakers.max_retries == 2);
  CHECK(b.circuit_breakers.max_requests == -1);
  // Replacing a value the file gives.
  CHECK(load(with_map("health_check", "    interval: 5s\n"), {"balancer.health_check.interval=3s"})
            .config.balancer.health_check.interval_ns == 3 * kSecond);
  CHECK_CONFIG_ERROR(load(kValid, {"balancer.health_check.rise=0"}),
                     "--set balancer.health_check.rise", 0, 0,
                     "balancer.health_check.rise: expected an integer >= 1; got \"0\"");
  CHECK_CONFIG_ERROR(load(kValid, {"balancer.outlier_detection.max_ejection=1s"}),
                     "--set balancer.outlier_detection.max_ejection", 0, 0,
                     "expected max_ejection >= base_ejection (30s, the default)");
  CHECK_CONFIG_ERROR(load(kValid, {"balancer.circuit_breakers.max_pending=3"}),
                     "--set balancer.circuit_breakers.max_pending", 0, 0, "or no max_pending");
  CHECK_CONFIG_ERROR(load(kValid, {"balancer.health_check.retries=3"}),
                     "--set balancer.health_check.retries", 0, 0,
                     "unknown key \"retries\" in balancer.health_check");
}

TEST_CASE("a compare variant keeps the health keys") {
  const std::string yaml = kValidCapped + R"(balancer:
  strategy: least_request
  choices: 4
  health_check: {interval: 3s, fall: 2}
  outlier_detection: {consecutive_errors: 2}
  panic_threshold: 0%
  circuit_breakers: {max_requests: 50, max_pending: 10, max_retries: 1}
)";
  const std::vector<std::string> overrides = {"balancer.health_check.rise=5"};
  const BalancerConfig b = load_scenario(ScenarioText{yaml, "inline.yaml", kDataDir},
                                         {.overrides = overrides, .variant = "random"})
                               .config.balancer;
  CHECK(b.strategy.name() == "random");
  CHECK(b.strategy.options.count("choices") == 0);  // the base strategy's option is dropped
  CHECK(b.health_check.enabled);
  CHECK(b.health_check.interval_ns == 3 * kSecond);
  CHECK(b.health_check.fall == 2);
  CHECK(b.health_check.rise == 5);
  CHECK(b.outlier.enabled);
  CHECK(b.outlier.consecutive_errors == 2);
  CHECK(b.panic_threshold == 0.0);
  CHECK(b.circuit_breakers.max_requests == 50);
  CHECK(b.circuit_breakers.max_pending == 10);
  CHECK(b.circuit_breakers.max_retries == 1);
  // Errors in them stay located in the file.
  CHECK_CONFIG_ERROR(load_scenario(ScenarioText{kValid + "balancer:\n  health_check: {fall: 0}\n",
                                                "inline.yaml", kDataDir},
                                   {.variant = "random"}),
                     "inline.yaml", 9, 24, "balancer.health_check.fall: expected an integer");
  // They are generic keys, not strategy options: a variant cannot set them.
  CHECK_CONFIG_ERROR(load_scenario(ScenarioText{yaml, "inline.yaml", kDataDir},
                                   {.variant = "random:panic_threshold=10%"}),
                     "--strategies random:panic_threshold=10%", 0, 0,
                     "unknown option \"panic_threshold\"");
}

}  // namespace
}  // namespace lbsim
