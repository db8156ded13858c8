#pragma once
// lbsim sweep's experiment: a scenario over the Cartesian grid of overrides, replicated with
// common random numbers (replication r of every point sees the same random streams); a t
// interval per point and metric.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/analytic/statistics.hpp"
#include "sim/metrics/catalogue.hpp"
#include "sim/model/config.hpp"
#include "sim/study/run.hpp"

namespace lbsim::study {

// The swept metrics, in the order files list them.
inline const std::vector<MetricId> kSweepMetrics = {
    MetricId::kOfferedRate,    MetricId::kThroughput,  MetricId::kErrorRate,
    MetricId::kLatencyMean,    MetricId::kLatencyP50,  MetricId::kLatencyP90,
    MetricId::kLatencyP99,     MetricId::kLatencyP999, MetricId::kUtilizationMean,
    MetricId::kUtilizationMax, MetricId::kImbalance,   MetricId::kResponseMean,
    MetricId::kResponseP50,    MetricId::kResponseP90, MetricId::kResponseP99,
    MetricId::kResponseP999,   MetricId::kTrafficImbalance};

struct Axis {
  std::string key;
  std::vector<std::string> values;
};

// "key.path=v1,v2,...": values split at commas outside brackets and braces, so YAML flow values
// ("{dist: gamma, mean: 8ms, cv: 2}") can be swept too. Throws ConfigError at "--grid <text>".
[[nodiscard]] Axis parse_grid(const std::string& text);

struct SweepPlan {
  std::vector<Axis> axes;
  std::vector<std::vector<std::string>> points;  // row-major: the last axis varies fastest
  std::vector<SimulationConfig> configs;         // one per point
};

// Loads the scenario at every point (at most 100000); each point's model is built once, so what
// only the model checks is reported for the point it concerns.
[[nodiscard]] SweepPlan plan_sweep(const std::string& path,
                                   const std::vector<std::string>& overrides,
                                   std::optional<std::uint64_t> seed, std::vector<Axis> axes);

struct SweepResult {
  std::uint64_t replications = 0;
  std::vector<RunSummary> runs;                            // run i = point i / R, replication i % R
  std::vector<std::vector<analytic::Interval>> intervals;  // [point][kSweepMetrics index]
};

[[nodiscard]] SweepResult sweep(const SweepPlan& plan, std::uint64_t replications, unsigned threads,
                                const RunsDone& done = {});

}  // namespace lbsim::study
