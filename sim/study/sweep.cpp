#include "sim/study/sweep.hpp"

#include <stdexcept>

#include "sim/core/error.hpp"
#include "sim/model/simulation.hpp"
#include "sim/scenario/scenario.hpp"

namespace lbsim::study {

namespace {

constexpr std::size_t kMaxPoints = 100'000;

std::size_t point_count(const std::vector<Axis>& axes) {
  std::size_t count = 1;
  for (const Axis& axis : axes) {
    count *= axis.values.size();
    if (count > kMaxPoints) break;  // before the product can overflow
  }
  if (count > kMaxPoints) {
    throw ConfigError(SourceLocation{"--grid"}, "expected at most 100000 points; got more");
  }
  return count;
}

}  // namespace

Axis parse_grid(const std::string& text) {
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 >= text.size()) {
    throw ConfigError(SourceLocation{"--grid " + text},
                      "expected key.path=value1,value2,... (e.g. workload.rate=500/s,1000/s)");
  }
  Axis axis{text.substr(0, equals), {}};
  int depth = 0;
  std::string value;
  for (const char c : text.substr(equals + 1)) {
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      axis.values.push_back(value);
      value.clear();
      continue;
    }
    value += c;
  }
  axis.values.push_back(value);
  for (std::string& v : axis.values) {
    const auto first = v.find_first_not_of(' ');
    const auto last = v.find_last_not_of(' ');
    v = first == std::string::npos ? std::string() : v.substr(first, last - first + 1);
    if (v.empty()) {
      throw ConfigError(SourceLocation{"--grid " + text}, "expected no empty value in the list");
    }
  }
  return axis;
}

SweepPlan plan_sweep(const std::string& path, const std::vector<std::string>& overrides,
                     std::optional<std::uint64_t> seed, std::vector<Axis> axes) {
  SweepPlan plan;
  plan.axes = std::move(axes);
  const std::size_t count = point_count(plan.axes);
  plan.points.resize(count);
  for (std::size_t p = 0; p < count; ++p) {
    std::size_t rest = p;
    std::vector<std::string> values(plan.axes.size());
    for (std::size_t a = plan.axes.size(); a-- > 0;) {
      values[a] = plan.axes[a].values[rest % plan.axes[a].values.size()];
      rest /= plan.axes[a].values.size();
    }
    std::vector<std::string> point_overrides = overrides;
    for (std::size_t a = 0; a < plan.axes.size(); ++a) {
      point_overrides.push_back(plan.axes[a].key + "=" + values[a]);
    }
    Scenario scenario = load_scenario(ScenarioFile{path}, {.overrides = point_overrides});
    if (seed) scenario.config.seed = *seed;
    try {
      const Simulation check(scenario.config);
    } catch (const std::invalid_argument& e) {
      std::string where;
      for (std::size_t a = 0; a < plan.axes.size(); ++a) {
        where += (a == 0 ? "" : ", ") + plan.axes[a].key + "=" + values[a];
      }
      throw std::invalid_argument("point " + where + ": " + e.what());
    }
    plan.points[p] = values;
    plan.configs.push_back(std::move(scenario.config));
  }
  return plan;
}

SweepResult sweep(const SweepPlan& plan, std::uint64_t replications, unsigned threads,
                  const RunsDone& done) {
  SweepResult result;
  result.replications = replications;
  std::vector<const SimulationConfig*> configs;
  configs.reserve(plan.configs.size());
  for (const SimulationConfig& config : plan.configs) configs.push_back(&config);
  result.runs = run_replications(configs, replications, threads, done);
  result.intervals.resize(plan.configs.size());
  for (std::size_t p = 0; p < plan.configs.size(); ++p) {
    for (const MetricId metric : kSweepMetrics) {
      std::vector<double> samples;
      samples.reserve(replications);
      for (std::uint64_t r = 0; r < replications; ++r) {
        samples.push_back(metric_value(result.runs[p * replications + r], metric));
      }
      result.intervals[p].push_back(analytic::mean_interval(samples, kConfidence));
    }
  }
  return result;
}

}  // namespace lbsim::study
