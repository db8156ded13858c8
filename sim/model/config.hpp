#pragma once
// The model's configuration: plain data with units resolved (times in ns, rates per second).
// The scenario module fills it from YAML/CSV and validates it; Simulation copies it at build.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/distributions.hpp"
#include "sim/core/time.hpp"
#include "sim/model/actions.hpp"
#include "sim/model/settings.hpp"

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
  std::vector<SimTime> times_ns;     // nondecreasing, from run start
  std::vector<std::uint64_t> users;  // empty: users drawn from the population
  std::vector<double> service_s;     // empty: service drawn from WorkloadConfig::service
  SimTime loop_period_ns = 0;        // > 0: the trace repeats with this period; 0: plays once
  std::string source;                // file name, for messages
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

enum class BackoffJitter {
  kNone,   // wait exactly b
  kFull,   // uniform on [0, b)            (AWS "full jitter"; Envoy's retry back-off)
  kEqual,  // b/2 + uniform on [0, b/2)    (AWS "equal jitter")
};

// Retries of failed attempts (Envoy retry policy, Finagle/Envoy retry budgets). The n-th retry
// (n = 1, 2, ...) waits per `jitter` with b = min(backoff_max, backoff_base x 2^(n-1)), then goes
// back through the balancer (same instance).
struct RetryPolicy {
  int max_attempts = 1;             // attempts in all, the first included; 1 = no retries
  std::uint32_t retry_on_mask = 0;  // bit (1 << ErrorKind) for each error kind that is retried
  SimTime backoff_base_ns = 25 * kMillisecond;
  SimTime backoff_max_ns = 250 * kMillisecond;
  BackoffJitter jitter = BackoffJitter::kFull;
  bool avoid_previous_host = false;  // re-pick (up to 3 times) if the balancer picks the host
                                     // that failed the previous attempt (Envoy previous_hosts)
  // Retry budget (Envoy circuit_breakers.retry_budget): a retry is allowed only while retries in
  // progress at the instance stay below max(budget_min_retries, floor(budget_fraction x requests
  // in progress there)). It overrides the max_retries circuit breaker. budget_fraction < 0 = no
  // budget.
  double budget_fraction = -1.0;
  std::uint32_t budget_min_retries = 3;
};

struct ClientConfig {
  SimTime timeout_ns = 0;   // per-attempt timeout; 0 = the client waits forever
  SimTime deadline_ns = 0;  // overall deadline across attempts (Envoy route timeout); 0 = none
  RetryPolicy retry;
};

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
  SimTime window_ns = 0;             // > 0 when mode != kOff
  double aggression = 1.0;           // Envoy, > 0
  double min_weight_fraction = 0.1;  // Envoy min_weight_percent, in [0, 1]
  SimTime update_ns = kSecond;       // how often effective weights are recomputed
};

struct BalancerConfig {
  StrategyChoice strategy = default_strategy();  // typed once, at load; options filled in
  int instances = 1;  // independent balancer instances, each with its own state
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
  HealthCheckConfig health_check;
  OutlierConfig outlier;
  // Envoy healthy_panic_threshold: when the healthy share of the fleet's members falls below it,
  // the balancer routes to every member, healthy or not. 0 = never panic.
  double panic_threshold = 0.5;
  // Envoy common_lb_config.zone_aware_lb_config.fail_traffic_on_panic: in panic, route nowhere
  // (no_healthy_backend, Envoy's "no healthy upstream") instead of to every member. Not for the
  // thread-aware balancers (ring hash, Maglev), which do not read it.
  bool fail_traffic_on_panic = false;
  CircuitBreakerConfig circuit_breakers;
  // nginx passive health (server max_fails / fail_timeout; sim/model/health_passive.cpp): after
  // max_fails failed attempts the server is skipped for fail_timeout, then one request probes it.
  struct PassiveHealth {
    bool enabled = false;
    int max_fails = 1;  // nginx's default; 0 turns the accounting off
    SimTime fail_timeout_ns = 10 * kSecond;
    // The server's own 503s (queue_full, queue_timeout) count too, as with proxy_next_upstream
    // http_503; error and timeout always count.
    bool http_503 = false;
    bool operator==(const PassiveHealth&) const = default;
  } passive_health;
};

inline constexpr std::int64_t kUnlimitedQueue = -1;

