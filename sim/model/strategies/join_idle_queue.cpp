#include "sim/model/strategies/join_idle_queue.hpp"

#include <utility>

#include "sim/model/strategies/random.hpp"
#include "sim/model/strategies/view_util.hpp"

namespace lbsim {

JoinIdleQueueStrategy::JoinIdleQueueStrategy(std::uint32_t server_count, Rng& shuffle_rng) {
  grow(server_count);
  std::vector<std::uint32_t> order(server_count);
  for (std::uint32_t i = 0; i < server_count; ++i) order[i] = i;
  // Fisher-Yates with the unbiased bounded draw.
  for (std::uint32_t i = server_count; i > 1; --i) {
    std::swap(order[i - 1], order[shuffle_rng.below(i)]);
  }
  for (const std::uint32_t server : order) push(server);
  candidates_.reserve(server_count);
  for (std::uint32_t i = 0; i < server_count; ++i) candidates_.push_back(i);
}

void JoinIdleQueueStrategy::grow(std::size_t server_count) {
  if (server_count <= ring_.size()) return;
  std::vector<std::uint32_t> ring(server_count);
  for (std::size_t k = 0; k < size_; ++k) ring[k] = ring_[(head_ + k) % ring_.size()];
  ring_ = std::move(ring);
  head_ = 0;
  queued_.resize(server_count, 0);
  candidates_.reserve(server_count);
}

void JoinIdleQueueStrategy::push(std::uint32_t server) {
  if (queued_[server] != 0) return;
  queued_[server] = 1;
  ring_[(head_ + size_) % ring_.size()] = server;
  ++size_;
}

std::uint32_t JoinIdleQueueStrategy::pop() {
  const std::uint32_t server = ring_[head_];
  head_ = (head_ + 1) % ring_.size();
  --size_;
  queued_[server] = 0;
  return server;
}

std::vector<std::uint32_t> JoinIdleQueueStrategy::idle_queue() const {
  std::vector<std::uint32_t> entries;
  for (std::size_t k = 0; k < size_; ++k) entries.push_back(ring_[(head_ + k) % ring_.size()]);
  return entries;
}

void JoinIdleQueueStrategy::on_fleet_change(const BackendView& view) {
  const std::size_t n = view.available.size();
  grow(n);
  candidates_.clear();
  for (std::size_t i = 0; i < n; ++i) {
    // Servers the model hides for being at their max_connections come back without a fleet
    // change: keep them as candidates and check availability at pick time.
    if (is_member(view, static_cast<std::uint32_t>(i)))
      candidates_.push_back(static_cast<std::uint32_t>(i));
  }
}

void JoinIdleQueueStrategy::on_server_idle(std::uint32_t server) {
  if (server >= ring_.size()) grow(server + std::size_t{1});
  push(server);
}

std::uint32_t JoinIdleQueueStrategy::pick(const BackendView& view, const PickRequest& /*request*/,
                                          Rng& rng) {
  if (view.available_count == 0) return kNoServer;
  while (size_ > 0) {
    const std::uint32_t server = pop();
    if (server < view.available.size() && view.available[server] != 0) return server;
  }
  // Uniform among available servers: redraw a candidate the view hides; after 8 misses (all miss
  // with probability (1 - f)^8 when a share f of candidates is available) draw exactly in O(n).
  for (int attempt = 0; attempt < 8 && !candidates_.empty(); ++attempt) {
    const std::uint32_t server = candidates_[rng.below(candidates_.size())];
    if (view.available[server] != 0) return server;
  }
  return nth_available(view, rng.below(view.available_count));
}

StrategyInfo join_idle_queue_info() {
  return {
      .name = "join_idle_queue",
      .summary =
          "the server that reported idle to this instance longest ago, else a uniformly "
          "random available server (Join-Idle-Queue, Lu et al. 2011)",
      .options = {},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        // Each instance shuffles with its own stream so instances' initial orders differ.
        Rng shuffle_rng(context.seed, 0, StreamPurpose::kBalancer,
                        0x4A49'0000ULL + context.instance);
        return std::make_unique<JoinIdleQueueStrategy>(context.server_count, shuffle_rng);
      },
  };
}

}  // namespace lbsim
