// --set overrides: applied to the YAML tree before validation; errors inside them are located at
// "--set key.path".
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "test_util.hpp"

namespace lbsim {
namespace {

const std::string kValid =
    "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
    "10ms}\nservers:\n  - {group: web, count: 2}\n  - {group: api}\n";

Scenario load(const std::vector<std::string>& overrides) {
  return load_scenario(ScenarioText{kValid, "inline.yaml", "."}, {.overrides = overrides});
}

TEST_CASE("overrides replace values, index lists, create map keys, and take YAML values") {
  const Scenario scenario = load({"servers.0.count=20", "duration=2h", "workload.rate=1.5/ms",
                                  "client.timeout=250ms", "balancer={strategy: random}",
                                  "servers.1={group: db, workers: 3}", "name=renamed=twice"});
  const SimulationConfig& c = scenario.config;
  CHECK(c.servers[0].count == 20);
  CHECK(c.servers[0].group == "web");
  CHECK(c.servers[1].group == "db");
  CHECK(c.servers[1].workers == 3);
  CHECK(c.duration_ns == 2 * kHour);
  CHECK(c.workload.rate_per_s == 1500.0);
  CHECK(c.client.timeout_ns == 250 * kMillisecond);  // client: created as a new map
  CHECK(c.balancer.strategy.name() == "random");
  CHECK(c.name == "renamed=twice");  // only the first '=' separates path and value
}

TEST_CASE("overrides apply in order") {
  CHECK(load({"duration=1h", "duration=3h"}).config.duration_ns == 3 * kHour);
}

TEST_CASE("an override to an unknown key is rejected by validation at --set key.path") {
  CHECK_CONFIG_ERROR(load({"balancer.stratgy=random"}), "--set balancer.stratgy", 0, 0,
                     "unknown key \"stratgy\" in balancer; valid keys for strategy round_robin");
  CHECK_CONFIG_ERROR(load({"durration=1m"}), "--set durration", 0, 0,
                     "unknown key \"durration\"; valid keys: name, seed, duration");
}

TEST_CASE("a bad override value is reported at --set key.path") {
  CHECK_CONFIG_ERROR(load({"duration=abc"}), "--set duration", 0, 0,
                     "duration: expected a duration with a unit, e.g. 250ms; got \"abc\"");
  CHECK_CONFIG_ERROR(load({"servers.0.count=-3"}), "--set servers.0.count", 0, 0,
                     "servers.0.count: expected an integer >= 1; got \"-3\"");
  // Nested inside a YAML value: still located at the override.
  CHECK_CONFIG_ERROR(load({"workload={rate: 1/s, service: {dist: exponential, mean: -1ms}}"}),
                     "--set workload", 0, 0,
                     "workload.service.mean: expected a duration >= 0; got \"-1ms\"");
  CHECK_CONFIG_ERROR(load({"balancer={strategy: "}), "--set balancer", 0, 0,
                     "expected valid YAML; got a syntax error");
  CHECK_CONFIG_ERROR(load({"balancer={strategy: a, strategy: b}"}), "--set balancer", 0, 0,
                     "duplicate key \"strategy\"");
}

TEST_CASE("malformed override paths") {
  CHECK_CONFIG_ERROR(load({"duration"}), "--set duration", 0, 0,
                     "expected key.path=value; got \"duration\"");
  CHECK_CONFIG_ERROR(load({"=1m"}), "--set =1m", 0, 0, "expected key.path=value");
  CHECK_CONFIG_ERROR(load({"servers.5.count=1"}), "--set servers.5.count", 0, 0,
                     "expected a list index in [0, 2) after \"servers\"; got \"5\"");
  CHECK_CONFIG_ERROR(load({"servers.web.count=1"}), "--set servers.web.count", 0, 0,
                     "expected a list index");
  CHECK_CONFIG_ERROR(load({"name.first=x"}), "--set name.first", 0, 0,
                     "expected \"name\" to be a map or a list; it is \"t\"");
  CHECK_CONFIG_ERROR(load({"workload..rate=1/s"}), "--set workload..rate", 0, 0,
                     "got an empty segment");
}

}  // namespace
}  // namespace lbsim
