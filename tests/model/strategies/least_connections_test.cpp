// least_connections (HAProxy leastconn): key (outstanding + 1) / weight, 0 when idle; equal keys
// take turns (the server re-queued longest ago first); saturated servers skipped. The heap is
// checked against a plain O(n) scan of the same rule over long random operation sequences.
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

// The rule written as a scan: lowest (key, last re-queue time) among available servers below
// their cap, else among all available. A server is re-queued on every load change, when it
// becomes available, and when its weight changes (HAProxy dequeues and re-inserts it each time).
class ReferenceLeastConnections {
 public:
  explicit ReferenceLeastConnections(const Fleet& fleet)
      : requeued_at_(fleet.size(), 0), was_listed_(fleet.size(), 0), weight_(fleet.weight) {
    fleet_change(fleet);
  }
  void load_change(std::uint32_t server) { requeued_at_[server] = ++clock_; }
  // A server is listed while available or at its cap (the model hides capped servers without a
  // fleet change); one listed anew, or with a new weight, is re-queued.
  void fleet_change(const Fleet& fleet) {
    for (std::size_t i = 0; i < fleet.size(); ++i) {
      const bool at_cap =
          fleet.max_connections[i] != 0 && fleet.outstanding[i] >= fleet.max_connections[i];
      const std::uint8_t listed = fleet.available[i] != 0 || at_cap ? 1 : 0;
      if ((listed != 0 && was_listed_[i] == 0) || weight_[i] != fleet.weight[i]) {
        requeued_at_[i] = ++clock_;
      }
      was_listed_[i] = listed;
      weight_[i] = fleet.weight[i];
    }
  }
  [[nodiscard]] std::uint32_t pick(const Fleet& fleet) const {
    std::uint32_t best = kNoServer;
    bool best_unsaturated = false;
    for (std::uint32_t i = 0; i < fleet.size(); ++i) {
      if (fleet.available[i] == 0) continue;
      const bool unsaturated =
          fleet.max_connections[i] == 0 || fleet.outstanding[i] < fleet.max_connections[i];
      if (best == kNoServer || (unsaturated && !best_unsaturated) ||
          (unsaturated == best_unsaturated && before(fleet, i, best))) {
        best = i;
        best_unsaturated = unsaturated;
      }
    }
    return best;
  }

 private:
  [[nodiscard]] bool before(const Fleet& fleet, std::uint32_t a, std::uint32_t b) const {
    const double ka = key(fleet, a);
    const double kb = key(fleet, b);
    return ka < kb || (ka == kb && requeued_at_[a] < requeued_at_[b]);
  }
  [[nodiscard]] static double key(const Fleet& fleet, std::uint32_t i) {
    const std::uint32_t o = fleet.outstanding[i];
    return o == 0 ? 0.0 : (o + 1.0) / fleet.weight[i];
  }
  std::vector<std::uint64_t> requeued_at_;
  std::vector<std::uint8_t> was_listed_;
  std::vector<double> weight_;
  std::uint64_t clock_ = 0;
};
}  // namespace

