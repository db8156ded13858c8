// One conformance test over every registered strategy (the registry, so a new strategy is
// covered without editing this file), as ns-3 runs one suite against every scheduler. Each
// strategy is driven the way the model drives it (Balancer): pick, count the dispatch and report
// it through on_load_change; a completion uncounts it, reports the response, and reports the
// server idle when it has nothing left; availability changes come with on_fleet_change, a server
// reaching its max_connections is hidden without one. What every strategy must do:
//   - pick only servers shown available;
//   - never pick a server at its cap, and return kNoServer when every server is (the model then
//     queues the request at the balancer);
//   - return kNoServer ("no healthy backend") on an empty fleet and an all-unavailable one;
//   - follow weight changes (weights_version) if it is weighted, ignore them otherwise;
//   - never pick a removed server, and pick an added one;
//   - make the same picks from the same seeds.
// Each strategy runs once per value of each of its choice options (sticky's fallback,
// weighted_round_robin's mode), the other options at their defaults.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/model/strategies/join_idle_queue.hpp"
#include "sim/model/strategies/random.hpp"
#include "tests/model/strategies/fixture.hpp"

namespace lbsim::test {

namespace {

constexpr std::uint64_t kUsers = 1U << 17;  // user population: weight checks use fresh users
constexpr std::uint64_t kSeed = 42;

struct Variant {
  std::string label;  // "name" or "name option=value"
  const StrategyInfo* info = nullptr;
  StrategyOptions options;
};

// Options that make a statistical check sharp, not ones a strategy needs to be valid (the
// defaults are valid for every strategy): a 65536-point ring gives each of 4 servers a share
// exact to ~1/sqrt(16384) relative, far inside the binomial tolerance used below.
StrategyOptions sharpening(const std::string& name) {
  if (name == "ring_hash") return {{"minimum_ring_size", 65536.0}};
  return {};
}

std::vector<Variant> variants() {
  std::vector<Variant> all;
  for (const StrategyInfo& info : strategy_catalog()) {
    const StrategyOptions base = sharpening(info.name);
    all.push_back({info.name, &info, base});
    for (const OptionSpec& spec : info.options) {
      if (spec.type != OptionType::kChoice) continue;
      for (const std::string& choice : spec.choices) {
        if (OptionValue(choice) == spec.default_value) continue;  // the default run has it
        StrategyOptions options = base;
        options[spec.name] = choice;
        // The HAProxy bounded-load walk needs a bound to act on.
        if (spec.name == "bounded_load") options["hash_balance_factor"] = 150.0;
        all.push_back({info.name + " " + spec.name + "=" + choice, &info, options});
      }
    }
    // Bounded-load hashing (a non-choice option that changes the mechanism).
    for (const OptionSpec& spec : info.options) {
      if (spec.name != "hash_balance_factor") continue;
      StrategyOptions options = base;
      options[spec.name] = 150.0;
      all.push_back({info.name + " hash_balance_factor=150", &info, options});
    }
  }
  return all;
}

// A strategy and the fleet it sees, driven as the model drives it.
struct Driver {
  struct InFlight {
    std::uint32_t server;
    SimTime sent;
  };
  Fleet fleet;
  std::unique_ptr<Strategy> strategy;
  Rng rng;
  std::deque<InFlight> in_flight;
  std::uint64_t next_user = 0;
  std::uint64_t user_cycle = kUsers;  // users repeat with this period (sticky re-visits)
  std::uint64_t user_offset = 0;      // added to each user id: a phase of new users
  SimTime now = 0;

  Driver(const Variant& v, Fleet start, std::uint64_t seed = kSeed)
      : fleet(std::move(start)),
        strategy(build(v, fleet.size(), seed)),
        rng(seed, 0, StreamPurpose::kBalancer, 0) {
    strategy->on_fleet_change(fleet.view());
  }

