#pragma once
// Weighted random choice: available server i with probability weight_i / (sum of the available
// servers' weights), as nginx `random` without `two` (src/http/modules/
// ngx_http_upstream_random_module.c): a uniform point in [0, total weight) located by binary
// search over cumulative weight ranges, rebuilt when the peers' configuration generation changes;
// a point on an ineligible peer (down, failed, at max_conns) is redrawn. Redrawing until an
// eligible peer is hit gives exactly weight_i / (sum of eligible weights). nginx falls back to
// round robin after 20 failed redraws; we fall back after 8 to an exact O(n) draw over the
// eligible servers, so the distribution stays exact. Envoy RANDOM and our `random` ignore
// weights.
//
// Cost: O(log n) per pick while most listed servers are eligible. The cumulative sums cover the
// servers available at the last on_fleet_change plus those then at their max_connections (the
// model shows a capped server as unavailable and lets it return without a fleet change), and are
// rebuilt in O(n) on on_fleet_change or when BackendView::weights_version moves, the same
// generation test nginx uses.
#include <cstdint>
#include <vector>

#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo weighted_random_info();

class WeightedRandomStrategy final : public Strategy {
 public:
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override;

 private:
  void rebuild(const BackendView& view);
  // Exact weighted draw over the servers with view.available == 1 (the fallback).
  [[nodiscard]] static std::uint32_t scan_pick(const BackendView& view, Rng& rng);

  std::vector<std::uint32_t> servers_;     // candidates, in fleet order
  std::vector<double> cumulative_weight_;  // [k] = sum of the weights of servers_[0..k]
  std::uint64_t weights_version_ = 0;      // view.weights_version the sums were built from
  bool built_ = false;
};

}  // namespace lbsim
