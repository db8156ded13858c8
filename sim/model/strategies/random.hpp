#pragma once
// Uniform random choice among the available servers (Envoy RANDOM; HAProxy `random(1)`).
// Weights are ignored (use weighted_random).
//
// Cost: O(1) per pick. The healthy servers (shown available, or hidden only for being at this
// instance's max_connections) are listed in on_fleet_change. When the list holds exactly
// view.available_count servers it is the available set and one draw is exact; otherwise a draw
// on a server hidden at pick time is redrawn, and after 8 misses the exact O(n) draw takes over.
// Either way the pick is uniform among the servers available now.
#include <cstdint>
#include <vector>

#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo random_info();

// The healthy servers of the last on_fleet_change, in fleet order, and a uniform draw among those
// available now. Shared by strategies that draw uniformly.
class MemberList {
 public:
  void reserve(std::size_t server_count) { members_.reserve(server_count); }
  // Lists the servers that are available or hidden only at their cap (view_util.hpp is_member).
  void rebuild(const BackendView& view);
  // Whether rebuild() has seen a fleet of this size (else the caller should rebuild).
  [[nodiscard]] bool matches(const BackendView& view) const {
    return built_ && fleet_size_ == view.available.size();
  }
  [[nodiscard]] const std::vector<std::uint32_t>& members() const { return members_; }
  // Uniform among the servers the view shows available; kNoServer when none is.
  // view.available_count > 0 expected.
  [[nodiscard]] std::uint32_t draw(const BackendView& view, Rng& rng) const;

 private:
  std::vector<std::uint32_t> members_;
  std::size_t fleet_size_ = 0;
  bool built_ = false;
};

class RandomStrategy final : public Strategy {
 public:
  explicit RandomStrategy(std::uint32_t server_count = 0) { members_.reserve(server_count); }
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override { members_.rebuild(view); }

 private:
  MemberList members_;
};

// The k-th (0-based) available server; k < view.available_count. O(n); used only when some
// servers are unavailable.
[[nodiscard]] std::uint32_t nth_available(const BackendView& view, std::uint64_t k);

}  // namespace lbsim
