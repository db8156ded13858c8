// The SLO parser and judge (sim/study/slo): exact terms, exact bounds, exact error messages.
#include "sim/study/slo.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "../scenario/test_util.hpp"

namespace lbsim::study {
namespace {

TEST_CASE("parse_slo reads each term's metric, operator and bound in its unit") {
  const std::vector<SloTerm> terms =
      parse_slo("p99<300ms, errors<=0.1%,imbalance<1.5,utilization_max<80%,p999<2s,"
                "latency_p99<100ms,traffic_imbalance<1.2");
  REQUIRE(terms.size() == 7);
  // The short names bound the failure-aware percentiles; latency_* the completed-only ones.
  CHECK(terms[0].metric == MetricId::kResponseP99);
  CHECK_FALSE(terms[0].inclusive);
  CHECK(terms[0].bound == doctest::Approx(0.3).epsilon(1e-12));
  CHECK(terms[0].text == "p99<300ms");
  CHECK(terms[1].metric == MetricId::kErrorRate);
  CHECK(terms[1].inclusive);
  CHECK(terms[1].bound == doctest::Approx(0.001).epsilon(1e-12));
  CHECK(terms[2].metric == MetricId::kImbalance);
  CHECK(terms[2].bound == 1.5);
  CHECK(terms[3].metric == MetricId::kUtilizationMax);
  CHECK(terms[3].bound == doctest::Approx(0.8).epsilon(1e-12));
  CHECK(terms[4].metric == MetricId::kResponseP999);
  CHECK(terms[4].bound == 2.0);
  CHECK(terms[5].metric == MetricId::kLatencyP99);
  CHECK(terms[5].bound == doctest::Approx(0.1).epsilon(1e-12));
  CHECK(terms[6].metric == MetricId::kTrafficImbalance);
  CHECK(terms[6].bound == 1.2);
}

TEST_CASE("parse_slo names what it expected, at --slo") {
  CHECK_CONFIG_ERROR(parse_slo("p98<1s"), "--slo p98<1s", 0, 0,
                     "expected a metric (p50, p90, p99, p999, mean, errors, imbalance, "
                     "traffic_imbalance, utilization_max, latency_p50, latency_p90, latency_p99, "
                     "latency_p999, latency_mean) in \"p98<1s\"; got \"p98\"");
  CHECK_CONFIG_ERROR(parse_slo("p99>1s"), "--slo p99>1s", 0, 0, "expected terms like");
  CHECK_CONFIG_ERROR(parse_slo("p99<1s,"), "--slo p99<1s,", 0, 0, "got \"\"");
  CHECK_CONFIG_ERROR(parse_slo("errors<2"), "--slo errors<2", 0, 0, "in \"errors<2\"");
  CHECK_CONFIG_ERROR(parse_slo("p99<fast"), "--slo p99<fast", 0, 0, "in \"p99<fast\"");
}

TEST_CASE("meets: strict and inclusive bounds at the boundary; no value is a breach") {
  const SloTerm strict{MetricId::kLatencyP99, false, 0.3, "p99<300ms"};
  const SloTerm inclusive{MetricId::kLatencyP99, true, 0.3, "p99<=300ms"};
  CHECK(meets(strict, 0.2999));
  CHECK_FALSE(meets(strict, 0.3));
  CHECK(meets(inclusive, 0.3));
  CHECK_FALSE(meets(inclusive, 0.3001));
  // A run that completed nothing has no p99: it cannot show the bound is kept.
  CHECK_FALSE(meets(inclusive, std::nan("")));
}

TEST_CASE("with_imbalance_limit adds imbalance<=limit only when the SLO does not bound it") {
  const std::vector<SloTerm> added = with_imbalance_limit(parse_slo("p99<1s"), 1.5);
  REQUIRE(added.size() == 2);
  CHECK(added[1].metric == MetricId::kImbalance);
  CHECK(added[1].inclusive);
  CHECK(added[1].bound == 1.5);
  CHECK(with_imbalance_limit(parse_slo("p99<1s,imbalance<2"), 1.5).size() == 2);
  CHECK(with_imbalance_limit(parse_slo("p99<1s"), 0.0).size() == 1);  // 0: no limit
}

}  // namespace
}  // namespace lbsim::study
