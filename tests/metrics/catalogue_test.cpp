// The metric catalogue (sim/metrics/catalogue): one entry per metric, unique names and aliases,
// and metric_value reading the field each name promises.
#include "sim/metrics/catalogue.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <set>

namespace lbsim {
namespace {

TEST_CASE("every metric has one entry, a unique name and a unique alias") {
  std::set<std::string> names;
  for (std::size_t i = 0; i < metric_catalogue().size(); ++i) {
    const MetricInfo& info = metric_catalogue()[i];
    CAPTURE(info.name);
    CHECK(names.insert(info.name).second);
    if (info.alias != nullptr && std::string(info.alias) != info.name) {
      CHECK(names.insert(info.alias).second);
    }
    CHECK(find_metric(info.name) == info.id);
    if (info.alias != nullptr) CHECK(find_metric(info.alias) == info.id);
  }
  CHECK_FALSE(find_metric("p98").has_value());
}

TEST_CASE("the SLO metrics: alias, file name, unit (which parses the bound) and table scale") {
  struct Expected {
    const char* alias;
    const char* name;
    MetricUnit unit;
    double scale;
    const char* meaning;
  };
  // These names are the interface of --slo and of compare.csv, whatif.csv and sweep.csv.
  const Expected expected[] = {
      // The short names are the failure-aware ones (every request, a failure at its failure
      // time); latency_* are completed requests only.
      {"p50", "response_p50_s", MetricUnit::kSeconds, 1e3, "median response time, failures included"},
      {"p90", "response_p90_s", MetricUnit::kSeconds, 1e3,
       "90th percentile response time, failures included"},
      {"p99", "response_p99_s", MetricUnit::kSeconds, 1e3,
       "99th percentile response time, failures included"},
      {"p999", "response_p999_s", MetricUnit::kSeconds, 1e3,
       "99.9th percentile response time, failures included"},
      {"mean", "response_mean_s", MetricUnit::kSeconds, 1e3, "mean response time, failures included"},
      {"latency_p99", "latency_p99_s", MetricUnit::kSeconds, 1e3,
       "99th percentile latency of completed requests"},
      {"latency_mean", "latency_mean_s", MetricUnit::kSeconds, 1e3,
       "mean latency of completed requests"},
      {"traffic_imbalance", "traffic_imbalance", MetricUnit::kNumber, 1.0,
       "traffic imbalance (largest share of requests over its fair share)"},
      {"errors", "error_rate", MetricUnit::kFraction, 100.0, "error rate"},
      {"imbalance", "utilization_imbalance", MetricUnit::kNumber, 1.0,
       "utilisation imbalance (busiest / mean)"},
      {"utilization_max", "utilization_max", MetricUnit::kFraction, 1.0,
       "busiest server's utilisation"},
  };
  for (const Expected& e : expected) {
    CAPTURE(e.alias);
    const std::optional<MetricId> id = find_metric(e.alias);
    REQUIRE(id.has_value());
    const MetricInfo& info = metric_info(*id);
    CHECK(std::string(info.name) == e.name);
    CHECK(info.unit == e.unit);
    CHECK(info.table_scale == e.scale);
    CHECK(std::string(info.meaning) == e.meaning);
    CHECK(info.better == Better::kLower);
  }
  CHECK(metric_info(MetricId::kThroughput).better == Better::kHigher);
  CHECK(metric_info(MetricId::kImpact).table_scale == 1.0 / 60.0);  // shown in minutes
}

TEST_CASE("metric_value reads the field each metric names") {
  RunSummary s;
  s.offered_rate_per_s = 1;
  s.throughput_per_s = 2;
  s.error_rate = 3;
  s.latency_mean_s = 4;
  s.latency_p50_s = 5;
  s.latency_p90_s = 6;
  s.latency_p99_s = 7;
  s.latency_p999_s = 8;
  s.utilization_mean = 9;
  s.utilization_max = 10;
  s.imbalance = 11;
  s.users_affected_fraction = 12;
  s.failed = 13;
  // Without an incident the incident metrics are 0: nothing was above the threshold.
  CHECK(metric_value(s, MetricId::kImpact) == 0.0);
  CHECK(metric_value(s, MetricId::kPeakErrorRate) == 0.0);
  CHECK(metric_value(s, MetricId::kServersCrashed) == 0.0);
  CHECK(std::isnan(metric_value(s, MetricId::kBudgetSpent)));  // no SLO, no budget
  IncidentReport incident;
  incident.impact_s = 14;
  incident.measured.peak_error_rate = 15;
  incident.measured.servers_crashed = 16;
  s.response_mean_s = 17;
  s.response_p50_s = 18;
  s.response_p90_s = 19;
  s.response_p99_s = 20;
  s.response_p999_s = 21;
  s.traffic_imbalance = 22;
  incident.budget = ErrorBudget{};
  incident.budget->burned_fraction = 23;
  s.incident = incident;
  for (const MetricInfo& info : metric_catalogue()) {
    CAPTURE(info.name);
    CHECK(metric_value(s, info.id) == static_cast<double>(static_cast<int>(info.id) + 1));
  }
}

TEST_CASE("show_value writes each unit as a reader expects") {
  CHECK(show_value(0.3, MetricUnit::kSeconds) == "300.0 ms");
  CHECK(show_value(2.5, MetricUnit::kSeconds) == "2.50 s");
  CHECK(show_value(0.001, MetricUnit::kFraction) == "0.1%");
  CHECK(show_value(1.5, MetricUnit::kNumber) == "1.50");
  CHECK(show_value(1200, MetricUnit::kPerSecond) == "1200/s");
  CHECK(show_value(42, MetricUnit::kCount) == "42");
  CHECK(show_value(std::nan(""), MetricUnit::kSeconds) == "no value");
}

}  // namespace
}  // namespace lbsim
