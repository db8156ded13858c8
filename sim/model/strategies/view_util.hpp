#pragma once
// Small helpers shared by the strategies for reading a BackendView consistently.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "sim/model/strategy.hpp"

namespace lbsim {

// This instance's own in-flight count for `server`, what max_connections caps: view.own_outstanding
// when the model fills it, else view.outstanding (the same thing unless balancer.view is global).
[[nodiscard]] inline std::uint32_t own_load(const BackendView& view, std::uint32_t server) {
  return view.own_outstanding.empty() ? view.outstanding[server] : view.own_outstanding[server];
}

// True when `server` has reached this instance's connection cap (max_connections > 0).
[[nodiscard]] inline bool at_own_cap(const BackendView& view, std::uint32_t server) {
  const std::uint32_t cap = view.max_connections[server];
  return cap != 0 && own_load(view, server) >= cap;
}

// A member of the healthy fleet: shown available, or hidden only for being at its cap (the model
// hides such a server without on_fleet_change and shows it again the same way). Strategies list
// members in on_fleet_change and check view.available at pick time.
[[nodiscard]] inline bool is_member(const BackendView& view, std::uint32_t server) {
  return view.available[server] != 0 || at_own_cap(view, server);
}

// Refills `members` with the fleet's members in index order (reusing its capacity) and returns
// whether they all have the same weight — the test that decides between an EDF schedule and the
// equal-weight path in Envoy's weighted balancers.
[[nodiscard]] inline bool collect_members(const BackendView& view,
                                          std::vector<std::uint32_t>& members) {
  members.clear();
  const auto n = static_cast<std::uint32_t>(view.available.size());
  for (std::uint32_t i = 0; i < n; ++i) {
    if (is_member(view, i)) members.push_back(i);
  }
  return std::all_of(members.begin(), members.end(), [&](std::uint32_t s) {
    return view.weight[s] == view.weight[members.front()];
  });
}

}  // namespace lbsim
