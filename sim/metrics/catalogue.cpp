#include "sim/metrics/catalogue.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace lbsim {

namespace {

using M = MetricId;
using U = MetricUnit;
using B = Better;

constexpr std::array<MetricInfo, kMetricCount> kCatalogue = {{
    {M::kOfferedRate, "offered_rate_per_s", nullptr, U::kPerSecond, B::kNeither, "offered/s", 1.0,
     "offered request rate"},
    {M::kThroughput, "throughput_per_s", nullptr, U::kPerSecond, B::kHigher, "served/s", 1.0,
     "completed request rate"},
    {M::kErrorRate, "error_rate", "errors", U::kFraction, B::kLower, "errors %", 100.0,
     "error rate"},
    {M::kLatencyMean, "latency_mean_s", "latency_mean", U::kSeconds, B::kLower, "mean ms (ok)",
     1e3, "mean latency of completed requests"},
    {M::kLatencyP50, "latency_p50_s", "latency_p50", U::kSeconds, B::kLower, "p50 ms (ok)", 1e3,
     "median latency of completed requests"},
    {M::kLatencyP90, "latency_p90_s", "latency_p90", U::kSeconds, B::kLower, "p90 ms (ok)", 1e3,
     "90th percentile latency of completed requests"},
    {M::kLatencyP99, "latency_p99_s", "latency_p99", U::kSeconds, B::kLower, "p99 ms (ok)", 1e3,
     "99th percentile latency of completed requests"},
    {M::kLatencyP999, "latency_p999_s", "latency_p999", U::kSeconds, B::kLower, "p99.9 ms (ok)",
     1e3, "99.9th percentile latency of completed requests"},
    {M::kUtilizationMean, "utilization_mean", nullptr, U::kFraction, B::kNeither, "util", 1.0,
     "mean server utilisation"},
    {M::kUtilizationMax, "utilization_max", "utilization_max", U::kFraction, B::kLower, "util max",
     1.0, "busiest server's utilisation"},
    {M::kImbalance, "utilization_imbalance", "imbalance", U::kNumber, B::kLower, "imbalance", 1.0,
     "utilisation imbalance (busiest / mean)"},
    {M::kUsersAffected, "users_affected_fraction", nullptr, U::kFraction, B::kLower, "users hit %",
     100.0, "share of active users who saw an error"},
    {M::kFailedRequests, "failed_requests", nullptr, U::kCount, B::kLower, "failed", 1.0,
     "failed requests"},
    {M::kImpact, "impact_s", nullptr, U::kSeconds, B::kLower, "impact min", 1.0 / 60.0,
     "time the error rate stayed above the recovery threshold"},
    {M::kPeakErrorRate, "peak_error_rate", nullptr, U::kFraction, B::kLower, "peak err %", 100.0,
     "worst window's error rate after the incident start"},
    {M::kServersCrashed, "servers_crashed", nullptr, U::kCount, B::kLower, "crashed", 1.0,
     "servers that crashed from overload"},
    {M::kResponseMean, "response_mean_s", "mean", U::kSeconds, B::kLower, "mean ms (all)", 1e3,
     "mean response time, failures included"},
    {M::kResponseP50, "response_p50_s", "p50", U::kSeconds, B::kLower, "p50 ms (all)", 1e3,
     "median response time, failures included"},
    {M::kResponseP90, "response_p90_s", "p90", U::kSeconds, B::kLower, "p90 ms (all)", 1e3,
     "90th percentile response time, failures included"},
    {M::kResponseP99, "response_p99_s", "p99", U::kSeconds, B::kLower, "p99 ms (all)", 1e3,
     "99th percentile response time, failures included"},
    {M::kResponseP999, "response_p999_s", "p999", U::kSeconds, B::kLower, "p99.9 ms (all)", 1e3,
     "99.9th percentile response time, failures included"},
    {M::kTrafficImbalance, "traffic_imbalance", "traffic_imbalance", U::kNumber, B::kLower,
     "traffic imb", 1.0, "traffic imbalance (largest share of requests over its fair share)"},
    {M::kBudgetSpent, "error_budget_spent", nullptr, U::kFraction, B::kLower, "budget %", 100.0,
     "error budget spent by the incident"},
}};

constexpr bool catalogue_in_id_order() {
  for (std::size_t i = 0; i < kCatalogue.size(); ++i) {
    if (static_cast<std::size_t>(kCatalogue[i].id) != i) return false;
  }
  return true;
}
static_assert(catalogue_in_id_order(), "kCatalogue must list metrics in MetricId order");

}  // namespace

