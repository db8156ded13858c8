#pragma once
// Envoy's ring hash (ketama) balancer (envoyproxy/envoy source/extensions/load_balancing_policies/
// ring_hash/ring_hash_lb.cc; ring size bounds from api/envoy/config/cluster/v3/cluster.proto).
//
// The ring holds the healthy servers (Envoy builds it from the healthy hosts): those shown
// available at on_fleet_change, plus those hidden only for being at this instance's
// max_connections. It is rebuilt in on_fleet_change and when view.weights_version changes (Envoy
// rebuilds the ring on host weight updates). A request whose point belongs to a server the view
// hides at pick time (at its cap) walks on to the next points of the ring until an available
// server; no rebuild, no allocation. Each server gets about scale * normalized_weight points, where
// scale is chosen so that the lightest server gets a whole number of points and the ring has at
// least `minimum_ring_size` entries, capped at `maximum_ring_size`; fractional targets are handled
// with Envoy's running sums. Point i of a server hashes "<server name>_<i>" with xxHash64 (seed 0),
// Envoy's default hash function, implemented here from the xxHash specification. A request goes to
// the first point whose hash is >= its hash_key, wrapping to the first point (ketama_get_server).
//
// Why: removing one of N servers moves only that server's keys (about 1/N), unlike modulo
// hashing; the price is an uneven spread that shrinks as the ring grows (a server's share has a
// relative standard deviation of about 1/sqrt(points per server)).
//
// Point hashes are cached per server, so a rebuild after an availability change costs a sort of
// the ring, not rehashing. Servers added beyond context.server_names are named "server-<i>".
//
// hash_balance_factor (optional, >= 100): bounded loads (bounded_load.hpp). bounded_load: envoy
// (the default) checks the pick against Envoy's slots and walks Envoy's hash-seeded shuffle of the
// hosts; haproxy checks HAProxy's slots (hash-balance-factor, > 100) and walks on clockwise along
// the ring to the first eligible server, as chash_get_server_hash does (after one lap with none
// eligible, the first pick).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/model/strategies/bounded_load.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim {

// XXH64 (Collet, xxHash specification v0.8), little-endian byte order, as Envoy's
// HashUtil::xxHash64.
[[nodiscard]] std::uint64_t xxhash64(std::string_view data, std::uint64_t seed = 0);

// The name a hashing strategy uses for `server`: context.server_names[server] when given, else
// "server-<server>".
[[nodiscard]] std::string hashing_name(std::span<const std::string> names, std::uint32_t server);

[[nodiscard]] StrategyInfo ring_hash_info();

class RingHashStrategy final : public Strategy {
 public:
  // 1 <= minimum_ring_size <= maximum_ring_size (the factory throws std::invalid_argument
  // otherwise, as Envoy rejects the config).
  RingHashStrategy(std::vector<std::string> server_names, std::uint64_t minimum_ring_size,
                   std::uint64_t maximum_ring_size,
                   std::optional<BoundedLoad> bounded = std::nullopt);
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override;
  void on_load_change(std::uint32_t server, std::uint32_t outstanding) override;

  // The ring's hashes (sorted) and their servers, for tests and diagnostics.
  [[nodiscard]] std::span<const std::uint64_t> ring_hashes() const { return ring_hashes_; }
  [[nodiscard]] std::span<const std::uint32_t> ring_servers() const { return ring_servers_; }
  // The server owning `hash_key` on the current ring; kNoServer if the ring is empty.
  [[nodiscard]] std::uint32_t lookup(std::uint64_t hash_key) const;
  // How many times the ring was built (diagnostics; tests check picks do not rebuild).
  [[nodiscard]] std::uint64_t rebuild_count() const { return rebuild_count_; }

 private:
  void rebuild(const BackendView& view);
  // Index of the first ring point with hash >= hash_key, wrapping to 0; ring non-empty.
  [[nodiscard]] std::size_t point_index(std::uint64_t hash_key) const;
  // Hash of "<name>_<i>", computed once per (server, i).
  std::uint64_t point_hash(std::uint32_t server, std::uint64_t i);

  std::vector<std::string> names_;
  std::uint64_t minimum_ring_size_;
  std::uint64_t maximum_ring_size_;
  std::vector<std::vector<std::uint64_t>> point_cache_;  // per server, points 0..k-1
  std::vector<std::uint64_t> ring_hashes_;
  std::vector<std::uint32_t> ring_servers_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> scratch_;  // rebuild buffer, reused
  std::uint64_t weights_version_ = 0;  // view.weights_version at the last build
  std::uint64_t rebuild_count_ = 0;
  bool built_ = false;
  std::optional<BoundedLoad> bounded_;
};

}  // namespace lbsim
