// source_hash: nginx ip_hash / map-based hashing: modulo the total configured weight, rehash
// while the server is down, round robin after fallback_tries.
#include "sim/model/strategies/source_hash.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

#include "tests/model/strategies/fixture.hpp"

namespace lbsim {
namespace {

using test::Fleet;

SourceHashStrategy& as_source_hash(Strategy& strategy) {
  auto* hash = dynamic_cast<SourceHashStrategy*>(&strategy);
  REQUIRE(hash != nullptr);
  return *hash;
}

// nginx's walk: w = hash % total; subtract weights until w < peer weight.
std::uint32_t reference_map(std::uint64_t hash, const std::vector<std::uint64_t>& weights) {
  std::uint64_t total = 0;
  for (const auto w : weights) total += w;
  std::uint64_t point = hash % total;
  std::uint32_t server = 0;
  while (point >= weights[server]) point -= weights[server++];
  return server;
}

TEST_CASE("a key maps to hash modulo the total weight, by cumulative weight") {
  Fleet fleet({1, 2, 3, 1});
  auto strategy = test::make_strategy("source_hash", 4);
  strategy->on_fleet_change(fleet.view());
  CHECK(as_source_hash(*strategy).total_weight() == 7);
  Rng rng(1);
  for (std::uint64_t user = 0; user < 10000; ++user) {
    REQUIRE(strategy->pick(fleet.view(), test::request_for(user), rng) ==
            reference_map(test::user_key(user), {1, 2, 3, 1}));
  }
}

TEST_CASE("fractional weights are scaled by 65536 so the modulo stays integral") {
  Fleet fleet({0.5, 0.5, 1});
  auto strategy = test::make_strategy("source_hash", 3);
  strategy->on_fleet_change(fleet.view());
  CHECK(as_source_hash(*strategy).total_weight() == 131072);
  Rng rng(1);
  for (std::uint64_t user = 0; user < 1000; ++user) {
    REQUIRE(strategy->pick(fleet.view(), test::request_for(user), rng) ==
            reference_map(test::user_key(user), {32768, 32768, 65536}));
  }
}

TEST_CASE("the map is static: a later weight change (e.g. slow start) does not remap users") {
  // Weights are read when the map is built; availability and weight changes keep it.
  Fleet fleet(5);
  auto strategy = test::make_strategy("source_hash", 5);
  strategy->on_fleet_change(fleet.view());
  fleet.weight[2] = 0.1;
  fleet.available[4] = 0;
  strategy->on_fleet_change(fleet.view());
  CHECK(as_source_hash(*strategy).total_weight() == 5);
  Rng rng(1);
  for (std::uint64_t user = 0; user < 2000; ++user) {
    const std::uint32_t first = static_cast<std::uint32_t>(test::user_key(user) % 5);
    if (first == 4) continue;
    REQUIRE(strategy->pick(fleet.view(), test::request_for(user), rng) == first);
  }
}

TEST_CASE("the same user always reaches the same server, interleaved with other users") {
  Fleet fleet(7);
  auto strategy = test::make_strategy("source_hash", 7);
  strategy->on_fleet_change(fleet.view());
  Rng rng(1);
  Rng users(2, 0, StreamPurpose::kUsers, 0);
  std::vector<std::uint32_t> first(500, kNoServer);
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t user = users.below(500);
    const std::uint32_t server = strategy->pick(fleet.view(), test::request_for(user), rng);
    if (first[user] == kNoServer) first[user] = server;
    REQUIRE(server == first[user]);
  }
}

TEST_CASE("a down server keeps the modulo: only its users move, each to a fixed server") {
  // 10 equal servers, 100k users. Server 3 goes down: its users (about 1/10) rehash; nobody
  // else moves. A moved user's new server is fixed (its rehash chain), and spread over the other
  // nine: each gets 1/9 of them within five binomial standard errors. When server 3 returns,
  // everyone is back where they started.
  const int users = 100000;
  Fleet fleet(10);
  auto strategy = test::make_strategy("source_hash", 10);
  strategy->on_fleet_change(fleet.view());
  Rng rng(1);
  std::vector<std::uint32_t> before(users);
  for (int u = 0; u < users; ++u)
    before[u] = strategy->pick(fleet.view(), test::request_for(u), rng);
  fleet.available[3] = 0;
  strategy->on_fleet_change(fleet.view());
  std::vector<int> landed(10, 0);
  int moved = 0;
  for (int u = 0; u < users; ++u) {
    const std::uint32_t after = strategy->pick(fleet.view(), test::request_for(u), rng);
    if (before[u] == 3) {
      REQUIRE(after != 3);
      REQUIRE(strategy->pick(fleet.view(), test::request_for(u), rng) == after);
      ++landed[after];
      ++moved;
    } else {
      REQUIRE(after == before[u]);
    }
  }
  CHECK(std::abs(moved / static_cast<double>(users) - 0.1) <= test::five_se(0.1, users));
  for (std::uint32_t s = 0; s < 10; ++s) {
    if (s == 3) continue;
    INFO("server " << s);
    CHECK(std::abs(landed[s] / static_cast<double>(moved) - 1.0 / 9) <=
          test::five_se(1.0 / 9, moved));
  }
  fleet.available[3] = 1;
  strategy->on_fleet_change(fleet.view());
  for (int u = 0; u < users; ++u) {
    REQUIRE(strategy->pick(fleet.view(), test::request_for(u), rng) == before[u]);
  }
}

TEST_CASE("a change in the number of configured servers remaps most users") {
  // 10 -> 11 equal servers: a key stays only if h mod 10 == h mod 11, i.e. h mod 110 < 10:
  // probability 1/11, so 10/11 of users move (five binomial standard errors at 100k users).
  const int users = 100000;
  Fleet fleet(10);
  auto strategy = test::make_strategy("source_hash", 10);
  strategy->on_fleet_change(fleet.view());
  Rng rng(1);
  std::vector<std::uint32_t> before(users);
  for (int u = 0; u < users; ++u)
    before[u] = strategy->pick(fleet.view(), test::request_for(u), rng);
  fleet.add_server();
  strategy->on_fleet_change(fleet.view());
  int moved = 0;
  for (int u = 0; u < users; ++u) {
    moved += strategy->pick(fleet.view(), test::request_for(u), rng) != before[u] ? 1 : 0;
  }
  CHECK(std::abs(moved / static_cast<double>(users) - 10.0 / 11) <=
        test::five_se(10.0 / 11, users));
}

TEST_CASE("fallback_tries: after that many rehashes the request goes to round robin") {
  // Server 0 down. Find users whose first hash lands on it. With the default 20 rehashes such a
  // user always reaches the same server; with fallback_tries 0 it goes straight to smooth
  // weighted round robin, which rotates over the nine available servers request by request.
  Fleet fleet(10);
  fleet.available[0] = 0;
  auto sticky_rehash = test::make_strategy("source_hash", 10);
  auto round_robin = test::make_strategy("source_hash", 10, {{"fallback_tries", 0.0}});
  sticky_rehash->on_fleet_change(fleet.view());
  round_robin->on_fleet_change(fleet.view());
  Rng rng(1);
  std::uint64_t user = 0;
  while (test::user_key(user) % 10 != 0) ++user;
  std::set<std::uint32_t> rehash_servers;
  std::set<std::uint32_t> fallback_servers;
  for (int i = 0; i < 9; ++i) {
    rehash_servers.insert(sticky_rehash->pick(fleet.view(), test::request_for(user), rng));
    fallback_servers.insert(round_robin->pick(fleet.view(), test::request_for(user), rng));
  }
  CHECK(rehash_servers.size() == 1);
  CHECK(fallback_servers.size() == 9);
  CHECK(fallback_servers.count(0) == 0);
  // Users whose first hash lands on an available server are unaffected by the option.
  std::uint64_t other = 0;
  while (test::user_key(other) % 10 == 0) ++other;
  CHECK(round_robin->pick(fleet.view(), test::request_for(other), rng) ==
        test::user_key(other) % 10);
}

TEST_CASE("rehash attempts are bounded: with 9 of 10 down some users fall back") {
  // Each attempt reaches the one available server with probability 1/10; all 21 attempts miss with
  // probability 0.9^21 = 0.109. Those users still get the available server (round robin over one),
  // so every pick is server 9, and nothing is ever kNoServer.
  Fleet fleet(10);
  fleet.available.assign(10, 0);
  fleet.available[9] = 1;
  auto strategy = test::make_strategy("source_hash", 10);
  strategy->on_fleet_change(fleet.view());
  Rng rng(1);
  for (std::uint64_t user = 0; user < 2000; ++user) {
    REQUIRE(strategy->pick(fleet.view(), test::request_for(user), rng) == 9);
  }
  fleet.available[9] = 0;
  strategy->on_fleet_change(fleet.view());
  CHECK(strategy->pick(fleet.view(), test::request_for(1), rng) == kNoServer);
}

}  // namespace
}  // namespace lbsim
