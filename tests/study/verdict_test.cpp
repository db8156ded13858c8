// What-if verdicts (sim/study/replay): the conclusion a postmortem review acts on, from the paired
// comparisons of users affected and impact duration.
#include <doctest/doctest.h>

#include "sim/study/replay.hpp"

namespace lbsim::study {
namespace {

analytic::Interval interval(double mean, double half_width) {
  return {mean, half_width, mean - half_width, mean + half_width, 10};
}

// Baseline (variant 0) and one alternative (variant 1).
analytic::PairedComparison pair(analytic::Interval alternative, analytic::Interval difference) {
  analytic::PairedComparison c;
  c.replications = 10;
  c.variants = {interval(600.0, 5.0), alternative};
  c.differences = {interval(0.0, 0.0), difference};
  return c;
}

TEST_CASE("no impact and no user affected: the what-if prevents the incident") {
  const auto users = pair(interval(0.0, 0.0), interval(-0.3, 0.01));
  const auto impact = pair(interval(0.0, 0.0), interval(-600.0, 5.0));
  CHECK(what_if_verdict(users, impact, 1).kind == WhatIfVerdict::Kind::kPreventsIncident);
}

TEST_CASE("no impact but some users hit: the what-if prevents the outage only") {
  const auto users = pair(interval(0.02, 0.001), interval(-0.28, 0.01));
  const auto impact = pair(interval(0.0, 0.0), interval(-600.0, 5.0));
  CHECK(what_if_verdict(users, impact, 1).kind == WhatIfVerdict::Kind::kPreventsOutage);
}

TEST_CASE("a shorter impact whose interval excludes 0 shortens it by the mean difference") {
  const auto users = pair(interval(0.1, 0.01), interval(-0.2, 0.01));
  const auto impact = pair(interval(480.0, 10.0), interval(-120.0, 11.0));
  const WhatIfVerdict verdict = what_if_verdict(users, impact, 1);
  CHECK(verdict.kind == WhatIfVerdict::Kind::kShortens);
  CHECK(verdict.shortened_s == 120.0);
}

TEST_CASE("a difference whose interval holds 0, or a longer impact, is not measurable") {
  const auto users = pair(interval(0.1, 0.01), interval(-0.2, 0.01));
  CHECK(what_if_verdict(users, pair(interval(590.0, 30.0), interval(-10.0, 25.0)), 1).kind ==
        WhatIfVerdict::Kind::kNotMeasurable);
  CHECK(what_if_verdict(users, pair(interval(700.0, 5.0), interval(100.0, 6.0)), 1).kind ==
        WhatIfVerdict::Kind::kNotMeasurable);
}

}  // namespace
}  // namespace lbsim::study
