// The balancer's generic keys (instances, instance_selection, view, view_refresh, unit,
// connection_lifetime, reconnect_backoff, queue_timeout, queue_limit, slow_start) and the server
// keys max_connections and join_at: defaults, every value read, and each error at its exact
// file:line:column. Inline YAML is named "inline.yaml" so locations are exact.
#include <doctest/doctest.h>

#include <string>

#include "sim/scenario/scenario.hpp"
#include "test_util.hpp"

namespace lbsim {
namespace {

using test::kDataDir;

Scenario load(const std::string& yaml) {
  return load_scenario(ScenarioText{yaml, "inline.yaml", kDataDir});
}

// Lines 1-7: a valid scenario of a 1-minute run; tests append a balancer from line 8.
const std::string kValid =
    "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
    "10ms}\nservers:\n  - {group: web, count: 2}\n";

// kValid with a connection cap, so the balancer-side queue exists.
const std::string kValidCapped =
    "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
    "10ms}\nservers:\n  - {group: web, count: 2, max_connections: 8}\n";

// kValid plus a group that joins at 30 s (line 8), which slow start needs.
const std::string kValidLate = kValid + "  - {group: late, join_at: 30s}\n";

TEST_CASE("slow_start without a group joining later or health checks is an error") {
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  slow_start: {mode: envoy, window: 1m}\n"),
                     "inline.yaml", 9, 15,
                     "balancer.slow_start: ramps servers that join during the run or come back "
                     "from failed health checks, and no server group sets join_at and there is no "
                     "health_check");
  // With health checks a server that comes back from failed checks ramps: valid.
  CHECK(load(kValid + "balancer:\n  slow_start: {mode: envoy, window: 1m}\n  health_check: {}\n")
            .config.balancer.slow_start.mode == SlowStartMode::kEnvoy);
}

TEST_CASE("every generic balancer key and server key has its default") {
  const SimulationConfig c = load(kValid).config;
  const BalancerConfig& b = c.balancer;
  CHECK(b.instances == 1);
  CHECK(b.instance_selection == InstanceSelection::kRandom);
  CHECK(b.view == LoadView::kLocal);
  CHECK(b.view_refresh_ns == 0);
  CHECK(b.unit == BalancingUnit::kRequest);
  CHECK(b.connection_lifetime_ns == 0);
  CHECK(b.reconnect_backoff_ns == 0);
  CHECK(b.queue_timeout_ns == 5 * kSecond);
  CHECK(b.queue_limit == kUnlimitedQueue);
  CHECK(b.slow_start.mode == SlowStartMode::kOff);
  CHECK(c.servers[0].max_connections == 0);
  CHECK(c.servers[0].join_at_ns == 0);
}

TEST_CASE("every generic balancer key is read, beside the strategy") {
  const SimulationConfig c = load(R"(name: t
duration: 1m
warmup: 10s
workload:
  rate: 100/s
  service: {dist: exponential, mean: 10ms}
balancer:
  strategy: jsq
  instances: 4
  instance_selection: user_hash
  view: global
  view_refresh: 250ms
  queue_timeout: 2s
  queue_limit: 40
  slow_start:
    mode: envoy
    window: 30s
    aggression: 2.5
    min_weight_percent: 20%
    update: 500ms
servers:
  - {group: web, count: 10, max_connections: 32, join_at: 1m}
  - {group: api, max_connections: 0}
)")
                                 .config;
  const BalancerConfig& b = c.balancer;
  CHECK(b.strategy.name() == "jsq");
  CHECK(b.instances == 4);
  CHECK(b.instance_selection == InstanceSelection::kUserHash);
  CHECK(b.view == LoadView::kGlobal);
  CHECK(b.view_refresh_ns == 250 * kMillisecond);
  CHECK(b.queue_timeout_ns == 2 * kSecond);
  CHECK(b.queue_limit == 40);
  CHECK(b.slow_start.mode == SlowStartMode::kEnvoy);
  CHECK(b.slow_start.window_ns == 30 * kSecond);
  CHECK(b.slow_start.aggression == 2.5);
  CHECK(b.slow_start.min_weight_fraction == 0.2);  // "20%": 20 / 100, correctly rounded
  CHECK(b.slow_start.update_ns == 500 * kMillisecond);
  REQUIRE(c.servers.size() == 2);
  CHECK(c.servers[0].max_connections == 32);
  CHECK(c.servers[0].join_at_ns == kMinute);  // 1m < warmup + duration = 70 s
  CHECK(c.servers[1].max_connections == 0);
  CHECK(c.servers[1].join_at_ns == 0);
}

TEST_CASE("a global view with a strategy that ignores load is an error: it would change nothing") {
  CHECK_CONFIG_ERROR(load(kValid + "balancer: {strategy: round_robin, view: global}\n"),
                     "inline.yaml", 8, 41,
                     "balancer.view: a global view changes only strategies that read server load");
}

TEST_CASE("L4 keys: unit, connection lifetime and reconnect backoff") {
  const BalancerConfig b = load(kValid +
                                "balancer: {unit: connection, connection_lifetime: 10m, "
                                "reconnect_backoff: 100ms}\n")
                               .config.balancer;
  CHECK(b.unit == BalancingUnit::kConnection);
  CHECK(b.connection_lifetime_ns == 10 * kMinute);
  CHECK(b.reconnect_backoff_ns == 100 * kMillisecond);
}

TEST_CASE("keys that need the fleet: queue settings need max_connections, L4 forbids it") {
  // Lines 1-6 as kValid, the fleet on line 7, the balancer on line 8.
  const std::string head =
      "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
      "10ms}\nservers:\n";
  CHECK_CONFIG_ERROR(load(head + "  - {group: web, count: 2}\nbalancer: {queue_timeout: 2s}\n"),
                     "inline.yaml", 8, 27,
                     "balancer.queue_timeout: acts only on the balancer-side "
                     "queue, which exists when a server group sets max_connections");
  CHECK_CONFIG_ERROR(
      load(head + "  - {group: web, count: 2, max_connections: 4}\nbalancer: {unit: connection}\n"),
      "inline.yaml", 8, 18,
      "balancer.unit: max_connections (a per-request connection cap) is not "
      "supported with unit: connection");
  // What only the strategy can check is reported at the strategy's name.
  CHECK_CONFIG_ERROR(
      load(head + "  - {group: web, count: 2}\nbalancer: {strategy: maglev, table_size: 100}\n"),
      "inline.yaml", 8, 22, "balancer: strategy maglev: maglev: table_size must be a prime");
  CHECK_CONFIG_ERROR(load(head + "  - {group: web, count: 2}\nbalancer: {strategy: peak_ewma, "
                                 "unmeasured: finagle, default_rtt: 30ms}\n"),
                     "inline.yaml", 8, 22,
                     "balancer: strategy peak_ewma: peak_ewma: default_rtt has no meaning with "
                     "unmeasured: finagle");
}

TEST_CASE("slow start: envoy defaults, haproxy without envoy's keys, explicit zero refresh") {
  const BalancerConfig envoy =
      load(kValidLate + "balancer:\n  slow_start: {mode: envoy, window: 1m}\n").config.balancer;
  CHECK(envoy.slow_start.mode == SlowStartMode::kEnvoy);
  CHECK(envoy.slow_start.window_ns == kMinute);
  CHECK(envoy.slow_start.aggression == 1.0);
  CHECK(envoy.slow_start.min_weight_fraction == 0.1);
  CHECK(envoy.slow_start.update_ns == kSecond);
  const BalancerConfig haproxy =
      load(kValidLate + "balancer:\n  slow_start: {mode: haproxy, window: 20s, update: 2s}\n")
          .config.balancer;
  CHECK(haproxy.slow_start.mode == SlowStartMode::kHaproxy);
  CHECK(haproxy.slow_start.window_ns == 20 * kSecond);
  CHECK(haproxy.slow_start.update_ns == 2 * kSecond);
  const BalancerConfig fresh =
      load(kValidCapped +
           "balancer: {strategy: jsq, view: global, view_refresh: 0s, queue_limit: unlimited}\n")
          .config.balancer;
  CHECK(fresh.view == LoadView::kGlobal);
  CHECK(fresh.view_refresh_ns == 0);
  CHECK(fresh.queue_limit == kUnlimitedQueue);
  CHECK(load(kValidCapped + "balancer: {queue_limit: 0}\n").config.balancer.queue_limit == 0);
}

TEST_CASE("max_connections and join_at are also fleet CSV columns") {
  const SimulationConfig c =
      load(
          "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, "
          "mean: 10ms}\nservers:\n  - {file: fleet_connections.csv}\n")
          .config;
  REQUIRE(c.servers.size() == 2);
  CHECK(c.servers[0].max_connections == 32);
  CHECK(c.servers[0].join_at_ns == 0);
  CHECK(c.servers[1].count == 3);
  CHECK(c.servers[1].max_connections == 0);
  CHECK(c.servers[1].join_at_ns == 30 * kSecond);
}

TEST_CASE("keys that need another key's value name that value") {
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  view_refresh: 1s\n"), "inline.yaml", 9, 3,
                     "balancer.view_refresh: expected no view_refresh unless view: global");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  view: local\n  view_refresh: 1s\n"), "inline.yaml",
                     10, 3, "expected no view_refresh unless view: global");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  connection_lifetime: 10m\n"), "inline.yaml", 9, 3,
                     "balancer.connection_lifetime: expected no connection_lifetime unless "
                     "unit: connection");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  unit: request\n  reconnect_backoff: 1s\n"),
                     "inline.yaml", 10, 3,
                     "balancer.reconnect_backoff: expected no reconnect_backoff unless unit: "
                     "connection");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  slow_start:\n    mode: haproxy\n    window: 10s\n"
                                   "    aggression: 2\n"),
                     "inline.yaml", 12, 5,
                     "balancer.slow_start.aggression: expected no aggression unless mode: envoy");
  CHECK_CONFIG_ERROR(
      load(kValid + "balancer:\n  slow_start: {mode: haproxy, window: 10s, min_weight_percent: "
                    "5%}\n"),
      "inline.yaml", 9, 44,
      "balancer.slow_start.min_weight_percent: expected no min_weight_percent unless mode: "
      "envoy");
}

