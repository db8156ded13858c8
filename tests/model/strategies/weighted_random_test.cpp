// weighted_random: P(i) = w_i / sum of available weights, O(log n) through cumulative sums that
// follow availability (on_fleet_change) and weights (weights_version).
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "tests/model/strategies/fixture.hpp"

namespace lbsim::test {

namespace {
std::vector<double> shares(Strategy& strategy, const Fleet& fleet, Rng& rng, int picks) {
  std::vector<double> count(fleet.size(), 0.0);
  const BackendView view = fleet.view();
  for (int k = 0; k < picks; ++k) {
    const std::uint32_t server = strategy.pick(view, {}, rng);
    REQUIRE(server < fleet.size());
    count[server] += 1.0;
  }
  for (double& c : count) c /= picks;
  return count;
}
}  // namespace

TEST_CASE("weighted_random: each pick is the server whose cumulative-weight range holds u*total") {
  // Exact: replay the same stream by hand. Weights 1, 2, 3, 4 -> ranges [0,1) [1,3) [3,6) [6,10).
  Fleet fleet(4);
  fleet.weight = {1.0, 2.0, 3.0, 4.0};
  auto strategy = make_strategy("weighted_random", fleet);
  Rng rng(7, 0, StreamPurpose::kBalancer, 0);
  Rng replay = rng;
  for (int k = 0; k < 2000; ++k) {
    const double point = replay.uniform01() * 10.0;
    const std::uint32_t expected = point < 1.0 ? 0 : point < 3.0 ? 1 : point < 6.0 ? 2 : 3;
    REQUIRE(strategy->pick(fleet.view(), {}, rng) == expected);
  }
}

TEST_CASE("weighted_random: shares follow the weights and skip unavailable servers") {
  Fleet fleet(4);
  fleet.weight = {1.0, 2.0, 3.0, 4.0};
  auto strategy = make_strategy("weighted_random", fleet);
  Rng rng(11, 0, StreamPurpose::kBalancer, 0);
  const int picks = 200'000;
  // Tolerance: five binomial standard errors (fixture.hpp), at most 0.0055 here.
  std::vector<double> share = shares(*strategy, fleet, rng, picks);
  for (std::size_t i = 0; i < 4; ++i) {
    const double p = fleet.weight[i] / 10.0;
    CHECK(std::abs(share[i] - p) < five_se(p, picks));
  }

  // Server 3 (weight 4) leaves: the rest renormalise to 1/6, 2/6, 3/6 and 3 is never chosen.
  fleet.available[3] = 0;
  strategy->on_fleet_change(fleet.view());
  share = shares(*strategy, fleet, rng, picks);
  CHECK(share[3] == 0.0);
  for (std::size_t i = 0; i < 3; ++i) {
    const double p = fleet.weight[i] / 6.0;
    CHECK(std::abs(share[i] - p) < five_se(p, picks));
  }

  fleet.available = {0, 0, 0, 0};
  strategy->on_fleet_change(fleet.view());
  CHECK(strategy->pick(fleet.view(), {}, rng) == kNoServer);
}

TEST_CASE(
    "weighted_random: a weight change is seen through weights_version, without a fleet change") {
  Fleet fleet(3);
  auto strategy = make_strategy("weighted_random", fleet);
  Rng rng(13, 0, StreamPurpose::kBalancer, 0);
  const int picks = 100'000;

  // The sums are cached: a weight edit that does not move the version is not seen (the model
  // must bump it), so shares stay 1/3 each.
  fleet.weight = {8.0, 1.0, 1.0};
  std::vector<double> share = shares(*strategy, fleet, rng, picks);
  CHECK(std::abs(share[0] - 1.0 / 3.0) < five_se(1.0 / 3.0, picks));

  ++fleet.weights_version;
  share = shares(*strategy, fleet, rng, picks);
  CHECK(std::abs(share[0] - 0.8) < five_se(0.8, picks));
  CHECK(std::abs(share[1] - 0.1) < five_se(0.1, picks));
  CHECK(std::abs(share[2] - 0.1) < five_se(0.1, picks));
}

TEST_CASE("weighted_random: fractional (slow-start) weights and a large fleet") {
  // 10^4 servers, server 0 at weight 0.1 (slow start), the rest 1: P(0) = 0.1 / 9999.1.
  Fleet fleet(10'000);
  fleet.weight[0] = 0.1;
  fleet.weight[9'999] = 1000.0;  // P = 1000 / (9998.1 + 1000) ~ 0.0909
  auto strategy = make_strategy("weighted_random", fleet);
  Rng rng(17, 0, StreamPurpose::kBalancer, 0);
  const int picks = 400'000;
  int last = 0;
  int first = 0;
  const BackendView view = fleet.view();
  for (int k = 0; k < picks; ++k) {
    const std::uint32_t server = strategy->pick(view, {}, rng);
    last += server == 9'999 ? 1 : 0;
    first += server == 0 ? 1 : 0;
  }
  const double total = 0.1 + 9'998.0 + 1000.0;
  const double p_last = 1000.0 / total;
  CHECK(std::abs(last / static_cast<double>(picks) - p_last) < five_se(p_last, picks));
  // P(0) ~ 9.1e-6: about 3.6 expected picks; a Poisson count above 15 has probability < 1e-5.
  CHECK(first <= 15);
}

TEST_CASE("weighted_random: servers hidden at their cap (no fleet change) are redrawn, exactly") {
  // The model shows a server at max_connections as unavailable and brings it back without
  // on_fleet_change. Weights 1..4; server 3 (weight 4) hidden: shares 1/6, 2/6, 3/6.
  Fleet fleet(4);
  fleet.weight = {1.0, 2.0, 3.0, 4.0};
  fleet.max_connections = {0, 0, 0, 5};
  auto strategy = make_strategy("weighted_random", fleet);
  Rng rng(19, 0, StreamPurpose::kBalancer, 0);
  const int picks = 100'000;
  fleet.outstanding[3] = 5;
  fleet.available[3] = 0;
  // A rebuild while it is hidden (a weight change elsewhere) must keep it listed.
  ++fleet.weights_version;
  std::vector<double> share = shares(*strategy, fleet, rng, picks);
  CHECK(share[3] == 0.0);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(std::abs(share[i] - fleet.weight[i] / 6.0) < five_se(fleet.weight[i] / 6.0, picks));
  }
  fleet.outstanding[3] = 4;  // below its cap again
  fleet.available[3] = 1;
  share = shares(*strategy, fleet, rng, picks);
  CHECK(std::abs(share[3] - 0.4) < five_se(0.4, picks));

  // Mostly hidden: 2 of 20 servers shown (weights 1 and 3), so most picks exhaust the redraws
  // and take the exact scan; the mixture must still be 1/4, 3/4.
  Fleet wide(20);
  wide.max_connections.assign(20, 1);
  auto strategy_wide = make_strategy("weighted_random", wide);
  wide.outstanding.assign(20, 1);
  wide.available.assign(20, 0);
  wide.available[4] = 1;
  wide.outstanding[4] = 0;
  wide.available[11] = 1;
  wide.outstanding[11] = 0;
  wide.weight[11] = 3.0;
  ++wide.weights_version;
  share = shares(*strategy_wide, wide, rng, picks);
  CHECK(share[4] + share[11] == 1.0);
  CHECK(std::abs(share[4] - 0.25) < five_se(0.25, picks));
}

}  // namespace lbsim::test