// How a server behaves under overload, and after a crash.
struct OverloadConfig {
  // Thrashing: a request that starts service while more than `knee` workers are busy (itself
  // included) takes (1 + slowdown x (busy - knee)) times longer. 0 = no knee.
  std::int32_t knee = 0;
  double slowdown = 0.0;
  // Memory limit: the server crashes when a request arrives to find `crash_queue` requests
  // already queued; everything queued and in service is lost (crash_lost). -1 = never crashes.
  std::int64_t crash_queue = -1;
  SimTime restart_ns = 30 * kSecond;  // down time after a crash; requests meanwhile: refused
  // Cold start after a restart: service takes `cold_factor` times longer right after it, the
  // excess decaying linearly to nothing over cold_start_ns. 0 = none.
  SimTime cold_start_ns = 0;
  double cold_factor = 1.0;
  // The server drops a request that has waited longer than this in its queue (checked when a
  // worker would take it; the client gets queue_timeout then). 0 = never.
  SimTime queue_timeout_ns = 0;
};

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
  SimTime join_at_ns = 0;  // the group joins the fleet at this time (scale-out); 0 = from start;
                           // kTimeNever = only when a timeline action adds it (add_servers)
  int first_index = 0;     // servers are named "<group>-<first_index + i>" (added servers
                           // continue their group's numbering)
  // nginx `down` / HAProxy `disabled`: configured (it counts in the fleet and in hashing's
  // static maps) but never routed to: drained from the start.
  bool down = false;
  OverloadConfig overload;
};

// ---- timeline and alerts -----------------------------------------------------------------------

// Windowed metrics alert rules can watch (values as in timeseries.csv, for the window that
// just closed).
enum class AlertMetric : std::uint8_t {
  kErrorRate,    // failed / (completed + failed), by end time
  kLatencyMean,  // seconds, completed requests
  kLatencyP50,   // named latency_p50, ...: completed requests only
  kLatencyP90,
  kLatencyP99,
  kUtilizationMean,  // over member servers
  kUtilizationMax,   // the busiest server
  kImbalance,        // max / mean utilisation
  kHealthyServers,   // members in rotation (up, passing checks, not ejected, not drained), at
                     // the window's end
  kHealthyFraction,  // healthy servers / members
  kServersDown,      // crashed or killed, at the window's end
  kOfferedRate,      // arrivals per second
  kRetryRate,        // retries per second
  kQueueTotal,       // time-averaged requests queued at servers, fleet total
  kResponseMean,     // seconds, every request that ended, a failure at the time it failed
  kResponseP50,      // named p50, p90, p99: the failure-aware percentiles are the default
  kResponseP90,
  kResponseP99,
  kTrafficImbalance,  // the largest share of attempts dispatched over its fair share by weight
};
inline constexpr int kAlertMetricCount = static_cast<int>(AlertMetric::kTrafficImbalance) + 1;
[[nodiscard]] std::string_view alert_metric_name(AlertMetric metric);

// Fires when the metric is above (or below) the threshold in every window for at least for_ns
// (for_ns = 0: the first such window); resolves at the first window where it is not.
struct AlertRule {
  std::string name;
  AlertMetric metric = AlertMetric::kErrorRate;
  bool above = true;
  double threshold = 0.0;
  SimTime for_ns = 0;
  std::vector<ActionConfig> on_fire;  // at_ns = delay after firing; run at every firing
};

// What summary.json's incident section measures against (the model ignores it).
// One figure of the postmortem document (incident.documented), to set beside the replay's.
struct DocumentedFigure {
  std::string figure;  // start, detected, mitigated, end, duration, users_affected, ...
  std::string text;    // as written in the scenario
  double value = 0.0;  // ns from the run start (times), ns (duration), or a fraction
  bool input = false;  // listed in incident.documented.inputs: the scenario was tuned to it
};

struct IncidentConfig {
  SimTime start_ns = -1;  // the incident's start; -1 = none (no incident metrics). The loader
                          // sets it, unless given, to the first timeline action that changes
                          // something (anything but a note)
  double slo = -1.0;      // availability objective in (0, 1), e.g. 0.999; -1 = none
  SimTime slo_period_ns = SimTime{30} * 24 * kHour;
  double recovery_error_rate = -1.0;  // recovered below this; -1 = 1 - slo, or 1% without one
  std::vector<DocumentedFigure> documented;  // in the order the file lists them
};

// The scenario's wall clock: t = 0 of the run is start_epoch_s (seconds since 1970-01-01 UTC);
// clock times in the file are in a zone offset_minutes east of UTC.
struct ScenarioClock {
  bool set = false;
  std::int64_t start_epoch_s = 0;
  std::int32_t offset_minutes = 0;
  std::string zone;  // as written ("UTC", "EST", "+05:30")
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
  std::vector<ServerGroupConfig> servers;  // groups added by add_servers come last
  std::vector<ActionConfig> timeline;      // sorted by at_ns (ties: as written)
  std::vector<AlertRule> alerts;
  IncidentConfig incident;
  ScenarioClock clock;
};

}  // namespace lbsim
