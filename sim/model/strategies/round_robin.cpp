#include "sim/model/strategies/round_robin.hpp"

namespace lbsim {

std::uint32_t RoundRobinStrategy::pick(const BackendView& view, const PickRequest& /*request*/,
                                       Rng& /*rng*/) {
  if (view.available_count == 0 || view.available.empty()) return kNoServer;
  if (!hosts_.matches(view)) hosts_.rebuild(view);  // before the first on_fleet_change
  for (int pass = 0; pass < 2; ++pass) {
    const std::vector<std::uint32_t>& hosts = hosts_.members();
    for (std::size_t step = 0; step < hosts.size(); ++step) {
      const std::uint32_t server = hosts[next_++ % hosts.size()];
      if (view.available[server] != 0) return server;
    }
    // Nothing on the list is available although the count says otherwise: the model changed
    // membership without on_fleet_change. Resynchronise once.
    hosts_.rebuild(view);
  }
  return nth_available(view, 0);
}

StrategyInfo round_robin_info() {
  return {
      .name = "round_robin",
      .summary =
          "each instance cycles through the available servers from a random start "
          "(Envoy equal-weight round robin); weights are ignored",
      .options = {},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        // The start position comes from the instance's own stream so instances differ, as each
        // Envoy worker's LB draws its own seed.
        Rng start_rng(context.seed, 0, StreamPurpose::kBalancer, 0x5254'0000ULL + context.instance);
        return std::make_unique<RoundRobinStrategy>(start_rng.below(context.server_count),
                                                    context.server_count);
      },
  };
}

}  // namespace lbsim
