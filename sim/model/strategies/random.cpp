#include "sim/model/strategies/random.hpp"

#include "sim/model/strategies/view_util.hpp"

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

void MemberList::rebuild(const BackendView& view) {
  built_ = true;
  fleet_size_ = view.available.size();
  members_.clear();
  const auto n = static_cast<std::uint32_t>(fleet_size_);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (is_member(view, i)) members_.push_back(i);
  }
}

std::uint32_t MemberList::draw(const BackendView& view, Rng& rng) const {
  if (view.available_count == 0) return kNoServer;
  const std::uint64_t m = members_.size();
  // Every available server is a member, so equal counts mean the list is the available set:
  // one draw, and the same draw nth_available would make.
  if (m == view.available_count) return members_[rng.below(m)];
  // Rejection keeps the draw uniform among the available; all 8 miss with probability (1 - f)^8
  // when a share f of the members is available.
  for (int attempt = 0; attempt < 8 && m > 0; ++attempt) {
    const std::uint32_t server = members_[rng.below(m)];
    if (view.available[server] != 0) return server;
  }
  return nth_available(view, rng.below(view.available_count));
}

std::uint32_t RandomStrategy::pick(const BackendView& view, const PickRequest& /*request*/,
                                   Rng& rng) {
  const auto n = static_cast<std::uint32_t>(view.available.size());
  if (view.available_count == 0) return kNoServer;
  if (view.available_count == n) return static_cast<std::uint32_t>(rng.below(n));
  if (!members_.matches(view)) members_.rebuild(view);  // before the first on_fleet_change
  return members_.draw(view, rng);
}

StrategyInfo random_info() {
  return {
      .name = "random",
      .summary = "uniform random choice among available servers (Envoy RANDOM); weights ignored",
      .options = {},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        return std::make_unique<RandomStrategy>(context.server_count);
      },
  };
}

}  // namespace lbsim
