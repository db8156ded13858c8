#pragma once
// Weighted round robin, in the two forms real balancers ship (option `mode`):
//
// - `smooth` (default): nginx's smooth weighted round robin (nginx/nginx
//   src/http/ngx_http_upstream_round_robin.c, ngx_http_upstream_get_peer; the 2012 smooth-WRR
//   commit). Each pick adds every eligible server's effective weight to its current weight, takes
//   the largest current weight (strict >, so the earlier server wins ties) and subtracts the total
//   from the winner. Weights 5,1,1 give a a b a c a a: the heavy server's picks are spread out, not
//   bunched. Weights are read at each pick, so a weight change applies from the next pick. Every
//   instance starts from zero current weights, as every nginx worker does (no random start), so
//   instances make identical choices until their histories differ.
// - `edf`: Envoy's weighted round robin (source/extensions/load_balancing_policies/common/
//   load_balancer_impl.cc, EdfLoadBalancerBase and round_robin_lb.h). Rebuilt over the healthy
//   servers (shown available, or hidden only for being at this instance's max_connections) at
//   each on_fleet_change and whenever view.weights_version changes: in Envoy a weight change
//   arrives as a host update, which rebuilds the schedule. If the weights are all equal, Envoy
//   skips EDF and takes hosts[rr_index++ % n] with rr_index starting at a per-LB random seed and
//   kept across rebuilds; otherwise it builds the EDF schedule with that same seed as the number
//   of emulated "pre-picks" (EdfScheduler::build), which is Envoy's random start. A server hidden
//   at pick time (at its cap) loses its turn. (A weight that changes without a version bump is
//   used when its server is next re-queued, as EDF re-reads it then.)
//
// nginx's effective weight (lowered by failures, +1 per selection back up to the weight) is kept
// as a per-server deficit below the configured weight: 0 until something calls
// lower_effective_weight() (failure handling is a later step), so today ew == weight.
#include <cstdint>
#include <vector>

#include "sim/model/strategies/edf_scheduler.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo weighted_round_robin_info();

// nginx smooth weighted round robin over the available servers; reusable by strategies that fall
// back to it (source_hash, as nginx's ip_hash falls back to its round-robin peer).
class SmoothWeightedRoundRobin {
 public:
  // Grows the per-server state to `server_count` (new servers start at current weight 0).
  void resize(std::size_t server_count);
  // kNoServer when no server is available. O(n).
  [[nodiscard]] std::uint32_t pick(const BackendView& view);
  // nginx on a failed attempt: effective weight -= weight / max_fails, floored at 0; each later
  // selection round gives +1 back.
  void lower_effective_weight(std::uint32_t server, double amount);
  [[nodiscard]] double current_weight(std::uint32_t server) const { return current_[server]; }

 private:
  std::vector<double> current_;  // nginx peer->current_weight
  std::vector<double> deficit_;  // weight - effective_weight, >= 0
};

enum class WeightedRoundRobinMode { kSmooth, kEdf };

class WeightedRoundRobinStrategy final : public Strategy {
 public:
  // `seed` is Envoy's per-LB random value: the unweighted start index and the EDF pre-pick count
  // (edf mode only).
  WeightedRoundRobinStrategy(WeightedRoundRobinMode mode, std::uint32_t server_count,
                             std::uint64_t seed);
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override;
  // Smooth mode only (nginx failure accounting); no effect in edf mode.
  void lower_effective_weight(std::uint32_t server, double amount);
  // How many times the edf schedule was rebuilt (diagnostics and tests).
  [[nodiscard]] std::uint64_t rebuild_count() const { return rebuild_count_; }

 private:
  std::uint32_t pick_edf(const BackendView& view);
  void rebuild_edf(const BackendView& view);

  WeightedRoundRobinMode mode_;
  SmoothWeightedRoundRobin smooth_;
  // edf mode
  std::uint64_t seed_;
  std::uint64_t rr_index_;                // Envoy rr_indexes_[source], starts at seed_
  std::vector<std::uint32_t> available_;  // the healthy host list of the last rebuild
  std::uint64_t weights_version_ = 0;     // view.weights_version at the last rebuild
  std::uint64_t rebuild_count_ = 0;
  bool equal_weights_ = true;  // true: unweighted pick, no EDF
  bool built_ = false;
  EdfScheduler scheduler_;
};

}  // namespace lbsim
