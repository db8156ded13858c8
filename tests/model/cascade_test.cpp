// The cascade a weight misconfiguration sets off (issue 4): uneven weights overload two servers
// while the others idle; the overloaded ones crash and are taken out; their load spreads to the
// rest, which were sized for a fifth each and now carry a third: they tip over in turn; the
// change is rolled back and the fleet recovers. Asserted on the incident log and the series.
#include <doctest/doctest.h>

#include "tests/model/harness.hpp"

namespace lbsim::test {

TEST_CASE("a weight misconfiguration cascades through the fleet and recovers after rollback") {
  // 5 servers x 4 workers, 10 ms exponential service, 1200/s: utilisation 0.6 when balanced.
  // Each server crashes when an arrival finds 60 queued, and restarts after 15 s. In-band health
  // checks (2 s, fall 2, rise 2), outlier detection, Envoy's panic threshold, 1 s client timeout.
  auto c =
      fleet_config(1200.0, exponential_s(0.010), 5, 4, 100, 0.0, 300.0, "weighted_round_robin");
  c.window_ns = 10 * kSecond;
  c.client.timeout_ns = kSecond;
  c.servers[0].overload.crash_queue = 60;
  c.servers[0].overload.restart_ns = 15 * kSecond;
  c.balancer.health_check.enabled = true;
  c.balancer.health_check.fall = 2;
  c.balancer.outlier.enabled = true;
  c.balancer.outlier.max_ejection_fraction = 0.2;  // 10% would eject none of 5 (current Envoy)

  // The misconfiguration at 60 s, as a named timeline action: servers 0 and 1 get weight 10,
  // the others 0.1 (meant for 1). The rollback to before it at 150 s.
  ActionConfig heavy;
  heavy.action = SetWeightAction{};
  heavy.at_ns = 60 * kSecond;
  heavy.name = "bad_weights";
  as<SetWeightAction>(heavy).target.servers = {0, 1};
  as<SetWeightAction>(heavy).weight = 10.0;
  ActionConfig light = heavy;
  light.name.clear();
  as<SetWeightAction>(light).target.servers = {2, 3, 4};
  as<SetWeightAction>(light).weight = 0.1;
  ActionConfig rollback;
  rollback.action = RollbackAction{};
  rollback.at_ns = 150 * kSecond;
  as<RollbackAction>(rollback).to_before = "bad_weights";
  c.timeline = {heavy, light, rollback};
  c.incident.start_ns = 60 * kSecond;

  Simulation simulation(c);
  Recorder recorder({c.warmup_ns, simulation.end_time(), c.window_ns, simulation.servers(),
                     simulation.user_population(), nullptr, c.incident,
                     &simulation.window_listener()});
  simulation.set_observer(&recorder);
  (void)simulation.run();
  recorder.finish();
  struct {
    std::vector<LogRow> entries;
  } log{recorder.log()};

  std::vector<LogRow> crashes;
  std::uint64_t ejections = 0, checks_down = 0;
  for (const auto& e : log.entries) {
    if (e.kind == "server_crash") crashes.push_back(e);
    ejections += e.kind == "outlier_eject" ? 1 : 0;
    checks_down += e.kind == "health_down" ? 1 : 0;
  }
  REQUIRE(crashes.size() >= 5);
  // Nothing fails before the change; the two overweighted servers go first, within a second.
  CHECK(crashes[0].time > 60 * kSecond);
  CHECK(crashes[1].time < 61 * kSecond);
  CHECK(((crashes[0].subject == "s-0" && crashes[1].subject == "s-1") ||
         (crashes[0].subject == "s-1" && crashes[1].subject == "s-0")));
  // Then the cascade: every one of the servers that had been nearly idle crashes too, before
  // the rollback, after taking over the load of the crashed ones.
  for (const std::string victim : {"s-2", "s-3", "s-4"}) {
    bool hit = false;
    for (const auto& e : crashes) hit = hit || (e.subject == victim && e.time < 150 * kSecond);
    CHECK_MESSAGE(hit, victim << " never tipped over");
  }
  CHECK(ejections > 0);    // outlier detection took crashed servers out
  CHECK(checks_down > 0);  // and so did the health checks
  // The series: no errors before the change, most requests failing during the cascade with at
  // least three servers down at once, and a clean fleet within 60 s of the rollback.
  std::uint32_t most_down = 0;
  for (const auto& w : recorder.windows()) {
    if (w.start < 60 * kSecond) CHECK(w.failed == 0);
    if (w.start >= 60 * kSecond && w.start < 150 * kSecond) {
      most_down = std::max(most_down, w.servers_down);
      CHECK(w.error_rate() > 0.1);
    }
    if (w.start >= 210 * kSecond) {
      CHECK(w.error_rate() < 0.001);
      CHECK(w.servers_down == 0);
    }
  }
  CHECK(most_down >= 3);
  CHECK(crashes.back().time < 210 * kSecond);
  for (const auto& e : log.entries) {
    if (e.kind == "server_crash") CHECK(e.time < 210 * kSecond);
  }
  // The rollback restored every weight to 1 (from the snapshot taken before "bad_weights").
  for (const double w : simulation.effective_weights()) CHECK(w == 1.0);

  // The incident summary tells the same story.
  const IncidentSummary* incident = recorder.incident();
  REQUIRE(incident != nullptr);
  CHECK(incident->mitigated == 150 * kSecond);  // the rollback
  CHECK(incident->servers_crashed == 5);
  CHECK(incident->crashes == crashes.size());
  CHECK(incident->servers_ejected > 0);
  CHECK(incident->degraded);
  // Recovered for good within a minute of the rollback (the series check above), not before it.
  CHECK(incident->recovered > 150 * kSecond);
  CHECK(incident->recovered <= 210 * kSecond);
  CHECK(incident->peak_error_rate > 0.5);
  CHECK(incident->max_fleet_down_fraction >= 0.6);  // >= 3 of 5 out of rotation at once
  // The cascade: every server fails once, the two overweighted ones first.
  REQUIRE(incident->cascade.size() == 5);
  CHECK(incident->cascade[0].server <= 1);
  CHECK(incident->cascade[1].server <= 1);
  for (std::size_t i = 1; i < incident->cascade.size(); ++i) {
    CHECK(incident->cascade[i - 1].time <= incident->cascade[i].time);
  }
  CHECK(incident->users_affected > 0);
  CHECK(incident->users_affected <= incident->users_active);
  CHECK(incident->failed <= incident->offered);
}

}  // namespace lbsim::test
