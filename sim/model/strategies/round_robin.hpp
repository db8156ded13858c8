#pragma once
// Round robin, as Envoy's equal-weight path (round_robin_lb.h): each balancer instance keeps its
// own index, starting at a random position drawn from its stream, and takes hosts[idx++ % n],
// skipping hosts that are not available. Weights are ignored (use weighted_round_robin).
// Separate instances are therefore only even on their own (Envoy's per-worker silos).
#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo round_robin_info();

class RoundRobinStrategy final : public Strategy {
 public:
  explicit RoundRobinStrategy(std::uint64_t start) : next_(start) {}
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;

 private:
  std::uint64_t next_;
};

}  // namespace lbsim
