// join_idle_queue: the oldest idle report first (stale or not), each server queued at most
// once, a random available server when the I-queue is empty; seeded with every server.
#include "sim/model/strategies/join_idle_queue.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "tests/model/strategies/fixture.hpp"

namespace lbsim::test {

namespace {
JoinIdleQueueStrategy& as_jiq(std::unique_ptr<Strategy>& strategy) {
  auto* jiq = dynamic_cast<JoinIdleQueueStrategy*>(strategy.get());
  REQUIRE(jiq != nullptr);
  return *jiq;
}
}  // namespace

TEST_CASE("join_idle_queue: the I-queue starts as a per-instance shuffle of every server") {
  Fleet fleet(20);
  auto first = make_strategy("join_idle_queue", fleet, {}, 0);
  auto second = make_strategy("join_idle_queue", fleet, {}, 1);
  const std::vector<std::uint32_t> order0 = as_jiq(first).idle_queue();
  const std::vector<std::uint32_t> order1 = as_jiq(second).idle_queue();
  std::vector<std::uint32_t> sorted = order0;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::uint32_t> all(20);
  std::iota(all.begin(), all.end(), 0U);
  CHECK(sorted == all);     // each server once
  CHECK(order0 != all);     // shuffled (identity has probability 1/20!)
  CHECK(order0 != order1);  // instances draw their own orders
  // Same seed and instance: same order (reproducible runs).
  auto again = make_strategy("join_idle_queue", fleet, {}, 0);
  CHECK(as_jiq(again).idle_queue() == order0);

  // The first 20 picks drain it in that order; busy servers are not checked (stale entries).
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  for (const std::uint32_t expected : order0) CHECK(dispatch(*first, fleet, rng) == expected);
  CHECK(as_jiq(first).idle_queue().empty());
}

TEST_CASE("join_idle_queue: idle reports are served oldest first, each server queued once") {
  Fleet fleet(8);
  auto strategy = make_strategy("join_idle_queue", fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  for (int k = 0; k < 8; ++k) (void)dispatch(*strategy, fleet, rng);  // empty the seed
  strategy->on_server_idle(5);
  strategy->on_server_idle(2);
  strategy->on_server_idle(5);  // duplicate: ignored
  strategy->on_server_idle(7);
  CHECK(as_jiq(strategy).idle_queue() == std::vector<std::uint32_t>{5, 2, 7});
  // A report goes stale when the server gets work elsewhere; JIQ uses it anyway.
  fleet.outstanding[2] = 10;
  CHECK(strategy->pick(fleet.view(), {}, rng) == 5);
  CHECK(strategy->pick(fleet.view(), {}, rng) == 2);
  // Server 7 went down after reporting: dropped, and the empty I-queue falls back to random.
  fleet.available[7] = 0;
  strategy->on_fleet_change(fleet.view());
  Rng replay = rng;
  const std::vector<std::uint32_t> up = {0, 1, 2, 3, 4, 5, 6};
  CHECK(strategy->pick(fleet.view(), {}, rng) == up[replay.below(up.size())]);
  CHECK(as_jiq(strategy).idle_queue().empty());
  // Popped servers can report again.
  strategy->on_server_idle(5);
  CHECK(strategy->pick(fleet.view(), {}, rng) == 5);
}

TEST_CASE("join_idle_queue: with no idle server, uniform over available servers") {
  Fleet fleet(5);
  fleet.available[1] = 0;
  auto strategy = make_strategy("join_idle_queue", fleet);
  Rng rng(9, 0, StreamPurpose::kBalancer, 0);
  // The seed holds all 5; server 1's entry is dropped, so 4 picks empty it.
  for (int k = 0; k < 4; ++k) CHECK(strategy->pick(fleet.view(), {}, rng) != 1);
  CHECK(as_jiq(strategy).idle_queue().empty());
  std::vector<double> count(5, 0.0);
  const int picks = 100'000;
  for (int k = 0; k < picks; ++k) count[strategy->pick(fleet.view(), {}, rng)] += 1.0;
  CHECK(count[1] == 0.0);
  // 1/4 each within five binomial standard errors (fixture.hpp).
  for (const std::uint32_t server : {0U, 2U, 3U, 4U}) {
    CHECK(std::abs(count[server] / picks - 0.25) < five_se(0.25, picks));
  }
  // A report from a server that is down is dropped, never returned.
  fleet.available = {0, 0, 0, 0, 1};
  strategy->on_fleet_change(fleet.view());
  strategy->on_server_idle(3);
  CHECK(strategy->pick(fleet.view(), {}, rng) == 4);
  CHECK(as_jiq(strategy).idle_queue().empty());
  fleet.available[4] = 0;
  strategy->on_fleet_change(fleet.view());
  CHECK(strategy->pick(fleet.view(), {}, rng) == kNoServer);
}

TEST_CASE("join_idle_queue: the random fallback skips servers hidden at their cap") {
  Fleet fleet(10);
  fleet.max_connections.assign(10, 1);
  fleet.hide_capped = true;
  auto strategy = make_strategy("join_idle_queue", fleet);
  Rng rng(23, 0, StreamPurpose::kBalancer, 0);
  for (int k = 0; k < 10; ++k) (void)dispatch(*strategy, fleet, rng);  // the seed: all at 1/1
  CHECK(strategy->pick(fleet.view(), {}, rng) == kNoServer);
  // Server 6 frees its slot but does not report idle to this instance: the fallback finds it
  // (9 of 10 candidates hidden: mostly through the exact scan).
  complete(*strategy, fleet, 6);
  for (int k = 0; k < 200; ++k) CHECK(strategy->pick(fleet.view(), {}, rng) == 6);
}

}  // namespace lbsim::test