  // Built from the variant's StrategyInfo (not looked up by name, so the broken strategies
  // below can be driven too): every declared default, then the variant's options.
  static std::unique_ptr<Strategy> build(const Variant& v, std::size_t servers,
                                         std::uint64_t seed) {
    StrategyOptions options;
    for (const OptionSpec& spec : v.info->options) {
      if (!spec.optional) options[spec.name] = spec.default_value;
    }
    for (const auto& [key, value] : v.options) options[key] = value;
    const std::vector<std::string> names = names_for(servers);
    const StrategyContext context{options, static_cast<std::uint32_t>(servers), 0, seed, kUsers,
                                  names};
    return v.info->make(context);
  }
  // One pick for the next user, 1 ms after the previous one; not dispatched.
  std::uint32_t pick() {
    now += 1'000'000;
    const std::uint64_t user = user_offset + next_user++ % user_cycle;
    return strategy->pick(fleet.view(), request_for(user), rng);
  }
  // A pick, dispatched when it names a server (checked to be one shown available).
  std::uint32_t dispatch() {
    const std::uint32_t server = pick();
    if (server == kNoServer) return server;
    REQUIRE(server < fleet.size());
    REQUIRE(fleet.available[server] == 1);
    ++fleet.outstanding[server];
    strategy->on_load_change(server, fleet.outstanding[server]);
    fleet.update_capped(server);
    in_flight.push_back({server, now});
    return server;
  }
  void complete(std::deque<InFlight>::iterator it) {
    const InFlight done = *it;
    in_flight.erase(it);
    --fleet.outstanding[done.server];
    strategy->on_load_change(done.server, fleet.outstanding[done.server]);
    strategy->on_response(done.server, now - done.sent, now);
    fleet.update_capped(done.server);
    if (fleet.outstanding[done.server] == 0) strategy->on_server_idle(done.server);
  }
  void complete_oldest() { complete(in_flight.begin()); }
  void complete_at(std::uint32_t server) {
    const auto it = std::find_if(in_flight.begin(), in_flight.end(),
                                 [&](const InFlight& f) { return f.server == server; });
    REQUIRE(it != in_flight.end());
    complete(it);
  }
  void drain() {
    while (!in_flight.empty()) complete_oldest();
  }
  // A closed loop holding `concurrency` requests in flight, oldest completing first. Returns the
  // servers picked.
  std::vector<std::uint32_t> run(int picks, std::size_t concurrency) {
    std::vector<std::uint32_t> servers;
    for (int i = 0; i < picks; ++i) servers.push_back(step(concurrency));
    return servers;
  }
  std::uint32_t step(std::size_t concurrency) {
    const std::uint32_t server = dispatch();
    if (in_flight.size() >= concurrency) complete_oldest();
    return server;
  }
  void set_available(std::uint32_t server, bool available) {
    fleet.available[server] = available ? 1 : 0;
    strategy->on_fleet_change(fleet.view());
  }
};

std::vector<int> counts(const std::vector<std::uint32_t>& picks, std::size_t servers) {
  std::vector<int> count(servers, 0);
  for (const std::uint32_t s : picks) {
    if (s < servers) ++count[s];
  }
  return count;
}

void check_in_rotation_only(const Variant& v) {
  INFO("property: picks only available servers");
  Fleet fleet(6);
  fleet.available[0] = 0;  // the first server: the natural default of a careless pick
  fleet.available[4] = 0;
  Driver d(v, fleet);
  d.user_cycle = 500;
  const std::vector<int> count = counts(d.run(3000, 3), 6);
  // dispatch() REQUIREs each pick to be shown available; every pick found a server.
  CHECK(count[0] == 0);
  CHECK(count[4] == 0);
  CHECK(count[1] + count[2] + count[3] + count[5] == 3000);
}

void check_max_connections(const Variant& v) {
  INFO("property: respects max_connections");
  Fleet fleet(4);
  fleet.max_connections = {2, 1, 3, 2};  // 8 slots in all
  fleet.hide_capped = true;              // as the model shows capped servers
  Driver d(v, fleet);
  d.user_cycle = 3;  // users repeat: sticky and the hashes meet their own server at its cap
  for (int i = 0; i < 8; ++i) {
    const std::uint32_t server = d.dispatch();
    REQUIRE(server != kNoServer);  // a slot was free somewhere
    CHECK(d.fleet.outstanding[server] <= d.fleet.max_connections[server]);
  }
  CHECK(d.fleet.outstanding == std::vector<std::uint32_t>{2, 1, 3, 2});
  // Every server at its cap: kNoServer, which makes the model queue the request at the balancer.
  for (int i = 0; i < 5; ++i) CHECK(d.pick() == kNoServer);
  // One slot frees on server 2: the only server that may be picked, for every user.
  d.complete_at(2);
  CHECK(d.dispatch() == 2);
  CHECK(d.pick() == kNoServer);
}

void check_no_healthy_backend(const Variant& v) {
  INFO("property: kNoServer on an empty or all-unavailable fleet");
  {
    Fleet empty(std::size_t{0});  // the model never builds one; strategies still answer
    Driver d(v, empty);
    for (int i = 0; i < 10; ++i) CHECK(d.pick() == kNoServer);
  }
  Fleet fleet(4);
  Driver d(v, fleet);
  d.user_cycle = 50;
  (void)d.run(200, 2);
  // Servers leave one by one (in-flight work completes as it would), until none is left.
  for (std::uint32_t s = 0; s < 4; ++s) d.set_available(s, false);
  d.drain();
  for (int i = 0; i < 100; ++i) CHECK(d.pick() == kNoServer);
  // One comes back: it is the only answer.
  d.set_available(2, true);
  for (int i = 0; i < 100; ++i) CHECK(d.dispatch() == 2);
}

// In-flight share of each server after `picks` dispatches without completions (the load a
// weighted strategy spreads in proportion to weight), then the fleet drained again.
std::vector<double> fill_shares(Driver& d, int picks, std::vector<std::uint32_t>& sequence) {
  std::vector<double> share(d.fleet.size(), 0.0);
  for (int i = 0; i < picks; ++i) {
    const std::uint32_t server = d.dispatch();
    REQUIRE(server != kNoServer);
    sequence.push_back(server);
    share[server] += 1.0 / picks;
  }
  d.drain();
  return share;
}

void check_weights(const Variant& v) {
  INFO("property: follows weight changes (weighted) or ignores them (the others)");
  const int picks = scaled(7000);
  Driver d(v, Fleet(4));
  Driver twin(v, Fleet(4));  // the same seeds; its weights never change
  std::vector<std::uint32_t> seq, twin_seq;
  const std::vector<double> before = fill_shares(d, picks, seq);
  (void)fill_shares(twin, picks, twin_seq);
  d.fleet.weight[0] = 4.0;  // announced as the model does: weights_version, no fleet change
  ++d.fleet.weights_version;
  const std::vector<double> after = fill_shares(d, picks, seq);
  (void)fill_shares(twin, picks, twin_seq);
  if (v.info->weighted && !v.info->static_weights) {
    // Before: 1/4 each. Tolerance: 5 binomial standard errors of the picks (0.026 for 1/4 at
    // 7,000). Deterministic schedules and least-loaded choices come within a request or so per
    // server; hashes spread fresh users' keys independently.
    for (std::size_t s = 0; s < 4; ++s) CHECK(std::abs(before[s] - 0.25) <= five_se(0.25, picks));
    const bool reads_load =
        v.info->load_aware || (v.info->load_aware_with != nullptr && v.info->load_aware_with(v.options));
    if (!reads_load) {
      // Shares follow weight / total weight: 4/7 and 1/7 (tolerance 0.030 for 4/7, which the
      // unchanged share 1/4 misses by over 50 SE).
      for (std::size_t s = 0; s < 4; ++s) {
        CAPTURE(s);
        const double p = s == 0 ? 4.0 / 7.0 : 1.0 / 7.0;
        CHECK(std::abs(after[s] - p) <= five_se(p, picks));
      }
    } else {
      // Load-aware weighted strategies divide weight by load (least_request: EDF on
      // weight / (outstanding + 1)^bias, Envoy; least_connections: key (outstanding + 1) /
      // weight, HAProxy), so in a fill the heavier server's share lies between equal and
      // proportional: least_connections reaches 4/7, least_request with bias 1 2/5 (EDF
      // deadlines k(k+1)/8 against j(j+1)/2 meet at k = 2j). What they all guarantee: server 0
      // gains, by far more than noise, never beyond its weight share, and the others share the
      // rest evenly.
      CHECK(after[0] > 0.25 + five_se(0.25, picks));
      CHECK(after[0] <= 4.0 / 7.0 + five_se(4.0 / 7.0, picks));
      for (std::size_t s = 1; s < 4; ++s) {
        CAPTURE(s);
        CHECK(std::abs(after[s] - (1.0 - after[0]) / 3.0) <= five_se(1.0 / 7.0, picks));
      }
    }
  } else {
    // Unweighted strategies ignore weights; a map-based hash (source_hash, static_weights)
    // reads them only when it builds its map, so a weight change during a run changes nothing
    // either (the loader rejects set_weight under it). Either way: the very same picks.
    CHECK(seq == twin_seq);
  }
}

void check_membership(const Variant& v) {
  INFO("property: a removed server is never picked, an added one is");
  Fleet fleet(4);
  fleet.available[0] = 0;  // joins later, as a join_at group is a non-member until then
  Driver d(v, fleet);
  d.user_cycle = 200;  // users come back: sticky users pinned to server 1 must move off it
  CHECK(counts(d.run(1200, 2), 4)[0] == 0);
  d.set_available(1, false);  // removed; its requests in flight still complete
  const std::vector<int> after_removal = counts(d.run(1200, 2), 4);
  CHECK(after_removal[0] == 0);
  CHECK(after_removal[1] == 0);
  d.set_available(0, true);  // joins
  d.user_offset = 1000;      // new users: sticky never moves existing users to a new server
  d.drain();                 // what was in flight finishes
  const std::vector<int> after_join = counts(d.run(1200, 2), 4);
  CHECK(after_join[1] == 0);
  if (v.info->name == "join_idle_queue") {
    // Known bug (issue 10): the model's Fleet::join never reports the joined server idle, and
    // this driver reports idleness as the model does (on the completion that empties a
    // server). At this light load the I-queue is never empty, so the random fallback that would
    // reach server 0 is never taken: it is starved. This documents the current behaviour; the
    // strategy itself takes server 0 as soon as it is reported idle (below).
    CHECK(after_join[0] == 0);
    d.strategy->on_server_idle(0);  // what a fixed Fleet::join would do
    CHECK(counts(d.run(1200, 2), 4)[0] > 0);
  } else {
    CHECK(after_join[0] > 0);
  }
}

void check_determinism(const Variant& v) {
  INFO("property: the same seeds give the same picks");
  Fleet fleet(std::vector<double>{1, 2, 1, 3, 1});
  Driver a(v, fleet);
  Driver b(v, fleet);
  a.user_cycle = b.user_cycle = 1000;
  // In lockstep, so that state shared between instances (a global) shows as a difference.
  std::vector<std::uint32_t> picks_a, picks_b;
  for (int i = 0; i < 10000; ++i) {
    picks_a.push_back(a.step(3));
    picks_b.push_back(b.step(3));
  }
  CHECK(picks_a == picks_b);
  CHECK(std::count(picks_a.begin(), picks_a.end(), kNoServer) == 0);
}

}  // namespace

TEST_CASE("conformance: every registered strategy keeps the Strategy contract") {
  REQUIRE(!strategy_catalog().empty());  // an empty registry would pass the loop below vacuously
  const std::vector<Variant> all = variants();
  // Every strategy once with its defaults, plus one run per non-default choice.
  CHECK(all.size() >= strategy_catalog().size());
  for (const Variant& v : all) {
    CAPTURE(v.label);
    check_in_rotation_only(v);
    check_max_connections(v);
    check_no_healthy_backend(v);
    check_weights(v);
    check_membership(v);
    check_determinism(v);
  }
}

// ---- The checks have teeth: deliberately broken strategies fail them -------------------------
// Each test below runs one check on a strategy with one defect and is marked should_fail: it
// passes only if the check catches the defect.

namespace {

// Always server 0, available or not.
class AlwaysFirst final : public Strategy {
 public:
  std::uint32_t pick(const BackendView&, const PickRequest&, Rng&) override { return 0; }
};

// Uniform among the available from a counter shared by every instance: reproducible on its
// own, but two "identical" instances make different picks.
class SharedState final : public Strategy {
 public:
  std::uint32_t pick(const BackendView& view, const PickRequest&, Rng&) override {
    if (view.available_count == 0) return kNoServer;
    static std::uint64_t shared = 0;
    return nth_available(view, (shared++ * 7919U) % view.available_count);
  }
};

template <class S>
std::unique_ptr<Strategy> make_broken(const StrategyContext&) {
  return std::make_unique<S>();
}
std::unique_ptr<Strategy> make_random(const StrategyContext& context) {
  return std::make_unique<RandomStrategy>(context.server_count);
}

Variant broken(StrategyInfo& info, const std::string& name,
               std::unique_ptr<Strategy> (*make)(const StrategyContext&), bool weighted) {
  info.name = name;
  info.make = make;
  info.weighted = weighted;
  return {name, &info, {}};
}

}  // namespace

TEST_CASE("conformance catches a strategy that picks unavailable servers" *
          doctest::should_fail()) {
  StrategyInfo info;
  check_in_rotation_only(broken(info, "always_first", make_broken<AlwaysFirst>, false));
}

TEST_CASE("conformance catches a weighted strategy that ignores weights" * doctest::should_fail()) {
  StrategyInfo info;  // uniform random, but declared weighted
  check_weights(broken(info, "random_declared_weighted", make_random, true));
}

TEST_CASE("conformance catches a strategy whose picks depend on more than its seeds" *
          doctest::should_fail()) {
  StrategyInfo info;
  check_determinism(broken(info, "shared_state", make_broken<SharedState>, false));
}

}  // namespace lbsim::test
