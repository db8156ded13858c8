#pragma once
// Power of two choices on peak-EWMA cost, as linkerd2-proxy (linkerd/pool/p2c: two distinct
// random endpoints, the first kept when costs tie) over tower's PeakEwma load
// (tower/src/load/peak_ewma.rs, derived from Finagle's PeakEwma.scala), or as Finagle
// (finagle-core loadbalancer/p2c/P2CPick.scala: the same distinct pair and tie rule, over
// loadbalancer/PeakEwma.scala), which differs only for servers never measured (`unmeasured`).
//
// Per server, an RTT estimate: a response slower than the estimate replaces it outright (the
// "peak"); a faster one pulls it down with weight w = exp(-elapsed / decay), estimate =
// estimate * w + rtt * (1 - w), where elapsed is the time since the estimate was last touched.
// Reading a server's cost also touches it, decaying the estimate toward 0 (an update with rtt 0),
// as tower's load() and Finagle's get() do: a server nobody hears from looks cheaper over time,
// so it is probed again. Cost = estimate * (outstanding + 1).
//
// unmeasured: linkerd (the default). Unmeasured servers start at `default_rtt` (linkerd's 30 ms)
// and decay like any estimate, from when the server joined: linkerd creates an endpoint's
// PeakEwma (tower/src/load/peak_ewma.rs, RttEstimate::new stamps Instant::now()) when the
// endpoint is discovered. Here a server that becomes available (at on_fleet_change) while never
// measured restarts at `default_rtt`, stamped with the latest time this instance has seen (a pick
// or a response; on_fleet_change carries no time, and under traffic the last event is moments
// before the change). Stamping at time 0 instead let a late joiner's default decay to ~0 so that it
// attracted everything. linkerd adds no penalty.
//
// unmeasured: finagle. An unmeasured server's estimate is 0 (default_rtt is not used): with
// nothing pending it costs 0, the cheapest of all, so a new server gets the next request; while
// it has requests pending and still no measurement it costs Penalty + pending, Penalty =
// Long.MaxValue >> 16 = 2^47 - 1 ns (about 39 h), so it is probed by one request at a time
// ("probe a node without latency history at most once", P2CPeakEwmaTest). The same cost
// applies to a server whose estimate has decayed to exactly 0.
// Estimates survive availability changes, as a linkerd endpoint that is not ready keeps its
// PeakEwma state.
//
// Cost: O(1) per pick while most servers are available (candidates are listed in
// on_fleet_change; a draw on a server the view hides at pick time, e.g. at its max_connections,
// is redrawn, and after 8 misses an exact O(n) draw takes over).
#include <cstdint>
#include <vector>

#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo peak_ewma_info();

class PeakEwmaStrategy final : public Strategy {
 public:
  enum class Unmeasured : std::uint8_t { kLinkerd, kFinagle };
  PeakEwmaStrategy(std::uint32_t server_count, double default_rtt_ns, double decay_ns,
                   Unmeasured unmeasured = Unmeasured::kLinkerd);
  // Finagle's Penalty (Long.MaxValue >> 16), in ns.
  static constexpr double kFinaglePenaltyNs = 140737488355327.0;

  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
  void on_fleet_change(const BackendView& view) override;
  void on_response(std::uint32_t server, SimTime rtt, SimTime now) override;

  // The estimate as last stored (ns) and when (for tests and diagnostics); reading it does not
  // decay it.
  [[nodiscard]] double rtt_estimate_ns(std::uint32_t server) const { return estimate_ns_[server]; }
  [[nodiscard]] SimTime estimate_updated_at(std::uint32_t server) const {
    return updated_at_[server];
  }

 private:
  void resize(std::size_t server_count);
  // tower's RttEstimate::update: peak replaces, otherwise time-weighted decay toward rtt_ns.
  void observe(std::uint32_t server, double rtt_ns, SimTime now);
  [[nodiscard]] double cost(std::uint32_t server, std::uint32_t outstanding, SimTime now);

  double default_rtt_ns_;
  double decay_ns_;
  Unmeasured unmeasured_;
  std::vector<double> estimate_ns_;
  std::vector<SimTime> updated_at_;
  std::vector<std::uint8_t> measured_;  // 1 once a response was observed
  std::vector<std::uint8_t> member_;    // listed at the last fleet change
  SimTime latest_now_ = 0;              // the latest pick or response time seen
  // Servers available at the last fleet change or then at their cap; availability is checked
  // at pick time.
  std::vector<std::uint32_t> candidates_;
};

}  // namespace lbsim
