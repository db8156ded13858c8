#pragma once
// Service-level objectives on the command line ("p99<300ms,errors<0.1%"), shared by check and
// capacity: parsing, the metrics a term can bound, and judging a run's summary against them.
#include <array>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace lbsim::cli {

enum class SloUnit { kSeconds, kFraction, kNumber };

struct SloMetric {
  const char* name;
  SloUnit unit;
  const char* meaning;  // in plain words, for verdicts
};

// The metrics an SLO term can bound, in the order slo_values() returns them.
inline constexpr std::array<SloMetric, 8> kSloMetrics = {{
    {"p50", SloUnit::kSeconds, "median response time"},
    {"p90", SloUnit::kSeconds, "90th percentile response time"},
    {"p99", SloUnit::kSeconds, "99th percentile response time"},
    {"p999", SloUnit::kSeconds, "99.9th percentile response time"},
    {"mean", SloUnit::kSeconds, "mean response time"},
    {"errors", SloUnit::kFraction, "error rate"},
    {"imbalance", SloUnit::kNumber, "utilisation imbalance (busiest / mean)"},
    {"utilization_max", SloUnit::kFraction, "busiest server's utilisation"},
}};
inline constexpr std::size_t kSloImbalance = 6;

// One upper bound.
struct SloTerm {
  std::size_t metric = 0;  // index into kSloMetrics
  bool inclusive = false;  // <= rather than <
  double bound = 0.0;      // seconds, fraction or number
  std::string text;        // as written
};

// "p99<300ms,errors<0.1%": comma-separated terms `metric<bound` or `metric<=bound`, spaces
// ignored. Throws ConfigError located at "--slo <text>" saying what was expected.
[[nodiscard]] std::vector<SloTerm> parse_slo(const std::string& text);

// The kSloMetrics values of a run, from its summary.json document (NaN: no value).
[[nodiscard]] std::vector<double> slo_values(const nlohmann::ordered_json& summary);

// The value keeps the bound. No value (NaN: nothing completed, no server busy) is a breach: a run
// that served nothing does not meet an SLO.
[[nodiscard]] bool meets(const SloTerm& term, double value);

// "300.0 ms", "0.1%", "1.50"; "no value" for NaN.
[[nodiscard]] std::string show_slo_value(double value, SloUnit unit);

}  // namespace lbsim::cli
