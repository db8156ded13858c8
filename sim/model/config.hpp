#pragma once
// The model's configuration: plain data with units resolved (times in ns, rates per second).
// The scenario module fills it from YAML/CSV and validates it; Simulation copies it at build.
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "sim/core/distributions.hpp"
#include "sim/core/time.hpp"

namespace lbsim {

enum class ArrivalProcess { kPoisson, kDeterministic, kTrace };
enum class UserDistribution { kUniform, kZipf };

// One point of the offered-rate profile. The rate moves from its value just before `at_ns` to the
// target: at once (ramp_ns == 0, a step) or linearly over [at_ns, at_ns + ramp_ns]. The target is
// an absolute rate, or a multiple of WorkloadConfig::rate_per_s. Points are sorted by at_ns and
// ramps do not overlap the next point (the loader checks).
struct RateChange {
  SimTime at_ns = 0;
  SimTime ramp_ns = 0;
  double target_rate_per_s = 0.0;  // resolved by the loader (multipliers already applied)
};

// Arrivals replayed from a trace, already parsed and converted by the scenario module.
struct TraceArrivals {
  std::vector<SimTime> times_ns;      // nondecreasing, from run start
  std::vector<std::uint64_t> users;   // empty: users drawn from the population
  std::vector<double> service_s;      // empty: service drawn from WorkloadConfig::service
  SimTime loop_period_ns = 0;         // > 0: the trace repeats with this period; 0: plays once
  std::string source;                 // file name, for messages
};

struct WorkloadConfig {
  double rate_per_s = 0.0;  // base offered rate (Poisson/deterministic)
  ArrivalProcess arrivals = ArrivalProcess::kPoisson;
  std::vector<RateChange> profile;
  TraceArrivals trace;      // arrivals == kTrace
  std::uint64_t users = 1;  // population size, >= 1
  UserDistribution user_distribution = UserDistribution::kUniform;
  double zipf_exponent = 1.0;
  DistributionConfig service;
};

struct ClientConfig {
  SimTime timeout_ns = 0;  // per-attempt timeout; 0 = the client waits forever
};

// A strategy option's value after validation: a number (durations in seconds) or a name.
using OptionValue = std::variant<double, std::string>;
using StrategyOptions = std::map<std::string, OptionValue, std::less<>>;

// What load-aware strategies see as each server's load.
enum class LoadView {
  kLocal,   // each instance counts its own requests in flight (as real proxies do)
  kGlobal,  // every instance sees each server's true load (in service + queued), refreshed
            // every view_refresh_ns (0 = always current; > 0 = stale between refreshes)
};
// Which balancer instance a request reaches.
enum class InstanceSelection { kRandom, kUserHash };
// What the balancer balances.
enum class BalancingUnit {
  kRequest,     // L7: every request is balanced on its own (default)
  kConnection,  // L4: a user's requests follow its persistent connection to one server
};
enum class SlowStartMode {
  kOff,
  kEnvoy,    // factor = max(min_weight, (t / window)^(1 / aggression))
  kHaproxy,  // factor rises linearly from 1% to 100% over the window
};

struct SlowStartConfig {
  SlowStartMode mode = SlowStartMode::kOff;
  SimTime window_ns = 0;            // > 0 when mode != kOff
  double aggression = 1.0;          // Envoy, > 0
  double min_weight_fraction = 0.1; // Envoy min_weight_percent, in [0, 1]
  SimTime update_ns = kSecond;      // how often effective weights are recomputed
};

struct BalancerConfig {
  std::string strategy = "round_robin";
  int instances = 1;        // independent balancer instances, each with its own state
  StrategyOptions options;  // every option of the strategy, defaults filled in
  InstanceSelection instance_selection = InstanceSelection::kRandom;
  LoadView view = LoadView::kLocal;
  SimTime view_refresh_ns = 0;  // kGlobal only
  BalancingUnit unit = BalancingUnit::kRequest;
  SimTime connection_lifetime_ns = 0;  // kConnection: close after this long; 0 = never
  SimTime reconnect_backoff_ns = 0;    // kConnection: a closed connection reopens after this
  // Balancer-side queue, used when every eligible server is at its max_connections (HAProxy
  // backend queue): requests wait up to queue_timeout_ns (then fail lb_queue_timeout);
  // queue_limit bounds it (full: lb_queue_full); -1 = unlimited.
  SimTime queue_timeout_ns = 5 * kSecond;
  std::int64_t queue_limit = -1;
  SlowStartConfig slow_start;
};

inline constexpr std::int64_t kUnlimitedQueue = -1;

struct ServerGroupConfig {
  std::string group;
  int count = 1;
  int workers = 1;
  std::int64_t queue_limit = kUnlimitedQueue;  // waiting room beyond the workers; -1 = unlimited
  double weight = 1.0;
  double speed = 1.0;  // service demand is divided by speed
  // Concurrent requests each balancer instance may have on one server of this group (HAProxy
  // maxconn); 0 = unlimited. Beyond it requests wait in the balancer's queue.
  std::uint32_t max_connections = 0;
  SimTime join_at_ns = 0;  // the group joins the fleet at this time (scale-out); 0 = from start
};

struct SimulationConfig {
  std::string name;
  std::uint64_t seed = 1;
  std::uint64_t replication = 0;  // changes every stream, keeps them independent (ns-3 "run")
  SimTime warmup_ns = 0;
  SimTime duration_ns = 0;  // measured after warmup; the run ends at warmup + duration
  SimTime window_ns = 10 * kSecond;
  WorkloadConfig workload;
  ClientConfig client;
  BalancerConfig balancer;
  std::vector<ServerGroupConfig> servers;
};

}  // namespace lbsim
