// least_request: Envoy's P2C with replacement and its weighted EDF mode
// (test/extensions/load_balancing_policies/least_request/least_request_lb_test.cc).
#include "sim/model/strategies/least_request.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/model/strategies/fixture.hpp"

namespace lbsim {
namespace {

using test::Fleet;

// Fraction of `picks` picks that land on `server`, loads held fixed.
double share_of(Strategy& strategy, const Fleet& fleet, std::uint32_t server, int picks,
                std::uint64_t seed) {
  Rng rng(seed, 0, StreamPurpose::kBalancer, 0);
  int hits = 0;
  const BackendView view = fleet.view();
  for (int i = 0; i < picks; ++i) hits += strategy.pick(view, test::request_for(0), rng) == server;
  return hits / static_cast<double>(picks);
}

TEST_CASE("equal weights: exactly Envoy's draws (with replacement, strict <, first kept on ties)") {
  // Replays each pick from a copy of the stream: d uniform draws over the available servers; a
  // later draw replaces the candidate only with strictly fewer outstanding requests.
  Fleet fleet(10);
  fleet.available[3] = 0;
  fleet.available[7] = 0;
  std::vector<std::uint32_t> up;
  for (std::uint32_t s = 0; s < 10; ++s) {
    if (fleet.available[s] != 0) up.push_back(s);
  }
  Rng loads(5, 0, StreamPurpose::kService, 0);
  for (const std::uint32_t d : {1U, 2U, 3U, 10U}) {
    INFO("choices " << d);
    auto strategy = test::make_strategy("least_request", 10, {{"choices", static_cast<double>(d)}});
    strategy->on_fleet_change(fleet.view());
    Rng rng(9, 0, StreamPurpose::kBalancer, d);
    for (int i = 0; i < 2000; ++i) {
      for (auto& o : fleet.outstanding) o = static_cast<std::uint32_t>(loads.below(4));
      Rng replay = rng;
      std::uint32_t expected = up[replay.below(up.size())];
      for (std::uint32_t k = 1; k < d; ++k) {
        const std::uint32_t sampled = up[replay.below(up.size())];
        if (fleet.outstanding[sampled] < fleet.outstanding[expected]) expected = sampled;
      }
      REQUIRE(strategy->pick(fleet.view(), test::request_for(0), rng) == expected);
    }
  }
}

TEST_CASE("two servers with loads (0, 5): d = 2 picks the idle one with probability 3/4") {
  // Draws are with replacement: both land on the busy server with probability 1/4. 200k picks;
  // tolerance five binomial standard errors (0.0048).
  Fleet fleet(2);
  fleet.outstanding = {0, 5};
  auto strategy = test::make_strategy("least_request", 2);
  strategy->on_fleet_change(fleet.view());
  const int picks = 200000;
  CHECK(std::abs(share_of(*strategy, fleet, 0, picks, 1) - 0.75) <= test::five_se(0.75, picks));
}

TEST_CASE("choices = n is random draws, not a full scan") {
  // Loads (5,5,5,0), d = 4: the idle server is missed by all four draws with probability
  // (3/4)^4, so it is picked with probability 1 - 0.31640625 = 0.68359375 (a scan would give 1).
  Fleet fleet(4);
  fleet.outstanding = {5, 5, 5, 0};
  auto strategy = test::make_strategy("least_request", 4, {{"choices", 4.0}});
  strategy->on_fleet_change(fleet.view());
  const int picks = 200000;
  const double p = 1.0 - 0.31640625;
  CHECK(std::abs(share_of(*strategy, fleet, 3, picks, 2) - p) <= test::five_se(p, picks));
}

TEST_CASE("choices = 1 is uniform random, blind to load") {
  Fleet fleet(2);
  fleet.outstanding = {0, 5};
  auto strategy = test::make_strategy("least_request", 2, {{"choices", 1.0}});
  strategy->on_fleet_change(fleet.view());
  const int picks = 200000;
  CHECK(std::abs(share_of(*strategy, fleet, 0, picks, 3) - 0.5) <= test::five_se(0.5, picks));
}

TEST_CASE("ties keep the first draw: with equal loads the pick is the first draw") {
  Fleet fleet(5);
  fleet.outstanding.assign(5, 2);
  auto strategy = test::make_strategy("least_request", 5, {{"choices", 3.0}});
  strategy->on_fleet_change(fleet.view());
  Rng rng(4);
  for (int i = 0; i < 1000; ++i) {
    Rng replay = rng;
    const auto first = static_cast<std::uint32_t>(replay.below(5));
    REQUIRE(strategy->pick(fleet.view(), test::request_for(0), rng) == first);
  }
}

TEST_CASE("unequal weights: Envoy's WeightImbalance sequence (EDF on w / (active + 1))") {
  Fleet fleet({1, 2});
  LeastRequestStrategy strategy(2, 1.0, 2, 0);
  strategy.on_fleet_change(fleet.view());
  CHECK(strategy.weighted());
  Rng rng(1);
  auto sequence = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>('0' + strategy.pick(fleet.view(), {}, rng));
    return s;
  };
  // 2:1 for host 1.
  CHECK(sequence(6) == "101101");
  // Host 1 with one active request: 1:1.
  fleet.outstanding = {0, 1};
  CHECK(sequence(5) == "10101");
  // Host 0 with one active request, host 1 idle: 4:1.
  fleet.outstanding = {1, 0};
  CHECK(sequence(10) == "0111011110");
}

TEST_CASE("active_request_bias: 0 ignores load, 1 divides by outstanding + 1") {
  // Weights (1, 2, 3), loads (0, 1, 2) held fixed, EDF from 0 pre-picks.
  // bias 0: effective weights 1, 2, 3 -> exactly 100, 200, 300 of 600 picks.
  // bias 1: effective weights 1/1, 2/2, 3/3 all equal -> exactly 200 each.
  Fleet fleet({1, 2, 3});
  fleet.outstanding = {0, 1, 2};
  Rng rng(1);
  for (const double bias : {0.0, 1.0}) {
    LeastRequestStrategy strategy(2, bias, 3, 0);
    strategy.on_fleet_change(fleet.view());
    std::vector<int> counts(3, 0);
    for (int i = 0; i < 600; ++i) ++counts[strategy.pick(fleet.view(), {}, rng)];
    INFO("bias " << bias);
    CHECK(counts ==
          (bias == 0.0 ? std::vector<int>{100, 200, 300} : std::vector<int>{200, 200, 200}));
  }
}

TEST_CASE("active_request_bias 0.5 through the factory: w / sqrt(active + 1)") {
  // Weights (1, 2), loads (0, 3): bias 0.5 gives 1 and 2/2 = 1 (equal shares); bias 1 gives 1 and
  // 0.5 (2:1). The factory's random pre-picks shift the start only: over 3000 picks the counts
  // are within 1 of the exact shares.
  Fleet fleet({1, 2});
  fleet.outstanding = {0, 3};
  for (const double bias : {0.5, 1.0}) {
    auto strategy = test::make_strategy("least_request", 2, {{"active_request_bias", bias}});
    strategy->on_fleet_change(fleet.view());
    Rng rng(1);
    int zero = 0;
    for (int i = 0; i < 3000; ++i) zero += strategy->pick(fleet.view(), {}, rng) == 0;
    INFO("bias " << bias);
    CHECK(std::abs(zero - (bias == 0.5 ? 1500 : 2000)) <= 1);
  }
}

TEST_CASE("a configured active_request_bias takes the EDF path even with equal weights") {
  // Equal weights, loads (0, 5, 0) held fixed. Unset bias (the default): power of two choices,
  // the busy server picked only when both draws land on it, 1/9 of picks. Bias set to 1.0, its
  // default value: current Envoy's weighted path anyway, EDF on 1/1, 1/6, 1/1, which gives the
  // busy server exactly 1 pick in 13 (EDF shares are exact to within one pick).
  Fleet fleet({1, 1, 1});
  fleet.outstanding = {0, 5, 0};
  auto unset = test::make_strategy("least_request", 3);
  auto set = test::make_strategy("least_request", 3, {{"active_request_bias", 1.0}});
  for (auto* strategy : {unset.get(), set.get()}) strategy->on_fleet_change(fleet.view());
  CHECK_FALSE(dynamic_cast<LeastRequestStrategy&>(*unset).weighted());
  CHECK(dynamic_cast<LeastRequestStrategy&>(*set).weighted());
  Rng rng(3);
  int busy_unset = 0;
  int busy_set = 0;
  constexpr int kPicks = 13000;
  for (int i = 0; i < kPicks; ++i) {
    busy_unset += unset->pick(fleet.view(), {}, rng) == 1;
    busy_set += set->pick(fleet.view(), {}, rng) == 1;
  }
  CHECK(std::abs(busy_set - kPicks / 13) <= 1);
  // Binomial(13000, 1/9): 1444 +- 36 (1 sd); 4.5 sd.
  CHECK(std::abs(busy_unset - kPicks / 9) <= 160);
}

TEST_CASE("weighted mode keeps picking a busy server, only less often (never drains)") {
  // Host 1 (weight 2) with 100 outstanding: effective 2/101 vs 1 -> share 2/103 of picks, > 0.
  Fleet fleet({1, 2});
  fleet.outstanding = {0, 100};
  LeastRequestStrategy strategy(2, 1.0, 2, 0);
  strategy.on_fleet_change(fleet.view());
  Rng rng(1);
  int busy = 0;
  for (int i = 0; i < 10300; ++i) busy += strategy.pick(fleet.view(), {}, rng) == 1;
  CHECK(std::abs(busy - 200) <= 1);
}

TEST_CASE("unavailable servers are never picked; none available gives kNoServer") {
  for (const bool weighted : {false, true}) {
    INFO("weighted " << weighted);
    Fleet fleet(8);
    if (weighted) fleet.weight = {1, 2, 3, 4, 5, 6, 7, 8};
    auto strategy = test::make_strategy("least_request", 8);
    Rng availability(3, 0, StreamPurpose::kFailures, 0);
    Rng rng(1);
    for (int round = 0; round < 50; ++round) {
      for (auto& a : fleet.available) a = availability.below(3) != 0 ? 1 : 0;
      for (auto& o : fleet.outstanding) o = static_cast<std::uint32_t>(availability.below(5));
      strategy->on_fleet_change(fleet.view());
      const BackendView view = fleet.view();
      for (int i = 0; i < 40; ++i) {
        const std::uint32_t server = strategy->pick(view, {}, rng);
        if (view.available_count == 0) {
          REQUIRE(server == kNoServer);
        } else {
          REQUIRE(server < 8);
          REQUIRE(fleet.available[server] == 1);
        }
      }
    }
  }
}

}  // namespace
}  // namespace lbsim
