// Valid scenarios: every key read into the expected SimulationConfig, every default filled, and
// the shipped scenarios/*.yaml load. Values compare exactly (integers, or doubles parsed from the
// same decimal text / produced by one correctly rounded operation).
#include "sim/scenario/scenario.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <variant>

#include "test_util.hpp"

namespace lbsim {
namespace {

using test::kDataDir;

const char* const kFullScenario = R"(name: full
seed: 18446744073709551615
duration: 2h
warmup: 10m
window: 30s
workload:
  arrivals: deterministic
  rate: 900/s
  profile:
    - {at: 10m, rate: 1800/s}
    - {at: 20m, multiplier: 0.5, ramp: 5m}
    - {at: 25m, multiplier: 0}
  users: 100000
  user_distribution: zipf
  zipf_exponent: 1.1
  service: {dist: lognormal, mean: 20ms, cv: 2}
client:
  timeout: 2s
balancer:
  strategy: random
  instances: 3
servers:
  - {group: web, count: 10, workers: 4, queue_limit: 100, weight: 2.5, speed: 0.5}
  - group: db
    queue_limit: unlimited
  - {file: fleet_partial.csv}
timeline: []
)";

TEST_CASE("a scenario with every key gives the expected SimulationConfig") {
  const Scenario scenario = load_scenario(ScenarioText{kFullScenario, "full.yaml", kDataDir});
  CHECK(scenario.path == "full.yaml");
  CHECK(scenario.base_dir == kDataDir);
  const SimulationConfig& c = scenario.config;
  CHECK(c.name == "full");
  CHECK(c.seed == UINT64_MAX);
  CHECK(c.replication == 0);
  CHECK(c.duration_ns == 2 * kHour);
  CHECK(c.warmup_ns == 10 * kMinute);
  CHECK(c.window_ns == 30 * kSecond);

  const WorkloadConfig& w = c.workload;
  CHECK(w.arrivals == ArrivalProcess::kDeterministic);
  CHECK(w.rate_per_s == 900.0);
  REQUIRE(w.profile.size() == 3);
  CHECK(w.profile[0].at_ns == 10 * kMinute);
  CHECK(w.profile[0].ramp_ns == 0);
  CHECK(w.profile[0].target_rate_per_s == 1800.0);
  CHECK(w.profile[1].at_ns == 20 * kMinute);
  CHECK(w.profile[1].ramp_ns == 5 * kMinute);
  CHECK(w.profile[1].target_rate_per_s == 450.0);  // 0.5 x 900/s
  CHECK(w.profile[2].at_ns == 25 * kMinute);       // right at the end of the previous ramp
  CHECK(w.profile[2].target_rate_per_s == 0.0);
  CHECK(w.trace.times_ns.empty());
  CHECK(w.users == 100000);
  CHECK(w.user_distribution == UserDistribution::kZipf);
  CHECK(w.zipf_exponent == 1.1);
  CHECK(w.service.kind == DistributionKind::kLognormal);
  CHECK(w.service.mean_s == 0.02);  // 2e7 ns / 1e9, correctly rounded: the double 0.02
  CHECK(w.service.cv == 2.0);

  CHECK(c.client.timeout_ns == 2 * kSecond);
  CHECK(c.balancer.strategy.name() == "random");
  CHECK(c.balancer.instances == 3);
  CHECK(c.balancer.strategy.options.empty());  // random declares no options

  REQUIRE(c.servers.size() == 4);
  CHECK(c.servers[0].group == "web");
  CHECK(c.servers[0].count == 10);
  CHECK(c.servers[0].workers == 4);
  CHECK(c.servers[0].queue_limit == 100);
  CHECK(c.servers[0].weight == 2.5);
  CHECK(c.servers[0].speed == 0.5);
  CHECK(c.servers[1].group == "db");
  CHECK(c.servers[1].count == 1);
  CHECK(c.servers[1].workers == 1);
  CHECK(c.servers[1].queue_limit == kUnlimitedQueue);
  CHECK(c.servers[1].weight == 1.0);
  CHECK(c.servers[1].speed == 1.0);
  // fleet_partial.csv: columns group and speed only; the rest take the defaults.
  CHECK(c.servers[2].group == "csv-a");
  CHECK(c.servers[2].speed == 2.0);
  CHECK(c.servers[2].count == 1);
  CHECK(c.servers[2].queue_limit == kUnlimitedQueue);
  CHECK(c.servers[3].group == "csv-b");
  CHECK(c.servers[3].speed == 0.25);
}

TEST_CASE("a minimal scenario gets every default") {
  const Scenario scenario = load_scenario(ScenarioText{R"(name: t
duration: 1m
workload:
  rate: 100/s
  service: {dist: exponential, mean: 10ms}
servers:
  - {group: web}
)",
                                                       "minimal.yaml", "."});
  const SimulationConfig& c = scenario.config;
  CHECK(c.seed == 1);
  CHECK(c.warmup_ns == 0);
  CHECK(c.window_ns == 10 * kSecond);
  CHECK(c.workload.arrivals == ArrivalProcess::kPoisson);
  CHECK(c.workload.profile.empty());
  CHECK(c.workload.users == 1000);
  CHECK(c.workload.user_distribution == UserDistribution::kUniform);
  CHECK(c.workload.zipf_exponent == 1.0);
  CHECK(c.workload.service.kind == DistributionKind::kExponential);
  CHECK(c.workload.service.mean_s == 0.01);
  CHECK(c.client.timeout_ns == 0);
  CHECK(c.balancer.strategy.name() == "round_robin");
  CHECK(c.balancer.instances == 1);
  CHECK(c.balancer.strategy.options.empty());
  REQUIRE(c.servers.size() == 1);
  CHECK(c.servers[0].count == 1);
  CHECK(c.servers[0].workers == 1);
  CHECK(c.servers[0].queue_limit == kUnlimitedQueue);
  CHECK(c.servers[0].weight == 1.0);
  CHECK(c.servers[0].speed == 1.0);
}

