#pragma once
// A balancing strategy: given what one balancer instance knows about the fleet, pick a server.
// Each balancer instance owns one Strategy object (its own round-robin position, its own view of
// outstanding requests), as in Envoy's per-worker load balancers and nginx's per-worker state.
//
// Adding a strategy = one file pair under sim/model/strategies/ that defines a StrategyInfo, and
// one line in strategies/registry.cpp. Options are declared in the StrategyInfo; the scenario
// loader validates them against that declaration (unknown key, type, range) and fills defaults,
// so a factory can read every declared option without checking.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/core/time.hpp"
#include "sim/model/config.hpp"

namespace lbsim {

inline constexpr std::uint32_t kNoServer = UINT32_MAX;

// What one balancer instance sees of the fleet when it picks. Spans index servers 0..n-1, in
// fleet order (the order of the scenario's server groups), and all have the same length.
struct BackendView {
  // Requests in flight per server as this instance sees them: by default its own (as Envoy,
  // nginx and HAProxy processes do), or the balancer's global view, possibly stale
  // (balancer.view). Load-aware strategies read only this.
  std::span<const std::uint32_t> outstanding;
  // Current effective weights: configured weight x slow-start factor; > 0.
  std::span<const double> weight;
  // Per-server connection cap of this instance (HAProxy maxconn); 0 = unlimited. A server at its
  // cap shows as unavailable (available[i] == 0) to this instance until a slot frees, without an
  // on_fleet_change call: strategies check `available` at pick time. When every server is
  // capped, the model queues the request at the balancer.
  std::span<const std::uint32_t> max_connections;
  std::span<const std::uint8_t> available;  // 1 = may receive traffic now
  std::uint32_t available_count = 0;
  // Changes whenever any effective weight changes (runtime weight change, slow-start step), so
  // strategies with weight-derived state (prefix sums, schedules) notice without scanning.
  std::uint64_t weights_version = 0;
  // This instance's own in-flight counts, what max_connections caps. Equals `outstanding` unless
  // balancer.view is global; empty = use `outstanding` (strategies fall back to it).
  std::span<const std::uint32_t> own_outstanding{};
};

struct PickRequest {
  std::uint64_t user = 0;      // the requesting user, 0 .. user_population-1
  std::uint64_t hash_key = 0;  // a well-mixed 64-bit hash of the user (the "source address"),
                               // the same for every strategy and instance
  SimTime now = 0;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  Strategy() = default;
  Strategy(const Strategy&) = delete;
  Strategy& operator=(const Strategy&) = delete;

  // A server index with available[i] == 1, or kNoServer when none is available.
  [[nodiscard]] virtual std::uint32_t pick(const BackendView& view, const PickRequest& request,
                                           Rng& rng) = 0;
  // Membership or availability changed (not called per request, nor for a server reaching its
  // max_connections: check view.available at pick time). Weight changes are signalled by
  // view.weights_version instead.
  virtual void on_fleet_change(const BackendView& /*view*/) {}
  // A response (success or failure) came back from `server` after `rtt` (for latency-aware
  // strategies).
  virtual void on_response(std::uint32_t /*server*/, SimTime /*rtt*/, SimTime /*now*/) {}
  // view.outstanding[server] just changed to `outstanding` (a request was dispatched or ended,
  // or the global view was refreshed). Lets strategies keep an ordered index (least
  // connections over 10^4 servers) instead of scanning at each pick.
  virtual void on_load_change(std::uint32_t /*server*/, std::uint32_t /*outstanding*/) {}
  // `server` became idle (no request in service or queued) and reported it to this instance
  // (join-idle-queue: each idle server reports to one instance chosen at random).
  virtual void on_server_idle(std::uint32_t /*server*/) {}
};

enum class OptionType { kInteger, kReal, kDuration, kChoice };

struct OptionSpec {
  std::string name;
  OptionType type = OptionType::kReal;
  OptionValue default_value;
  double min = 0.0;  // inclusive bounds for numbers (durations: seconds)
  double max = 1e300;
  std::vector<std::string> choices;  // kChoice
  std::string help;
  // Unset unless given: the options then have no entry for it (option_given is false), and
  // default_value is what the strategy uses in its place. For a real balancer that behaves
  // differently when a setting is configured at all (Envoy least request's active_request_bias).
  bool optional = false;
};

struct StrategyContext {
  const StrategyOptions& options;
  std::uint32_t server_count;
  std::uint32_t instance;                     // which balancer instance this object serves
  std::uint64_t seed;                         // for strategies that derive deterministic state
  std::uint64_t user_population;              // users are 0 .. user_population-1 (sticky tables)
  std::span<const std::string> server_names;  // "<group>-<i>", for hashing by name (rings)
};

struct StrategyInfo {
  std::string name;
  std::string summary;  // one sentence for --help and the README
  std::vector<OptionSpec> options;
  std::unique_ptr<Strategy> (*make)(const StrategyContext& context) = nullptr;
  // Reads view.outstanding (per-server load) to decide. Only such strategies can use
  // `view: global`; the loader rejects the combination otherwise (it would change nothing).
  bool load_aware = false;
  // For a strategy that reads load only with some options (bounded-load hashing): whether these
  // options make it read view.outstanding. May be null.
  bool (*load_aware_with)(const StrategyOptions& options) = nullptr;
  // Reads view.weight. Setting weights under a strategy that does not is an error in a scenario
  // (it would change nothing).
  bool weighted = false;
  // Reads the weights only when it builds its map (map-based hashing): weight changes during a run
  // change nothing, so a timeline set_weight under it is an error too.
  bool static_weights = false;
  // What the option declarations cannot say (a prime table size, one option bounding another):
  // the reason the options are invalid, or empty. Checked by the loader without building a
  // strategy; make() throws std::invalid_argument with the same reason. May be null.
  std::string (*check_options)(const StrategyOptions& options) = nullptr;
  // Envoy's thread-aware balancers (ring hash, Maglev): in panic they route to every host and
  // ignore fail_traffic_on_panic.
  bool thread_aware = false;
};

// Every registered strategy, in registry order.
[[nodiscard]] const std::vector<StrategyInfo>& strategy_catalog();
// nullptr when unknown.
[[nodiscard]] const StrategyInfo* find_strategy(std::string_view name);
// "round_robin, random, ..." for error messages.
[[nodiscard]] std::string strategy_names();

// `name` with its options' defaults, then `options` over them (programmatic configurations:
// tests, benchmarks). Throws std::invalid_argument on an unknown strategy or option; values are
// not range-checked (the scenario loader does that for files).
[[nodiscard]] StrategyChoice strategy_named(std::string_view name,
                                            const StrategyOptions& options = {});

// Typed access for factories (options were validated by the loader).
[[nodiscard]] double option_number(const StrategyOptions& options, std::string_view name);
[[nodiscard]] const std::string& option_choice(const StrategyOptions& options,
                                               std::string_view name);
// Whether the strategy with these options reads server load (load_aware, or load_aware_with).
[[nodiscard]] bool reads_load(const StrategyChoice& choice);
// Whether an optional option was given (OptionSpec::optional); always true for the others.
[[nodiscard]] bool option_given(const StrategyOptions& options, std::string_view name);

}  // namespace lbsim