TEST_CASE("bad values of the generic balancer keys") {
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  instance_selection: hash\n"), "inline.yaml", 9, 23,
                     "balancer.instance_selection: expected one of random, user_hash; got "
                     "\"hash\"");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  view: shared\n"), "inline.yaml", 9, 9,
                     "balancer.view: expected one of local, global; got \"shared\"");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  view: global\n  view_refresh: -1s\n"),
                     "inline.yaml", 10, 17, "balancer.view_refresh: expected a duration >= 0");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  unit: packet\n"), "inline.yaml", 9, 9,
                     "balancer.unit: expected one of request, connection; got \"packet\"");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  unit: connection\n  connection_lifetime: 0s\n"),
                     "inline.yaml", 10, 24,
                     "balancer.connection_lifetime: expected a duration > 0; got \"0s\"");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  unit: connection\n  reconnect_backoff: 5\n"),
                     "inline.yaml", 10, 22,
                     "balancer.reconnect_backoff: expected a duration with a unit");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  queue_timeout: 0s\n"), "inline.yaml", 9, 18,
                     "balancer.queue_timeout: expected a duration > 0; got \"0s\"");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  queue_limit: -1\n"), "inline.yaml", 9, 16,
                     "balancer.queue_limit: expected an integer >= 0 or unlimited; got \"-1\"");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  queue_limit: [1]\n"), "inline.yaml", 9, 16,
                     "balancer.queue_limit: expected an integer >= 0 or unlimited; got a list");
  CHECK_CONFIG_ERROR(load(kValid + "balancer:\n  veiw: global\n"), "inline.yaml", 9, 3,
                     "unknown key \"veiw\" in balancer; valid keys for strategy round_robin: "
                     "strategy, instances, instance_selection, view, view_refresh, unit");
}

