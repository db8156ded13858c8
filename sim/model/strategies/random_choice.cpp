#include "sim/model/strategies/random_choice.hpp"

#include <algorithm>

#include "sim/model/strategies/view_util.hpp"

namespace lbsim {

namespace {

// nginx: "if (++rp->tries > 20) return ngx_http_upstream_get_round_robin_peer(pc, &rp->rrp)".
constexpr int kNginxTries = 20;

// a strictly busier than b per weight: load[a] x weight[b] > load[b] x weight[a].
bool busier(const BackendView& view, std::uint32_t a, std::uint32_t b) {
  return static_cast<double>(view.outstanding[a]) * view.weight[b] >
         static_cast<double>(view.outstanding[b]) * view.weight[a];
}

}  // namespace

void WeightedDraw::rebuild(const BackendView& view, bool members_only) {
  built_ = true;
  weights_version_ = view.weights_version;
  fleet_size_ = view.available.size();
  servers_.clear();
  cumulative_.clear();
  double sum = 0.0;
  for (std::uint32_t s = 0; s < fleet_size_; ++s) {
    if (members_only && !is_member(view, s)) continue;
    sum += view.weight[s];
    servers_.push_back(s);
    cumulative_.push_back(sum);
  }
}

std::uint32_t WeightedDraw::draw(Rng& rng) const {
  if (servers_.empty()) return kNoServer;
  const double x = rng.uniform01() * cumulative_.back();
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), x);
  const auto index = std::min<std::size_t>(static_cast<std::size_t>(it - cumulative_.begin()),
                                           servers_.size() - 1);
  return servers_[index];
}

RandomTwoStrategy::RandomTwoStrategy(std::uint32_t server_count) {
  fallback_.resize(server_count);
}

void RandomTwoStrategy::on_fleet_change(const BackendView& view) {
  draw_.rebuild(view, false);
  fallback_.resize(view.available.size());
}

std::uint32_t RandomTwoStrategy::pick(const BackendView& view, const PickRequest& /*request*/,
                                      Rng& rng) {
  if (view.available_count == 0) return kNoServer;
  if (draw_.stale(view)) on_fleet_change(view);
  if (draw_.size() < 2) return fallback_.pick(view);
  std::uint32_t first = kNoServer;
  for (int tries = 1; tries <= kNginxTries; ++tries) {
    const std::uint32_t server = draw_.draw(rng);
    if (server == first || view.available[server] == 0) continue;
    if (first == kNoServer) {
      first = server;
      continue;
    }
    return busier(view, server, first) ? first : server;
  }
  return fallback_.pick(view);
}

RandomDrawsStrategy::RandomDrawsStrategy(std::uint32_t draws) : draws_(std::max(1u, draws)) {}

void RandomDrawsStrategy::on_fleet_change(const BackendView& view) {
  draw_.rebuild(view, true);
}

std::uint32_t RandomDrawsStrategy::pick(const BackendView& view, const PickRequest& /*request*/,
                                        Rng& rng) {
  if (view.available_count == 0) return kNoServer;
  if (draw_.stale(view)) on_fleet_change(view);
  std::uint32_t candidate = kNoServer;
  std::uint32_t drawn = 0;
  // A draw on a member hidden at pick time (at its cap) is drawn again: HAProxy's tree holds only
  // servers that may take the request. Bounded: then an exact weighted draw among the available
  // (reached only when nearly every member is at its cap).
  for (int attempt = 0; drawn < draws_ && attempt < 64 * static_cast<int>(draws_); ++attempt) {
    const std::uint32_t server = draw_.draw(rng);
    if (server == kNoServer) break;
    if (view.available[server] == 0) continue;
    ++drawn;
    if (candidate == kNoServer || !busier(view, server, candidate)) candidate = server;
  }
  if (candidate != kNoServer) return candidate;
  // An exact weighted draw among the available servers, O(n).
  double total = 0.0;
  for (std::uint32_t s = 0; s < view.available.size(); ++s) {
    if (view.available[s] != 0) total += view.weight[s];
  }
  double x = rng.uniform01() * total;
  std::uint32_t last = kNoServer;
  for (std::uint32_t s = 0; s < view.available.size(); ++s) {
    if (view.available[s] == 0) continue;
    last = s;
    x -= view.weight[s];
    if (x < 0.0) return s;
  }
  return last;
}

StrategyInfo random_two_info() {
  return {
      .name = "random_two",
      .summary =
          "nginx random two least_conn: two distinct weighted draws, the less loaded per weight "
          "(ties to the second)",
      .options = {},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        return std::make_unique<RandomTwoStrategy>(context.server_count);
      },
      .load_aware = true,
      .weighted = true,
  };
}

StrategyInfo random_draws_info() {
  OptionSpec draws;
  draws.name = "draws";
  draws.type = OptionType::kInteger;
  draws.default_value = 2.0;
  draws.min = 1;
  draws.max = 1 << 20;
  draws.help = "weighted draws with replacement per pick (HAProxy random(<draws>), default 2)";
  return {
      .name = "random_draws",
      .summary =
          "HAProxy balance random(N): N weighted draws with replacement, the least loaded per "
          "weight (ties to the later draw)",
      .options = {draws},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        return std::make_unique<RandomDrawsStrategy>(
            static_cast<std::uint32_t>(option_number(context.options, "draws")));
      },
      .load_aware = true,
      .weighted = true,
  };
}

}  // namespace lbsim
