#pragma once
// Source-address hashing with a static map, as nginx's ip_hash and plain `hash` do (nginx/nginx
// src/http/modules/ngx_http_upstream_ip_hash_module.c, ngx_http_upstream_hash_module.c) and as
// HAProxy's default `hash-type map-based` does for `balance source` (doc/configuration.txt).
//
// The user's hash_key is taken modulo the total weight of ALL configured servers, available or
// not, and mapped to a server by cumulative weight (server i owns [W_<i, W_<=i)). If that server
// is unavailable the key is rehashed with a new salt (the attempt number) and mapped again, up to
// `fallback_tries` times (nginx: 20); after that the request falls back to smooth weighted round
// robin, as nginx falls back to its round-robin peer. Because the modulo does not change when a
// server goes down, only the down server's users move (each to a fixed server of its own rehash
// chain), and they come back when it returns; a change in the number of configured servers
// changes the modulo and remaps most users (the known weakness of map-based hashing).
//
// Differences, stated: HAProxy's map-based hash recomputes its map over the *running* servers, so
// there one server going down also remaps most users; we follow nginx. nginx hashes only the first
// three octets of an IPv4 address (a whole /24 shares a server); here every user has its own
// well-mixed key. Weights are read when the map is built (at the first on_fleet_change and when
// the number of servers changes), not when availability or weights change later: map-based
// hashing is static (HAProxy ignores runtime weight changes for it; nginx applies weights on
// reload), and this also keeps a slow-start weight from remapping everyone. Integer weights are
// used as is; if any weight is fractional all are scaled by 65536 and rounded (at least 1) so the
// modulo stays an integer one.
#include <cstdint>
#include <vector>

#include "sim/model/strategies/weighted_round_robin.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo source_hash_info();

class SourceHashStrategy final : public Strategy {
 public:
  SourceHashStrategy(std::uint32_t fallback_tries, std::uint32_t server_count);
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override;

  // The configured server that `hash` maps to, ignoring availability.
  [[nodiscard]] std::uint32_t map(std::uint64_t hash) const;
  // The key for attempt `attempt` >= 1 after `previous` mapped to an unavailable server.
  [[nodiscard]] static std::uint64_t rehash(std::uint64_t previous, std::uint32_t attempt);
  [[nodiscard]] std::uint64_t total_weight() const { return total_weight_; }

 private:
  void rebuild(const BackendView& view);

  std::uint32_t fallback_tries_;
  std::vector<std::uint64_t> cumulative_weight_;  // integer weights, running sum over servers
  std::uint64_t total_weight_ = 0;
  bool built_ = false;
  SmoothWeightedRoundRobin fallback_;
};

}  // namespace lbsim
