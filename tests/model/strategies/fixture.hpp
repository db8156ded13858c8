#pragma once
// Helpers for strategy tests: a fleet of plain vectors the test edits as a model would, a
// BackendView over them, strategies built through the registry with default options, and
// helpers that drive a strategy the way the model does (pick, then count the dispatch and report
// it through on_load_change; complete a request, uncount it and report again).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim::test {

// A fleet as one balancer instance sees it.
struct Fleet {
  std::vector<std::uint32_t> outstanding;
  std::vector<double> weight;
  std::vector<std::uint32_t> max_connections;
  std::vector<std::uint8_t> available;
  std::uint64_t weights_version = 0;  // bump after changing `weight`, as the model does
  // As the model does when any server has max_connections: a server at its cap is shown
  // unavailable, and shown again when it drops below, without on_fleet_change.
  bool hide_capped = false;

  explicit Fleet(std::size_t n)  // n servers of weight 1
      : outstanding(n, 0), weight(n, 1.0), max_connections(n, 0), available(n, 1) {}
  explicit Fleet(std::vector<double> weights)
      : outstanding(weights.size(), 0),
        weight(std::move(weights)),
        max_connections(weight.size(), 0),
        available(weight.size(), 1) {}

  [[nodiscard]] std::size_t size() const { return weight.size(); }
  [[nodiscard]] BackendView view() const {
    std::uint32_t count = 0;
    for (const std::uint8_t a : available) count += a != 0 ? 1U : 0U;
    return {outstanding, weight, max_connections, available, count, weights_version};
  }
  // Grows the fleet by one available server (a membership change).
  void add_server(double w = 1.0) {
    outstanding.push_back(0);
    weight.push_back(w);
    max_connections.push_back(0);
    available.push_back(1);
  }
  void update_capped(std::uint32_t server) {
    if (!hide_capped || max_connections[server] == 0) return;
    available[server] = outstanding[server] < max_connections[server] ? 1 : 0;
  }
};

inline std::vector<std::string> names_for(std::size_t n) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < n; ++i) names.push_back("web-" + std::to_string(i));
  return names;
}

// The options a scenario would get: every declared default, then `overrides`.
inline StrategyOptions options_for(std::string_view name, const StrategyOptions& overrides = {}) {
  const StrategyInfo* info = find_strategy(name);
  REQUIRE(info != nullptr);
  StrategyOptions options;
  for (const OptionSpec& spec : info->options) {
    if (!spec.optional) options[spec.name] = spec.default_value;
  }
  for (const auto& [key, value] : overrides) {
    const std::string& wanted = key;
    REQUIRE(std::any_of(info->options.begin(), info->options.end(),  // only declared options
                        [&](const OptionSpec& spec) { return spec.name == wanted; }));
    options[key] = value;
  }
  return options;
}

// Builds `name` through the registry with every option at its default, then `overrides`. Not
// yet told the fleet: the caller calls on_fleet_change.
inline std::unique_ptr<Strategy> make_strategy(std::string_view name, std::size_t servers,
                                               const StrategyOptions& overrides = {},
                                               std::uint64_t users = 1000,
                                               std::uint32_t instance = 0,
                                               std::uint64_t seed = 42) {
  const StrategyInfo* info = find_strategy(name);
  REQUIRE(info != nullptr);
  const StrategyOptions options = options_for(name, overrides);
  const std::vector<std::string> names = names_for(servers);
  const StrategyContext context{options, static_cast<std::uint32_t>(servers), instance, seed, users,
                                names};
  return info->make(context);
}

// Built through the registry as the model does, and told the fleet once (on_fleet_change).
inline std::unique_ptr<Strategy> make_strategy(std::string_view name, const Fleet& fleet,
                                               const StrategyOptions& overrides = {},
                                               std::uint32_t instance = 0,
                                               std::uint64_t seed = 42) {
  std::unique_ptr<Strategy> strategy =
      make_strategy(name, fleet.size(), overrides, 1000, instance, seed);
  strategy->on_fleet_change(fleet.view());
  return strategy;
}

// pick + dispatch bookkeeping, as the model does it.
inline std::uint32_t dispatch(Strategy& strategy, Fleet& fleet, Rng& rng, SimTime now = 0) {
  const std::uint32_t server = strategy.pick(fleet.view(), {0, 0, now}, rng);
  REQUIRE(server != kNoServer);
  REQUIRE(fleet.available[server] == 1);
  ++fleet.outstanding[server];
  strategy.on_load_change(server, fleet.outstanding[server]);
  fleet.update_capped(server);
  return server;
}

inline void complete(Strategy& strategy, Fleet& fleet, std::uint32_t server) {
  REQUIRE(fleet.outstanding[server] > 0);
  --fleet.outstanding[server];
  strategy.on_load_change(server, fleet.outstanding[server]);
  fleet.update_capped(server);
}

// The user's "source address" as the simulation computes it (SplitMix64 finaliser of the id).
inline std::uint64_t user_key(std::uint64_t user) {
  std::uint64_t state = user;
  return splitmix64(state);
}

inline PickRequest request_for(std::uint64_t user) {
  return {user, user_key(user), 0};
}

// LBSIM_TEST_SCALE (default 1; the sanitizer pass sets 0.1) shortens the heavier runs; their
// tolerances are binomial standard errors of the run length used, so they widen by themselves.
inline double test_scale() {
  const char* text = std::getenv("LBSIM_TEST_SCALE");
  if (text == nullptr) return 1.0;
  const double scale = std::atof(text);
  return scale > 0.0 ? scale : 1.0;
}
inline int scaled(int count) {
  return std::max(1, static_cast<int>(count * test_scale()));
}

// Tolerance for an observed share of `samples` independent draws with probability p: five
// binomial standard errors, sqrt(p (1 - p) / samples). A correct strategy lands outside with
// probability ~6e-7 per check (normal approximation, samples*p >> 10); the seeds are fixed, so
// a pass is reproducible.
inline double five_se(double p, double samples) {
  return 5.0 * std::sqrt(p * (1.0 - p) / samples);
}

}  // namespace lbsim::test
