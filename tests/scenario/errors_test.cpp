// One test per class of scenario error: each asserts the exact file:line:column (1-based) and that
// the message says what was expected. Inline YAML is named "inline.yaml" so locations are exact.
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

// Lines 1-7 of a valid scenario; tests append or rewrite lines.
const std::string kHead = "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n";
const std::string kService = "  service: {dist: exponential, mean: 10ms}\n";
const std::string kServers = "servers:\n  - {group: web, count: 2}\n";
const std::string kValid = kHead + kService + kServers;

TEST_CASE("the base scenario of these tests is valid") {
  CHECK_NOTHROW((void)load(kValid));
}

TEST_CASE("unknown key at the top level lists the valid keys") {
  CHECK_CONFIG_ERROR(load(kValid + "durration: 1m\n"), "inline.yaml", 8, 1,
                     "unknown key \"durration\"; valid keys: name, seed, duration, warmup, "
                     "window, workload, client, balancer, servers, clock, timeline, alerts, "
                     "incident");
}

TEST_CASE("unknown key in a nested map names the section and its keys") {
  CHECK_CONFIG_ERROR(load("name: t\nduration: 1m\nworkload:\n  rat: 100/s\n" + kService + kServers),
                     "inline.yaml", 4, 3,
                     "unknown key \"rat\" in workload; valid keys: arrivals, rate, profile");
  CHECK_CONFIG_ERROR(load(kHead + "  service: {dist: exponential, meen: 10ms}\n" + kServers),
                     "inline.yaml", 5, 32,
                     "unknown key \"meen\" in workload.service; valid keys for dist exponential: "
                     "dist, mean");
  CHECK_CONFIG_ERROR(load(kValid + "client: {timout: 2s}\n"), "inline.yaml", 8, 10,
                     "unknown key \"timout\" in client; valid keys: timeout");
}

TEST_CASE("duplicate key") {
  CHECK_CONFIG_ERROR(load("name: a\nname: b\n"), "inline.yaml", 2, 1,
                     "duplicate key \"name\" (first at line 1)");
  CHECK_CONFIG_ERROR(load(kHead + "  rate: 200/s\n"), "inline.yaml", 5, 3,
                     "duplicate key \"rate\" (first at line 4)");
}

TEST_CASE("wrong type: a string where a map is expected") {
  CHECK_CONFIG_ERROR(load("name: t\nduration: 1m\nworkload: fast\n" + kServers), "inline.yaml", 3,
                     11, "workload: expected a map of workload keys; got \"fast\"");
  CHECK_CONFIG_ERROR(load("- name: t\n"), "inline.yaml", 1, 1,
                     "expected a map of scenario keys (name, seed, duration");
  CHECK_CONFIG_ERROR(load(""), "inline.yaml", 1, 1, "expected a map of scenario keys");
}

TEST_CASE("wrong type: a list where a number is expected") {
  CHECK_CONFIG_ERROR(load(kHead + kService + "servers:\n  - {group: web, count: [1, 2]}\n"),
                     "inline.yaml", 7, 25, "servers.0.count: expected an integer >= 1; got a list");
  CHECK_CONFIG_ERROR(load(kHead + kService + "servers: {group: web}\n"), "inline.yaml", 6, 10,
                     "servers: expected a list of server groups");
  CHECK_CONFIG_ERROR(load("name: t\nduration: [1m]\n"), "inline.yaml", 2, 11,
                     "duration: expected a duration with a unit, e.g. 250ms; got a list");
}

TEST_CASE("a key with no value is located at the key") {
  // yaml-cpp marks an empty value at the next token (here line 3); the key is where to look.
  CHECK_CONFIG_ERROR(load("name: t\nduration:\nworkload: {}\n"), "inline.yaml", 2, 1,
                     "duration: expected a duration with a unit, e.g. 250ms; got nothing");
}

TEST_CASE("alias expansion is bounded") {
  std::string yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char level = 'b'; level <= 'f'; ++level) {
    const std::string previous(1, static_cast<char>(level - 1));
    yaml += std::string(1, level) + ": &" + std::string(1, level) + " [";
    for (int i = 0; i < 10; ++i) yaml += (i == 0 ? "*" : ", *") + previous;
    yaml += "]\n";
  }
  const auto caught = test::config_error([&] { (void)load(yaml); });
  REQUIRE(caught.has_value());
  CHECK(test::mentions(caught->message(), "expected at most 100000 values"));
}

