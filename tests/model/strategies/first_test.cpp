// first (HAProxy balance first): the lowest-index available server below its cap; weights ignored.
#include <doctest/doctest.h>

#include <vector>

#include "tests/model/strategies/fixture.hpp"

namespace lbsim::test {

namespace {
std::vector<std::uint32_t> dispatch_n(Strategy& strategy, Fleet& fleet, Rng& rng, int n) {
  std::vector<std::uint32_t> picks;
  for (int k = 0; k < n; ++k) picks.push_back(dispatch(strategy, fleet, rng));
  return picks;
}
}  // namespace

TEST_CASE("first: caps 2, 2, 2 fill in server order, then the lowest index takes the overflow") {
  Fleet fleet(3);
  fleet.max_connections = {2, 2, 2};
  fleet.weight = {1.0, 50.0, 100.0};  // ignored
  auto strategy = make_strategy("first", fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  CHECK(dispatch_n(*strategy, fleet, rng, 8) == std::vector<std::uint32_t>{0, 0, 1, 1, 2, 2, 0, 0});
  // Server 1 frees two slots: it is the lowest below its cap again.
  complete(*strategy, fleet, 1);
  complete(*strategy, fleet, 1);
  CHECK(dispatch_n(*strategy, fleet, rng, 3) == std::vector<std::uint32_t>{1, 1, 0});
}

TEST_CASE("first: an uncapped server (0) always wins; unavailable servers are skipped") {
  Fleet fleet(3);
  fleet.max_connections = {2, 0, 2};
  auto strategy = make_strategy("first", fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  CHECK(dispatch_n(*strategy, fleet, rng, 6) == std::vector<std::uint32_t>{0, 0, 1, 1, 1, 1});

  fleet.available[0] = 0;
  fleet.available[1] = 0;
  strategy->on_fleet_change(fleet.view());
  CHECK(dispatch_n(*strategy, fleet, rng, 3) == std::vector<std::uint32_t>{2, 2, 2});
  fleet.available[2] = 0;
  strategy->on_fleet_change(fleet.view());
  CHECK(strategy->pick(fleet.view(), {}, rng) == kNoServer);
}

TEST_CASE("first: with capped servers hidden by the model, the same fill order, then none") {
  Fleet fleet(3);
  fleet.max_connections = {2, 2, 2};
  fleet.hide_capped = true;
  auto strategy = make_strategy("first", fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  CHECK(dispatch_n(*strategy, fleet, rng, 6) == std::vector<std::uint32_t>{0, 0, 1, 1, 2, 2});
  CHECK(strategy->pick(fleet.view(), {}, rng) == kNoServer);  // the model queues at the balancer
  complete(*strategy, fleet, 2);
  CHECK(dispatch(*strategy, fleet, rng) == 2);
}

}  // namespace lbsim::test
