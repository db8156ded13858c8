// What-if verdicts (sim/study/replay): the conclusion a postmortem review acts on, from the paired
// comparisons of the judged metrics (kVerdictMetrics) against the baseline. The cases are the
// three issue 11 found wrong: errors cut 25% -> 0.07% with an unchanged impact duration, errors
// cut 35-fold, and a variant that doubles p99 while no window breaches.
#include <doctest/doctest.h>

#include <cmath>

#include "sim/study/replay.hpp"

namespace lbsim::study {
namespace {

analytic::Interval interval(double mean, double half_width) {
  return {mean, half_width, mean - half_width, mean + half_width, 10};
}

// Every impact metric with the baseline at `baseline` and the what-if equal to it (difference
// exactly 0, as with common random numbers and no effect), then `set` changes one metric.
class Comparisons {
 public:
  Comparisons() {
    for (std::size_t m = 0; m < kImpactMetrics.size(); ++m) {
      analytic::PairedComparison c;
      c.replications = 10;
      c.variants = {interval(100.0, 5.0), interval(100.0, 5.0)};
      c.differences = {interval(0.0, 0.0), interval(0.0, 0.0)};
      by_metric_.push_back(c);
    }
  }
  Comparisons& set(MetricId metric, double baseline, double what_if, double half_width) {
    analytic::PairedComparison& c = by_metric_[index(metric)];
    c.variants = {interval(baseline, 1.0), interval(what_if, 1.0)};
    c.differences[1] = interval(what_if - baseline, half_width);
    return *this;
  }
  [[nodiscard]] WhatIfVerdict verdict() const { return what_if_verdict(by_metric_, 1); }

 private:
  static std::size_t index(MetricId metric) {
    for (std::size_t m = 0; m < kImpactMetrics.size(); ++m) {
      if (kImpactMetrics[m] == metric) return m;
    }
    FAIL("not an impact metric");
    return 0;
  }
  std::vector<analytic::PairedComparison> by_metric_;
};

TEST_CASE("errors cut from 25% to 0.07% reduce the incident even with an unchanged duration") {
  // Outlier detection: the impact duration is the scripted rollback's either way.
  const WhatIfVerdict verdict = Comparisons()
                                    .set(MetricId::kImpact, 27900.0, 27900.0, 0.0)
                                    .set(MetricId::kFailedRequests, 800000.0, 2240.0, 900.0)
                                    .set(MetricId::kUsersAffected, 0.30, 0.02, 0.01)
                                    .set(MetricId::kPeakErrorRate, 0.34, 0.01, 0.002)
                                    .verdict();
  CHECK(verdict.kind == WhatIfVerdict::Kind::kReduces);
  CHECK(verdict_name(verdict.kind) == "reduces");
  REQUIRE(verdict.better.size() == 3);
  CHECK(verdict.better[0].metric == MetricId::kFailedRequests);
  CHECK(verdict.better[0].difference == doctest::Approx(-797760.0));
  CHECK(verdict.worse.empty());
}

TEST_CASE("a variant that doubles p99 is mixed, never prevents, though no window breaches") {
  const WhatIfVerdict verdict = Comparisons()
                                    .set(MetricId::kImpact, 3600.0, 0.0, 100.0)
                                    .set(MetricId::kFailedRequests, 5000.0, 10.0, 50.0)
                                    .set(MetricId::kResponseP99, 0.76, 1.52, 0.05)
                                    .verdict();
  CHECK(verdict.kind == WhatIfVerdict::Kind::kMixed);
  REQUIRE(verdict.worse.size() == 1);
  CHECK(verdict.worse[0].metric == MetricId::kResponseP99);
  CHECK(verdict.worse[0].difference == doctest::Approx(0.76));
}

TEST_CASE("no window above the threshold, better and nothing worse: prevents") {
  const WhatIfVerdict verdict = Comparisons()
                                    .set(MetricId::kImpact, 3600.0, 0.0, 100.0)
                                    .set(MetricId::kFailedRequests, 5000.0, 0.0, 50.0)
                                    .verdict();
  CHECK(verdict.kind == WhatIfVerdict::Kind::kPrevents);
  CHECK(verdict_name(verdict.kind) == "prevents");
}

TEST_CASE("still breaching, but shorter: reduces (impact named among the improvements)") {
  const WhatIfVerdict verdict =
      Comparisons().set(MetricId::kImpact, 3600.0, 3550.0, 10.0).verdict();
  CHECK(verdict.kind == WhatIfVerdict::Kind::kReduces);
  REQUIRE(verdict.better.size() == 1);
  CHECK(verdict.better[0].metric == MetricId::kImpact);
}

TEST_CASE("worse only: worse; intervals holding 0: no measurable effect") {
  CHECK(Comparisons().set(MetricId::kFailedRequests, 100.0, 150.0, 20.0).verdict().kind ==
        WhatIfVerdict::Kind::kWorse);
  CHECK(Comparisons().set(MetricId::kFailedRequests, 100.0, 90.0, 20.0).verdict().kind ==
        WhatIfVerdict::Kind::kNoMeasurableEffect);
  CHECK(verdict_name(WhatIfVerdict::Kind::kNoMeasurableEffect) == "no_measurable_effect");
  CHECK(verdict_name(WhatIfVerdict::Kind::kWorse) == "worse");
  CHECK(verdict_name(WhatIfVerdict::Kind::kMixed) == "mixed");
}

TEST_CASE("a metric without a value (no error budget without incident.slo) is not judged") {
  Comparisons c;
  c.set(MetricId::kBudgetSpent, std::nan(""), std::nan(""), std::nan(""));
  c.set(MetricId::kFailedRequests, 100.0, 50.0, 10.0);
  const WhatIfVerdict verdict = c.verdict();
  CHECK(verdict.kind == WhatIfVerdict::Kind::kReduces);
  CHECK(verdict.better.size() == 1);
}

}  // namespace
}  // namespace lbsim::study
