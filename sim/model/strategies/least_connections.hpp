#pragma once
// Weighted least connections as HAProxy `balance leastconn` (src/lb_fwlc.c, fwlc_queue_srv and
// fwlc_get_next_server). Servers are ordered by the key (inflight + 1) / weight, where inflight is
// the outstanding count this instance sees, except that an idle server has key 0, so under low
// load idle servers are used before the heaviest weight takes everything. Among equal keys the
// server re-queued longest ago wins: HAProxy re-inserts a server into its tree after every
// connection taken or dropped, and the tree places a new node after the existing equal keys, so
// equal-key servers take turns. A server at its connection cap (max_connections > 0 and
// outstanding >= cap) is skipped, as HAProxy skips saturated servers; when every available server
// is saturated, the lowest key is returned and the model queues at the balancer.
//
// Differences from HAProxy: the key is the exact ratio, not HAProxy's integer
// (inflight + 1) * 4096 / eweight, so servers of different weights never tie through truncation;
// equal weights order identically.
//
// Cost: the order is an indexed binary heap over the servers available at the last
// on_fleet_change, keyed by (key, re-queue sequence), and kept up to date by on_load_change
// (O(log n); the model calls it on every change of view.outstanding). pick() is O(1) while the
// least-loaded server may take the request; if it is saturated, or shown unavailable because the
// model hides servers at their max_connections without a fleet change, pick walks the heap in
// O(n). A weight change (weights_version) or fleet change re-keys the changed servers and
// re-heapifies in O(n). A load change the model failed to report for the least-loaded server is
// noticed (cached count differs from the view) and resynchronised in O(n).
#include <cstdint>
#include <vector>

#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo least_connections_info();

class LeastConnectionsStrategy final : public Strategy {
 public:
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override;
  void on_load_change(std::uint32_t server, std::uint32_t outstanding) override;

 private:
  struct Node {
    double key;
    std::uint64_t sequence;  // when the server was last (re-)queued; breaks key ties FIFO
    std::uint32_t server;
  };
  static constexpr std::uint32_t kNotQueued = UINT32_MAX;

  [[nodiscard]] static bool before(const Node& a, const Node& b) {
    return a.key < b.key || (a.key == b.key && a.sequence < b.sequence);
  }
  [[nodiscard]] static double key_for(std::uint32_t outstanding, double weight) {
    return outstanding == 0 ? 0.0 : (static_cast<double>(outstanding) + 1.0) / weight;
  }
  void place(std::size_t position, const Node& node);
  void sift_up(std::size_t position);
  void sift_down(std::size_t position);
  // Brings the cached loads, weights and membership in line with the view; servers whose key
  // inputs changed (or that joined) are re-queued after their equals. O(n).
  void synchronise(const BackendView& view);
  // The lowest (key, sequence) among queued servers the view shows available, preferring those
  // below their cap; kNoServer if none is shown available. O(n).
  [[nodiscard]] std::uint32_t least_eligible(const BackendView& view) const;

  std::vector<Node> heap_;                  // available servers, min-heap by (key, sequence)
  std::vector<Node> previous_heap_;         // scratch for synchronise()
  std::vector<std::uint32_t> position_;     // server -> index in heap_, or kNotQueued
  std::vector<std::uint32_t> outstanding_;  // last count seen per server
  std::vector<double> weight_;              // weight the server's key was computed with
  std::uint64_t next_sequence_ = 0;
  std::uint64_t weights_version_ = 0;
  bool synchronised_ = false;
};

}  // namespace lbsim
