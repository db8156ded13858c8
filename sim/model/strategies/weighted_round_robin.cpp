#include "sim/model/strategies/weighted_round_robin.hpp"

#include <algorithm>
#include <span>

#include "sim/model/strategies/view_util.hpp"

namespace lbsim {

void SmoothWeightedRoundRobin::resize(std::size_t server_count) {
  if (current_.size() < server_count) {
    current_.resize(server_count, 0.0);
    deficit_.resize(server_count, 0.0);
  }
}

std::uint32_t SmoothWeightedRoundRobin::pick(const BackendView& view) {
  if (view.available_count == 0) return kNoServer;
  const auto n = static_cast<std::uint32_t>(view.available.size());
  if (current_.size() < n) resize(n);  // only if servers were added without on_fleet_change
  std::uint32_t best = kNoServer;
  double total = 0.0;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (view.available[i] == 0) continue;
    const double effective = std::max(0.0, view.weight[i] - deficit_[i]);
    current_[i] += effective;
    total += effective;
    // nginx: `if (ew < w) ew++` after use, so a failed server ramps back one unit per round.
    if (deficit_[i] > 0.0) deficit_[i] = std::max(0.0, deficit_[i] - 1.0);
    if (best == kNoServer || current_[i] > current_[best]) best = i;
  }
  current_[best] -= total;
  return best;
}

void SmoothWeightedRoundRobin::lower_effective_weight(std::uint32_t server, double amount) {
  if (server >= deficit_.size() || amount <= 0.0) return;
  deficit_[server] += amount;
}

WeightedRoundRobinStrategy::WeightedRoundRobinStrategy(WeightedRoundRobinMode mode,
                                                       std::uint32_t server_count,
                                                       std::uint64_t seed)
    : mode_(mode), seed_(seed), rr_index_(seed) {
  smooth_.resize(server_count);
  available_.reserve(server_count);
  scheduler_.reserve(server_count);
}

void WeightedRoundRobinStrategy::lower_effective_weight(std::uint32_t server, double amount) {
  if (mode_ == WeightedRoundRobinMode::kSmooth) smooth_.lower_effective_weight(server, amount);
}

void WeightedRoundRobinStrategy::on_fleet_change(const BackendView& view) {
  smooth_.resize(view.available.size());
  if (mode_ == WeightedRoundRobinMode::kEdf) rebuild_edf(view);
}

void WeightedRoundRobinStrategy::rebuild_edf(const BackendView& view) {
  built_ = true;
  weights_version_ = view.weights_version;
  ++rebuild_count_;
  equal_weights_ = collect_members(view, available_);
  if (equal_weights_) {
    scheduler_.clear();
    return;
  }
  scheduler_.build(
      std::span<const std::uint32_t>(available_), [&](std::uint32_t s) { return view.weight[s]; },
      static_cast<std::uint32_t>(seed_));
}

std::uint32_t WeightedRoundRobinStrategy::pick_edf(const BackendView& view) {
  if (!built_ || view.weights_version != weights_version_) rebuild_edf(view);
  // A server hidden at its cap loses its turn; at most one lap of the host list.
  for (std::size_t turn = 0; turn < available_.size(); ++turn) {
    const std::uint32_t server =
        equal_weights_ ? available_[rr_index_++ % available_.size()]
                       : scheduler_.pick_and_add([&](std::uint32_t s) { return view.weight[s]; });
    if (view.available[server] != 0) return server;
  }
  return kNoServer;
}

std::uint32_t WeightedRoundRobinStrategy::pick(const BackendView& view,
                                               const PickRequest& /*request*/, Rng& /*rng*/) {
  if (view.available_count == 0) return kNoServer;
  switch (mode_) {
    case WeightedRoundRobinMode::kSmooth:
      return smooth_.pick(view);
    case WeightedRoundRobinMode::kEdf: {
      const std::uint32_t server = pick_edf(view);
      if (server != kNoServer) return server;
      // Only if the model showed a server available without on_fleet_change: resync.
      rebuild_edf(view);
      return pick_edf(view);
    }
  }
  return kNoServer;
}

StrategyInfo weighted_round_robin_info() {
  OptionSpec mode;
  mode.name = "mode";
  mode.type = OptionType::kChoice;
  mode.default_value = std::string("smooth");
  mode.choices = {"smooth", "edf"};
  mode.help =
      "smooth: nginx smooth weighted round robin (weights read at every pick); "
      "edf: Envoy's earliest-deadline-first schedule with a random start per instance "
      "(rebuilt on weight changes)";
  return {
      .name = "weighted_round_robin",
      .summary =
          "weighted round robin: nginx smooth WRR (mode: smooth, default) or Envoy's EDF "
          "schedule (mode: edf)",
      .options = {mode},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        const WeightedRoundRobinMode m = option_choice(context.options, "mode") == "edf"
                                             ? WeightedRoundRobinMode::kEdf
                                             : WeightedRoundRobinMode::kSmooth;
        // Envoy draws one random seed per LB instance (EdfLoadBalancerBase::seed_).
        Rng seed_rng(context.seed, 0, StreamPurpose::kBalancer, 0x5757'0000ULL + context.instance);
        return std::make_unique<WeightedRoundRobinStrategy>(m, context.server_count,
                                                            seed_rng.next());
      },
      .weighted = true,
  };
}

}  // namespace lbsim
