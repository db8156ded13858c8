#pragma once
// lbsim replay --sensitivity: how a replay's headline figures move across the range of a choice
// the postmortem does not document (the user population, a rate, the window, a fleet size). Each
// value of each range is the scenario with one more override ("key=value", applied after the
// command line's --set), replicated with common random numbers beside the baseline (the scenario
// as given), measured from the baseline's incident start (as the what-ifs are) on the what-ifs'
// impact metrics plus the time to detect and the servers named overloaded.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/analytic/statistics.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/replay.hpp"
#include "sim/study/run.hpp"

namespace lbsim::study {

// One `--sensitivity key=lo..hi`: the values tried are lo, the midpoint when both ends are
// numbers with the same unit suffix ("2000/s..4000/s" -> 3000/s; integers stay integers), and hi.
struct SensitivityRange {
  std::string spec;  // as given, for messages
  std::string key;
  std::vector<std::string> values;
  std::optional<std::string> as_given;  // the key's value in the scenario, when it has one
};

// Parses "key=lo..hi". Throws ConfigError located at "--sensitivity <spec>" for a missing `=`,
// an empty key, a missing `..`, an empty end, or equal ends.
[[nodiscard]] SensitivityRange parse_sensitivity(const std::string& spec);

// The midpoint of two values as parse_sensitivity computes it; nullopt when they are not numbers
// with one unit suffix, or when it rounds onto an end.
[[nodiscard]] std::optional<std::string> sensitivity_midpoint(const std::string& lo,
                                                              const std::string& hi);

struct SensitivityStudy {
  std::vector<SensitivityRange> ranges;
  // [0] the baseline (the scenario as given), then every value of every range in order.
  std::vector<Alternative> alternatives;
  std::vector<std::size_t> range_of;  // per alternative; [0] unused
  std::vector<std::string> value_of;  // per alternative; [0] empty
};

// Loads every point: the scenario file with `overrides`, then key=value, then `seed` when given.
// A value the scenario rejects is a ConfigError located at the --sensitivity argument that
// names the value and carries the loader's message.
[[nodiscard]] SensitivityStudy load_sensitivity(const Scenario& baseline,
                                                const std::vector<std::string>& overrides,
                                                const std::vector<std::string>& specs,
                                                std::optional<std::uint64_t> seed);

// What a point did beyond the impact metrics.
struct SensitivityOutcome {
  analytic::Interval detected_after_s;  // over the replications that detected the incident
  std::uint64_t detected_in = 0;        // replications in which an alert detected it
  // Servers named overloaded in at least half of the replications, in fleet order.
  std::vector<std::string> overloaded;
};

struct SensitivityResult {
  std::uint64_t replications = 0;
  std::vector<RunSummary> runs;                       // run i = point i / R, replication i % R
  std::vector<analytic::PairedComparison> by_metric;  // kImpactMetrics order, point 0 the baseline
  std::vector<SensitivityOutcome> outcomes;           // per point
};

[[nodiscard]] SensitivityResult run_sensitivity(const SensitivityStudy& study,
                                                std::uint64_t replications, unsigned threads,
                                                const RunsDone& done = {});

}  // namespace lbsim::study
