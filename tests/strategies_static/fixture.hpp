#pragma once
// Helpers for strategy tests: a fleet of plain vectors the test edits as a model would, a
// BackendView over them, and strategies built through the registry with default options.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim::test {

struct Fleet {
  std::vector<std::uint32_t> outstanding;
  std::vector<double> weight;
  std::vector<std::uint32_t> max_connections;
  std::vector<std::uint8_t> available;
  std::uint64_t weights_version = 0;  // bump after changing `weight`, as the model does

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
};

inline std::vector<std::string> names_for(std::size_t n) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < n; ++i) names.push_back("web-" + std::to_string(i));
  return names;
}

// Builds `name` through the registry with every option at its default, then `overrides`.
inline std::unique_ptr<Strategy> make_strategy(const std::string& name, std::size_t servers,
                                               const StrategyOptions& overrides = {},
                                               std::uint64_t users = 1000,
                                               std::uint32_t instance = 0,
                                               std::uint64_t seed = 42) {
  const StrategyInfo* info = find_strategy(name);
  REQUIRE(info != nullptr);
  StrategyOptions options;
  for (const OptionSpec& spec : info->options) options[spec.name] = spec.default_value;
  for (const auto& [key, value] : overrides) {
    REQUIRE(options.count(key) == 1);  // only declared options
    options[key] = value;
  }
  const std::vector<std::string> names = names_for(servers);
  const StrategyContext context{options, static_cast<std::uint32_t>(servers), instance, seed, users,
                                names};
  return info->make(context);
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

// Five standard errors of a proportion estimated from `samples` draws: a correct strategy fails
// such a check with probability below 1e-6 per comparison.
inline double five_se(double p, double samples) {
  return 5.0 * std::sqrt(p * (1.0 - p) / samples);
}

}  // namespace lbsim::test
