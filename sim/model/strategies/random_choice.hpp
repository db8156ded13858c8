#pragma once
// Weighted random choices that compare the drawn servers' load per weight, as nginx and HAProxy
// do it.
//
// random_two: nginx `random two least_conn` (src/http/modules/ngx_http_upstream_random_module.c,
// ngx_http_upstream_get_random2_peer; nginx 1.15.1+, least_conn the only open-source method).
// Servers are drawn in proportion to their weight (nginx's cumulative ranges over the configured
// peers: here every server slot of the fleet, available or not, servers that join later
// included, so a fleet with many not yet joined falls back to round robin more often than nginx,
// whose list holds only configured servers); a draw on a server that may not take
// the request (unavailable) or on the first candidate again is drawn again, and after 20 draws in
// all (rp->tries > 20) the request falls back to smooth weighted round robin, as nginx falls back
// to its round-robin peer. Of the two distinct candidates the second wins unless it is strictly
// busier per weight: outstanding[2] x weight[1] > outstanding[1] x weight[2] keeps the first
// (nginx: "peer->conns * prev->weight > prev->conns * peer->weight"). With fewer than two servers,
// round robin. (`least_time` is NGINX Plus only and not offered.)
//
// random_draws: HAProxy `balance random(<draws>)` (src/lb_chash.c get_server_rnd; default 2
// draws). Each draw picks a server in proportion to its weight among the available ones, with
// replacement; a later draw replaces the candidate unless the candidate is strictly less loaded
// per weight: served x weight compared cross-multiplied ("wcurr > wprev" keeps the earlier), so
// equal loads go to the later draw. Not modelled: HAProxy breaks an equal-load tie on the two
// servers' request rates over the last second before falling back to the later draw; here the
// later draw always wins a tie. random_draws with draws 1 is weighted random.
//
// Loads are view.outstanding (this instance's own counts by default, as nginx's per-worker
// peer->conns and a single HAProxy process's served). Cost: O(log n) per draw (a binary search on
// cumulative weights, rebuilt when the fleet or the weights change).
#include <cstdint>
#include <vector>

#include "sim/model/strategies/weighted_round_robin.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo random_two_info();
[[nodiscard]] StrategyInfo random_draws_info();

// Draws in proportion to view.weight over a fixed list of servers.
class WeightedDraw {
 public:
  // Over every server of the fleet (nginx) or only the members (HAProxy's tree of usable ones).
  void rebuild(const BackendView& view, bool members_only);
  [[nodiscard]] bool stale(const BackendView& view) const {
    return !built_ || weights_version_ != view.weights_version ||
           fleet_size_ != view.available.size();
  }
  // kNoServer when the list is empty.
  [[nodiscard]] std::uint32_t draw(Rng& rng) const;
  [[nodiscard]] std::size_t size() const { return servers_.size(); }

 private:
  std::vector<std::uint32_t> servers_;
  std::vector<double> cumulative_;  // cumulative_[i] = weight of servers_[0..i]
  std::uint64_t weights_version_ = 0;
  std::size_t fleet_size_ = 0;
  bool built_ = false;
};

class RandomTwoStrategy final : public Strategy {
 public:
  explicit RandomTwoStrategy(std::uint32_t server_count);
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override;

 private:
  WeightedDraw draw_;
  SmoothWeightedRoundRobin fallback_;
};

class RandomDrawsStrategy final : public Strategy {
 public:
  explicit RandomDrawsStrategy(std::uint32_t draws);
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override;

 private:
  std::uint32_t draws_;
  WeightedDraw draw_;
};

}  // namespace lbsim
