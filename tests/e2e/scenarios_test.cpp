// Every shipped scenario is also a test (STYLE.md): it runs, shortened where needed, and its key
// results are checked against what its comment promises.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

#include "sim/scenario/scenario.hpp"
#include "tests/model/harness.hpp"

namespace lbsim::test {
namespace {

std::string scenario_path(const std::string& name) {
  return std::string(LBSIM_SOURCE_DIR) + "/scenarios/" + name;
}

}  // namespace

TEST_CASE("every shipped scenario has a test here") {
  const std::set<std::string> tested = {"example.yaml", "mixed_fleet.yaml", "llm_trace_replay.yaml",
                                        "retry_storm.yaml", "weight_cascade.yaml"};
  for (const auto& entry : std::filesystem::directory_iterator(LBSIM_SOURCE_DIR "/scenarios")) {
    if (entry.path().extension() == ".yaml") {
      CHECK_MESSAGE(tested.count(entry.path().filename().string()) == 1, entry.path());
    }
  }
}

TEST_CASE("scenarios/example.yaml: utilisation 0.8, no errors, latency near M/M/4's") {
  // Shortened to 2 minutes measured. Each server sees 1/10 of a Poisson stream in strict
  // rotation (Erlang-10 gaps, smoother than Poisson), so its mean response lies between the
  // service time (10 ms) and M/M/4 at rho = 0.8 (17.5 ms).
  const auto scenario =
      load_scenario(ScenarioFile{scenario_path("example.yaml")}, {.overrides = {"duration=2m"}});
  const auto out = run_config(scenario.config);
  double util_mean = 0.0;
  for (const double u : out.totals.utilization) util_mean += u / 10.0;
  // 3200/s x 10 ms / 40 workers = 0.8; the busy fraction over 2 minutes (384,000 requests) has a
  // relative standard error well under 0.5%.
  CHECK(util_mean == doctest::Approx(0.8).epsilon(0.01));
  CHECK(out.totals.failed == 0);
  CHECK(out.latency_mean_s > 0.0100);
  CHECK(out.latency_mean_s < 0.0175);
}

TEST_CASE("scenarios/mixed_fleet.yaml: round robin ignores weights, slow servers run hotter") {
  const auto scenario = load_scenario(ScenarioFile{scenario_path("mixed_fleet.yaml")},
                                      {.overrides = {"duration=2m"}});
  const auto out = run_config(scenario.config);
  REQUIRE(out.totals.utilization.size() == 10);
  // The comment promises 0.4 for the 6 fast servers (speed 1.5) and 0.8 for the 4 slow ones
  // (speed 0.75): 120/s x 20 ms / speed / 4 workers. Lognormal cv 2 service makes the busy time
  // noisier than exponential; 2 minutes at 120/s per server give ~14,400 services each, and a 5%
  // band is > 4 standard errors of the per-server busy fraction.
  for (int s = 0; s < 6; ++s)
    CHECK(out.totals.utilization[s] == doctest::Approx(0.4).epsilon(0.05));
  for (int s = 6; s < 10; ++s)
    CHECK(out.totals.utilization[s] == doctest::Approx(0.8).epsilon(0.05));
}

TEST_CASE("scenarios/llm_trace_replay.yaml: the whole real trace is replayed, compressed 10x") {
  const auto scenario = load_scenario(ScenarioFile{scenario_path("llm_trace_replay.yaml")});
  const auto& trace = scenario.config.workload.trace;
  REQUIRE(trace.times_ns.size() == 19366);
  const auto out = run_config(scenario.config);
  // Every row of the trace arrives within the 6 minutes (the compressed span is 352 s).
  CHECK(out.totals.offered == 19366);
  // Demands are the token counts rescaled to a 0.5 s mean: the work offered is exactly
  // 19366 x 0.5 s, so the fleet's busy fraction over 360 s is that over 32 x 360 worker-seconds,
  // minus work still unfinished at the end, plus nothing else (no timeouts waste work here).
  double util_mean = 0.0;
  for (const double u : out.totals.utilization) util_mean += u / 8.0;
  const double offered_work = 19366 * 0.5 / (32 * 360.0);
  CHECK(util_mean <= offered_work + 1e-9);
  CHECK(util_mean >= 0.97 * offered_work);
  CHECK(out.totals.completed + out.totals.failed + 50 >= out.totals.offered);
}

TEST_CASE(
    "scenarios/retry_storm.yaml: retries keep the fleet down; a budget or no retries recover") {
  const auto late_error_rate = [](const std::vector<std::string>& overrides) {
    const auto out = run_config(
        load_scenario(ScenarioFile{scenario_path("retry_storm.yaml")}, {.overrides = overrides})
            .config);
    std::uint64_t done = 0, failed = 0;
    for (const auto& w : out.windows) {
      if (w.start >= 180 * kSecond) done += w.completed + w.failed, failed += w.failed;
    }
    return static_cast<double>(failed) / static_cast<double>(done);
  };
  // 100 s after the spike ended: as the scenario's comment says.
  CHECK(late_error_rate({}) > 0.9);
  CHECK(late_error_rate({"client.retries.budget=20%"}) < 0.01);
  CHECK(late_error_rate({"client.retries.max_attempts=1"}) < 0.01);
}

TEST_CASE("scenarios/weight_cascade.yaml: the cascade, its alerts, the rollback; auto-rollback") {
  // The run as scripted: the change at 08:35 (360 s into the run), the rollback at 08:45.
  const auto scenario = load_scenario(ScenarioFile{scenario_path("weight_cascade.yaml")});
  REQUIRE(scenario.config.timeline.size() == 5);
  CHECK(scenario.config.timeline[0].at_ns == 360 * kSecond);
  CHECK(scenario.config.timeline[4].at_ns == 960 * kSecond);
  CHECK(scenario.config.incident.start_ns == 360 * kSecond);
  const auto manual = run_config(scenario.config);
  // Nothing fails before the change (the windows up to 360 s).
  for (const WindowRow& w : manual.windows) {
    if (w.start < 360 * kSecond) CHECK(w.failed == 0);
  }
  const IncidentSummary& incident = manual.incident;
  // Every server crashes, the two overweighted first, the whole fleet within 15 s.
  REQUIRE(incident.cascade.size() == 5);
  CHECK(incident.cascade[0].server <= 1);
  CHECK(incident.cascade[1].server <= 1);
  CHECK(incident.cascade[4].time < 375 * kSecond);
  CHECK(incident.servers_crashed == 5);
  CHECK(incident.max_fleet_down_fraction == 1.0);
  // An alert within a minute; the rollback mitigates at 600 s; recovery within a minute of it.
  CHECK(incident.detected - incident.start <= 60 * kSecond);
  CHECK(incident.mitigated == 960 * kSecond);
  CHECK(incident.recovered >= 960 * kSecond);
  CHECK(incident.recovered <= 1020 * kSecond);
  CHECK(incident.peak_error_rate > 0.9);

  // The what-if of the comment: an automatic rollback 30 s after the error alert.
  const auto automatic = load_scenario(
      ScenarioFile{scenario_path("weight_cascade.yaml")},
      {.overrides = {"alerts.0.on_fire=[{after: 30s, action: rollback, to_before: lb_change}]"}});
  const auto with_auto = run_config(automatic.config);
  CHECK(with_auto.incident.mitigated - with_auto.incident.start <= 2 * kMinute);
  CHECK(with_auto.incident.recovered <= with_auto.incident.mitigated + kMinute);
  // Far fewer failed requests: a tenth or less of the manual rollback's.
  CHECK(with_auto.incident.failed * 5 < incident.failed);
}

}  // namespace lbsim::test
