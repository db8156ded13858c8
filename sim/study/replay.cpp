#include "sim/study/replay.hpp"

#include <cmath>
#include <stdexcept>

#include "sim/core/error.hpp"
#include "sim/model/simulation.hpp"

namespace lbsim::study {

std::size_t impact_index(MetricId metric) {
  for (std::size_t m = 0; m < kImpactMetrics.size(); ++m) {
    if (kImpactMetrics[m] == metric) return m;
  }
  throw std::logic_error("not an impact metric");
}

std::string_view verdict_name(WhatIfVerdict::Kind kind) {
  switch (kind) {
    case WhatIfVerdict::Kind::kPrevents:
      return "prevents";
    case WhatIfVerdict::Kind::kReduces:
      return "reduces";
    case WhatIfVerdict::Kind::kNoMeasurableEffect:
      return "no_measurable_effect";
    case WhatIfVerdict::Kind::kWorse:
      return "worse";
    case WhatIfVerdict::Kind::kMixed:
      return "mixed";
  }
  return "unknown";
}

WhatIfVerdict what_if_verdict(const std::vector<analytic::PairedComparison>& by_metric,
                              std::size_t v) {
  WhatIfVerdict verdict;
  for (const MetricId metric : kVerdictMetrics) {
    const analytic::PairedComparison& c = by_metric[impact_index(metric)];
    const analytic::Interval& d = c.differences[v];
    if (std::isnan(d.mean) || !d.excludes_zero()) continue;
    const MetricChange change{metric, c.variants[0].mean, c.variants[v].mean, d.mean};
    (d.mean < 0 ? verdict.better : verdict.worse).push_back(change);
  }
  // Impact is never negative, so a mean of 0 means no replication had a window above the
  // threshold.
  const bool no_breach = by_metric[impact_index(MetricId::kImpact)].variants[v].mean == 0.0;
  if (!verdict.better.empty() && !verdict.worse.empty()) {
    verdict.kind = WhatIfVerdict::Kind::kMixed;
  } else if (!verdict.better.empty()) {
    verdict.kind = no_breach ? WhatIfVerdict::Kind::kPrevents : WhatIfVerdict::Kind::kReduces;
  } else if (!verdict.worse.empty()) {
    verdict.kind = WhatIfVerdict::Kind::kWorse;
  }
  return verdict;
}

std::vector<Alternative> load_alternatives(const Scenario& baseline,
                                           const std::vector<std::string>& overrides,
                                           std::vector<std::string> names,
                                           std::optional<std::uint64_t> seed) {
  std::vector<Alternative> alternatives = {{"baseline", "as it happened", baseline.config}};
  if (names.size() == 1 && names[0] == "all") {
    names.clear();
    for (const WhatIf& what_if : baseline.what_ifs) names.push_back(what_if.name);
    if (names.empty()) {
      throw ConfigError(SourceLocation{baseline.path},
                        "--what-if all: the scenario has no what_ifs");
    }
  }
  for (const std::string& name : names) {
    Scenario alternative =
        load_scenario(ScenarioFile{baseline.path}, {.overrides = overrides, .what_if = name});
    if (seed) alternative.config.seed = *seed;
    alternative.config.incident.start_ns = baseline.config.incident.start_ns;
    std::string text;
    for (const WhatIf& what_if : baseline.what_ifs) {
      if (what_if.name == name) text = what_if.text;
    }
    alternatives.push_back({name, text, std::move(alternative.config)});
  }
  for (const Alternative& alternative : alternatives) {
    try {
      const Simulation check(alternative.config);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("what-if " + alternative.name + ": " + e.what());
    }
  }
  return alternatives;
}

WhatIfComparison compare_what_ifs(const std::vector<Alternative>& alternatives,
                                  std::uint64_t replications, unsigned threads,
                                  const RunsDone& done) {
  WhatIfComparison result;
  result.replications = replications;
  std::vector<const SimulationConfig*> configs;
  configs.reserve(alternatives.size());
  for (const Alternative& alternative : alternatives) configs.push_back(&alternative.config);
  result.runs = run_replications(configs, replications, threads, done);
  result.by_metric =
      compare_metrics(result.runs, alternatives.size(), replications, kImpactMetrics);
  result.verdicts.resize(alternatives.size());
  for (std::size_t v = 1; v < alternatives.size(); ++v) {
    result.verdicts[v] = what_if_verdict(result.by_metric, v);
  }
  return result;
}

}  // namespace lbsim::study
