#include "sim/study/replay.hpp"

#include <stdexcept>

#include "sim/core/error.hpp"
#include "sim/model/simulation.hpp"

namespace lbsim::study {

namespace {

std::size_t index_of(MetricId metric) {
  for (std::size_t m = 0; m < kImpactMetrics.size(); ++m) {
    if (kImpactMetrics[m] == metric) return m;
  }
  throw std::logic_error("not an impact metric");
}

}  // namespace

WhatIfVerdict what_if_verdict(const analytic::PairedComparison& users,
                              const analytic::PairedComparison& impact, std::size_t v) {
  WhatIfVerdict verdict;
  if (impact.variants[v].mean == 0.0 && users.variants[v].mean == 0.0) {
    verdict.kind = WhatIfVerdict::Kind::kPreventsIncident;
  } else if (impact.variants[v].mean == 0.0) {
    verdict.kind = WhatIfVerdict::Kind::kPreventsOutage;
  } else if (const analytic::Interval& saved = impact.differences[v];
             saved.mean < 0 && saved.excludes_zero()) {
    verdict.kind = WhatIfVerdict::Kind::kShortens;
    verdict.shortened_s = -saved.mean;
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
  const analytic::PairedComparison& users = result.by_metric[index_of(MetricId::kUsersAffected)];
  const analytic::PairedComparison& impact = result.by_metric[index_of(MetricId::kImpact)];
  for (std::size_t v = 1; v < alternatives.size(); ++v) {
    result.verdicts[v] = what_if_verdict(users, impact, v);
  }
  return result;
}

}  // namespace lbsim::study