TEST_CASE("bad slow_start maps") {
  const std::string head = kValid + "balancer:\n  slow_start: ";
  CHECK_CONFIG_ERROR(load(head + "envoy\n"), "inline.yaml", 9, 15,
                     "balancer.slow_start: expected a slow-start map like {mode: envoy, window: "
                     "30s}; got \"envoy\"");
  CHECK_CONFIG_ERROR(load(head + "{window: 30s}\n"), "inline.yaml", 9, 15,
                     "missing required key \"mode\" in balancer.slow_start");
  CHECK_CONFIG_ERROR(load(head + "{mode: envoy}\n"), "inline.yaml", 9, 15,
                     "missing required key \"window\" in balancer.slow_start");
  CHECK_CONFIG_ERROR(load(head + "{mode: nginx, window: 30s}\n"), "inline.yaml", 9, 22,
                     "balancer.slow_start.mode: expected one of envoy, haproxy; got \"nginx\"");
  CHECK_CONFIG_ERROR(load(head + "{mode: envoy, window: 0s}\n"), "inline.yaml", 9, 37,
                     "balancer.slow_start.window: expected a duration > 0; got \"0s\"");
  CHECK_CONFIG_ERROR(load(head + "{mode: envoy, window: 1s, aggression: 0}\n"), "inline.yaml", 9,
                     53, "balancer.slow_start.aggression: expected a finite number > 0; got \"0\"");
  CHECK_CONFIG_ERROR(load(head + "{mode: envoy, window: 1s, min_weight_percent: 150%}\n"),
                     "inline.yaml", 9, 61, "balancer.slow_start.min_weight_percent: expected a");
  CHECK_CONFIG_ERROR(load(head + "{mode: envoy, window: 1s, update: 0s}\n"), "inline.yaml", 9, 49,
                     "balancer.slow_start.update: expected a duration > 0; got \"0s\"");
  CHECK_CONFIG_ERROR(load(head + "{mode: envoy, window: 1s, ramp: 2s}\n"), "inline.yaml", 9, 41,
                     "unknown key \"ramp\" in balancer.slow_start; valid keys: mode, window, "
                     "aggression, min_weight_percent, update");
}