TEST_CASE("least_connections: equal weights take turns, a finished request moves its server up") {
  Fleet fleet(3);
  auto strategy = make_strategy("least_connections", fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  // Idle servers (key 0) in fleet order, then equal keys in the order they were re-queued.
  CHECK(dispatch_n(*strategy, fleet, rng, 6) == std::vector<std::uint32_t>{0, 1, 2, 0, 1, 2});
  // All at 2. Server 2 then server 0 drop to 1 (key 2, re-queued in that order).
  complete(*strategy, fleet, 2);
  complete(*strategy, fleet, 0);
  // 2 (key 2, queued before 0), 0 (key 2), then all at 2 again re-queued as 1 (oldest), 2, 0.
  CHECK(dispatch_n(*strategy, fleet, rng, 5) == std::vector<std::uint32_t>{2, 0, 1, 2, 0});
}

TEST_CASE("least_connections: weighted keys (o + 1) / w with idle first, exact sequence") {
  Fleet fleet(2);
  fleet.weight = {1.0, 3.0};
  auto strategy = make_strategy("least_connections", fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  // Both idle (key 0): 0 first, by fleet order. Then server 0 has key 2/1 = 2 and server 1 takes
  // requests while its key is below: 0, 2/3, 1, 4/3, 5/3 at o = 0..4. At o = 5 its key 6/3 ties
  // with 0's, and 0, queued earlier, wins (key then 3). Server 1 again from key 2 to 8/3.
  CHECK(dispatch_n(*strategy, fleet, rng, 11) ==
        std::vector<std::uint32_t>{0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0});
  // In the long run the loads are in proportion to the weights: 1:3.
  // Server 0 is chosen exactly when (o1 + 1) / 3 reaches o0 + 1: after 400 requests, 100 and 300.
  (void)dispatch_n(*strategy, fleet, rng, 389);
  CHECK(fleet.outstanding[0] == 100);
  CHECK(fleet.outstanding[1] == 300);
}

TEST_CASE(
    "least_connections: unavailable servers are never chosen; none available gives kNoServer") {
  Fleet fleet(4);
  fleet.available[0] = 0;
  fleet.available[2] = 0;
  auto strategy = make_strategy("least_connections", fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  CHECK(dispatch_n(*strategy, fleet, rng, 6) == std::vector<std::uint32_t>{1, 3, 1, 3, 1, 3});
  fleet.available = {0, 0, 0, 0};
  strategy->on_fleet_change(fleet.view());
  CHECK(strategy->pick(fleet.view(), {}, rng) == kNoServer);
}

TEST_CASE("least_connections: a saturated server is skipped; all saturated gives the lowest key") {
  Fleet fleet(3);
  fleet.weight = {10.0, 1.0, 1.0};
  fleet.max_connections = {1, 0, 0};
  auto strategy = make_strategy("least_connections", fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  CHECK(dispatch_n(*strategy, fleet, rng, 3) == std::vector<std::uint32_t>{0, 1, 2});
  // Server 0 has the lowest key (2/10) but is at its cap of 1: HAProxy skips it.
  CHECK(dispatch_n(*strategy, fleet, rng, 4) == std::vector<std::uint32_t>{1, 2, 1, 2});

  fleet.max_connections = {1, 3, 3};  // now 0 is at 1/1, 1 and 2 at 3/3: all saturated
  CHECK(strategy->pick(fleet.view(), {}, rng) == 0);
}

TEST_CASE("least_connections: weight changes apply at the next pick through weights_version") {
  Fleet fleet(2);
  auto strategy = make_strategy("least_connections", fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  CHECK(dispatch_n(*strategy, fleet, rng, 4) == std::vector<std::uint32_t>{0, 1, 0, 1});
  // Both at 2 (key 3). Server 1 goes to weight 4: its key (o + 1) / 4 stays below 3 for
  // o = 2..10 (nine requests); at o = 11 it ties at 3 with server 0, queued earlier, which wins.
  fleet.weight[1] = 4.0;
  ++fleet.weights_version;
  CHECK(dispatch_n(*strategy, fleet, rng, 10) ==
        std::vector<std::uint32_t>{1, 1, 1, 1, 1, 1, 1, 1, 1, 0});
}

TEST_CASE("least_connections: a load change the model failed to report is caught at the top") {
  Fleet fleet(3);
  auto strategy = make_strategy("least_connections", fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  // Server 0 (the top) silently gains load: pick must not trust its stale key.
  fleet.outstanding[0] = 5;
  CHECK(strategy->pick(fleet.view(), {}, rng) == 1);
}

TEST_CASE("least_connections: the heap agrees with a scan over 2*10^5 random operations") {
  // Random dispatches and completions, weight changes (slow start style), availability flips and
  // caps, on 37 servers: after every operation the strategy's pick must equal the scan's. Exact.
  Fleet fleet(37);
  Rng ops(99, 0, StreamPurpose::kBalancer, 1);
  for (std::size_t i = 0; i < fleet.size(); ++i) {
    fleet.weight[i] = 1.0 + static_cast<double>(ops.below(4));  // 1..4: many exact key ties
    fleet.max_connections[i] = ops.below(4) == 0 ? 3 : 0;
  }
  auto strategy = make_strategy("least_connections", fleet);
  ReferenceLeastConnections reference(fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  std::vector<std::uint32_t> busy;  // one entry per outstanding request
  for (int step = 0; step < 200'000; ++step) {
    const std::uint64_t op = ops.below(100);
    if (op < 55 && fleet.view().available_count > 0) {
      const std::uint32_t expected = reference.pick(fleet);
      const std::uint32_t server = strategy->pick(fleet.view(), {}, rng);
      REQUIRE(server == expected);
      ++fleet.outstanding[server];
      strategy->on_load_change(server, fleet.outstanding[server]);
      reference.load_change(server);
      busy.push_back(server);
    } else if (op < 98 && !busy.empty()) {
      const std::size_t k = ops.below(busy.size());
      const std::uint32_t server = busy[k];
      busy[k] = busy.back();
      busy.pop_back();
      --fleet.outstanding[server];
      strategy->on_load_change(server, fleet.outstanding[server]);
      reference.load_change(server);
    } else if (op == 98) {
      fleet.weight[ops.below(fleet.size())] = 0.5 + static_cast<double>(ops.below(4));
      ++fleet.weights_version;
      reference.fleet_change(fleet);
    } else {
      const std::size_t i = ops.below(fleet.size());
      fleet.available[i] ^= 1;  // in-flight requests of a removed server still complete
      strategy->on_fleet_change(fleet.view());
      reference.fleet_change(fleet);
    }
  }
  CHECK(busy.size() > 100);  // the run reached a loaded state, not only idle servers
}

TEST_CASE("least_connections: servers hidden at their cap come back without a fleet change") {
  // The model's view when servers have max_connections: at the cap a server is shown
  // unavailable; all three at 2/2 leave nothing to pick (the model then queues).
  Fleet fleet(3);
  fleet.max_connections = {2, 2, 2};
  fleet.hide_capped = true;
  auto strategy = make_strategy("least_connections", fleet);
  Rng rng(1, 0, StreamPurpose::kBalancer, 0);
  CHECK(dispatch_n(*strategy, fleet, rng, 6) == std::vector<std::uint32_t>{0, 1, 2, 0, 1, 2});
  CHECK(strategy->pick(fleet.view(), {}, rng) == kNoServer);
  // A weight change (a resynchronisation) while all are hidden must not drop them.
  ++fleet.weights_version;
  complete(*strategy, fleet, 1);
  CHECK(dispatch(*strategy, fleet, rng) == 1);
  complete(*strategy, fleet, 2);
  complete(*strategy, fleet, 0);
  // Both at key 2 again: 2 was re-queued first.
  CHECK(dispatch_n(*strategy, fleet, rng, 2) == std::vector<std::uint32_t>{2, 0});
}

}  // namespace lbsim::test
