// Postmortem replays (issue 5): each scenario in scenarios/postmortems/ reproduces its document's
// figures (users affected, detection time, duration of impact) through the mechanism the
// document describes (uneven distribution overloading some servers while others idle), and its
// what-ifs change the outcome as the scenario's header says.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <string>

#include "sim/scenario/scenario.hpp"
#include "tests/model/harness.hpp"

namespace lbsim::test {
namespace {

std::string postmortem_path(const std::string& name) {
  return std::string(LBSIM_SOURCE_DIR) + "/scenarios/postmortems/" + name;
}

std::uint64_t errors_of(const Totals& totals, ErrorKind kind) {
  return totals.by_error[static_cast<std::size_t>(kind)];
}

// Seeds per scenario: three at full scale; one under the sanitizer pass (LBSIM_TEST_SCALE < 1),
// whose runs are about five times slower. The run lengths are fixed by the documents' clocks, so
// the tolerances below do not depend on the scale.
int seeds_to_run() {
  return test_scale() < 1.0 ? 1 : 3;
}

}  // namespace

TEST_CASE(
    "postmortem 2024-04-10_backend.yaml: 30% of users, latency alert at 09:00, impact to 13:00") {
  const std::string path = postmortem_path("2024-04-10_backend.yaml");
  const Scenario scenario = load_scenario(ScenarioFile{path});
  // t = 0 is 08:45 UTC. The change is at 09:00 (15 min) and the fix at 12:30 (225 min). The
  // incident starts at the change.
  const auto& timeline = scenario.config.timeline;
  REQUIRE(timeline.size() == 9);
  CHECK(timeline[0].at_ns == 15 * kMinute);
  CHECK(timeline[7].at_ns == 225 * kMinute);
  CHECK(scenario.config.incident.start_ns == 15 * kMinute);
  const SimTime start = 15 * kMinute;
  const SimTime fix = 225 * kMinute;
  const SimTime documented_recovery = 255 * kMinute;  // 13:00

  std::uint64_t manual_failed = 0;
  for (int s = 0; s < seeds_to_run(); ++s) {
    SimulationConfig config = scenario.config;
    config.seed = 11 + static_cast<std::uint64_t>(s);
    const RunOutput out = run_config(config);
    const IncidentSummary& incident = out.incident;
    CAPTURE(config.seed);
    if (s == 0) manual_failed = incident.failed;

    // Users affected: the users ring hash places on backend-0, whose weight 30 of 100 gives it
    // 31.4% of the ring. These are 31.4% of the 50,000 users, with a binomial standard deviation
    // of 0.2 points. Each of them sends about 80 requests during the incident, and every request
    // to backend-0 times out between about 09:06 and 12:59, so all of them are hit. Nobody else
    // is: the other servers never queue 30 s. The document says "approximately 30%", and our
    // band is +-5 points. It also allows for the ring share, which depends on the hash points.
    REQUIRE(incident.users_active > 0);
    const double affected =
        static_cast<double>(incident.users_affected) / static_cast<double>(incident.users_active);
    CAPTURE(affected);
    CHECK(affected >= 0.25);
    CHECK(affected <= 0.35);

    // Detection: the p99 alert (above 1 s for 30 s, 30 s windows) fires at the end of the first
    // window after the change. backend-0's waits grow by about 0.08 s per second, so its
    // requests exceed 1 s within 13 s, and they are 31% of all completions. One or two windows.
    CHECK(incident.detected > start);
    CHECK(incident.detected - start <= kMinute);
    CHECK(incident.mitigated == fix);

    // Duration of impact: 09:00 to 13:00. After the fix backend-0 still has to work off its
    // backlog. That backlog is about 8% of the 1.1 M requests sent to it in 3.5 hours. Their
    // Poisson count varies by 0.1% (about 1,000 requests), and the sum of lognormal service
    // times by as much again. So the backlog varies by about 2%, a 35 s change in the 29-minute
    // drain. Add the 30 s window granularity. A 3-minute band holds that with room to spare.
    REQUIRE(incident.recovered > 0);
    CHECK(incident.recovered >= documented_recovery - 3 * kMinute);
    CHECK(incident.recovered <= documented_recovery + 3 * kMinute);

    // The mechanism. Every failure is a client timeout. There are no 503s and no crashes: the
    // server is unresponsive, not down.
    CHECK(out.totals.failed > 0);
    CHECK(errors_of(out.totals, ErrorKind::kTimeout) == out.totals.failed);
    CHECK(incident.servers_crashed == 0);
    // Over the run, backend-0 is busy nearly all the time while the other seven idle along at
    // 30-45% (their balanced load is 0.43; during the incident, 0.31-0.39).
    REQUIRE(out.totals.utilization.size() == 8);
    CHECK(out.totals.utilization[0] > 0.9);
    for (std::size_t server = 1; server < 8; ++server) {
      CAPTURE(server);
      CHECK(out.totals.utilization[server] < 0.5);
    }
    for (const WindowRow& w : out.windows) {
      CAPTURE(w.start);
      // Nothing fails before the change.
      if (w.start < start) CHECK(w.failed == 0);
      // From 09:10 until the fix, one server is saturated. The other seven average under 0.45:
      // (8 x mean - max) / 7, with the busiest server being backend-0.
      if (w.start >= start + 10 * kMinute && w.start < fix) {
        CHECK(w.utilization_max > 0.98);
        CHECK((8.0 * w.utilization_mean - w.utilization_max) / 7.0 < 0.45);
      }
      // Clean again once the backlog has drained (from 13:03, past the band above).
      if (w.start >= documented_recovery + 3 * kMinute) CHECK(w.failed == 0);
    }
  }

  // What-if: a configuration check blocks the change. No request fails.
  const RunOutput blocked =
      run_config(load_scenario(ScenarioFile{path}, {.what_if = "pre_rollout_check"}).config);
  CHECK(blocked.totals.failed == 0);
  CHECK(blocked.incident.failed == 0);

  // What-if: the latency alert rolls back 2 minutes after firing, about 2.5 minutes after the
  // change. The backlog reaches about 0.08 x 150 s = 12 s of wait, far from the 30 s timeout, so
  // no request fails at all. The manual replay fails over a million.
  const RunOutput automatic =
      run_config(load_scenario(ScenarioFile{path}, {.what_if = "auto_rollback"}).config);
  CHECK(automatic.incident.mitigated - automatic.incident.start <= 3 * kMinute);
  CHECK(automatic.totals.failed == 0);
  CHECK(manual_failed > 1'000'000);
}

TEST_CASE(
    "postmortem 2024-05-30_web_service.yaml: 503s for 80% of users, 10:15 to 12:45, phased "
    "restart") {
  const std::string path = postmortem_path("2024-05-30_web_service.yaml");
  const Scenario scenario = load_scenario(ScenarioFile{path});
  // t = 0 is 10:00 EST. Change at 10:15 (15 min), revert at 12:00 (120 min), phased restart from
  // 12:15 (135 min), one server every 10 min.
  const auto& timeline = scenario.config.timeline;
  REQUIRE(timeline.size() == 11);
  CHECK(timeline[0].at_ns == 15 * kMinute);
  CHECK(timeline[7].at_ns == 120 * kMinute);
  CHECK(timeline[8].at_ns == 135 * kMinute);
  CHECK(scenario.config.incident.start_ns == 15 * kMinute);
  const SimTime start = 15 * kMinute;
  const SimTime revert = 120 * kMinute;
  const SimTime documented_recovery = 165 * kMinute;  // 12:45

  std::uint64_t manual_failed = 0;
  std::uint64_t manual_affected = 0;
  for (int s = 0; s < seeds_to_run(); ++s) {
    SimulationConfig config = scenario.config;
    config.seed = 5 + static_cast<std::uint64_t>(s);
    const RunOutput out = run_config(config);
    const IncidentSummary& incident = out.incident;
    CAPTURE(config.seed);
    if (s == 0) manual_failed = incident.failed, manual_affected = incident.users_affected;

    // Users affected: Maglev fills its 65,537-slot table in proportion to weight. web-0..web-3
    // hold 24/30 of it, exact to a slot. These are 80% of the 20,000 uniform users, with a
    // binomial standard deviation of 0.3 points. Each sends about 200 requests in the incident,
    // and from 10:15:30 every one to those dead servers is refused, so all of them are hit.
    // After the revert, the users still sent to the four dead servers (10% each, equal weights)
    // are, by Maglev's minimal disruption, almost all the same users. We observe 80.3%; the
    // document's "approximately 80%" is held to +-5 points.
    REQUIRE(incident.users_active > 0);
    const double affected =
        static_cast<double>(incident.users_affected) / static_cast<double>(incident.users_active);
    CAPTURE(affected);
    CHECK(affected >= 0.75);
    CHECK(affected <= 0.85);

    // 503s only: requests refused by a dead server (Envoy: 503 "upstream connect error"), and
    // those lost in the crashes. There are no timeouts.
    CHECK(out.totals.failed > 0);
    CHECK(errors_of(out.totals, ErrorKind::kRefused) +
              errors_of(out.totals, ErrorKind::kCrashLost) ==
          out.totals.failed);

    // Detection: the four servers crash within 30 s of the change (200 requests queue at 8/s
    // above capacity in about 25 s). The error alert (5% for 30 s, 30 s windows) fires at the end
    // of the first or second window.
    CHECK(incident.detected > start);
    CHECK(incident.detected - start <= kMinute);
    CHECK(incident.mitigated == revert);

    // Duration: 10:15 to 12:45. The last dead server leaves rotation when its drain starts at
    // 12:45. From then on no request is refused, so the last window above the threshold ends at
    // 12:45, to the window. Allow one minute.
    REQUIRE(incident.recovered > 0);
    CHECK(incident.recovered >= documented_recovery - kMinute);
    CHECK(incident.recovered <= documented_recovery + kMinute);

    // The mechanism: exactly the four overweighted servers crash, first, within a minute.
    CHECK(incident.servers_crashed == 4);
    REQUIRE(incident.cascade.size() == 4);
    for (const CascadeStep& step : incident.cascade) {
      CHECK(step.server <= 3);
      CHECK(step.cause == "crash");
      CHECK(step.time - start < kMinute);
    }
    for (const WindowRow& w : out.windows) {
      CAPTURE(w.start);
      if (w.start < start) CHECK(w.failed == 0);  // nothing fails before the change
      if (w.start >= start + 5 * kMinute && w.start < revert) {
        // Four servers are down. The six running servers are underused: their load is
        // 0.2 x 440/s x 100 ms / 6 / 8 workers = 0.18, so even the busiest stays under 0.3. The
        // 80% of traffic sent to the dead servers fails: over 100,000 requests per window
        // the share varies by well under a point, and 0.75-0.85 leaves room for window noise.
        CHECK(w.servers_down == 4);
        CHECK(w.utilization_max < 0.3);
        CHECK(w.error_rate() > 0.75);
        CHECK(w.error_rate() < 0.85);
      }
      // Why the document needed a phased restart: after the revert, the four dead servers still
      // get 10% each (equal weights), so 40% of requests fail until the first restart...
      if (w.start >= revert + 2 * kMinute && w.start < 135 * kMinute) {
        CHECK(w.error_rate() > 0.35);
        CHECK(w.error_rate() < 0.45);
      }
      // ...then 10 points less after each restart. From 12:35, when the third server's drain
      // starts, to 12:45, one dead server is left.
      if (w.start >= 156 * kMinute && w.start < documented_recovery) {
        CHECK(w.error_rate() > 0.07);
        CHECK(w.error_rate() < 0.13);
      }
      if (w.start >= documented_recovery) CHECK(w.failed == 0);
    }
  }

  // What-if: a configuration check blocks the change. No request fails. The phased restart
  // still runs, but drains each server first, so it loses nothing.
  const RunOutput blocked =
      run_config(load_scenario(ScenarioFile{path}, {.what_if = "pre_rollout_check"}).config);
  CHECK(blocked.totals.failed == 0);

  // What-if: the alert reverts the setting a minute after firing. The servers have already
  // crashed, so the impact still lasts until the restarts. But 40% of requests fail instead of
  // 80%: observed failures are 0.57 of the manual replay's, and fewer users are hit.
  const RunOutput automatic =
      run_config(load_scenario(ScenarioFile{path}, {.what_if = "auto_rollback"}).config);
  CHECK(automatic.incident.mitigated - automatic.incident.start <= 2 * kMinute);
  CHECK(static_cast<double>(automatic.incident.failed) < 0.7 * static_cast<double>(manual_failed));
  CHECK(automatic.incident.users_affected < manual_affected);

  // What-if: revert and restart automatically. Two minutes for the revert, then two batches a
  // minute apart, each down a minute. Recovery within 10 minutes (observed 4.5).
  const RunOutput remediated =
      run_config(load_scenario(ScenarioFile{path}, {.what_if = "auto_remediation"}).config);
  REQUIRE(remediated.incident.recovered > 0);
  CHECK(remediated.incident.recovered - remediated.incident.start < 10 * kMinute);
  CHECK(remediated.incident.failed * 20 < manual_failed);
}

}  // namespace lbsim::test