const std::array<MetricInfo, kMetricCount>& metric_catalogue() {
  return kCatalogue;
}

const MetricInfo& metric_info(MetricId id) {
  return kCatalogue.at(static_cast<std::size_t>(id));
}

std::optional<MetricId> find_metric(std::string_view name) {
  for (const MetricInfo& info : kCatalogue) {
    if (name == info.name || (info.alias != nullptr && name == info.alias)) return info.id;
  }
  return std::nullopt;
}

double metric_value(const RunSummary& s, MetricId id) {
  const auto incident = [&](auto field) { return s.incident ? field(*s.incident) : 0.0; };
  switch (id) {
    case M::kOfferedRate:
      return s.offered_rate_per_s;
    case M::kThroughput:
      return s.throughput_per_s;
    case M::kErrorRate:
      return s.error_rate;
    case M::kLatencyMean:
      return s.latency_mean_s;
    case M::kLatencyP50:
      return s.latency_p50_s;
    case M::kLatencyP90:
      return s.latency_p90_s;
    case M::kLatencyP99:
      return s.latency_p99_s;
    case M::kLatencyP999:
      return s.latency_p999_s;
    case M::kUtilizationMean:
      return s.utilization_mean;
    case M::kUtilizationMax:
      return s.utilization_max;
    case M::kImbalance:
      return s.imbalance;
    case M::kUsersAffected:
      return s.users_affected_fraction;
    case M::kFailedRequests:
      return static_cast<double>(s.failed);
    case M::kImpact:
      return incident([](const IncidentReport& r) { return r.impact_s; });
    case M::kPeakErrorRate:
      return incident([](const IncidentReport& r) { return r.measured.peak_error_rate; });
    case M::kServersCrashed:
      return incident(
          [](const IncidentReport& r) { return static_cast<double>(r.measured.servers_crashed); });
    case M::kResponseMean:
      return s.response_mean_s;
    case M::kResponseP50:
      return s.response_p50_s;
    case M::kResponseP90:
      return s.response_p90_s;
    case M::kResponseP99:
      return s.response_p99_s;
    case M::kResponseP999:
      return s.response_p999_s;
    case M::kTrafficImbalance:
      return s.traffic_imbalance;
    case M::kBudgetSpent:
      if (!s.incident || !s.incident->budget) return kNoValue;
      return s.incident->budget->burned_fraction;
  }
  throw std::logic_error("metric_value: unknown metric");
}

std::string show_value(double value, MetricUnit unit) {
  if (std::isnan(value)) return "no value";
  char buffer[64];
  switch (unit) {
    case U::kSeconds:
      if (value < 1.0) {
        std::snprintf(buffer, sizeof buffer, "%.1f ms", value * 1e3);
      } else {
        std::snprintf(buffer, sizeof buffer, "%.2f s", value);
      }
      break;
    case U::kFraction:
      std::snprintf(buffer, sizeof buffer, "%.3g%%", value * 100.0);
      break;
    case U::kNumber:
      std::snprintf(buffer, sizeof buffer, "%.2f", value);
      break;
    case U::kPerSecond:
      std::snprintf(buffer, sizeof buffer, "%.4g/s", value);
      break;
    case U::kCount:
      std::snprintf(buffer, sizeof buffer, "%.0f", value);
      break;
  }
  return buffer;
}

}  // namespace lbsim
