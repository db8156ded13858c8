#pragma once
// Round robin, as Envoy's equal-weight path (round_robin_lb.h): each balancer instance keeps its
// own index, starting at a random position drawn from its stream, and takes hosts[idx++ % n] over
// its healthy host list. Weights are ignored (use weighted_round_robin). Separate instances are
// therefore only even on their own (Envoy's per-worker silos).
//
// The host list is rebuilt in on_fleet_change: the servers shown available, plus those hidden
// only for being at this instance's max_connections; a server hidden at pick time loses its turn
// to the next on the list. O(1) per pick while few servers are at their cap.
#include <cstdint>

#include "sim/model/strategies/random.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo round_robin_info();

class RoundRobinStrategy final : public Strategy {
 public:
  explicit RoundRobinStrategy(std::uint64_t start, std::uint32_t server_count = 0) : next_(start) {
    hosts_.reserve(server_count);
  }
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override { hosts_.rebuild(view); }

 private:
  std::uint64_t next_;
  MemberList hosts_;
};

}  // namespace lbsim
