// Incident metrics (summary.json's incident section) on a scenario whose every number is known
// exactly: deterministic arrivals at 100/s over 2 servers in round robin with no health checks,
// so while one server is down exactly every other request is refused, at once.
#include <doctest/doctest.h>

#include "tests/model/harness.hpp"

namespace lbsim::test {

TEST_CASE("incident metrics of a server killed and started again") {
  DistributionConfig work;
  work.kind = DistributionKind::kDeterministic;
  work.mean_s = 0.001;
  auto c = fleet_config(100.0, work, 2, 1, -1, 0.0, 90.0, "round_robin");
  c.workload.arrivals = ArrivalProcess::kDeterministic;
  c.workload.users = 10;
  c.window_ns = 10 * kSecond;
  // s-1 is killed at 30 s (the incident starts) and started again at 60 s (marked mitigation).
  ActionConfig kill;
  kill.action = KillAction{};
  kill.at_ns = 30 * kSecond;
  as<KillAction>(kill).target.servers = {1};
  ActionConfig start = kill;
  start.action = StartAction{as<KillAction>(kill).target};
  start.at_ns = 60 * kSecond;
  start.mitigation = true;
  c.timeline = {kill, start};
  AlertRule errors;
  errors.name = "errors";
  errors.metric = AlertMetric::kErrorRate;
  errors.threshold = 0.10;
  c.alerts = {errors};
  c.incident.start_ns = 30 * kSecond;
  c.incident.slo = 0.99;
  c.incident.slo_period_ns = 24 * kHour;

  Simulation simulation(c);
  Recorder recorder({c.warmup_ns, simulation.end_time(), c.window_ns, simulation.servers(),
                     simulation.user_population(), nullptr, c.incident,
                     &simulation.window_listener()});
  simulation.set_observer(&recorder);
  (void)simulation.run();
  recorder.finish();
  const IncidentSummary* incident = recorder.incident();
  REQUIRE(incident != nullptr);

  // The windows [30, 40), [40, 50), [50, 60) fail exactly half their requests.
  CHECK(incident->peak_error_rate == 0.5);
  CHECK(incident->peak_at == 30 * kSecond);
  CHECK(incident->degraded);
  CHECK(incident->recovery_error_rate == 0.01);  // 1 - slo
  // Detected when the first bad window closes; mitigated by the start; recovered at the end of
  // the last bad window.
  CHECK(incident->detected == 40 * kSecond);
  CHECK(incident->mitigated == 60 * kSecond);
  CHECK(incident->recovered == 60 * kSecond);
  // Within [30, 60): 3000 arrivals, 1500 refused; all 10 users send hundreds of requests each
  // and lose half of them (a user escaping every failure has probability ~10 x 2^-150).
  CHECK(incident->offered == 3000);
  CHECK(incident->failed == 1500);
  CHECK(incident->users_active == 10);
  CHECK(incident->users_affected == 10);
  CHECK(incident->servers_killed == 1);
  CHECK(incident->servers_crashed == 0);
  CHECK(incident->crashes == 0);
  CHECK(incident->servers_ejected == 0);
  CHECK(incident->alerts_fired == 1);
  // s-1 down: half the fleet out of rotation.
  CHECK(incident->max_fleet_down_fraction == 0.5);
  CHECK(incident->max_fleet_down_at == 30 * kSecond);
  REQUIRE(incident->cascade.size() == 1);
  CHECK(incident->cascade[0].time == 30 * kSecond);
  CHECK(incident->cascade[0].server == 1);
  CHECK(incident->cascade[0].cause == "killed");
  // Totals over the whole measured period agree: arrivals at 0.01 s ... 89.99 s (the run ends
  // before 90 s), the same 1500 failed.
  CHECK(recorder.totals().offered == 8999);
  CHECK(recorder.totals().failed == 1500);
}

TEST_CASE("an incident that never recovers, and one that never degraded") {
  DistributionConfig work;
  work.kind = DistributionKind::kDeterministic;
  work.mean_s = 0.001;
  for (const bool start_again : {false, true}) {
    CAPTURE(start_again);
    auto c = fleet_config(100.0, work, 2, 1, -1, 0.0, 60.0, "round_robin");
    c.workload.arrivals = ArrivalProcess::kDeterministic;
    c.window_ns = 10 * kSecond;
    ActionConfig kill;
    kill.action = KillAction{};
    kill.at_ns = 30 * kSecond;
    as<KillAction>(kill).target.servers = {1};
    c.timeline = {kill};
    c.incident.start_ns = 30 * kSecond;
    c.incident.recovery_error_rate = start_again ? 0.6 : 0.1;  // 0.6: the 50% never counts
    Simulation simulation(c);
    Recorder recorder({c.warmup_ns, simulation.end_time(), c.window_ns, simulation.servers(),
                       simulation.user_population(), nullptr, c.incident,
                       &simulation.window_listener()});
    simulation.set_observer(&recorder);
    (void)simulation.run();
    recorder.finish();
    const IncidentSummary* incident = recorder.incident();
    REQUIRE(incident != nullptr);
    CHECK(incident->recovered == -1);
    CHECK(incident->detected == -1);  // no alert rules
    CHECK(incident->mitigated == -1);
    CHECK(incident->degraded == !start_again);
    // The incident window runs to the end of the run: [30, 60).
    CHECK(incident->offered == 3000);
    CHECK(incident->failed == 1500);
  }
}

}  // namespace lbsim::test
