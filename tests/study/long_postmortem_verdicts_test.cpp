// The what-if verdicts of the default postmortem (2024-05-05_messaging), end to end through the
// study: the conclusions issue 11 found wrong. Outlier detection cuts failures by ~40% while the
// impact lasts until the scripted rollback either way: it is judged on the failures it avoids,
// not on the duration alone; bounded-load hashing prevents it. Long: 8 simulated hours per run.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "sim/study/replay.hpp"
#include "tests/model/harness.hpp"

namespace lbsim::study {
namespace {

const MetricChange* find(const std::vector<MetricChange>& changes, MetricId metric) {
  const auto it = std::find_if(changes.begin(), changes.end(),
                               [&](const MetricChange& c) { return c.metric == metric; });
  return it == changes.end() ? nullptr : &*it;
}

TEST_CASE("2024-05-05 what-ifs: prevented, reduced, and outlier detection judged on failures") {
  const std::string path =
      std::string(LBSIM_SOURCE_DIR) + "/scenarios/postmortems/2024-05-05_messaging.yaml";
  const Scenario scenario = load_scenario(ScenarioFile{path});
  const std::vector<Alternative> alternatives = load_alternatives(
      scenario, {}, {"pre_rollout_check", "auto_rollback", "outlier_detection", "bounded_load"},
      std::nullopt);
  // Three replications (two under the sanitizer pass): the effects are tens of standard errors
  // wide (failures 899k +- 3k against 511k +- 2k), so even n = 2's t quantile of 12.7 keeps them.
  const std::uint64_t replications = test::test_scale() < 1.0 ? 2 : 3;
  const WhatIfComparison result = compare_what_ifs(alternatives, replications, 2);
  REQUIRE(result.verdicts.size() == 5);
  CHECK(result.verdicts[1].kind == WhatIfVerdict::Kind::kPrevents);
  CHECK(result.verdicts[2].kind == WhatIfVerdict::Kind::kReduces);
  CHECK(result.verdicts[2].worse.empty());
  // Outlier detection: never "no measurable effect". Failures fall by 30-50% (the crash-looping
  // servers are ejected for part of each cycle), the impact duration does not change.
  const WhatIfVerdict& outlier = result.verdicts[3];
  CHECK(outlier.kind != WhatIfVerdict::Kind::kNoMeasurableEffect);
  const MetricChange* failures = find(outlier.better, MetricId::kFailedRequests);
  REQUIRE(failures != nullptr);
  const double cut = -failures->difference / failures->baseline;
  CHECK(cut > 0.3);
  CHECK(cut < 0.5);
  CHECK(find(outlier.better, MetricId::kImpact) == nullptr);
  CHECK(find(outlier.worse, MetricId::kImpact) == nullptr);
  // Bounded-load Maglev (factor 150): the two misweighted servers' excess keys walk on to the
  // idle ones: no window above the threshold, nothing worse.
  CHECK(result.verdicts[4].kind == WhatIfVerdict::Kind::kPrevents);
}

TEST_CASE("2024-04-08 (HAProxy mode tcp): HTTP-blind ejection and TCP checks change nothing") {
  // L4 honesty: in TCP mode the balancer sees connections, not statuses. app-0's 503s are
  // successful connections, so outlier detection never ejects it, and a TCP check is a connect,
  // which app-0 (up, its queue full) passes. An HTTP check (option httpchk) queues behind the
  // backlog and fails now and then: it reduces the failures.
  const std::string path =
      std::string(LBSIM_SOURCE_DIR) + "/scenarios/postmortems/2024-04-08_platform.yaml";
  const Scenario scenario = load_scenario(ScenarioFile{path});
  const std::vector<Alternative> alternatives = load_alternatives(
      scenario, {}, {"outlier_detection", "health_check", "http_health_check"}, std::nullopt);
  const WhatIfComparison result = compare_what_ifs(alternatives, 2, 2);
  REQUIRE(result.verdicts.size() == 4);
  CHECK(result.verdicts[1].kind == WhatIfVerdict::Kind::kNoMeasurableEffect);
  CHECK(result.verdicts[2].kind == WhatIfVerdict::Kind::kNoMeasurableEffect);
  CHECK(result.verdicts[3].kind == WhatIfVerdict::Kind::kReduces);
}

}  // namespace
}  // namespace lbsim::study