TEST_CASE("bad max_connections and join_at") {
  const std::string head =
      "name: t\nduration: 1m\nwarmup: 10s\nworkload:\n  rate: 100/s\n  service: {dist: "
      "exponential, mean: 10ms}\nservers:\n";
  CHECK_CONFIG_ERROR(load(head + "  - {group: web, max_connections: -1}\n"), "inline.yaml", 8, 35,
                     "servers.0.max_connections: expected an integer >= 0; got \"-1\"");
  CHECK_CONFIG_ERROR(load(head + "  - {group: web, max_connections: 4294967296}\n"), "inline.yaml",
                     8, 35, "servers.0.max_connections: expected an integer");
  CHECK_CONFIG_ERROR(load(head + "  - {group: web, max_connections: [1]}\n"), "inline.yaml", 8, 35,
                     "servers.0.max_connections: expected an integer >= 0; got a list");
  CHECK_CONFIG_ERROR(load(head + "  - {group: web, join_at: 5}\n"), "inline.yaml", 8, 27,
                     "servers.0.join_at: expected a duration with a unit");
  // warmup + duration = 70 s: a group joining then would never serve.
  CHECK_CONFIG_ERROR(load(head + "  - {group: web}\n  - {group: late, join_at: 70s}\n"),
                     "inline.yaml", 9, 28,
                     "join_at of group \"late\": expected a time before the end of the run "
                     "(warmup + duration = 70s); got 70s");
  CHECK_NOTHROW((void)load(head + "  - {group: web}\n  - {group: late, join_at: 69s}\n"));
  // From a fleet CSV: at the cell (line 3, column 8 of "late,1,2h").
  CHECK_CONFIG_ERROR(load(head + "  - {file: fleet_join_late.csv}\n"),
                     kDataDir + "/fleet_join_late.csv", 3, 8,
                     "join_at of group \"late\": expected a time before the end of the run");
}

}  // namespace
}  // namespace lbsim