TEST_CASE("missing required key, at the top level and nested") {
  CHECK_CONFIG_ERROR(load("name: t\nworkload:\n  rate: 100/s\n" + kService + kServers),
                     "inline.yaml", 1, 1, "missing required key \"duration\"");
  CHECK_CONFIG_ERROR(load(kHead + "  service: {dist: exponential}\n" + kServers), "inline.yaml", 5,
                     12, "missing required key \"mean\" in workload.service");
  CHECK_CONFIG_ERROR(load("name: t\nduration: 1m\nworkload:\n" + kService + kServers),
                     "inline.yaml", 4, 3, "missing required key \"rate\" in workload");
  CHECK_CONFIG_ERROR(load(kHead + kService + "servers:\n  - {count: 2}\n"), "inline.yaml", 7, 5,
                     "missing required key \"group\" in servers.0");
}

TEST_CASE("negative numbers") {
  CHECK_CONFIG_ERROR(load("name: t\nduration: 1m\nworkload:\n  rate: -5/s\n" + kService + kServers),
                     "inline.yaml", 4, 9, "workload.rate: expected a rate >= 0; got \"-5/s\"");
  CHECK_CONFIG_ERROR(load(kHead + kService + "servers:\n  - {group: web, weight: -1}\n"),
                     "inline.yaml", 7, 26,
                     "servers.0.weight: expected a finite number > 0; got \"-1\"");
  CHECK_CONFIG_ERROR(load(kValid + "warmup: -1s\n"), "inline.yaml", 8, 9,
                     "warmup: expected a duration >= 0; got \"-1s\"");
  CHECK_CONFIG_ERROR(load(kValid + "seed: -1\n"), "inline.yaml", 8, 7,
                     "seed: expected an integer in [0, 2^64); got \"-1\"");
}

TEST_CASE("zero where a positive value is required") {
  CHECK_CONFIG_ERROR(load("name: t\nduration: 0s\n"), "inline.yaml", 2, 11,
                     "duration: expected a duration > 0; got \"0s\"");
  CHECK_CONFIG_ERROR(
      load("name: t\nduration: 1m\nworkload:\n  rate: 0/min\n" + kService + kServers),
      "inline.yaml", 4, 9, "workload.rate: expected a rate > 0; got \"0/min\"");
  CHECK_CONFIG_ERROR(load(kHead + kService + "servers:\n  - {group: web, workers: 0}\n"),
                     "inline.yaml", 7, 27,
                     "servers.0.workers: expected an integer >= 1; got \"0\"");
}

TEST_CASE("non-finite numbers") {
  CHECK_CONFIG_ERROR(load(kHead + kService + "servers:\n  - {group: web, speed: .inf}\n"),
                     "inline.yaml", 7, 25,
                     "servers.0.speed: expected a finite number > 0; got \".inf\"");
  CHECK_CONFIG_ERROR(
      load("name: t\nduration: 1m\nworkload:\n  rate: .nan/s\n" + kService + kServers),
      "inline.yaml", 4, 9, "expected a finite rate like 900/s; got \".nan/s\"");
}

TEST_CASE("unknown strategy lists the registered ones") {
  CHECK_CONFIG_ERROR(
      load(kValid + "balancer: {strategy: fastest}\n"), "inline.yaml", 8, 22,
      "balancer.strategy: expected a strategy (one of " + strategy_names() + "); got \"fastest\"");
  CHECK(strategy_names().find("round_robin") != std::string::npos);
}

TEST_CASE("an option the strategy does not declare lists the strategy's keys") {
  CHECK_CONFIG_ERROR(load(kValid + "balancer: {strategy: round_robin, chioces: 2}\n"),
                     "inline.yaml", 8, 35,
                     "unknown key \"chioces\" in balancer; valid keys for strategy round_robin: "
                     "strategy, instances, instance_selection");
  // An option of another strategy says whose it is.
  CHECK_CONFIG_ERROR(load(kValid + "balancer: {strategy: round_robin, choices: 2}\n"),
                     "inline.yaml", 8, 35,
                     "not round_robin; valid keys for strategy round_robin: strategy, instances");
  CHECK(find_strategy("least_request") != nullptr);
  const auto caught = test::config_error(
      [] { (void)load(kValid + "balancer: {strategy: round_robin, choices: 2}\n"); });
  REQUIRE(caught.has_value());
  CHECK(test::mentions(caught->message(), "option \"choices\" belongs to strategy "));
  CHECK(test::mentions(caught->message(), "least_request"));
}

TEST_CASE("unknown distribution lists the valid ones") {
  CHECK_CONFIG_ERROR(load(kHead + "  service: {dist: weibull, mean: 10ms}\n" + kServers),
                     "inline.yaml", 5, 19,
                     "workload.service.dist: expected a distribution (one of exponential, "
                     "deterministic, uniform, lognormal, gamma, pareto, erlang, empirical); got "
                     "\"weibull\"");
}

