#pragma once
// Shared helpers for model tests: build small configurations in code, run them in-process, and
// estimate a quantity over independent replications with its standard error.
#include <cmath>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/metrics/recorder.hpp"
#include "sim/metrics/run_summary.hpp"
#include "sim/model/simulation.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim::test {

// LBSIM_TEST_SCALE shortens long statistical runs (the sanitizer pass sets 0.1). Tolerances
// built from replication standard errors widen by themselves as runs shorten.
inline double test_scale() {
  const char* text = std::getenv("LBSIM_TEST_SCALE");
  if (text == nullptr) return 1.0;
  const double scale = std::atof(text);
  return scale > 0.0 ? scale : 1.0;
}

inline DistributionConfig exponential_s(double mean_s) {
  DistributionConfig d;
  d.kind = DistributionKind::kExponential;
  d.mean_s = mean_s;
  return d;
}

// Fills every declared option of `strategy` with its default (what the scenario loader does).
inline BalancerConfig balancer(const std::string& strategy, int instances = 1) {
  BalancerConfig b;
  b.strategy = strategy_named(strategy);
  b.instances = instances;
  return b;
}

// The typed action inside a timeline entry.
template <typename T>
T& as(ActionConfig& action) {
  return std::get<T>(action.action);
}

// `servers` identical servers fed by one Poisson stream.
inline SimulationConfig fleet_config(double rate_per_s, DistributionConfig service, int servers,
                                     int workers, std::int64_t queue_limit, double warmup_s,
                                     double duration_s, const std::string& strategy = "random") {
  SimulationConfig c;
  c.name = "test";
  c.seed = 12345;
  c.warmup_ns = from_seconds(warmup_s);
  c.duration_ns = from_seconds(duration_s);
  c.window_ns = from_seconds(std::max(1.0, (warmup_s + duration_s) / 20.0));
  c.workload.rate_per_s = rate_per_s;
  c.workload.users = 1000;
  c.workload.service = service;
  c.balancer = balancer(strategy);
  ServerGroupConfig group;
  group.group = "s";
  group.count = servers;
  group.workers = workers;
  group.queue_limit = queue_limit;
  c.servers.push_back(group);
  return c;
}

struct RunOutput {
  Totals totals;
  double latency_mean_s = 0.0;
  double wait_mean_s = 0.0;
  std::vector<WindowRow> windows;
  RunStats stats;
  IncidentSummary incident;  // default (start -1) when the run has no incident
  // The conclusions summary.json states (overloaded, underused, down servers); with an incident.
  std::optional<IncidentReport> report;
};

inline RunOutput run_config(const SimulationConfig& config) {
  Simulation simulation(config);
  Recorder recorder({config.warmup_ns, simulation.end_time(), config.window_ns,
                     simulation.servers(), simulation.user_population(), nullptr, config.incident,
                     &simulation.window_listener()});
  simulation.set_observer(&recorder);
  RunOutput out;
  out.stats = simulation.run();
  recorder.finish();
  out.totals = recorder.totals();
  out.latency_mean_s = recorder.latency().count() > 0 ? recorder.latency().mean_s() : 0.0;
  out.wait_mean_s = out.totals.completed > 0
                        ? out.totals.wait_sum_s / static_cast<double>(out.totals.completed)
                        : 0.0;
  out.windows = recorder.windows();
  if (recorder.incident() != nullptr) {
    out.incident = *recorder.incident();
    out.report = summarize(config, recorder, out.stats).incident;
  }
  return out;
}

// Mean of independent replications and the standard error of that mean.
struct Estimate {
  double mean = 0.0;
  double standard_error = 0.0;
  int replications = 0;
};

inline Estimate replicate(int replications, const std::function<double(std::uint64_t)>& one_run) {
  std::vector<double> values;
  for (int r = 0; r < replications; ++r) values.push_back(one_run(static_cast<std::uint64_t>(r)));
  double sum = 0.0;
  for (const double v : values) sum += v;
  const double mean = sum / replications;
  double ss = 0.0;
  for (const double v : values) ss += (v - mean) * (v - mean);
  const double sd = std::sqrt(ss / (replications - 1));
  return {mean, sd / std::sqrt(static_cast<double>(replications)), replications};
}

}  // namespace lbsim::test
