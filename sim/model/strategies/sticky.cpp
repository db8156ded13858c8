#include "sim/model/strategies/sticky.hpp"

#include <algorithm>

#include "sim/model/strategies/random.hpp"

namespace lbsim {

StickyStrategy::StickyStrategy(StickyFallback fallback, std::uint64_t user_population,
                               std::uint64_t start)
    : fallback_(fallback), assignment_(user_population, kNoServer), next_(start) {}

std::uint32_t StickyStrategy::choose(const BackendView& view, Rng& rng) {
  const auto n = static_cast<std::uint32_t>(view.available.size());
  switch (fallback_) {
    case StickyFallback::kRoundRobin:
      for (;;) {
        const auto server = static_cast<std::uint32_t>(next_++ % n);
        if (view.available[server] != 0) return server;
      }
    case StickyFallback::kRandom:
      if (view.available_count == n) return static_cast<std::uint32_t>(rng.below(n));
      return nth_available(view, rng.below(view.available_count));
  }
  return kNoServer;
}

std::uint32_t StickyStrategy::pick(const BackendView& view, const PickRequest& request, Rng& rng) {
  if (view.available_count == 0 || view.available.empty()) return kNoServer;
  if (request.user >= assignment_.size()) return choose(view, rng);
  std::uint32_t& server = assignment_[request.user];
  if (server < view.available.size() && view.available[server] != 0) return server;
  server = choose(view, rng);
  return server;
}

StrategyInfo sticky_info() {
  OptionSpec fallback;
  fallback.name = "fallback";
  fallback.type = OptionType::kChoice;
  fallback.default_value = std::string("round_robin");
  fallback.choices = {"round_robin", "random"};
  fallback.help = "how a user without a cookie, or whose server is unavailable, is assigned";
  return {
      .name = "sticky",
      .summary =
          "cookie affinity: a user stays on its first server until that server is "
          "unavailable, then is reassigned (fallback: round_robin or random)",
      .options = {fallback},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        const StickyFallback f = option_choice(context.options, "fallback") == "random"
                                     ? StickyFallback::kRandom
                                     : StickyFallback::kRoundRobin;
        Rng start_rng(context.seed, 0, StreamPurpose::kBalancer, 0x5354'0000ULL + context.instance);
        return std::make_unique<StickyStrategy>(
            f, context.user_population, start_rng.below(std::max(1U, context.server_count)));
      },
  };
}

}  // namespace lbsim
