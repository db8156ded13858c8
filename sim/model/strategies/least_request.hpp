#pragma once
// Envoy's least request balancer (envoyproxy/envoy source/extensions/load_balancing_policies/
// least_request/least_request_lb.cc, on EdfLoadBalancerBase in common/load_balancer_impl.cc).
//
// Equal weights (among the healthy servers of the last rebuild): power of d choices
// (Mitzenmacher, "The Power of Two Choices in Randomized Load Balancing", 2001). Draw `choices`
// servers uniformly *with replacement*; a later draw replaces the candidate only if it has
// strictly fewer outstanding requests, so ties keep the first draw. choices >= n is still random
// draws, not a scan: with loads (0, 5) and d = 2 the busy server is picked with probability 1/4.
//
// Unequal weights: the EDF schedule (EdfScheduler) on weight / (outstanding + 1)^bias, each
// server's value computed when it is (re)queued, i.e. when it was last picked, not at the current
// pick; that is why this mode never fully drains a busy server (Envoy's own caveat). bias 0 is
// plain weighted round robin; bias 1 (the default) divides by outstanding + 1. The schedule is
// rebuilt in on_fleet_change and whenever view.weights_version changes (a weight change is a host
// update in Envoy, which rebuilds), with a per-instance random number of emulated pre-picks
// (Envoy's seed_).
//
// The host list holds the healthy servers: shown available at the rebuild, or hidden only for
// being at this instance's max_connections. Availability is checked at pick time: a draw on a
// hidden server is redrawn (after 8 misses an exact O(n) draw among the available takes over);
// in EDF mode a hidden server's turn is skipped.
//
// An explicitly configured active_request_bias (any value, 1.0 included) takes the EDF path even
// when all weights are equal, as current Envoy does (least_request_lb.cc: the P2C path is used only
// when the hosts' weights are equal *and* no bias is configured); the option is optional, and the
// default (unset) keeps P2C among equal weights with a bias of 1.0 for unequal ones.
#include <cstdint>
#include <vector>

#include "sim/model/strategies/edf_scheduler.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo least_request_info();

class LeastRequestStrategy final : public Strategy {
 public:
  // choices >= 1; active_request_bias >= 0; `seed` = Envoy's per-LB random seed (EDF pre-picks);
  // bias_configured: the bias was set explicitly (EDF even with equal weights).
  LeastRequestStrategy(std::uint32_t choices, double active_request_bias,
                       std::uint32_t server_count, std::uint64_t seed,
                       bool bias_configured = false);
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override;

  // True when the last rebuild found unequal weights (EDF mode).
  [[nodiscard]] bool weighted() const { return !equal_weights_; }
  // How many times the host list was rebuilt (diagnostics; tests check picks do not rebuild).
  [[nodiscard]] std::uint64_t rebuild_count() const { return rebuild_count_; }

 private:
  [[nodiscard]] double host_weight(const BackendView& view, std::uint32_t server) const;
  void rebuild(const BackendView& view);
  std::uint32_t pick_once(const BackendView& view, Rng& rng);
  // Uniform among the listed servers the view shows available now; kNoServer if none is.
  std::uint32_t draw_available(const BackendView& view, Rng& rng) const;

  std::uint32_t choices_;
  double bias_;
  std::uint64_t seed_;
  std::vector<std::uint32_t> available_;  // healthy hosts of the last rebuild, fleet order
  std::uint64_t weights_version_ = 0;     // view.weights_version at the last rebuild
  std::uint64_t rebuild_count_ = 0;
  bool bias_configured_;
  bool equal_weights_ = true;
  bool built_ = false;
  EdfScheduler scheduler_;
};

}  // namespace lbsim
