// sticky: cookie affinity with a round-robin or random inner choice.
#include "sim/model/strategies/sticky.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tests/model/strategies/fixture.hpp"

namespace lbsim {
namespace {

using test::Fleet;

TEST_CASE("a user stays on the server it was first sent to") {
  for (const std::string fallback : {"round_robin", "random"}) {
    INFO("fallback " << fallback);
    Fleet fleet(6);
    auto strategy = test::make_strategy("sticky", 6, {{"fallback", fallback}}, 300);
    strategy->on_fleet_change(fleet.view());
    Rng rng(1);
    Rng users(2, 0, StreamPurpose::kUsers, 0);
    std::vector<std::uint32_t> first(300, kNoServer);
    for (int i = 0; i < 20000; ++i) {
      const std::uint64_t user = users.below(300);
      const std::uint32_t server = strategy->pick(fleet.view(), test::request_for(user), rng);
      if (first[user] == kNoServer) first[user] = server;
      REQUIRE(server == first[user]);
    }
  }
}

TEST_CASE("round_robin (the default): first assignments rotate over the servers") {
  // New users 0, 1, 2, ... get consecutive servers from the instance's random start, skipping
  // unavailable ones; a returning user does not advance the rotation.
  Fleet fleet(5);
  fleet.available[2] = 0;
  auto strategy = test::make_strategy("sticky", 5);
  strategy->on_fleet_change(fleet.view());
  Rng rng(1);
  const std::uint32_t start = strategy->pick(fleet.view(), test::request_for(0), rng);
  std::uint32_t expected = start;
  for (std::uint64_t user = 1; user < 40; ++user) {
    (void)strategy->pick(fleet.view(), test::request_for(user - 1), rng);  // returning user
    do {
      expected = (expected + 1) % 5;
    } while (expected == 2);
    REQUIRE(strategy->pick(fleet.view(), test::request_for(user), rng) == expected);
  }
}

TEST_CASE("random: first assignments are uniform over the available servers") {
  // 40k new users over 4 available servers of 5: each gets 1/4 within five binomial standard
  // errors (0.011); and consecutive users do not simply rotate.
  const int users = 40000;
  Fleet fleet(5);
  fleet.available[1] = 0;
  auto strategy = test::make_strategy("sticky", 5, {{"fallback", std::string("random")}}, users);
  strategy->on_fleet_change(fleet.view());
  Rng rng(1);
  std::vector<int> counts(5, 0);
  int rotations = 0;
  std::uint32_t previous = kNoServer;
  for (int u = 0; u < users; ++u) {
    const std::uint32_t server = strategy->pick(fleet.view(), test::request_for(u), rng);
    ++counts[server];
    rotations += previous != kNoServer && server != previous ? 1 : 0;
    previous = server;
  }
  CHECK(counts[1] == 0);
  for (const std::uint32_t s : {0U, 2U, 3U, 4U}) {
    INFO("server " << s);
    CHECK(std::abs(counts[s] / static_cast<double>(users) - 0.25) <= test::five_se(0.25, users));
  }
  // A rotation changes server on every user; uniform draws repeat the previous one 1/4 of the time.
  CHECK(rotations < users - 1);
}

TEST_CASE("users of an unavailable server are reassigned and stay on their new server") {
  Fleet fleet(4);
  auto strategy = test::make_strategy("sticky", 4, {}, 400);
  strategy->on_fleet_change(fleet.view());
  Rng rng(1);
  std::vector<std::uint32_t> before(400);
  for (std::uint64_t u = 0; u < 400; ++u)
    before[u] = strategy->pick(fleet.view(), test::request_for(u), rng);
  fleet.available[1] = 0;
  strategy->on_fleet_change(fleet.view());
  std::vector<std::uint32_t> during(400);
  for (std::uint64_t u = 0; u < 400; ++u) {
    during[u] = strategy->pick(fleet.view(), test::request_for(u), rng);
    REQUIRE(during[u] != 1);
    if (before[u] != 1) REQUIRE(during[u] == before[u]);
  }
  // Server 1 returns: nobody goes back (the cookie now names the new server).
  fleet.available[1] = 1;
  strategy->on_fleet_change(fleet.view());
  for (std::uint64_t u = 0; u < 400; ++u) {
    REQUIRE(strategy->pick(fleet.view(), test::request_for(u), rng) == during[u]);
  }
}

TEST_CASE("new servers get no existing users (ingress-nginx #4093)") {
  // Scale-out from 3 to 5 servers: the 600 existing users stay on servers 0..2; only new users
  // reach 3 and 4, so after the scale-out the new servers carry none of the existing load.
  Fleet fleet(3);
  auto strategy = test::make_strategy("sticky", 3, {}, 1000);
  strategy->on_fleet_change(fleet.view());
  Rng rng(1);
  for (std::uint64_t u = 0; u < 600; ++u)
    (void)strategy->pick(fleet.view(), test::request_for(u), rng);
  fleet.add_server();
  fleet.add_server();
  strategy->on_fleet_change(fleet.view());
  int new_user_on_new_servers = 0;
  for (int round = 0; round < 5; ++round) {
    for (std::uint64_t u = 0; u < 600; ++u) {
      REQUIRE(strategy->pick(fleet.view(), test::request_for(u), rng) < 3);
    }
  }
  for (std::uint64_t u = 600; u < 1000; ++u) {
    new_user_on_new_servers += strategy->pick(fleet.view(), test::request_for(u), rng) >= 3 ? 1 : 0;
  }
  // Round robin over 5 gives new users to servers 3 and 4 exactly 2 in 5 times: 160 of 400.
  CHECK(new_user_on_new_servers == 160);
}

TEST_CASE("users outside the population are served without stickiness; none available") {
  Fleet fleet(3);
  auto strategy = test::make_strategy("sticky", 3, {}, 10);
  strategy->on_fleet_change(fleet.view());
  Rng rng(1);
  const std::uint32_t a = strategy->pick(fleet.view(), test::request_for(50), rng);
  const std::uint32_t b = strategy->pick(fleet.view(), test::request_for(50), rng);
  CHECK(a != b);  // round robin moved on: no table entry for user 50
  fleet.available.assign(3, 0);
  strategy->on_fleet_change(fleet.view());
  CHECK(strategy->pick(fleet.view(), test::request_for(1), rng) == kNoServer);
}

}  // namespace
}  // namespace lbsim
