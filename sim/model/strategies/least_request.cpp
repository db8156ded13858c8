#include "sim/model/strategies/least_request.hpp"

#include <algorithm>
#include <cmath>
#include <span>

#include "sim/model/strategies/random.hpp"
#include "sim/model/strategies/view_util.hpp"

namespace lbsim {

LeastRequestStrategy::LeastRequestStrategy(std::uint32_t choices, double active_request_bias,
                                           std::uint32_t server_count, std::uint64_t seed,
                                           bool bias_configured)
    : choices_(std::max<std::uint32_t>(1, choices)),
      bias_(active_request_bias),
      seed_(seed),
      bias_configured_(bias_configured) {
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
  weights_version_ = view.weights_version;
  ++rebuild_count_;
  // A configured active_request_bias takes the weighted path even with equal weights.
  equal_weights_ = collect_members(view, available_) && !bias_configured_;
  if (equal_weights_) {
    scheduler_.clear();
    return;
  }
  scheduler_.build(
      std::span<const std::uint32_t>(available_),
      [&](std::uint32_t s) { return host_weight(view, s); }, static_cast<std::uint32_t>(seed_));
}

std::uint32_t LeastRequestStrategy::draw_available(const BackendView& view, Rng& rng) const {
  const std::uint64_t n = available_.size();
  // Redraws keep the draw uniform among the available; all 8 miss with probability (1 - f)^8
  // when a share f of the list is available, and the exact O(n) draw takes over.
  for (int attempt = 0; attempt < 8; ++attempt) {
    const std::uint32_t server = available_[rng.below(n)];
    if (view.available[server] != 0) return server;
  }
  return nth_available(view, rng.below(view.available_count));
}

std::uint32_t LeastRequestStrategy::pick_once(const BackendView& view, Rng& rng) {
  if (available_.empty()) return kNoServer;
  if (!equal_weights_) {
    // A server hidden at its cap loses its turn (it is re-queued); at most one lap of the list.
    for (std::size_t turn = 0; turn < available_.size(); ++turn) {
      const std::uint32_t server =
          scheduler_.pick_and_add([&](std::uint32_t s) { return host_weight(view, s); });
      if (view.available[server] != 0) return server;
    }
    return kNoServer;
  }
  std::uint32_t candidate = draw_available(view, rng);
  for (std::uint32_t draw = 1; draw < choices_; ++draw) {
    const std::uint32_t sampled = draw_available(view, rng);
    if (view.outstanding[sampled] < view.outstanding[candidate]) candidate = sampled;
  }
  return candidate;
}

std::uint32_t LeastRequestStrategy::pick(const BackendView& view, const PickRequest& /*request*/,
                                         Rng& rng) {
  if (view.available_count == 0) return kNoServer;
  if (!built_ || view.weights_version != weights_version_) rebuild(view);
  const std::uint32_t server = pick_once(view, rng);
  if (server != kNoServer && server < view.available.size() && view.available[server] != 0) {
    return server;
  }
  // Only reached if the model showed a server available without on_fleet_change (a contract
  // breach): resync.
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
  bias.optional = true;
  bias.help =
      "EDF on weight / (outstanding + 1)^bias; 0 = weighted round robin. Unset: 1.0 with "
      "unequal weights and power of d choices with equal ones; set (even to 1.0): EDF always "
      "(current Envoy)";
  return {
      .name = "least_request",
      .summary =
          "Envoy least request: power of d choices among equal weights, EDF on "
          "weight/(outstanding+1)^bias otherwise or when active_request_bias is set",
      .options = {choices, bias},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        Rng seed_rng(context.seed, 0, StreamPurpose::kBalancer, 0x4c52'0000ULL + context.instance);
        const bool configured = option_given(context.options, "active_request_bias");
        return std::make_unique<LeastRequestStrategy>(
            static_cast<std::uint32_t>(option_number(context.options, "choices")),
            configured ? option_number(context.options, "active_request_bias") : 1.0,
            context.server_count, seed_rng.next(), configured);
      },
      .load_aware = true,
      .weighted = true,
  };
}

}  // namespace lbsim
