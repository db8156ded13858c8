#include "sim/model/strategies/random.hpp"

namespace lbsim {

std::uint32_t nth_available(const BackendView& view, std::uint64_t k) {
  const auto n = static_cast<std::uint32_t>(view.available.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    if (view.available[i] != 0) {
      if (k == 0) return i;
      --k;
    }
  }
  return kNoServer;
}

std::uint32_t RandomStrategy::pick(const BackendView& view, const PickRequest& /*request*/,
                                   Rng& rng) {
  const auto n = static_cast<std::uint32_t>(view.available.size());
  if (view.available_count == 0) return kNoServer;
  if (view.available_count == n) return static_cast<std::uint32_t>(rng.below(n));
  return nth_available(view, rng.below(view.available_count));
}

StrategyInfo random_info() {
  return {
      .name = "random",
      .summary = "uniform random choice among available servers (Envoy RANDOM); weights ignored",
      .options = {},
      .make = [](const StrategyContext& /*context*/) -> std::unique_ptr<Strategy> {
        return std::make_unique<RandomStrategy>();
      },
  };
}

}  // namespace lbsim
