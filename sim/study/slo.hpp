#pragma once
// Service-level objectives ("p99<300ms,errors<0.1%"), shared by check and capacity: parsing, and
// judging a value against a bound. The metrics a term can bound are the catalogue's with an SLO
// alias: p50, p90, p99, p999 and mean count every request, a failure at the time it failed;
// latency_p50 ... latency_mean count completed requests only.
#include <array>
#include <string>
#include <vector>

#include "sim/metrics/catalogue.hpp"

namespace lbsim::study {

// The metrics an SLO may bound, in the order messages list them.
inline constexpr std::array<MetricId, 14> kSloMetrics = {
    MetricId::kResponseP50,     MetricId::kResponseP90,      MetricId::kResponseP99,
    MetricId::kResponseP999,    MetricId::kResponseMean,     MetricId::kErrorRate,
    MetricId::kImbalance,       MetricId::kTrafficImbalance, MetricId::kUtilizationMax,
    MetricId::kLatencyP50,      MetricId::kLatencyP90,       MetricId::kLatencyP99,
    MetricId::kLatencyP999,     MetricId::kLatencyMean};

// One upper bound.
struct SloTerm {
  MetricId metric = MetricId::kLatencyP99;
  bool inclusive = false;  // <= rather than <
  double bound = 0.0;      // seconds, fraction or number
  std::string text;        // as written
};

// Comma-separated terms `metric<bound` or `metric<=bound`, spaces ignored. Throws ConfigError
// located at "--slo <text>" saying what was expected.
[[nodiscard]] std::vector<SloTerm> parse_slo(const std::string& text);

// The value keeps the bound. No value (NaN: nothing completed, no server busy) is a breach: a run
// that served nothing does not meet an SLO.
[[nodiscard]] bool meets(const SloTerm& term, double value);

// The terms plus imbalance <= `max_imbalance` when it is > 0 and no term bounds imbalance.
[[nodiscard]] std::vector<SloTerm> with_imbalance_limit(std::vector<SloTerm> terms,
                                                        double max_imbalance);

}  // namespace lbsim::study
