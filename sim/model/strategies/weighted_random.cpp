#include "sim/model/strategies/weighted_random.hpp"

#include <algorithm>

#include "sim/model/strategies/view_util.hpp"

namespace lbsim {

namespace {
// nginx gives up after 20; 8 failures in a row happen with probability (1 - f)^8 when a share f
// of the listed weight is eligible: 0.4% at f = 1/2.
constexpr int kRedraws = 8;
}  // namespace

void WeightedRandomStrategy::rebuild(const BackendView& view) {
  const std::size_t n = view.available.size();
  servers_.clear();
  cumulative_weight_.clear();
  servers_.reserve(n);
  cumulative_weight_.reserve(n);
  double total = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!is_member(view, static_cast<std::uint32_t>(i))) continue;
    total += view.weight[i];
    servers_.push_back(static_cast<std::uint32_t>(i));
    cumulative_weight_.push_back(total);
  }
  weights_version_ = view.weights_version;
  built_ = true;
}

void WeightedRandomStrategy::on_fleet_change(const BackendView& view) {
  rebuild(view);
}

std::uint32_t WeightedRandomStrategy::scan_pick(const BackendView& view, Rng& rng) {
  const auto n = static_cast<std::uint32_t>(view.available.size());
  double total = 0.0;
  for (std::uint32_t i = 0; i < n; ++i) total += view.available[i] != 0 ? view.weight[i] : 0.0;
  const double point = rng.uniform01() * total;
  double below = 0.0;
  std::uint32_t last = kNoServer;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (view.available[i] == 0) continue;
    below += view.weight[i];
    last = i;
    if (point < below) return i;
  }
  return last;  // point rounded up to the total
}

std::uint32_t WeightedRandomStrategy::pick(const BackendView& view, const PickRequest& /*request*/,
                                           Rng& rng) {
  if (view.available_count == 0) return kNoServer;
  if (!built_ || view.weights_version != weights_version_) rebuild(view);
  if (!servers_.empty()) {
    for (int attempt = 0; attempt < kRedraws; ++attempt) {
      const double point = rng.uniform01() * cumulative_weight_.back();
      // The first range whose upper end exceeds the point; a zero-width range is never chosen.
      auto it = std::upper_bound(cumulative_weight_.begin(), cumulative_weight_.end(), point);
      if (it == cumulative_weight_.end()) --it;  // point rounded up to the total
      const std::uint32_t server =
          servers_[static_cast<std::size_t>(it - cumulative_weight_.begin())];
      if (view.available[server] != 0) return server;
    }
  }
  return scan_pick(view, rng);
}

StrategyInfo weighted_random_info() {
  return {
      .name = "weighted_random",
      .summary =
          "random choice with probability proportional to weight among available servers "
          "(nginx `random` without `two`)",
      .options = {},
      .make = [](const StrategyContext& /*context*/) -> std::unique_ptr<Strategy> {
        return std::make_unique<WeightedRandomStrategy>();
      },
      .weighted = true,
  };
}

}  // namespace lbsim
