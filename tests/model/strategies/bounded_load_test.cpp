// Bounded-load consistent hashing (sim/model/strategies/bounded_load.*) on ring_hash and maglev:
// Envoy's walk order against the shuffles its own test states (test/extensions/
// load_balancing_policies/common/bounded_load_hlb_test.cc: "the random shuffle sequence of 5
// elements with seed 2 is 2 1 0 4 3", seeds 6 and 7), Envoy's and HAProxy's slot arithmetic on
// the worked example of research (4 equal hosts, factor 150, 10 in flight: 17 slots; Envoy 5 per
// host, HAProxy 4, 4, 4, 5), affinity kept while no server is over its bound, and a moved key
// going exactly where each balancer's walk says.
#include "sim/model/strategies/bounded_load.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "sim/model/strategies/ring_hash.hpp"
#include "tests/model/strategies/fixture.hpp"

namespace lbsim::test {

TEST_CASE("Envoy's hash-seeded shuffle: the sequences its bounded-load test states") {
  CHECK(envoy_shuffle(2, 5) == std::vector<std::uint32_t>{2, 1, 0, 4, 3});
  CHECK(envoy_shuffle(6, 5) == std::vector<std::uint32_t>{4, 0, 2, 3, 1});
  CHECK(envoy_shuffle(7, 5) == std::vector<std::uint32_t>{0, 1, 4, 3, 2});
}

TEST_CASE("slots: Envoy ceil(17 x 1/4) = 5 with active <= slots; HAProxy 4, 4, 4, 5 strict") {
  // 10 requests in flight over 4 equal servers, factor 150: ceil(11 x 1.5) = 17 slots.
  Fleet fleet(4);
  fleet.outstanding = {5, 1, 0, 4};
  BoundedLoad envoy(150, BoundedLoad::Flavor::kEnvoy);
  envoy.rebuild(fleet.view());
  CHECK(envoy.total_load() == 10);
  CHECK(envoy.overload_factor(fleet.view(), 0) == 1.0);  // 5 of 5: still eligible
  CHECK(envoy.accepts(fleet.view(), 0));
  BoundedLoad haproxy(150, BoundedLoad::Flavor::kHaproxy);
  haproxy.rebuild(fleet.view());
  CHECK_FALSE(haproxy.accepts(fleet.view(), 0));  // 5 served, 4 slots
  CHECK(haproxy.accepts(fleet.view(), 3));        // 4 served, 5 slots (the remainder's)
  // One more in flight at server 0: Envoy's total_slots ceil(12 x 1.5) = 18, slots ceil(4.5) = 5,
  // 6 active: overloaded by 6/5.
  fleet.outstanding[0] = 6;
  envoy.load_changed(0, 6);
  CHECK(envoy.total_load() == 11);
  CHECK(envoy.overload_factor(fleet.view(), 0) == doctest::Approx(1.2));
  CHECK_FALSE(envoy.accepts(fleet.view(), 0));
}

TEST_CASE("bounded ring hash keeps every key's server while no server is over its bound") {
  Fleet fleet(5);
  auto plain = make_strategy("ring_hash", fleet);
  auto bounded = make_strategy("ring_hash", fleet, {{"hash_balance_factor", 150.0}});
  auto maglev = make_strategy("maglev", fleet);
  auto maglev_bounded = make_strategy("maglev", fleet, {{"hash_balance_factor", 150.0}});
  Rng rng(1);
  for (std::uint64_t user = 0; user < 2000; ++user) {
    const PickRequest request = request_for(user);
    CHECK(bounded->pick(fleet.view(), request, rng) == plain->pick(fleet.view(), request, rng));
    CHECK(maglev_bounded->pick(fleet.view(), request, rng) ==
          maglev->pick(fleet.view(), request, rng));
  }
}

TEST_CASE("an overloaded pick moves where each balancer's walk says; the others stay") {
  // 5 equal servers, 20 in flight, all at server h (the first pick of key k). Envoy, factor 150:
  // total_slots ceil(21 x 1.5) = 32, slots ceil(32/5) = 7 < 20: h is overloaded and k goes to
  // the first other server of envoy_shuffle(k) (all of them idle). HAProxy: 32 slots spread
  // 6, 6, 7, 6, 7 (floor of cumulative shares), h over them: k walks on clockwise to the next
  // ring point of another server.
  Fleet fleet(5);
  auto plain = make_strategy("ring_hash", fleet);
  const std::uint64_t user = 17;
  const PickRequest request = request_for(user);
  Rng rng(1);
  const std::uint32_t h = plain->pick(fleet.view(), request, rng);
  fleet.outstanding[h] = 20;
  auto envoy = make_strategy("ring_hash", fleet, {{"hash_balance_factor", 150.0}});
  auto haproxy = make_strategy("ring_hash", fleet,
                               {{"hash_balance_factor", 150.0},
                                {"bounded_load", std::string("haproxy")}});
  std::uint32_t expected_envoy = kNoServer;
  for (const std::uint32_t i : envoy_shuffle(request.hash_key, 5)) {
    if (i != h) {
      expected_envoy = i;
      break;
    }
  }
  CHECK(envoy->pick(fleet.view(), request, rng) == expected_envoy);
  const auto& ring = dynamic_cast<RingHashStrategy&>(*plain);
  std::size_t index = 0;
  while (index < ring.ring_hashes().size() && ring.ring_hashes()[index] < request.hash_key) {
    ++index;
  }
  std::uint32_t expected_haproxy = kNoServer;
  for (std::size_t step = 0; step < ring.ring_servers().size(); ++step) {
    const std::uint32_t s = ring.ring_servers()[(index + step) % ring.ring_servers().size()];
    if (s != h) {
      expected_haproxy = s;
      break;
    }
  }
  CHECK(haproxy->pick(fleet.view(), request, rng) == expected_haproxy);
  // A key whose first pick is another server keeps it.
  for (std::uint64_t other = 0; other < 200; ++other) {
    const PickRequest r = request_for(other);
    const std::uint32_t first = plain->pick(fleet.view(), r, rng);
    if (first == h) continue;
    CHECK(envoy->pick(fleet.view(), r, rng) == first);
    CHECK(haproxy->pick(fleet.view(), r, rng) == first);
  }
}

TEST_CASE("bounded Maglev: an overloaded pick moves to the first other host of Envoy's shuffle") {
  // As for the ring: 20 in flight at the key's table server h, 32 slots, 7 per server.
  Fleet fleet(5);
  auto plain = make_strategy("maglev", fleet);
  const PickRequest request = request_for(17);
  Rng rng(1);
  const std::uint32_t h = plain->pick(fleet.view(), request, rng);
  fleet.outstanding[h] = 20;
  auto bounded = make_strategy("maglev", fleet, {{"hash_balance_factor", 150.0}});
  std::uint32_t expected = kNoServer;
  for (const std::uint32_t i : envoy_shuffle(request.hash_key, 5)) {
    if (i != h) {
      expected = i;
      break;
    }
  }
  CHECK(bounded->pick(fleet.view(), request, rng) == expected);
  CHECK(bounded->pick(fleet.view(), request, rng) != h);
}

TEST_CASE("every server it may use overloaded: Envoy takes the least overloaded one") {
  // Factor 100, loads 12, 0, 11 (23 in flight): 24 slots, 8 per server. Server 1 is under its
  // bound but hidden (at its cap): servers 0 (12/8) and 2 (11/8) are both over, and the walk
  // from 0 returns 2, the less overloaded.
  Fleet fleet(3);
  fleet.outstanding = {12, 0, 11};
  BoundedLoad envoy(100, BoundedLoad::Flavor::kEnvoy);
  envoy.rebuild(fleet.view());
  CHECK(envoy.overload_factor(fleet.view(), 0) == 1.5);
  CHECK(envoy.overload_factor(fleet.view(), 2) == 1.375);
  fleet.available[1] = 0;
  CHECK(envoy.envoy_walk(fleet.view(), 0, 12345) == 2);
  // Shown again, server 1 takes it.
  fleet.available[1] = 1;
  CHECK(envoy.envoy_walk(fleet.view(), 0, 12345) == 1);
}

TEST_CASE("bounded-load options: the bound is optional, HAProxy's factor must exceed 100") {
  const StrategyInfo* ring = find_strategy("ring_hash");
  REQUIRE(ring != nullptr);
  CHECK(ring->load_aware_with(options_for("ring_hash")) == false);
  CHECK(ring->load_aware_with(options_for("ring_hash", {{"hash_balance_factor", 120.0}})));
  CHECK(ring->check_options(options_for("ring_hash", {{"bounded_load", std::string("envoy")}})) ==
        "ring_hash: bounded_load has no meaning without hash_balance_factor");
  CHECK(ring->check_options(options_for("ring_hash", {{"hash_balance_factor", 100.0},
                                                      {"bounded_load", std::string("haproxy")}}))
            .rfind("ring_hash: HAProxy's hash-balance-factor must be greater than 100", 0) == 0);
  CHECK(ring->check_options(options_for("ring_hash", {{"hash_balance_factor", 100.0}})).empty());
}

}  // namespace lbsim::test
