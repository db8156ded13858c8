#include "sim/model/strategies/peak_ewma.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/model/strategies/view_util.hpp"

namespace lbsim {

namespace {
// Redraws before the exact O(n) fallback: all 8 miss with probability (1 - f)^8 when a share f of
// the candidates is available.
constexpr int kRedraws = 8;

// The k-th server (0-based, fleet order) with view.available == 1 other than `except`.
std::uint32_t nth_available_except(const BackendView& view, std::uint64_t k, std::uint32_t except) {
  const auto n = static_cast<std::uint32_t>(view.available.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    if (view.available[i] == 0 || i == except) continue;
    if (k == 0) return i;
    --k;
  }
  return kNoServer;
}
}  // namespace

PeakEwmaStrategy::PeakEwmaStrategy(std::uint32_t server_count, double default_rtt_ns,
                                   double decay_ns, Unmeasured unmeasured)
    : default_rtt_ns_(unmeasured == Unmeasured::kFinagle ? 0.0 : default_rtt_ns),
      decay_ns_(decay_ns),
      unmeasured_(unmeasured) {
  resize(server_count);
}

void PeakEwmaStrategy::resize(std::size_t server_count) {
  estimate_ns_.resize(server_count, default_rtt_ns_);
  updated_at_.resize(server_count, 0);
  measured_.resize(server_count, 0);
  member_.resize(server_count, 0);
  candidates_.reserve(server_count);
}

void PeakEwmaStrategy::on_fleet_change(const BackendView& view) {
  const std::size_t n = view.available.size();
  if (estimate_ns_.size() < n) resize(n);
  candidates_.clear();
  for (std::size_t i = 0; i < n; ++i) {
    // Servers the model hides for being at their max_connections come back without a fleet
    // change: keep them as candidates and check availability at pick time.
    const auto server = static_cast<std::uint32_t>(i);
    const bool member = is_member(view, server);
    if (member && member_[i] == 0 && measured_[i] == 0 && unmeasured_ == Unmeasured::kLinkerd) {
      estimate_ns_[i] = default_rtt_ns_;  // (re)joined unmeasured: a fresh default from now
      updated_at_[i] = latest_now_;
    }
    member_[i] = member ? 1 : 0;
    if (member) candidates_.push_back(server);
  }
}

void PeakEwmaStrategy::observe(std::uint32_t server, double rtt_ns, SimTime now) {
  latest_now_ = std::max(latest_now_, now);
  double& estimate = estimate_ns_[server];
  if (estimate < rtt_ns) {
    estimate = rtt_ns;
  } else {
    const double elapsed_ns = static_cast<double>(std::max<SimTime>(now - updated_at_[server], 0));
    const double w = std::exp(-elapsed_ns / decay_ns_);
    estimate = estimate * w + rtt_ns * (1.0 - w);
  }
  updated_at_[server] = std::max(updated_at_[server], now);
}

double PeakEwmaStrategy::cost(std::uint32_t server, std::uint32_t outstanding, SimTime now) {
  observe(server, 0.0, now);
  const double estimate = estimate_ns_[server];
  if (unmeasured_ == Unmeasured::kFinagle && estimate == 0.0 && outstanding != 0) {
    return kFinaglePenaltyNs + static_cast<double>(outstanding);
  }
  return estimate * (static_cast<double>(outstanding) + 1.0);
}

void PeakEwmaStrategy::on_response(std::uint32_t server, SimTime rtt, SimTime now) {
  if (server >= estimate_ns_.size()) resize(server + std::size_t{1});
  observe(server, static_cast<double>(rtt), now);
  measured_[server] = 1;
}

std::uint32_t PeakEwmaStrategy::pick(const BackendView& view, const PickRequest& request,
                                     Rng& rng) {
  if (view.available_count == 0) return kNoServer;
  // Two distinct endpoints, uniform among those the view shows available, as linkerd's
  // gen_pair over its ready set: the second draw skips the first's slot. Draws landing on a
  // candidate the view hides are redrawn; after kRedraws misses an O(n) scan draws exactly.
  const std::size_t m = candidates_.size();
  std::size_t first_slot = m;
  for (int attempt = 0; attempt < kRedraws && m > 0; ++attempt) {
    const std::size_t slot = rng.below(m);
    if (view.available[candidates_[slot]] != 0) {
      first_slot = slot;
      break;
    }
  }
  const std::uint32_t first =
      first_slot < m ? candidates_[first_slot]
                     : nth_available_except(view, rng.below(view.available_count), kNoServer);
  if (view.available_count == 1) return first;
  std::uint32_t second = kNoServer;
  for (int attempt = 0; attempt < kRedraws && first_slot < m && m > 1; ++attempt) {
    std::size_t slot = rng.below(m - 1);
    if (slot >= first_slot) ++slot;
    if (view.available[candidates_[slot]] != 0) {
      second = candidates_[slot];
      break;
    }
  }
  if (second == kNoServer) {
    second = nth_available_except(view, rng.below(view.available_count - 1), first);
  }
  const double first_cost = cost(first, view.outstanding[first], request.now);
  const double second_cost = cost(second, view.outstanding[second], request.now);
  return first_cost <= second_cost ? first : second;  // linkerd: a tie keeps the first
}

namespace {

std::string options_error(const StrategyOptions& options) {
  if (option_choice(options, "unmeasured") == "finagle" && option_given(options, "default_rtt")) {
    return "peak_ewma: default_rtt has no meaning with unmeasured: finagle (Finagle starts an "
           "unmeasured server at 0 and penalises it while requests are pending)";
  }
  return {};
}

}  // namespace

StrategyInfo peak_ewma_info() {
  return {
      .name = "peak_ewma",
      .summary =
          "power of two distinct choices on peak-EWMA RTT x (outstanding + 1) "
          "(linkerd2-proxy, or Finagle with unmeasured: finagle)",
      .options =
          {
              {.name = "decay",
               .type = OptionType::kDuration,
               .default_value = 10.0,
               .min = 1e-6,
               .max = 1e6,
               .choices = {},
               .help = "time constant of the RTT estimate's exponential decay (Finagle and "
                       "linkerd: 10s)"},
              {.name = "default_rtt",
               .type = OptionType::kDuration,
               .default_value = 0.030,
               .min = 1e-9,
               .max = 1e6,
               .choices = {},
               .help = "RTT assumed for a server never measured (linkerd: 30ms); not with "
                       "unmeasured: finagle",
               .optional = true},
              {.name = "unmeasured",
               .type = OptionType::kChoice,
               .default_value = std::string("linkerd"),
               .min = 0,
               .max = 0,
               .choices = {"linkerd", "finagle"},
               .help = "a server never measured: linkerd starts it at default_rtt (decaying); "
                       "finagle at 0, and Penalty (2^47 - 1 ns) + pending while it has requests "
                       "pending"},
          },
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        if (const std::string error = options_error(context.options); !error.empty()) {
          throw std::invalid_argument(error);
        }
        const double default_rtt_s = option_given(context.options, "default_rtt")
                                         ? option_number(context.options, "default_rtt")
                                         : 0.030;
        return std::make_unique<PeakEwmaStrategy>(
            context.server_count, default_rtt_s * 1e9,
            option_number(context.options, "decay") * 1e9,
            option_choice(context.options, "unmeasured") == "finagle"
                ? PeakEwmaStrategy::Unmeasured::kFinagle
                : PeakEwmaStrategy::Unmeasured::kLinkerd);
      },
      .load_aware = true,
      .check_options = options_error,
  };
}

}  // namespace lbsim
