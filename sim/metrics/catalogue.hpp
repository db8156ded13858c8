#pragma once
// The one metric catalogue: every metric a study reports, compares or bounds, with its name in
// output files, the short names an SLO uses, its unit, which direction is better and what it
// means in plain words. compare, sweep, replay, check, capacity and the SLO parser all read
// metrics through it (metric_value), from a RunSummary.
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sim/metrics/run_summary.hpp"

namespace lbsim {

enum class MetricId : std::uint8_t {
  kOfferedRate,
  kThroughput,
  kErrorRate,
  kLatencyMean,
  kLatencyP50,
  kLatencyP90,
  kLatencyP99,
  kLatencyP999,
  kUtilizationMean,
  kUtilizationMax,
  kImbalance,
  kUsersAffected,
  kFailedRequests,
  kImpact,
  kPeakErrorRate,
  kServersCrashed,
  kResponseMean,  // every request, a failure counted at the time it failed
  kResponseP50,
  kResponseP90,
  kResponseP99,
  kResponseP999,
  kTrafficImbalance,
  kBudgetSpent,
};
inline constexpr std::size_t kMetricCount = 23;

enum class MetricUnit : std::uint8_t { kSeconds, kFraction, kNumber, kPerSecond, kCount };
enum class Better : std::uint8_t { kLower, kHigher, kNeither };

struct MetricInfo {
  MetricId id;
  const char* name;   // output files: CSV columns, `metric` values, JSON keys
  const char* alias;  // the SLO's and alerts' short name ("p99"), or nullptr
  MetricUnit unit;
  Better better;
  const char* heading;  // terminal table column
  double table_scale;   // table value = value x scale (seconds -> ms, fraction -> %)
  const char* meaning;  // in plain words, for verdicts
};

[[nodiscard]] const std::array<MetricInfo, kMetricCount>& metric_catalogue();
[[nodiscard]] const MetricInfo& metric_info(MetricId id);

// By file name or alias; nullopt when neither.
[[nodiscard]] std::optional<MetricId> find_metric(std::string_view name);

// The metric's value in a run; NaN when it has none (no request completed, no server in the
// fleet). The incident metrics (impact, peak error rate, servers crashed) are 0 without an
// incident.
[[nodiscard]] double metric_value(const RunSummary& summary, MetricId id);

// "300.0 ms", "0.1%", "1.50", "1200/s", "42"; "no value" for NaN.
[[nodiscard]] std::string show_value(double value, MetricUnit unit);

}  // namespace lbsim
