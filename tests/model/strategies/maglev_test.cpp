// maglev: the paper's table population, Envoy's weighting, prime table sizes, and disruption on
// a server change compared with ring hash.
#include "sim/model/strategies/maglev.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/model/strategies/ring_hash.hpp"
#include "tests/model/strategies/fixture.hpp"

namespace lbsim {
namespace {

using test::Fleet;

MaglevStrategy& as_maglev(Strategy& strategy) {
  auto* maglev = dynamic_cast<MaglevStrategy*>(&strategy);
  REQUIRE(maglev != nullptr);
  return *maglev;
}

std::vector<int> slots_per_server(const MaglevStrategy& maglev, std::size_t n) {
  std::vector<int> counts(n, 0);
  for (const std::uint32_t s : maglev.table()) {
    REQUIRE(s < n);
    ++counts[s];
  }
  return counts;
}

TEST_CASE("is_prime") {
  CHECK(is_prime(2));
  CHECK(is_prime(13));
  CHECK(is_prime(65537));
  CHECK(is_prime(5000011));
  CHECK_FALSE(is_prime(1));
  CHECK_FALSE(is_prime(65536));
  CHECK_FALSE(is_prime(65535));
  CHECK_FALSE(is_prime(1000001));  // 101 * 9901
}

TEST_CASE("a table size that is not prime is rejected (std::invalid_argument)") {
  CHECK_THROWS_AS(test::make_strategy("maglev", 3, {{"table_size", 65536.0}}),
                  std::invalid_argument);
  CHECK_NOTHROW(test::make_strategy("maglev", 3, {{"table_size", 251.0}}));
}

TEST_CASE("equal weights populate the table exactly as the paper's Listing 1") {
  // Reference: servers in name order take turns claiming the next free slot of their permutation
  // (offset + j * skip) mod M, offset = xxh64(name, 0) mod M, skip = xxh64(name, 1) mod (M-1) + 1.
  const std::uint64_t m = 251;
  const std::size_t n = 12;  // names web-0 .. web-11: name order web-0, web-1, web-10, web-11, ...
  Fleet fleet(n);
  auto strategy = test::make_strategy("maglev", n, {{"table_size", static_cast<double>(m)}});
  strategy->on_fleet_change(fleet.view());
  std::vector<std::string> names = test::names_for(n);
  std::vector<std::uint32_t> order(n);
  for (std::uint32_t i = 0; i < n; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](auto a, auto b) { return names[a] < names[b]; });
  std::vector<std::uint32_t> expected(m, kNoServer);
  std::vector<std::uint64_t> next(n, 0);
  std::uint64_t filled = 0;
  while (filled < m) {
    for (const std::uint32_t s : order) {
      if (filled == m) break;
      const std::uint64_t offset = xxhash64(names[s], 0) % m;
      const std::uint64_t skip = xxhash64(names[s], 1) % (m - 1) + 1;
      std::uint64_t c = (offset + next[s] * skip) % m;
      while (expected[c] != kNoServer) c = (offset + ++next[s] * skip) % m;
      expected[c] = s;
      ++next[s];
      ++filled;
    }
  }
  const auto table = as_maglev(*strategy).table();
  CHECK(std::equal(table.begin(), table.end(), expected.begin(), expected.end()));
}

TEST_CASE("each server's table share is within 1% of its weight share") {
  // The weighted fill gives each server turns in proportion to its weight until the table is
  // full, so counts differ from M * share by at most about one round's worth (a few slots).
  const std::vector<std::vector<double>> weight_sets{
      std::vector<double>(10, 1.0), {1, 2, 3, 4}, {1, 1, 1, 5, 10, 0.5}};
  for (const auto& weights : weight_sets) {
    Fleet fleet(weights);
    auto strategy = test::make_strategy("maglev", weights.size());
    strategy->on_fleet_change(fleet.view());
    const auto counts = slots_per_server(as_maglev(*strategy), weights.size());
    double sum = 0;
    for (const double w : weights) sum += w;
    for (std::size_t s = 0; s < weights.size(); ++s) {
      const double share = counts[s] / 65537.0;
      INFO("fleet of " << weights.size() << ", server " << s);
      CHECK(std::abs(share - weights[s] / sum) <= 0.01 * weights[s] / sum);
    }
  }
}

// Keys (of `users`) whose server changes when each server in turn becomes unavailable, summed
// over all n removals.
long long moved_over_all_removals(const std::string& strategy_name, std::size_t n, int users,
                                  std::vector<double>* per_removal = nullptr) {
  Fleet fleet(n);
  auto strategy = test::make_strategy(strategy_name, n);
  strategy->on_fleet_change(fleet.view());
  Rng rng(1);
  std::vector<std::uint32_t> before(users);
  for (int u = 0; u < users; ++u)
    before[u] = strategy->pick(fleet.view(), test::request_for(u), rng);
  long long total = 0;
  for (std::uint32_t removed = 0; removed < n; ++removed) {
    fleet.available[removed] = 0;
    strategy->on_fleet_change(fleet.view());
    int moved = 0;
    for (int u = 0; u < users; ++u) {
      const std::uint32_t after = strategy->pick(fleet.view(), test::request_for(u), rng);
      REQUIRE(after != removed);
      if (before[u] == removed) REQUIRE(after != before[u]);
      moved += after != before[u] ? 1 : 0;
    }
    total += moved;
    if (per_removal != nullptr) per_removal->push_back(moved / static_cast<double>(users));
    fleet.available[removed] = 1;
    strategy->on_fleet_change(fleet.view());
  }
  return total;
}

TEST_CASE("removing 1 of N servers moves a bit more than 1/N of keys, more than ring hash") {
  // N = 100, each server removed in turn, 20k users. Ring hash (points per server unchanged at
  // 11 but for floating-point rounding, see ring_hash_test) moves the removed server's keys and
  // nearly nothing else, so summed over all N removals it moves every key once plus a few: a
  // mean just above 1/N (measured 1.01/N). Maglev moves all of the
  // removed server's keys (its table share is 1/N within a slot) plus slots of survivors whose
  // preference order shifted (the paper's "disruption"), so its mean must exceed 1/N and ring
  // hash's; lb-reference says about twice ring hash. Bounds asserted: 1/N < maglev < 3/N per
  // removal up to key sampling (five binomial standard errors of 0.01 at 20k users = 0.0035;
  // LBSIM_TEST_SCALE shortens the user count and the tolerance widens with it), and on average
  // strictly.
  // (At N = 10 the order flips: Envoy's ring re-scales from 103 to 114 points per server and
  // moves about 1.6/N against Maglev's 1.03/N; see ring_hash_test.)
  const std::size_t n = 100;
  const int users = test::scaled(20000);
  std::vector<double> maglev_moves;
  const long long maglev_total = moved_over_all_removals("maglev", n, users, &maglev_moves);
  const long long ring_total = moved_over_all_removals("ring_hash", n, users);
  CHECK(ring_total >= users);
  CHECK(ring_total <= users * 21 / 20);
  const double maglev_mean = static_cast<double>(maglev_total) / (static_cast<double>(users) * n);
  MESSAGE("mean moved fraction removing 1 of 100: maglev "
          << maglev_mean << ", ring hash "
          << static_cast<double>(ring_total) / (static_cast<double>(users) * n));
  CHECK(maglev_mean > 1.0 / n);
  CHECK(maglev_mean < 3.0 / n);
  CHECK(maglev_total > ring_total);
  for (std::size_t r = 0; r < n; ++r) {
    INFO("removed " << r);
    CHECK(maglev_moves[r] >= 1.0 / n - test::five_se(1.0 / n, users));
    CHECK(maglev_moves[r] <= 3.0 / n);
  }
}

TEST_CASE("more servers than slots: some servers get none, every slot is filled") {
  Fleet fleet(20);
  auto strategy = test::make_strategy("maglev", 20, {{"table_size", 7.0}});
  strategy->on_fleet_change(fleet.view());
  const auto counts = slots_per_server(as_maglev(*strategy), 20);
  CHECK(std::count(counts.begin(), counts.end(), 0) == 13);
  CHECK(std::count(counts.begin(), counts.end(), 1) == 7);
}

TEST_CASE("unavailable servers are never picked; none available gives kNoServer") {
  Fleet fleet({1, 2, 1, 3, 1, 1, 2, 1});
  auto strategy = test::make_strategy("maglev", 8, {{"table_size", 1009.0}});
  Rng availability(3, 0, StreamPurpose::kFailures, 0);
  Rng rng(1);
  for (int round = 0; round < 30; ++round) {
    for (auto& a : fleet.available) a = availability.below(3) != 0 ? 1 : 0;
    strategy->on_fleet_change(fleet.view());
    const BackendView view = fleet.view();
    for (int u = 0; u < 200; ++u) {
      const std::uint32_t server = strategy->pick(view, test::request_for(u), rng);
      if (view.available_count == 0) {
        REQUIRE(server == kNoServer);
      } else {
        REQUIRE(server < 8);
        REQUIRE(fleet.available[server] == 1);
      }
    }
  }
}

}  // namespace
}  // namespace lbsim