TEST_CASE("the warmup ends on a window boundary: the default adapts, an explicit one must") {
  const std::string base = R"(name: t
duration: 1m
warmup: 25s
workload:
  rate: 100/s
  service: {dist: exponential, mean: 10ms}
servers: [{group: web}]
)";
  CHECK(load_scenario(ScenarioText{base, "w.yaml", "."}).config.window_ns ==
        5 * kSecond);  // gcd(10, 25)
  CHECK(load_scenario(ScenarioText{base + "window: 25s\n", "w.yaml", "."}).config.window_ns ==
        25 * kSecond);
  CHECK_CONFIG_ERROR(load_scenario(ScenarioText{base + "window: 10s\n", "w.yaml", "."}), "w.yaml",
                     8, 9, "expected a window that divides the warmup (25s)");
}

TEST_CASE("the default window shrinks to a run shorter than 10 s; an explicit one may not") {
  const std::string base = R"(name: t
duration: 4s
warmup: 1s
workload:
  rate: 100/s
  service: {dist: exponential, mean: 10ms}
servers: [{group: web}]
)";
  // min(10 s, 5 s) = 5 s, shrunk to divide the 1 s warmup: 1 s.
  CHECK(load_scenario(ScenarioText{base, "short.yaml", "."}).config.window_ns == 1 * kSecond);
  CHECK_CONFIG_ERROR(load_scenario(ScenarioText{base + "window: 6s\n", "short.yaml", "."}),
                     "short.yaml", 8, 9, "expected a window <= warmup + duration (5s)");
}

