// jsq: the available server with the fewest outstanding requests; ties uniformly at random.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "tests/model/strategies/fixture.hpp"

namespace lbsim::test {

TEST_CASE("jsq: the unique shortest queue wins, whatever the weights") {
  Fleet fleet(5);
  fleet.outstanding = {4, 3, 1, 2, 5};
  fleet.weight = {100.0, 1.0, 1.0, 1.0, 1.0};
  auto strategy = make_strategy("jsq", fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  for (int k = 0; k < 100; ++k) CHECK(strategy->pick(fleet.view(), {}, rng) == 2);
  fleet.available[2] = 0;  // unavailable: the next shortest, server 3
  strategy->on_fleet_change(fleet.view());
  CHECK(strategy->pick(fleet.view(), {}, rng) == 3);
  fleet.available = {0, 0, 0, 0, 0};
  strategy->on_fleet_change(fleet.view());
  CHECK(strategy->pick(fleet.view(), {}, rng) == kNoServer);
}

TEST_CASE("jsq: ties are broken by one uniform draw over the tied servers, in fleet order") {
  // Exact: servers 1, 3, 4, 6 tie at 0 (5 is unavailable); each pick is tied[below(4)].
  Fleet fleet(7);
  fleet.outstanding = {1, 0, 2, 0, 0, 0, 0};
  fleet.available[5] = 0;
  auto strategy = make_strategy("jsq", fleet);
  Rng rng(3, 0, StreamPurpose::kBalancer, 0);
  Rng replay = rng;
  const std::vector<std::uint32_t> tied = {1, 3, 4, 6};
  std::vector<double> count(7, 0.0);
  const int picks = 120'000;
  for (int k = 0; k < picks; ++k) {
    const std::uint32_t server = strategy->pick(fleet.view(), {}, rng);
    REQUIRE(server == tied[replay.below(tied.size())]);
    count[server] += 1.0;
  }
  // And the draw is uniform: 1/4 each within five binomial standard errors (fixture.hpp).
  for (const std::uint32_t server : tied) {
    CHECK(std::abs(count[server] / picks - 0.25) < five_se(0.25, picks));
  }
  CHECK(count[0] + count[2] + count[5] == 0.0);
}

TEST_CASE("jsq: dispatching without completions keeps every queue within one of the others") {
  // The JSQ invariant: max - min outstanding <= 1 after every dispatch, exact.
  Fleet fleet(9);
  fleet.outstanding = {3, 0, 0, 1, 0, 0, 2, 0, 0};
  auto strategy = make_strategy("jsq", fleet);
  Rng rng(5, 0, StreamPurpose::kBalancer, 0);
  // 21 requests fill every queue up to the longest (3): 6 x 3 + 2 + 1.
  for (int k = 0; k < 21; ++k) (void)dispatch(*strategy, fleet, rng);
  CHECK(fleet.outstanding == std::vector<std::uint32_t>(9, 3));
  for (int k = 0; k < 500; ++k) {
    (void)dispatch(*strategy, fleet, rng);
    const auto [lo, hi] = std::minmax_element(fleet.outstanding.begin(), fleet.outstanding.end());
    REQUIRE(*hi - *lo <= 1);
  }
}

}  // namespace lbsim::test
