#include "sim/model/strategies/least_request.hpp"

#include <algorithm>
#include <cmath>
#include <span>

namespace lbsim {

LeastRequestStrategy::LeastRequestStrategy(std::uint32_t choices, double active_request_bias,
                                           std::uint32_t server_count, std::uint64_t seed)
    : choices_(std::max<std::uint32_t>(1, choices)), bias_(active_request_bias), seed_(seed) {
  available_.reserve(server_count);
  scheduler_.reserve(server_count);
}

double LeastRequestStrategy::host_weight(const BackendView& view, std::uint32_t server) const {
  const double weight = view.weight[server];
  const double active_plus_one = static_cast<double>(view.outstanding[server]) + 1.0;
  // Envoy special-cases 1 and 0 (no pow), which also keeps those two exact.
  if (bias_ == 1.0) return weight / active_plus_one;
  if (bias_ == 0.0) return weight;
  return weight / std::pow(active_plus_one, bias_);
}

void LeastRequestStrategy::on_fleet_change(const BackendView& view) {
  rebuild(view);
}

void LeastRequestStrategy::rebuild(const BackendView& view) {
  built_ = true;
  available_.clear();
  const auto n = static_cast<std::uint32_t>(view.available.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    if (view.available[i] != 0) available_.push_back(i);
  }
  equal_weights_ = std::all_of(available_.begin(), available_.end(), [&](std::uint32_t s) {
    return view.weight[s] == view.weight[available_.front()];
  });
  if (equal_weights_) {
    scheduler_.clear();
    return;
  }
  scheduler_.build(
      std::span<const std::uint32_t>(available_),
      [&](std::uint32_t s) { return host_weight(view, s); }, static_cast<std::uint32_t>(seed_));
}

std::uint32_t LeastRequestStrategy::pick_once(const BackendView& view, Rng& rng) {
  if (available_.empty()) return kNoServer;
  if (!equal_weights_) {
    return scheduler_.pick_and_add([&](std::uint32_t s) { return host_weight(view, s); });
  }
  const std::uint64_t n = available_.size();
  std::uint32_t candidate = available_[rng.below(n)];
  for (std::uint32_t draw = 1; draw < choices_; ++draw) {
    const std::uint32_t sampled = available_[rng.below(n)];
    if (view.outstanding[sampled] < view.outstanding[candidate]) candidate = sampled;
  }
  return candidate;
}

std::uint32_t LeastRequestStrategy::pick(const BackendView& view, const PickRequest& /*request*/,
                                         Rng& rng) {
  if (view.available_count == 0) return kNoServer;
  if (!built_) rebuild(view);
  const std::uint32_t server = pick_once(view, rng);
  if (server != kNoServer && server < view.available.size() && view.available[server] != 0) {
    return server;
  }
  // Only reached if availability changed without on_fleet_change (a model bug): resync.
  rebuild(view);
  return pick_once(view, rng);
}

StrategyInfo least_request_info() {
  OptionSpec choices;
  choices.name = "choices";
  choices.type = OptionType::kInteger;
  choices.default_value = 2.0;
  choices.min = 1;
  choices.max = 1 << 20;
  choices.help =
      "servers drawn (with replacement) per pick when weights are equal; the one with "
      "the fewest outstanding requests wins, ties keep the first (Envoy choice_count)";
  OptionSpec bias;
  bias.name = "active_request_bias";
  bias.type = OptionType::kReal;
  bias.default_value = 1.0;
  bias.min = 0.0;
  bias.help = "unequal weights: EDF on weight / (outstanding + 1)^bias; 0 = weighted round robin";
  return {
      .name = "least_request",
      .summary =
          "Envoy least request: power of d choices among equal weights, EDF on "
          "weight/(outstanding+1)^bias otherwise",
      .options = {choices, bias},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        Rng seed_rng(context.seed, 0, StreamPurpose::kBalancer, 0x4c52'0000ULL + context.instance);
        return std::make_unique<LeastRequestStrategy>(
            static_cast<std::uint32_t>(option_number(context.options, "choices")),
            option_number(context.options, "active_request_bias"), context.server_count,
            seed_rng.next());
      },
  };
}

}  // namespace lbsim
