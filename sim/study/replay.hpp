#pragma once
// lbsim replay's what-ifs: the scenario's named alternatives against the baseline (the incident
// as it happened), replicated with common random numbers, each judged on its impact.
#include <cstdint>
#include <optional>
#include <string>
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

struct WhatIfVerdict {
  enum class Kind {
    kPreventsIncident,  // no window above the threshold, no user affected
    kPreventsOutage,    // no window above the threshold; some users still see errors
    kShortens,          // the impact is shorter, the 95% interval of the difference excludes 0
    kNotMeasurable,     // does not shorten the impact measurably
  };
  Kind kind = Kind::kNotMeasurable;
  double shortened_s = 0.0;  // with kShortens
};

struct WhatIfComparison {
  std::uint64_t replications = 0;
  std::vector<RunSummary> runs;  // run i = alternative i / R, replication i % R
  std::vector<analytic::PairedComparison> by_metric;  // kImpactMetrics order
  std::vector<WhatIfVerdict> verdicts;                // per alternative; [0] the baseline's
};

// Alternative v's verdict (v >= 1), judged on the users affected and the impact duration: no
// window above the threshold and no user affected prevents the incident; no window above it
// prevents the outage; a shorter impact whose 95% paired interval excludes 0 shortens it;
// anything else is not measurable. `users` and `impact` are the comparisons of those metrics.
[[nodiscard]] WhatIfVerdict what_if_verdict(const analytic::PairedComparison& users,
                                            const analytic::PairedComparison& impact,
                                            std::size_t v);

[[nodiscard]] WhatIfComparison compare_what_ifs(const std::vector<Alternative>& alternatives,
                                                std::uint64_t replications, unsigned threads,
                                                const RunsDone& done = {});

}  // namespace lbsim::study
