#pragma once
// HAProxy `balance first` (doc/configuration.txt; src/lb_fas.c, "first available server"): the
// lowest-index available server whose outstanding count is below its connection cap
// (max_connections; 0 = unlimited, so an uncapped server always takes the request). It fills
// servers one after another, so the rest can be powered down; weights are ignored. When every
// available server is at its cap, HAProxy queues in the backend; we return the lowest-index
// available server and the model queues at the balancer.
//
// Cost: O(index of the server chosen), O(n) when the fleet is nearly full.
#include <cstdint>

#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo first_info();

class FirstStrategy final : public Strategy {
 public:
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
};

}  // namespace lbsim
