#include "sim/model/strategies/first.hpp"

#include "sim/model/strategies/view_util.hpp"

namespace lbsim {

std::uint32_t FirstStrategy::pick(const BackendView& view, const PickRequest& /*request*/,
                                  Rng& /*rng*/) {
  if (view.available_count == 0) return kNoServer;
  const auto n = static_cast<std::uint32_t>(view.available.size());
  std::uint32_t lowest_available = kNoServer;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (view.available[i] == 0) continue;
    if (lowest_available == kNoServer) lowest_available = i;
    if (!at_own_cap(view, i)) return i;
  }
  return lowest_available;
}

StrategyInfo first_info() {
  return {
      .name = "first",
      .summary =
          "the lowest-index available server below its max_connections, else the "
          "lowest-index available one (HAProxy `balance first`); weights ignored",
      .options = {},
      .make = [](const StrategyContext& /*context*/) -> std::unique_ptr<Strategy> {
        return std::make_unique<FirstStrategy>();
      },
  };
}

}  // namespace lbsim
