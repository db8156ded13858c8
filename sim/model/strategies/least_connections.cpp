#include "sim/model/strategies/least_connections.hpp"

#include "sim/model/strategies/view_util.hpp"

namespace lbsim {

void LeastConnectionsStrategy::place(std::size_t position, const Node& node) {
  heap_[position] = node;
  position_[node.server] = static_cast<std::uint32_t>(position);
}

void LeastConnectionsStrategy::sift_up(std::size_t position) {
  const Node node = heap_[position];
  while (position > 0) {
    const std::size_t parent = (position - 1) / 2;
    if (!before(node, heap_[parent])) break;
    place(position, heap_[parent]);
    position = parent;
  }
  place(position, node);
}

void LeastConnectionsStrategy::sift_down(std::size_t position) {
  const Node node = heap_[position];
  const std::size_t size = heap_.size();
  for (;;) {
    std::size_t child = 2 * position + 1;
    if (child >= size) break;
    if (child + 1 < size && before(heap_[child + 1], heap_[child])) ++child;
    if (!before(heap_[child], node)) break;
    place(position, heap_[child]);
    position = child;
  }
  place(position, node);
}

void LeastConnectionsStrategy::synchronise(const BackendView& view) {
  const std::size_t n = view.available.size();
  if (position_.size() != n) {
    position_.resize(n, kNotQueued);
    outstanding_.resize(n, 0);
    weight_.resize(n, 1.0);
    heap_.reserve(n);
  }
  // Unchanged servers keep their node (and so their turn among equals); position_ still indexes
  // the previous heap, now in previous_heap_. Swapping keeps both buffers' capacity: no
  // allocation after the first call.
  previous_heap_.swap(heap_);
  heap_.clear();
  heap_.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto server = static_cast<std::uint32_t>(i);
    const bool was_queued = position_[i] != kNotQueued;
    const bool unchanged =
        was_queued && outstanding_[i] == view.outstanding[i] && weight_[i] == view.weight[i];
    outstanding_[i] = view.outstanding[i];
    weight_[i] = view.weight[i];
    // A server the model hides for being at its max_connections stays queued: it comes back
    // without a fleet change.
    if (!is_member(view, server)) continue;
    if (unchanged) {
      heap_.push_back(previous_heap_[position_[i]]);
    } else {
      heap_.push_back({key_for(outstanding_[i], weight_[i]), next_sequence_++, server});
    }
  }
  for (std::size_t i = 0; i < n; ++i) position_[i] = kNotQueued;
  for (std::size_t k = 0; k < heap_.size(); ++k)
    position_[heap_[k].server] = static_cast<std::uint32_t>(k);
  for (std::size_t k = heap_.size() / 2; k-- > 0;) sift_down(k);
  weights_version_ = view.weights_version;
  synchronised_ = true;
}

void LeastConnectionsStrategy::on_fleet_change(const BackendView& view) {
  synchronise(view);
}

void LeastConnectionsStrategy::on_load_change(std::uint32_t server, std::uint32_t outstanding) {
  if (server >= outstanding_.size()) return;  // before the first on_fleet_change: read then
  outstanding_[server] = outstanding;
  const std::uint32_t position = position_[server];
  if (position == kNotQueued) return;
  // HAProxy dequeues and re-inserts on every taken or dropped connection: a fresh sequence puts
  // the server behind its equals.
  heap_[position].key = key_for(outstanding, weight_[server]);
  heap_[position].sequence = next_sequence_++;
  sift_up(position);
  sift_down(position_[server]);
}

std::uint32_t LeastConnectionsStrategy::least_eligible(const BackendView& view) const {
  const Node* best = nullptr;
  const Node* best_saturated = nullptr;
  for (const Node& node : heap_) {
    if (view.available[node.server] == 0) continue;
    const Node*& slot = at_own_cap(view, node.server) ? best_saturated : best;
    if (slot == nullptr || before(node, *slot)) slot = &node;
  }
  if (best == nullptr) best = best_saturated;
  return best != nullptr ? best->server : kNoServer;
}

std::uint32_t LeastConnectionsStrategy::pick(const BackendView& view,
                                             const PickRequest& /*request*/, Rng& /*rng*/) {
  if (view.available_count == 0) return kNoServer;
  if (!synchronised_ || view.weights_version != weights_version_ ||
      position_.size() != view.available.size() || heap_.empty()) {
    synchronise(view);
    if (heap_.empty()) return kNoServer;  // nothing listed although the count says otherwise
  }
  std::uint32_t least = heap_.front().server;
  if (outstanding_[least] != view.outstanding[least]) {
    synchronise(view);  // a missed on_load_change: correct now, at O(n)
    least = heap_.front().server;
  }
  if (view.available[least] != 0 && !at_own_cap(view, least)) return least;
  // The least-loaded server is saturated, or hidden by the model for being at its cap: HAProxy
  // walks on in key order. Rare unless caps differ widely; O(n).
  std::uint32_t server = least_eligible(view);
  if (server == kNoServer) {
    synchronise(view);  // the view lists an available server the heap lacks: a missed fleet change
    server = least_eligible(view);
  }
  return server;
}

StrategyInfo least_connections_info() {
  return {
      .name = "least_connections",
      .summary =
          "the available server with the lowest (outstanding + 1) / weight, idle servers "
          "first, equal keys taking turns, saturated servers skipped (HAProxy leastconn)",
      .options = {},
      .make = [](const StrategyContext& /*context*/) -> std::unique_ptr<Strategy> {
        return std::make_unique<LeastConnectionsStrategy>();
      },
      .load_aware = true,
      .weighted = true,
  };
}

}  // namespace lbsim