namespace lbsim {
namespace {

Scenario load_panic(const std::string& balancer) {
  return load_scenario(ScenarioText{
      "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
      "10ms}\nservers:\n  - {group: web, count: 2}\nbalancer: " +
          balancer + "\n",
      "inline.yaml", test::kDataDir});
}

}  // namespace

TEST_CASE("fail_traffic_on_panic: read, and an error where it would change nothing") {
  CHECK_FALSE(load_panic("{}").config.balancer.fail_traffic_on_panic);
  CHECK(load_panic("{fail_traffic_on_panic: true}").config.balancer.fail_traffic_on_panic);
  CHECK_CONFIG_ERROR(load_panic("{strategy: maglev, fail_traffic_on_panic: true}"), "inline.yaml",
                     8, 53,
                     "balancer.fail_traffic_on_panic: has no effect with strategy maglev (Envoy's "
                     "ring hash and Maglev route to every host in panic and do not read it)");
  CHECK_CONFIG_ERROR(load_panic("{panic_threshold: 0, fail_traffic_on_panic: true}"),
                     "inline.yaml", 8, 32,
                     "balancer.fail_traffic_on_panic: expected no fail_traffic_on_panic unless "
                     "panic_threshold > 0");
}

}  // namespace lbsim

namespace lbsim {

TEST_CASE("passive_health (nginx max_fails / fail_timeout) and a down group") {
  const auto& defaults = load_panic("{passive_health: {}}").config.balancer.passive_health;
  CHECK(defaults.enabled);
  CHECK(defaults.max_fails == 1);
  CHECK(defaults.fail_timeout_ns == 10 * kSecond);
  CHECK_FALSE(defaults.http_503);
  const auto& set =
      load_panic("{passive_health: {max_fails: 3, fail_timeout: 30s, http_503: true}}")
          .config.balancer.passive_health;
  CHECK(set.max_fails == 3);
  CHECK(set.fail_timeout_ns == 30 * kSecond);
  CHECK(set.http_503);
  CHECK_FALSE(load_panic("{}").config.balancer.passive_health.enabled);
  CHECK_CONFIG_ERROR(load_panic("{passive_health: {fail_timeout: 1500ms}}"), "inline.yaml", 8,
                     43,
                     "balancer.passive_health.fail_timeout: expected whole seconds (nginx keeps "
                     "fail_timeout on its one-second clock)");
  CHECK_CONFIG_ERROR(load_panic("{passive_health: {max_fail: 3}}"), "inline.yaml", 8, 29,
                     "unknown key \"max_fail\" in balancer.passive_health; valid keys: max_fails, "
                     "fail_timeout, http_503");
  const Scenario down = load_scenario(ScenarioText{
      "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
      "10ms}\nservers:\n  - {group: web, count: 2}\n  - {group: spare, count: 1, down: true}\n",
      "inline.yaml", test::kDataDir});
  CHECK_FALSE(down.config.servers[0].down);
  CHECK(down.config.servers[1].down);
  CHECK_CONFIG_ERROR(
      load_scenario(ScenarioText{
          "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, "
          "mean: 10ms}\nservers:\n  - {group: web, count: 2, down: yes}\n",
          "inline.yaml", test::kDataDir}),
      "inline.yaml", 7, 34, "servers.0.down: expected true or false; got \"yes\"");
}

}  // namespace lbsim

