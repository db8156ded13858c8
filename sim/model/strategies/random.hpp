#pragma once
// Uniform random choice among the available servers (Envoy RANDOM; HAProxy `random(1)`).
// Weights are ignored (use weighted_random).
#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo random_info();

class RandomStrategy final : public Strategy {
 public:
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
};

// The k-th (0-based) available server; k < view.available_count. O(n); used only when some
// servers are unavailable.
[[nodiscard]] std::uint32_t nth_available(const BackendView& view, std::uint64_t k);

}  // namespace lbsim
