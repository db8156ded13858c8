// Running studies (sim/study/run): results in index order whatever the threads, the first failure
// rethrown, replications independent of scheduling, paired comparisons read through the metric
// catalogue, and the steady state a check or a sizing runs in.
#include "sim/study/run.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <thread>

#include "sim/scenario/scenario.hpp"

namespace lbsim::study {
namespace {

Scenario load(const std::string& yaml) {
  return load_scenario(ScenarioText{yaml, "inline.yaml", "."});
}

// Two servers in strict rotation, deterministic arrivals every 10 ms and 5 ms of work: no request
// ever waits, so every response takes exactly 5 ms and each server is busy a quarter of the time.
const std::string kClockwork =
    "name: clockwork\nduration: 10s\nworkload:\n  arrivals: deterministic\n  rate: 100/s\n"
    "  service: {dist: deterministic, mean: 5ms}\nbalancer:\n  strategy: round_robin\n"
    "servers:\n  - {group: web, count: 2}\n";

TEST_CASE("run_indexed writes each result at its index, whatever the thread count") {
  for (const unsigned threads : {1u, 3u, 8u}) {
    std::vector<std::size_t> out(200, 0);
    std::size_t calls = 0;
    run_indexed(
        out.size(), threads,
        [&](std::size_t i) {
          if (i % 7 == 0) std::this_thread::sleep_for(std::chrono::microseconds(50));
          out[i] = i * i;
        },
        [&](std::size_t done, std::size_t total) {
          ++calls;  // serialised by run_indexed
          CHECK(total == 200);
          CHECK(done <= total);
        });
    CAPTURE(threads);
    for (std::size_t i = 0; i < out.size(); ++i) CHECK(out[i] == i * i);
    CHECK(calls == 200);
  }
}

TEST_CASE("run_indexed rethrows a job's exception") {
  CHECK_THROWS_WITH_AS(run_indexed(50, 4,
                                   [](std::size_t i) {
                                     if (i == 17) throw std::invalid_argument("job 17 failed");
                                   }),
                       "job 17 failed", std::invalid_argument);
}

TEST_CASE("run_summary of a run with a known answer") {
  const RunSummary s = run_summary(load(kClockwork).config);
  // 100/s for 10 s: 1000 arrivals, give or take the one at the boundary.
  CHECK(std::abs(static_cast<double>(s.offered) - 1000.0) <= 1.0);
  CHECK(s.failed == 0);
  CHECK(s.error_rate == 0.0);
  CHECK(metric_value(s, MetricId::kThroughput) == doctest::Approx(100.0).epsilon(0.002));
  // Every response is 5 ms; the histogram's buckets are 2^-8 wide relative to their value.
  for (const MetricId id : {MetricId::kLatencyP50, MetricId::kLatencyP99, MetricId::kLatencyMean}) {
    CAPTURE(metric_info(id).name);
    CHECK(metric_value(s, id) == doctest::Approx(0.005).epsilon(1.0 / 256));
  }
  CHECK(s.utilization_mean == doctest::Approx(0.25).epsilon(0.002));
  CHECK(s.imbalance == doctest::Approx(1.0).epsilon(0.002));
  CHECK(s.server_names == std::vector<std::string>{"web-0", "web-1"});
  CHECK_FALSE(s.incident.has_value());
}

TEST_CASE("run_replications: same summaries on one thread and on several") {
  Scenario scenario = load(
      "name: noisy\nduration: 20s\nworkload:\n  rate: 300/s\n  service: {dist: exponential, mean: "
      "10ms}\nbalancer:\n  strategy: least_request\nservers:\n  - {group: web, count: 4}\n");
  const std::vector<const SimulationConfig*> variants = {&scenario.config};
  const std::vector<RunSummary> one = run_replications(variants, 4, 1);
  const std::vector<RunSummary> many = run_replications(variants, 4, 3);
  REQUIRE(one.size() == 4);
  REQUIRE(many.size() == 4);
  for (std::size_t r = 0; r < 4; ++r) {
    CHECK(one[r].replication == r);
    for (const MetricInfo& info : metric_catalogue()) {
      CAPTURE(info.name);
      const double a = metric_value(one[r], info.id);
      const double b = metric_value(many[r], info.id);
      CHECK((a == b || (std::isnan(a) && std::isnan(b))));
    }
  }
  // Replications are different random streams: the offered counts differ.
  CHECK(one[0].offered != one[1].offered);
}

TEST_CASE("compare_metrics pairs replication r of every variant") {
  std::vector<RunSummary> runs(6);
  const double rates[6] = {0.1, 0.2, 0.3, 0.2, 0.4, 0.3};  // variant 0: runs 0-2, variant 1: 3-5
  for (std::size_t i = 0; i < 6; ++i) runs[i].error_rate = rates[i];
  const auto comparisons = compare_metrics(runs, 2, 3, {MetricId::kErrorRate});
  REQUIRE(comparisons.size() == 1);
  CHECK(comparisons[0].variants[0].mean == doctest::Approx(0.2).epsilon(1e-12));
  CHECK(comparisons[0].variants[1].mean == doctest::Approx(0.3).epsilon(1e-12));
  // Differences row by row: 0.1, 0.2, 0.0.
  CHECK(comparisons[0].differences[1].mean == doctest::Approx(0.1).epsilon(1e-12));
  CHECK(comparisons[0].differences[0].mean == 0.0);
}

TEST_CASE("steady_state: nothing on the timeline, the span and window cut to fit") {
  Scenario scenario = load(
      "name: t\nduration: 1h\nwindow: 10s\nworkload:\n  rate: 10/s\n  service: {dist: "
      "exponential, mean: 10ms}\nbalancer:\n  strategy: weighted_round_robin\n"
      "servers:\n  - {group: web, count: 2}\ntimeline:\n  - {at: 5m, action: set_weight, "
      "servers: web-0, weight: 5, name: change}\nalerts:\n  - {name: errors, metric: error_rate, "
      "above: 1%, for: 30s}\n");
  REQUIRE(scenario.config.incident.start_ns >= 0);
  const SimulationConfig steady = steady_state(scenario.config, 5 * kSecond);
  CHECK(steady.timeline.empty());
  CHECK(steady.alerts.empty());
  CHECK(steady.incident.start_ns < 0);
  CHECK(steady.duration_ns == 5 * kSecond);
  CHECK(steady.window_ns == 5 * kSecond);
  CHECK(steady_state(scenario.config, 2 * 3600 * kSecond).duration_ns == 3600 * kSecond);
}

}  // namespace
}  // namespace lbsim::study
