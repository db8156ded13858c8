#pragma once
// lbsim compare's experiment: several strategy variants on one scenario, replicated with common
// random numbers, each metric summarised as a t interval of each variant's mean and of its paired
// difference from the first variant (Law, "Simulation Modeling and Analysis", 5th ed., 10.2: with
// common random numbers the paired-t interval of the difference is valid and usually much
// narrower than comparing the two intervals).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/analytic/statistics.hpp"
#include "sim/metrics/catalogue.hpp"
#include "sim/model/config.hpp"
#include "sim/study/run.hpp"

namespace lbsim::study {

// The compared metrics, in the order files and tables list them.
inline const std::vector<MetricId> kCompareMetrics = {
    MetricId::kLatencyP50, MetricId::kLatencyP99, MetricId::kLatencyP999,   MetricId::kLatencyMean,
    MetricId::kErrorRate,  MetricId::kImbalance,  MetricId::kUtilizationMax, MetricId::kResponseP99,
    MetricId::kTrafficImbalance};

struct Variant {
  std::string text;  // as given in --strategies
  SimulationConfig config;
};

// The scenario once per variant of the comma-separated `strategies` list, with `overrides` and,
// when given, `seed`. Each variant's model is built once here, so what only the model checks is
// reported now, for the variant it concerns (std::invalid_argument "--strategies <v>: ...").
[[nodiscard]] std::vector<Variant> load_variants(const std::string& path,
                                                 const std::vector<std::string>& overrides,
                                                 std::optional<std::uint64_t> seed,
                                                 const std::string& strategies);

struct Comparison {
  std::uint64_t replications = 0;
  std::vector<MetricId> metrics;
  std::vector<RunSummary> runs;                       // run i = variant i / R, replication i % R
  std::vector<analytic::PairedComparison> by_metric;  // one per metric, variant 0 the baseline
};

[[nodiscard]] Comparison compare(const std::vector<Variant>& variants, std::uint64_t replications,
                                 unsigned threads, const RunsDone& done = {});

}  // namespace lbsim::study
