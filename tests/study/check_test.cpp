// The pre-rollout check (sim/study/check): the verdict and where the load went, for a change whose
// effect is known by hand.
#include "sim/study/check.hpp"

#include <doctest/doctest.h>

#include "../scenario/test_util.hpp"

namespace lbsim::study {
namespace {

// Two servers, 100/s of 10 ms work (one server's worth): each is busy 50% of the time. The change
// gives web-0 nine times web-1's weight, so web-0 gets 90% of the requests (busy 90%) and web-1
// 10% (busy 10%): utilisation imbalance 0.9 / 0.5 = 1.8.
const std::string kSkew =
    "name: skew\nduration: 10m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
    "10ms}\nbalancer:\n  strategy: weighted_round_robin\nservers:\n  - {group: web, count: 2}\n"
    "timeline:\n  - {at: 1m, action: set_weight, servers: web-0, weight: 9, name: skew}\n";

Scenario skew() {
  return load_scenario(ScenarioText{kSkew, "skew.yaml", "."});
}

TEST_CASE("check blocks a change that unbalances the fleet, and says where the load went") {
  // Tolerances: a server's utilisation over 60 s is its request count times their mean service;
  // web-0 serves about 5,400 requests (relative standard error about 2% for the count and the
  // exponential work together), web-1 about 600 (about 6%). 5% and 20% are 2.5 and 3 standard
  // errors, and imbalance (max over mean, both so estimated) gets 10%.
  const CheckResult result = check_change(
      skew(), "skew", with_imbalance_limit(parse_slo("errors<1%"), 1.5), CheckSpan{60 * kSecond}, 2, 2);
  CHECK(result.action_kind == "set_weight");
  CHECK(result.before.timeline.empty());
  REQUIRE(result.after.timeline.size() == 1);
  CHECK(result.after.timeline[0].at_ns == 0);  // in place from the start
  REQUIRE(result.by_term.size() == 2);
  CHECK(result.by_term[1].variants[0].mean == doctest::Approx(1.0).epsilon(0.1));
  CHECK(result.by_term[1].variants[1].mean == doctest::Approx(1.8).epsilon(0.1));
  REQUIRE(result.blocked());
  REQUIRE(result.breaches.size() == 1);
  CHECK(result.breaches[0].term.metric == MetricId::kImbalance);
  CHECK_FALSE(result.breached_before);
  CHECK(result.busiest.name == "web-0");
  CHECK(result.busiest.utilization == doctest::Approx(0.9).epsilon(0.05));
  CHECK(result.least_busy.name == "web-1");
  CHECK(result.least_busy.utilization == doctest::Approx(0.1).epsilon(0.2));
  CHECK(result.servers_went_down == 0);
}

TEST_CASE("check passes the same change when the SLO does not bound imbalance") {
  const CheckResult result =
      check_change(skew(), "skew", parse_slo("errors<1%"), CheckSpan{60 * kSecond}, 2, 2);
  CHECK_FALSE(result.blocked());
  CHECK(result.breaches.empty());
}

TEST_CASE("check names the scenario's named actions when --change is not one") {
  CHECK_CONFIG_ERROR((void)check_change(skew(), "skwe", parse_slo("errors<1%"), CheckSpan{kSecond}, 2, 1),
                     "--change skwe", 0, 0, "expected a named timeline action of skew.yaml (skew)");
}

// Night and morning: 50/s until 8 h, then 150/s. Two servers of 10 ms work (100/s each), queue
// limit 10. The change gives web-0 nine times web-1's weight: at night web-0 takes 45/s (busy 45%,
// nothing lost); at the peak it takes 135/s, 1.35 times what it can serve, and an M/M/1/11 at
// rho = 1.35 loses (1 - rho) rho^11 / (1 - rho^12) = 26% of its arrivals, 24% of all. Before the
// change each server takes 75/s and loses 1.1% (rho = 0.75, the same formula). errors<5% splits
// the two by far more than 60 s of replication noise.
const std::string kMorning =
    "name: morning\nduration: 10h\nwarmup: 30s\nwindow: 30s\nworkload:\n  rate: 50/s\n"
    "  profile:\n    - {at: 8h, rate: 150/s}\n"
    "  service: {dist: exponential, mean: 10ms}\nbalancer:\n  strategy: weighted_round_robin\n"
    "servers:\n  - {group: web, count: 2, queue_limit: 10}\n"
    "timeline:\n  - {at: 1h, action: set_weight, servers: web-0, weight: 9, name: skew}\n"
    "  - {at: 2h, action: kill, servers: [web-1], name: kill}\n";

Scenario morning() {
  return load_scenario(ScenarioText{kMorning, "morning.yaml", "."});
}

TEST_CASE("check runs the scenario's peak rate by default: safe at night, broken at the peak") {
  const CheckResult result =
      check_change(morning(), "skew", parse_slo("errors<5%"), CheckSpan{60 * kSecond}, 2, 2);
  CHECK(result.peak_rate_per_s == 150.0);
  CHECK(result.before.workload.rate_per_s == 150.0);
  CHECK(result.before.workload.profile.empty());
  REQUIRE(result.blocked());
  CHECK(result.breaches[0].term.metric == MetricId::kErrorRate);
  CHECK(result.breaches[0].after == doctest::Approx(0.24).epsilon(0.15));
  CHECK(result.breaches[0].before < 0.03);
}

TEST_CASE("--load scales every rate: a forecast of 3x the night rate breaks too") {
  Scenario night = morning();
  night.config.workload.profile.clear();  // 50/s all day
  CHECK_FALSE(
      check_change(night, "skew", parse_slo("errors<5%"), CheckSpan{60 * kSecond}, 2, 2).blocked());
  CheckSpan forecast{60 * kSecond};
  forecast.load = 3.0;
  const CheckResult result = check_change(night, "skew", parse_slo("errors<5%"), forecast, 2, 2);
  CHECK(result.peak_rate_per_s == 150.0);
  CHECK(result.blocked());
}

TEST_CASE("--duration profile runs the whole profile with the change from the start") {
  CheckSpan span;
  span.whole_profile = true;
  const SimulationConfig config = check_baseline(morning().config, span);
  CHECK(config.duration_ns == 10 * 3600 * kSecond);
  REQUIRE(config.workload.profile.size() == 1);
  CHECK(config.workload.profile[0].target_rate_per_s == 150.0);
  CHECK(config.timeline.empty());  // the scenario's changes are not the workload
}

TEST_CASE("a dead server is listed as down, never as the least busy") {
  // Killing web-1 with no health check: the balancer keeps sending it half the requests, which
  // are refused. It is down all the time, so least busy is web-0, the one server up.
  const CheckResult result =
      check_change(morning(), "kill", parse_slo("errors<5%"), CheckSpan{60 * kSecond}, 2, 2);
  REQUIRE(result.down.size() == 1);
  CHECK(result.down[0].name == "web-1");
  CHECK(result.down[0].down_fraction == doctest::Approx(1.0));
  CHECK(result.down[0].traffic_share == doctest::Approx(1.0).epsilon(0.05));
  CHECK(result.least_busy.name == "web-0");
  CHECK(result.busiest.name == "web-0");
  CHECK(result.blocked());
}

}  // namespace
}  // namespace lbsim::study
