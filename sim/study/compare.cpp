#include "sim/study/compare.hpp"

#include <stdexcept>

#include "sim/model/simulation.hpp"
#include "sim/scenario/scenario.hpp"

namespace lbsim::study {

std::vector<Variant> load_variants(const std::string& path,
                                   const std::vector<std::string>& overrides,
                                   std::optional<std::uint64_t> seed,
                                   const std::string& strategies) {
  std::vector<Variant> variants;
  for (const std::string& text : split_strategy_list(strategies)) {
    Scenario scenario =
        load_scenario(ScenarioFile{path}, {.overrides = overrides, .variant = text});
    if (seed) scenario.config.seed = *seed;
    variants.push_back(Variant{text, std::move(scenario.config)});
  }
  for (const Variant& variant : variants) {
    try {
      const Simulation check(variant.config);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("--strategies " + variant.text + ": " + e.what());
    }
  }
  return variants;
}

Comparison compare(const std::vector<Variant>& variants, std::uint64_t replications,
                   unsigned threads, const RunsDone& done) {
  Comparison result;
  result.replications = replications;
  result.metrics = kCompareMetrics;
  std::vector<const SimulationConfig*> configs;
  configs.reserve(variants.size());
  for (const Variant& variant : variants) configs.push_back(&variant.config);
  result.runs = run_replications(configs, replications, threads, done);
  result.by_metric = compare_metrics(result.runs, variants.size(), replications, result.metrics);
  return result;
}

}  // namespace lbsim::study
