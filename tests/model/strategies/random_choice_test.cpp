// random_two (nginx random two least_conn) and random_draws (HAProxy balance random(N)): the
// comparison per weight and its tie rule, which differ between the two (nginx: distinct draws,
// a tie to the second; HAProxy: draws with replacement, a tie to the later), checked as exact
// probabilities over held loads with binomial tolerances (5 standard errors of 20,000 picks).
#include "sim/model/strategies/random_choice.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "tests/model/strategies/fixture.hpp"

namespace lbsim::test {
namespace {

// The share of `picks` picks that go to server 0, loads held fixed.
double share_of_zero(const std::string& name, Fleet& fleet, const StrategyOptions& options = {},
                     int picks = 20000) {
  auto strategy = make_strategy(name, fleet, options);
  Rng rng(11);
  int zero = 0;
  for (int i = 0; i < picks; ++i) zero += strategy->pick(fleet.view(), {}, rng) == 0 ? 1 : 0;
  return static_cast<double>(zero) / picks;
}

double five_se(double p, int n = 20000) {
  return 5.0 * std::sqrt(p * (1.0 - p) / n);
}

}  // namespace

TEST_CASE("random_two: two distinct draws, the less loaded per weight, a tie to the second") {
  Fleet fleet(2);
  fleet.outstanding = {0, 5};
  // Two distinct draws of two servers are both servers: the idle one always wins.
  CHECK(share_of_zero("random_two", fleet) == 1.0);
  fleet.outstanding = {3, 3};
  CHECK(std::abs(share_of_zero("random_two", fleet) - 0.5) <= five_se(0.5));
  // Weights 1 and 3, loads 1 and 2: 1/1 against 2/3, server 1 whenever two distinct servers are
  // drawn. nginx gives up after 20 draws: all 20 on one server with probability 0.75^20 +
  // 0.25^20 = 0.32%, and then smooth weighted round robin gives server 0 a quarter of those.
  Fleet weighted({1.0, 3.0});
  weighted.outstanding = {1, 2};
  const double fallback = 0.25 * (std::pow(0.75, 20) + std::pow(0.25, 20));
  CHECK(std::abs(share_of_zero("random_two", weighted, {}, 200000) - fallback) <=
        five_se(fallback, 200000));
  // Loads 1 and 3: equal per weight, so the second draw wins; the first draw is server 1 with
  // probability 3/4, and then the second is server 0: server 0 gets 3/4.
  weighted.outstanding = {1, 3};
  CHECK(std::abs(share_of_zero("random_two", weighted) - 0.75) <= five_se(0.75));
}

TEST_CASE("random_two: after 20 draws without two candidates, smooth weighted round robin") {
  Fleet fleet(3);
  fleet.available = {0, 1, 0};  // one available: a second distinct candidate never comes
  auto strategy = make_strategy("random_two", fleet);
  Rng rng(3);
  for (int i = 0; i < 50; ++i) CHECK(strategy->pick(fleet.view(), {}, rng) == 1);
}

TEST_CASE("random_draws: draws with replacement, a tie to the later draw") {
  Fleet fleet(2);
  fleet.outstanding = {0, 5};
  // Both draws land on the busy server with probability 1/4 (with replacement).
  CHECK(std::abs(share_of_zero("random_draws", fleet) - 0.75) <= five_se(0.75));
  // Three draws: 1 - 1/8.
  CHECK(std::abs(share_of_zero("random_draws", fleet, {{"draws", 3.0}}) - 0.875) <=
        five_se(0.875));
  fleet.outstanding = {3, 3};
  CHECK(std::abs(share_of_zero("random_draws", fleet) - 0.5) <= five_se(0.5));
  // Weights 1 and 3 with loads equal per weight: the later draw always wins, so server 0 keeps
  // its weight share 1/4; draws 1 is weighted random, also 1/4.
  Fleet weighted({1.0, 3.0});
  weighted.outstanding = {1, 3};
  CHECK(std::abs(share_of_zero("random_draws", weighted) - 0.25) <= five_se(0.25));
  weighted.outstanding = {0, 0};
  CHECK(std::abs(share_of_zero("random_draws", weighted, {{"draws", 1.0}}) - 0.25) <=
        five_se(0.25));
}

}  // namespace lbsim::test
