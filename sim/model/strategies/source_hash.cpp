#include "sim/model/strategies/source_hash.hpp"

#include <algorithm>
#include <cmath>

namespace lbsim {

SourceHashStrategy::SourceHashStrategy(std::uint32_t fallback_tries, std::uint32_t server_count)
    : fallback_tries_(fallback_tries) {
  cumulative_weight_.reserve(server_count);
  fallback_.resize(server_count);
}

void SourceHashStrategy::rebuild(const BackendView& view) {
  built_ = true;
  const std::size_t n = view.weight.size();
  fallback_.resize(n);
  const bool integral = std::all_of(view.weight.begin(), view.weight.end(),
                                    [](double w) { return w >= 1.0 && w == std::floor(w); });
  const double scale = integral ? 1.0 : 65536.0;
  cumulative_weight_.clear();
  std::uint64_t sum = 0;
  for (const double w : view.weight) {
    sum += static_cast<std::uint64_t>(std::max(1.0, std::round(w * scale)));
    cumulative_weight_.push_back(sum);
  }
  total_weight_ = sum;
}

std::uint32_t SourceHashStrategy::map(std::uint64_t hash) const {
  if (total_weight_ == 0) return kNoServer;
  const std::uint64_t point = hash % total_weight_;
  // nginx walks the peers subtracting weights; the first running sum above the point is the same.
  const auto it = std::upper_bound(cumulative_weight_.begin(), cumulative_weight_.end(), point);
  return static_cast<std::uint32_t>(it - cumulative_weight_.begin());
}

std::uint64_t SourceHashStrategy::rehash(std::uint64_t previous, std::uint32_t attempt) {
  std::uint64_t state = previous + attempt;  // the attempt number is the new salt
  return splitmix64(state);
}

void SourceHashStrategy::on_fleet_change(const BackendView& view) {
  // Availability changes keep the map (that is the point of map-based hashing); only a change in
  // the number of configured servers rebuilds it.
  if (!built_ || cumulative_weight_.size() != view.weight.size()) rebuild(view);
}

std::uint32_t SourceHashStrategy::pick(const BackendView& view, const PickRequest& request,
                                       Rng& /*rng*/) {
  if (view.available_count == 0) return kNoServer;
  if (!built_ || cumulative_weight_.size() != view.weight.size()) rebuild(view);
  std::uint64_t hash = request.hash_key;
  for (std::uint32_t attempt = 0;; ++attempt) {
    const std::uint32_t server = map(hash);
    if (server < view.available.size() && view.available[server] != 0) return server;
    if (attempt >= fallback_tries_) break;
    hash = rehash(hash, attempt + 1);
  }
  return fallback_.pick(view);
}

StrategyInfo source_hash_info() {
  OptionSpec tries;
  tries.name = "fallback_tries";
  tries.type = OptionType::kInteger;
  tries.default_value = 20.0;
  tries.min = 0;
  tries.max = 1000;
  tries.help =
      "rehashes tried when a user's server is unavailable before falling back to "
      "weighted round robin (nginx: 20)";
  return {
      .name = "source_hash",
      .summary =
          "static map-based hash of the user (nginx ip_hash / HAProxy balance source): "
          "user hash modulo the total configured weight, rehash if that server is down",
      .options = {tries},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        return std::make_unique<SourceHashStrategy>(
            static_cast<std::uint32_t>(option_number(context.options, "fallback_tries")),
            context.server_count);
      },
      .weighted = true,
      .static_weights = true,
  };
}

}  // namespace lbsim