namespace lbsim {

TEST_CASE("L4 honesty: a TCP check by default under unit: connection; HTTP-status keys are errors") {
  CHECK_FALSE(load_panic("{health_check: {}}").config.balancer.health_check.tcp);
  CHECK(load_panic("{unit: connection, health_check: {}}").config.balancer.health_check.tcp);
  CHECK_FALSE(load_panic("{unit: connection, health_check: {type: http}}")
                  .config.balancer.health_check.tcp);
  CHECK(load_panic("{health_check: {type: tcp}}").config.balancer.health_check.tcp);
  CHECK_CONFIG_ERROR(load_panic("{unit: connection, health_check: {probe_demand: 2ms}}"),
                     "inline.yaml", 8, 45,
                     "balancer.health_check.probe_demand: expected no probe_demand unless type: "
                     "http (a TCP check is a connect");
  CHECK_CONFIG_ERROR(
      load_panic("{unit: connection, outlier_detection: {split_external_local_origin_errors: "
                 "true}}"),
      "inline.yaml", 8, 86,
      "balancer.outlier_detection.split_external_local_origin_errors: has no meaning with unit: "
      "connection");
  CHECK_CONFIG_ERROR(
      load_panic("{unit: connection, passive_health: {http_503: true}}"), "inline.yaml", 8, 57,
      "balancer.passive_health.http_503: has no meaning with unit: connection");
}

}  // namespace lbsim

namespace lbsim {

TEST_CASE("health_check.observe / error_limit / on_error (HAProxy)") {
  const HealthCheckConfig& check =
      load_panic("{health_check: {observe: layer7, error_limit: 5, on_error: sudden-death}}")
          .config.balancer.health_check;
  CHECK(check.observe == HealthCheckConfig::Observe::kLayer7);
  CHECK(check.error_limit == 5);
  CHECK(check.on_error == HealthCheckConfig::OnError::kSuddenDeath);
  const HealthCheckConfig& defaults =
      load_panic("{health_check: {observe: layer4}}").config.balancer.health_check;
  CHECK(defaults.error_limit == 10);
  CHECK(defaults.on_error == HealthCheckConfig::OnError::kFailCheck);
  CHECK_CONFIG_ERROR(load_panic("{health_check: {on_error: mark-down}}"), "inline.yaml", 8, 27,
                     "balancer.health_check.on_error: expected no on_error unless observe: "
                     "layer4 or layer7");
  CHECK_CONFIG_ERROR(load_panic("{health_check: {observe: layer4, on_error: fastinter}}"),
                     "inline.yaml", 8, 54,
                     "balancer.health_check.on_error: fastinter is not modelled");
  CHECK_CONFIG_ERROR(load_panic("{unit: connection, health_check: {observe: layer7}}"),
                     "inline.yaml", 8, 54,
                     "balancer.health_check.observe: layer7 needs HTTP");
}

}  // namespace lbsim

namespace lbsim {

TEST_CASE("outlier detection: jitter in whole ms, max_ejection_percent in whole percent") {
  CHECK_CONFIG_ERROR(load_panic("{outlier_detection: {max_ejection_jitter: 500us}}"),
                     "inline.yaml", 8, 53,
                     "balancer.outlier_detection.max_ejection_jitter: expected whole "
                     "milliseconds");
  CHECK_CONFIG_ERROR(load_panic("{outlier_detection: {max_ejection_percent: 12.5%}}"),
                     "inline.yaml", 8, 54,
                     "balancer.outlier_detection.max_ejection_percent: expected a whole "
                     "percentage");
  CHECK(load_panic("{outlier_detection: {max_ejection_percent: 29%}}")
            .config.balancer.outlier.max_ejection_fraction == 0.29);
}

}  // namespace lbsim
