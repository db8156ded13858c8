#pragma once
// lbsim replay's what-ifs: the scenario's named alternatives against the baseline (the incident
// as it happened), replicated with common random numbers, each judged on its impact.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/analytic/statistics.hpp"
#include "sim/metrics/catalogue.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/run.hpp"

namespace lbsim::study {

// The impact metrics, in the order files and tables list them. Measured over the whole measured
// period, so that every alternative is measured on the same span.
inline const std::vector<MetricId> kImpactMetrics = {
    MetricId::kUsersAffected, MetricId::kFailedRequests, MetricId::kErrorRate, MetricId::kImpact,
    MetricId::kPeakErrorRate, MetricId::kServersCrashed, MetricId::kResponseP99,
    MetricId::kBudgetSpent};

// Where `metric` stands in kImpactMetrics (std::logic_error if it is not one of them).
[[nodiscard]] std::size_t impact_index(MetricId metric);

struct Alternative {
  std::string name;
  std::string text;  // what it stands for
  SimulationConfig config;
};

// The baseline ("as it happened") then each named what-if of the scenario (`all`: every one),
// loaded with the same overrides (and `seed` when given, as the baseline was), and measured from
// the baseline's incident start (a what-if that skips the change would otherwise start its incident
// at a later action, or have none). Each alternative's model is built once here.
[[nodiscard]] std::vector<Alternative> load_alternatives(const Scenario& baseline,
                                                         const std::vector<std::string>& overrides,
                                                         std::vector<std::string> names,
                                                         std::optional<std::uint64_t> seed);

// The metrics a what-if is judged on (each also in kImpactMetrics), lower is better for all.
inline const std::vector<MetricId> kVerdictMetrics = {
    MetricId::kFailedRequests, MetricId::kUsersAffected, MetricId::kBudgetSpent,
    MetricId::kPeakErrorRate,  MetricId::kResponseP99,   MetricId::kImpact};

// One judged metric whose paired 95% interval against the baseline excludes 0.
struct MetricChange {
  MetricId metric;
  double baseline = 0.0, what_if = 0.0;  // means over replications
  double difference = 0.0;               // mean paired difference, what-if - baseline
};

struct WhatIfVerdict {
  // whatif.csv's `verdict` vocabulary (verdict_name), README "What-if verdicts".
  enum class Kind {
    kPrevents,            // no window above the threshold in any replication, something better,
                          // nothing worse (the failure-aware p99 included)
    kReduces,             // something better, nothing worse
    kNoMeasurableEffect,  // no judged metric's interval excludes 0
    kWorse,               // something worse, nothing better
    kMixed,               // something better and something worse
  };
  Kind kind = Kind::kNoMeasurableEffect;
  std::vector<MetricChange> better, worse;  // in kVerdictMetrics order
};

[[nodiscard]] std::string_view verdict_name(WhatIfVerdict::Kind kind);

// Alternative v's verdict (v >= 1) from the paired comparisons in kImpactMetrics order: each
// metric of kVerdictMetrics is better when its paired interval lies below 0, worse when above
// (a metric with no value, such as the error budget without incident.slo, is skipped).
[[nodiscard]] WhatIfVerdict what_if_verdict(
    const std::vector<analytic::PairedComparison>& by_metric, std::size_t v);

struct WhatIfComparison {
  std::uint64_t replications = 0;
  std::vector<RunSummary> runs;  // run i = alternative i / R, replication i % R
  std::vector<analytic::PairedComparison> by_metric;  // kImpactMetrics order
  std::vector<WhatIfVerdict> verdicts;                // per alternative; [0] unused
};

[[nodiscard]] WhatIfComparison compare_what_ifs(const std::vector<Alternative>& alternatives,
                                                std::uint64_t replications, unsigned threads,
                                                const RunsDone& done = {});

}  // namespace lbsim::study
