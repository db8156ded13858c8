#pragma once
// Join-Idle-Queue (Lu, Xie, Kliot, Geller, Larus, Greenberg, "Join-Idle-Queue: A novel load
// balancing algorithm for dynamically scalable web services", Performance 2011). Each dispatcher
// (balancer instance) keeps an I-queue of servers that reported idle to it. A request goes to the
// oldest server in the I-queue, which is removed; with an empty I-queue, to a uniformly random
// available server. Entries may be stale (the server may have been given work since by another
// dispatcher); as in the paper, the dispatcher does not check load, so it uses the entry anyway.
// It does skip (and drop) entries for servers that are no longer available, since a pick must
// return an available server.
//
// A server is in one I-queue at most once (a repeated idle report is ignored). At the start every
// server is idle, so every instance's I-queue is seeded with all servers in a random order drawn
// from a stream of its own (the model reports later idleness through on_server_idle: in the
// paper each idle server reports to one dispatcher chosen at random). Weights are ignored.
//
// Cost: O(1) per pick and per idle report (a ring buffer of capacity n; candidates for the
// random fallback are listed in on_fleet_change and redrawn if the view hides them at pick time,
// with an exact O(n) draw after 8 misses).
#include <cstdint>
#include <vector>

#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo join_idle_queue_info();

class JoinIdleQueueStrategy final : public Strategy {
 public:
  // Seeds the I-queue with servers 0..server_count-1 in an order shuffled with `shuffle_rng`.
  JoinIdleQueueStrategy(std::uint32_t server_count, Rng& shuffle_rng);

  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override;
  void on_server_idle(std::uint32_t server) override;

  // Entries in the I-queue, oldest first (for tests).
  [[nodiscard]] std::vector<std::uint32_t> idle_queue() const;

 private:
  void grow(std::size_t server_count);
  void push(std::uint32_t server);
  [[nodiscard]] std::uint32_t pop();

  std::vector<std::uint32_t> ring_;  // capacity n: each server at most once
  std::size_t head_ = 0;
  std::size_t size_ = 0;
  std::vector<std::uint8_t> queued_;  // 1 = the server is in the I-queue
  // Servers available at the last fleet change or then at their cap, for the random fallback;
  // availability is checked at pick time.
  std::vector<std::uint32_t> candidates_;
};

}  // namespace lbsim