TEST_CASE("bad distribution parameters") {
  // A key the family does not take.
  CHECK_CONFIG_ERROR(load(kHead + "  service: {dist: exponential, mean: 10ms, cv: 2}\n" + kServers),
                     "inline.yaml", 5, 44,
                     "unknown key \"cv\" in workload.service; valid keys for dist exponential");
  // A shape the family requires.
  CHECK_CONFIG_ERROR(load(kHead + "  service: {dist: lognormal, mean: 10ms}\n" + kServers),
                     "inline.yaml", 5, 12, "missing required key \"cv\" in workload.service");
  // A value Distribution::make rejects, reported at the service map.
  CHECK_CONFIG_ERROR(load(kHead + "  service: {dist: uniform, mean: 10ms, cv: 0.9}\n" + kServers),
                     "inline.yaml", 5, 12,
                     "workload.service: uniform: cv must be in [0, 1/sqrt(3)");
  CHECK_CONFIG_ERROR(load(kHead + "  service: {dist: erlang, mean: 10ms, k: 0}\n" + kServers),
                     "inline.yaml", 5, 42, "workload.service.k: expected an integer >= 1");
  CHECK_CONFIG_ERROR(load(kHead +
                          "  service: {dist: empirical, file: empirical.csv, column: id, "
                          "unit: ms}\n" +
                          kServers),
                     kDataDir + "/empirical.csv", 2, 1,
                     "column \"id\": expected a finite number > 0; got \"a\"");
  CHECK_CONFIG_ERROR(
      load(kHead + "  service: {dist: empirical, file: empirical.csv, column: x}\n" + kServers),
      "inline.yaml", 5, 12, "expected unit (values are times) or mean (values are relative work)");
}

TEST_CASE("YAML syntax errors carry their position") {
  CHECK_CONFIG_ERROR(load("name: t\nduration: 1m\nworkload: {rate: 100/s\n"), "inline.yaml", 4, 1,
                     "expected valid YAML; got a syntax error");
  CHECK_CONFIG_ERROR(load("name: t\n  duration: 1m\n"), "inline.yaml", 2, 11,
                     "expected valid YAML; got a syntax error");
}

TEST_CASE("rules across keys") {
  CHECK_CONFIG_ERROR(load(kValid + "timeline:\n  - {at: 1m, note: hi}\n"), "inline.yaml", 9, 5,
                     "missing required key \"action\" in timeline.0");
  CHECK_CONFIG_ERROR(load(kValid + "timeline: {}\n"), "inline.yaml", 8, 11,
                     "timeline: expected a list of timeline actions; got a map");
  CHECK_CONFIG_ERROR(load(kHead + kService + "  zipf_exponent: 1.2\n" + kServers), "inline.yaml", 6,
                     3, "expected no zipf_exponent unless user_distribution: zipf");
  CHECK_CONFIG_ERROR(load(kHead + kService +
                          "  profile:\n    - {at: 10m, rate: 1/s, ramp: 5m}\n    - {at: 12m, "
                          "multiplier: 2}\n" +
                          kServers),
                     "inline.yaml", 8, 12,
                     "workload.profile.1.at: expected a time at or after the end of the previous "
                     "change (at 10m plus its ramp");
  CHECK_CONFIG_ERROR(
      load(kHead + kService + "  profile:\n    - {at: 10m, rate: 1/s, multiplier: 2}\n" + kServers),
      "inline.yaml", 7, 7, "expected exactly one of rate or multiplier; got both");
  CHECK_CONFIG_ERROR(load(kHead + kService + "  arrivals: trace\n" + kServers), "inline.yaml", 4, 3,
                     "expected no rate or profile with arrivals: trace");
  CHECK_CONFIG_ERROR(load(kHead + kService + "servers:\n  - {group: web}\n  - {group: web}\n"),
                     "inline.yaml", 8, 13, "duplicate group \"web\" (first at inline.yaml:7:13)");
  CHECK_CONFIG_ERROR(load(kHead + kService + "servers: []\n"), "inline.yaml", 6, 10,
                     "expected at least one server group; got an empty list");
  CHECK_CONFIG_ERROR(load(kHead + kService + "servers:\n  - {file: fleet_good.csv, count: 2}\n"),
                     "inline.yaml", 7, 28, "an entry with file takes no other keys");
  CHECK_CONFIG_ERROR(load(kHead + kService + "servers:\n  - {group: web, queue_limit: lots}\n"),
                     "inline.yaml", 7, 31,
                     "servers.0.queue_limit: expected an integer >= 0 or unlimited; got \"lots\"");
  CHECK_CONFIG_ERROR(load(kValid + "balancer: {instances: 0}\n"), "inline.yaml", 8, 23,
                     "balancer.instances: expected an integer >= 1; got \"0\"");
  CHECK_CONFIG_ERROR(load("name: ''\n"), "inline.yaml", 1, 7,
                     "name: expected a non-empty name; got \"\"");
  CHECK_CONFIG_ERROR(load("[a]: 1\n"), "inline.yaml", 1, 1, "expected a plain key (a name)");
}

}  // namespace
}  // namespace lbsim
