#pragma once
// Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, "Consistent Hashing with
// Bounded Loads", SODA 2018), as Envoy and HAProxy implement it on their hash balancers.
//
// Envoy (hash_balance_factor on ring hash and Maglev; source/extensions/load_balancing_policies/
// common/thread_aware_lb_impl.cc, BoundedLoadHashingLoadBalancer): with A requests active in the
// cluster, total_slots = ceil((A + 1) x factor / 100) and a host of normalized weight w has
// slots = max(ceil(total_slots x w), 1); it is overloaded when its active requests exceed its
// slots. An overloaded pick walks a Fisher-Yates shuffle of the host list seeded by the request's
// hash (std::mt19937 seeded with the hash, Envoy's uniform_int), skipping the first pick, to the
// first host not overloaded; if every host is, the least overloaded one (the first pick on ties).
// The same key always walks the same sequence, so affinity survives while hosts stay under the
// bound.
//
// HAProxy (hash-balance-factor on hash-type consistent; src/lb_chash.c chash_server_is_eligible):
// tot_slots = ceil((served + 1) x factor / 100) spread exactly over the servers by cumulative
// weight, slots_i = floor(C_{i+1} tot_slots / W) - floor(C_i tot_slots / W), at least 1; a server
// is eligible while served_i < slots_i (strict, where Envoy allows active == slots); an
// ineligible pick walks on clockwise along the ring (RingHashStrategy does the walk).
//
// The loads are view.outstanding: this instance's own counts by default, the fleet's with
// balancer.view: global (Envoy reads cluster-wide counters shared by its workers: view: global
// with view_refresh: 0 is the faithful setting when instances > 1). The total is kept up to date
// through on_load_change, so a pick costs O(1) unless its first choice is overloaded.
#include <cstdint>
#include <vector>

#include "sim/model/strategy.hpp"

namespace lbsim {

// The hash balance factor option both strategies declare (optional: unset = no bound).
[[nodiscard]] OptionSpec hash_balance_factor_option(const char* owner_help);

class BoundedLoad {
 public:
  enum class Flavor : std::uint8_t { kEnvoy, kHaproxy };
  BoundedLoad(std::uint32_t factor_percent, Flavor flavor);

  // The hosts (members in fleet order) and their normalized weights, and the total load.
  void rebuild(const BackendView& view);
  void load_changed(std::uint32_t server, std::uint32_t outstanding);

  // Envoy: whether `server` is over its slots (active > slots).
  [[nodiscard]] double overload_factor(const BackendView& view, std::uint32_t server) const;
  // HAProxy: served < slots.
  [[nodiscard]] bool haproxy_eligible(const BackendView& view, std::uint32_t server) const;
  // Whether the pick may stand, in this flavor's terms.
  [[nodiscard]] bool accepts(const BackendView& view, std::uint32_t server) const {
    return flavor_ == Flavor::kEnvoy ? overload_factor(view, server) <= 1.0
                                     : haproxy_eligible(view, server);
  }
  // Envoy's walk from an overloaded first pick: the shuffle seeded by `hash`, skipping hosts the
  // view hides at pick time.
  [[nodiscard]] std::uint32_t envoy_walk(const BackendView& view, std::uint32_t first,
                                         std::uint64_t hash);

  [[nodiscard]] std::uint64_t total_load() const { return total_; }
  [[nodiscard]] Flavor flavor() const { return flavor_; }

 private:
  std::uint32_t factor_;
  Flavor flavor_;
  std::vector<std::uint32_t> hosts_;  // members at the last rebuild, fleet order
  std::vector<double> normalized_;    // per server: weight / total member weight
  std::vector<double> cumulative_;    // per server: member weight before it (HAProxy)
  double weight_total_ = 0.0;
  std::vector<std::uint32_t> last_load_;  // per server, as on_load_change last reported
  std::uint64_t total_ = 0;
  std::vector<std::uint32_t> permutation_;  // Envoy's host_index, reused
};

// The shuffle Envoy's walk visits for `hash` over `count` hosts, in order (tests: Envoy's "the
// random shuffle sequence of 5 elements with seed 2 is 2 1 0 4 3").
[[nodiscard]] std::vector<std::uint32_t> envoy_shuffle(std::uint64_t hash, std::uint32_t count);

}  // namespace lbsim
