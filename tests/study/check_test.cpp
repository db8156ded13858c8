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
      skew(), "skew", with_imbalance_limit(parse_slo("errors<1%"), 1.5), 60 * kSecond, 2, 2);
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
      check_change(skew(), "skew", parse_slo("errors<1%"), 60 * kSecond, 2, 2);
  CHECK_FALSE(result.blocked());
  CHECK(result.breaches.empty());
}

TEST_CASE("check names the scenario's named actions when --change is not one") {
  CHECK_CONFIG_ERROR((void)check_change(skew(), "skwe", parse_slo("errors<1%"), kSecond, 2, 1),
                     "--change skwe", 0, 0, "expected a named timeline action of skew.yaml (skew)");
}

}  // namespace
}  // namespace lbsim::study
