#pragma once
// Earliest-deadline-first scheduler over server indices: Envoy's weighted round robin
// (envoyproxy/envoy source/common/upstream/edf_scheduler.h, tested against
// test/common/upstream/edf_scheduler_test.cc and the round-robin and least-request LB tests).
//
// Why EDF rather than a weight-expanded list: weights are real numbers (slow start, active-request
// scaling) and may change between picks; EDF handles both at O(log n) per pick. Each entry carries
// a deadline; a pick takes the earliest one (ties by insertion order, which makes equal weights
// plain round robin), moves the scheduler's clock to that deadline and re-queues the entry at
// clock + 1/weight, with the weight evaluated *at re-queue time*. A weight change therefore
// applies lazily, when that server is next picked, exactly as Envoy applies it.
//
// build() is Envoy's createWithPicks(): the schedule as if every entry had been added in order and
// `picks` picks had been made with constant weights, computed in O(n log n) instead of O(picks).
// Envoy seeds `picks` with a per-LB random number so that workers do not all start on the same
// host. On a build the weights get + 1e-13 (Envoy's fix for weights that are multiples of each
// other, PR #31592), which also keeps equal weights in insertion order.
//
// Memory: one 24-byte entry per server. No allocation after reserve()/build() (pick re-uses the
// popped slot).
#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace lbsim {

class EdfScheduler {
 public:
  void reserve(std::size_t capacity) { heap_.reserve(capacity); }
  void clear() {
    heap_.clear();
    current_time_ = 0.0;
    order_offset_ = 0;
  }
  [[nodiscard]] bool empty() const { return heap_.empty(); }
  [[nodiscard]] std::size_t size() const { return heap_.size(); }
  [[nodiscard]] double current_time() const { return current_time_; }

  // Queues `server` with deadline current_time + 1/weight; weight > 0.
  void add(std::uint32_t server, double weight) {
    heap_.push_back({current_time_ + 1.0 / positive(weight), order_offset_++, server});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  // Replaces the contents by `servers` (in this order) as if each had been add()ed to an empty
  // scheduler with weight_of(server) and then `picks` pick_and_add() calls had been made with
  // unchanged weights (Envoy createWithPicks). weight_of(server) > 0.
  template <class WeightOf>
  void build(std::span<const std::uint32_t> servers, WeightOf&& weight_of, std::uint32_t picks) {
    clear();
    if (servers.empty()) return;
    picks %= 429496729U;  // Envoy's bound (UINT32_MAX / 10): keeps the emulation exact enough
    constexpr double kEpsilon = 1e-13;
    double weights_sum = 0.0;
    for (const std::uint32_t server : servers)
      weights_sum += positive(weight_of(server)) + kEpsilon;
    // Entry i has been picked floor(P * w_i / W) times; its next deadline is (that + 1) / w_i.
    // Whatever remains of the P picks is then done one by one (fewer than 2n).
    std::uint32_t picks_so_far = 0;
    double max_pick_time = 0.0;
    const double picks_d = static_cast<double>(picks);
    for (std::size_t i = 0; i < servers.size(); ++i) {
      const double weight = positive(weight_of(servers[i])) + kEpsilon;
      auto floor_picks = static_cast<std::uint32_t>(weight * picks_d / weights_sum);
      // floor(A*B) can exceed A*B in floating point; Envoy steps back one pick then.
      if (floor_picks > 0 && static_cast<double>(floor_picks) / weight >= picks_d / weights_sum) {
        --floor_picks;
      }
      const double pick_time = static_cast<double>(floor_picks) / weight;
      heap_.push_back({static_cast<double>(floor_picks + 1) / weight, i, servers[i]});
      max_pick_time = std::max(max_pick_time, pick_time);
      picks_so_far += floor_picks;
    }
    std::make_heap(heap_.begin(), heap_.end(), later);
    current_time_ = max_pick_time;
    order_offset_ = servers.size();
    for (; picks_so_far < picks; ++picks_so_far) (void)pick_and_add(weight_of);
  }

  // The server with the earliest deadline (kNoServer-like UINT32_MAX when empty), not removed.
  [[nodiscard]] std::uint32_t peek() const {
    return heap_.empty() ? UINT32_MAX : heap_.front().server;
  }

  // Takes the earliest entry, advances the clock to its deadline and re-queues it with
  // weight_of(server) evaluated now. Returns the server, or UINT32_MAX when empty.
  template <class WeightOf>
  [[nodiscard]] std::uint32_t pick_and_add(WeightOf&& weight_of) {
    if (heap_.empty()) return UINT32_MAX;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Entry& entry = heap_.back();
    current_time_ = entry.deadline;
    entry.deadline = current_time_ + 1.0 / positive(weight_of(entry.server));
    entry.order = order_offset_++;
    const std::uint32_t server = entry.server;
    std::push_heap(heap_.begin(), heap_.end(), later);
    return server;
  }

 private:
  struct Entry {
    double deadline;
    std::uint64_t order;  // insertion order: FIFO among equal deadlines
    std::uint32_t server;
  };
  // Heap comparator: std::*_heap keep the "largest" first, so "largest" = earliest deadline.
  static bool later(const Entry& a, const Entry& b) {
    return a.deadline > b.deadline || (a.deadline == b.deadline && a.order > b.order);
  }
  // Weights are > 0 by contract; a zero would give an infinite deadline that stalls the clock.
  static double positive(double weight) { return weight > 1e-300 ? weight : 1e-300; }

  std::vector<Entry> heap_;
  double current_time_ = 0.0;
  std::uint64_t order_offset_ = 0;
};

}  // namespace lbsim
