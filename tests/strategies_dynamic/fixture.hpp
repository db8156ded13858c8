#pragma once
// A fleet as one balancer instance sees it, and helpers that drive a strategy the way the model
// does: pick, then count the dispatch and report it through on_load_change; complete a request,
// uncount it and report again.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim::test {

struct Fleet {
  explicit Fleet(std::size_t n)
      : outstanding(n, 0), weight(n, 1.0), max_connections(n, 0), available(n, 1) {}

  [[nodiscard]] BackendView view() const {
    std::uint32_t count = 0;
    for (const std::uint8_t a : available) count += a;
    return {outstanding, weight, max_connections, available, count, weights_version};
  }
  [[nodiscard]] std::size_t size() const { return outstanding.size(); }

  std::vector<std::uint32_t> outstanding;
  std::vector<double> weight;
  std::vector<std::uint32_t> max_connections;
  std::vector<std::uint8_t> available;
  std::uint64_t weights_version = 0;
  // As the model does when any server has max_connections: a server at its cap is shown
  // unavailable, and shown again when it drops below, without on_fleet_change.
  bool hide_capped = false;

  void update_capped(std::uint32_t server) {
    if (!hide_capped || max_connections[server] == 0) return;
    available[server] = outstanding[server] < max_connections[server] ? 1 : 0;
  }
};

// The options a scenario would get: every declared default, then `overrides`.
inline StrategyOptions options_for(std::string_view name, const StrategyOptions& overrides = {}) {
  const StrategyInfo* info = find_strategy(name);
  REQUIRE(info != nullptr);
  StrategyOptions options;
  for (const OptionSpec& spec : info->options) options[spec.name] = spec.default_value;
  for (const auto& [key, value] : overrides) {
    REQUIRE(options.count(key) == 1);  // only declared options
    options[key] = value;
  }
  return options;
}

// Built through the registry as the model does, and told the fleet once (on_fleet_change).
inline std::unique_ptr<Strategy> make_strategy(std::string_view name, const Fleet& fleet,
                                               const StrategyOptions& overrides = {},
                                               std::uint32_t instance = 0,
                                               std::uint64_t seed = 42) {
  const StrategyInfo* info = find_strategy(name);
  REQUIRE(info != nullptr);
  const StrategyOptions options = options_for(name, overrides);
  std::vector<std::string> names;
  for (std::size_t i = 0; i < fleet.size(); ++i) names.push_back("web-" + std::to_string(i));
  const StrategyContext context{
      options, static_cast<std::uint32_t>(fleet.size()), instance, seed, 1000, names};
  std::unique_ptr<Strategy> strategy = info->make(context);
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

// Tolerance for an observed share of `picks` independent draws with probability p: five
// binomial standard errors, sqrt(p (1 - p) / picks). A correct strategy lands outside with
// probability ~6e-7 per check (normal approximation, picks*p >> 10); the seeds are fixed, so a
// pass is reproducible.
inline double share_tolerance(double p, double picks) {
  return 5.0 * std::sqrt(p * (1.0 - p) / picks);
}

}  // namespace lbsim::test
