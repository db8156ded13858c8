#include "sim/model/strategies/round_robin.hpp"

namespace lbsim {

std::uint32_t RoundRobinStrategy::pick(const BackendView& view, const PickRequest& /*request*/,
                                       Rng& /*rng*/) {
  const auto n = static_cast<std::uint64_t>(view.available.size());
  if (view.available_count == 0 || n == 0) return kNoServer;
  for (;;) {
    const auto server = static_cast<std::uint32_t>(next_++ % n);
    if (view.available[server] != 0) return server;
  }
}

StrategyInfo round_robin_info() {
  return {
      .name = "round_robin",
      .summary = "each instance cycles through the available servers from a random start "
                 "(Envoy equal-weight round robin); weights are ignored",
      .options = {},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        // The start position comes from the instance's own stream so instances differ, as each
        // Envoy worker's LB draws its own seed.
        Rng start_rng(context.seed, 0, StreamPurpose::kBalancer, 0x5254'0000ULL + context.instance);
        return std::make_unique<RoundRobinStrategy>(start_rng.below(context.server_count));
      },
  };
}

}  // namespace lbsim
