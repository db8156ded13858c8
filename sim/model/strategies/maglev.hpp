#pragma once
// Maglev consistent hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
// Balancer", NSDI 2016), weighted as Envoy does it (envoyproxy/envoy source/extensions/
// load_balancing_policies/maglev/maglev_lb.cc, OriginalMaglevTable).
//
// A lookup table of `table_size` slots (a prime, default 65537) maps hash_key % table_size to a
// server. Each available server has a permutation of the slots given by offset = xxHash64(name,
// seed 0) % M and skip = xxHash64(name, seed 1) % (M - 1) + 1; servers take turns (sorted by name,
// as Envoy sorts them so the fill order is stable) claiming their next free preferred slot. With
// weights, a server takes a turn in round r only when r * normalized_weight reaches its running
// target (the heaviest server every round), so slots are shared in proportion to weight. The table
// is built over the healthy servers (shown available at on_fleet_change, or hidden only for being
// at this instance's max_connections) in on_fleet_change, and rebuilt when view.weights_version
// changes (Envoy rebuilds on host weight updates). A key whose slot holds a server hidden at pick
// time (at its cap) walks on to the next slots until an available server; no rebuild or
// allocation in pick.
//
// Why: O(1) lookup and near-perfect spread (each server's share is within a slot or so of its
// weight share); the price is that one server change also moves some keys between surviving
// servers. Measured with the default table, removing 1 of N moves 1.03/N of keys at N = 10,
// 1.5/N at N = 100 and 6/N at N = 1000 (Envoy's ring hash: 1.6/N at N = 10, where its ring
// re-scales, and 1.0/N at N = 100). When servers outnumber slots, some servers get none.
// The prime size keeps every skip coprime with M, so each permutation visits every slot.
//
// hash_balance_factor (optional, >= 100): Envoy's bounded loads on the table's pick
// (bounded_load.hpp): an overloaded pick walks the hash-seeded shuffle of the hosts.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sim/model/strategies/bounded_load.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo maglev_info();

[[nodiscard]] bool is_prime(std::uint64_t n);

class MaglevStrategy final : public Strategy {
 public:
  // table_size must be prime (std::invalid_argument otherwise, as Envoy rejects the config).
  MaglevStrategy(std::vector<std::string> server_names, std::uint64_t table_size,
                 std::optional<BoundedLoad> bounded = std::nullopt);
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override;
  void on_load_change(std::uint32_t server, std::uint32_t outstanding) override;

  // The lookup table (server per slot; kNoServer only when no server is available).
  [[nodiscard]] std::span<const std::uint32_t> table() const { return table_; }
  [[nodiscard]] std::uint32_t lookup(std::uint64_t hash_key) const;
  // How many times the table was built (diagnostics; tests check picks do not rebuild).
  [[nodiscard]] std::uint64_t rebuild_count() const { return rebuild_count_; }

 private:
  void rebuild(const BackendView& view);
  void ensure_server_data(std::uint32_t server_count);

  std::vector<std::string> names_;
  std::uint64_t table_size_;
  // Per server, computed once: offset and skip of its permutation.
  std::vector<std::uint64_t> offset_;
  std::vector<std::uint64_t> skip_;
  std::vector<std::uint32_t> name_order_;  // server indices sorted by name
  std::vector<std::uint32_t> table_;
  struct BuildEntry {
    std::uint32_t server;
    double weight;  // normalized
    double target_weight = 0.0;
    std::uint64_t next = 0;
  };
  std::vector<BuildEntry> entries_;    // rebuild buffer, reused
  std::uint64_t weights_version_ = 0;  // view.weights_version at the last build
  std::uint64_t rebuild_count_ = 0;
  bool built_ = false;
  std::optional<BoundedLoad> bounded_;
};

}  // namespace lbsim