TEST_CASE("every service distribution family reads its own keys") {
  const auto service_of = [](const std::string& service) {
    return load_scenario(ScenarioText{"name: t\nduration: 1m\nworkload:\n  rate: 1/s\n  service: " +
                                          service + "\nservers: [{group: a}]\n",
                                      "d.yaml", kDataDir})
        .config.workload.service;
  };
  CHECK(service_of("{dist: deterministic, mean: 5ms}").kind == DistributionKind::kDeterministic);
  const DistributionConfig uniform = service_of("{dist: uniform, mean: 5ms, cv: 0.5}");
  CHECK(uniform.kind == DistributionKind::kUniform);
  CHECK(uniform.cv == 0.5);
  CHECK(service_of("{dist: uniform, mean: 5ms}").cv == -1.0);  // not given: Distribution default
  CHECK(service_of("{dist: gamma, mean: 5ms, cv: 0.5}").kind == DistributionKind::kGamma);
  const DistributionConfig pareto = service_of("{dist: pareto, mean: 5ms, alpha: 1.5, max: 10s}");
  CHECK(pareto.kind == DistributionKind::kBoundedPareto);
  CHECK(pareto.alpha == 1.5);
  CHECK(pareto.max_s == 10.0);
  CHECK(service_of("{dist: pareto, mean: 5ms, alpha: 1.5}").max_s == 0.0);
  const DistributionConfig erlang = service_of("{dist: erlang, mean: 5ms, k: 4}");
  CHECK(erlang.kind == DistributionKind::kErlang);
  CHECK(erlang.erlang_k == 4);

  // Empirical with a unit: values are times (ms -> s); without a mean they are kept as they are.
  const DistributionConfig timed =
      service_of("{dist: empirical, file: empirical.csv, column: latency_ms, unit: ms}");
  CHECK(timed.kind == DistributionKind::kEmpirical);
  REQUIRE(timed.samples_s.size() == 4);
  CHECK(timed.samples_s[0] == 0.005);  // 5 * 1e6 / 1e9: one correctly rounded division
  CHECK(timed.samples_s[3] == 0.03);
  CHECK(timed.mean_s == 0.0);
  // Without a unit, values are relative work and mean is the rescale target.
  const DistributionConfig relative =
      service_of("{dist: empirical, file: empirical.csv, column: latency_ms, mean: 40ms}");
  CHECK(relative.samples_s[1] == 10.0);
  CHECK(relative.mean_s == 0.04);
}

TEST_CASE("the shipped example scenario loads as described") {
  const std::string path = std::string(LBSIM_SOURCE_DIR) + "/scenarios/example.yaml";
  const Scenario scenario = load_scenario(ScenarioFile{path});
  CHECK(scenario.path == path);
  CHECK(scenario.base_dir == std::string(LBSIM_SOURCE_DIR) + "/scenarios");
  const SimulationConfig& c = scenario.config;
  CHECK(c.name == "example");
  CHECK(c.duration_ns == 10 * kMinute);
  CHECK(c.warmup_ns == 1 * kMinute);
  CHECK(c.workload.arrivals == ArrivalProcess::kPoisson);
  CHECK(c.workload.rate_per_s == 3200.0);
  CHECK(c.workload.service.kind == DistributionKind::kExponential);
  CHECK(c.workload.service.mean_s == 0.01);
  CHECK(c.client.timeout_ns == 2 * kSecond);
  CHECK(c.balancer.strategy.name() == "round_robin");
  REQUIRE(c.servers.size() == 1);
  CHECK(c.servers[0].count == 10);
  CHECK(c.servers[0].workers == 4);
  CHECK(c.servers[0].queue_limit == 100);
}

TEST_CASE("the shipped mixed fleet scenario loads its CSV fleet") {
  const Scenario scenario =
      load_scenario(ScenarioFile{std::string(LBSIM_SOURCE_DIR) + "/scenarios/mixed_fleet.yaml"});
  const SimulationConfig& c = scenario.config;
  CHECK(c.workload.service.kind == DistributionKind::kLognormal);
  REQUIRE(c.servers.size() == 2);
  CHECK(c.servers[0].group == "fast");
  CHECK(c.servers[0].count == 6);
  CHECK(c.servers[0].weight == 2.0);
  CHECK(c.servers[0].speed == 1.5);
  CHECK(c.servers[1].group == "slow");
  CHECK(c.servers[1].count == 4);
  CHECK(c.servers[1].weight == 1.0);
  CHECK(c.servers[1].speed == 0.75);
  CHECK(c.servers[0].speed != c.servers[1].speed);
}

TEST_CASE("every shipped scenario loads") {
  int loaded = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(LBSIM_SOURCE_DIR) + "/scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    CAPTURE(entry.path().string());
    CHECK_NOTHROW((void)load_scenario(ScenarioFile{entry.path().string()}));
    ++loaded;
  }
  CHECK(loaded >= 2);
}

TEST_CASE("load_scenario reports a missing file") {
  CHECK_CONFIG_ERROR(load_scenario(ScenarioFile{kDataDir + "/no_such.yaml"}),
                     kDataDir + "/no_such.yaml", 0, 0,
                     "cannot open scenario file: No such file or directory");
}

}  // namespace
}  // namespace lbsim
