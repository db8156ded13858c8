#include "sim/study/sensitivity.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <system_error>

#include "sim/core/error.hpp"
#include "sim/core/text.hpp"
#include "sim/model/simulation.hpp"

namespace lbsim::study {

namespace {

// A value as a number and the unit suffix after it ("2000/s" -> 2000, "/s"); nullopt when it
// does not start with a number, or its suffix holds a digit (a clock time "08:30").
struct Quantity {
  double value = 0.0;
  std::string suffix;
  bool integer = true;
};

std::optional<Quantity> quantity(const std::string& text) {
  Quantity q;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(begin, end, q.value);
  if (error != std::errc() || stop == begin || !std::isfinite(q.value)) return std::nullopt;
  q.suffix.assign(stop, end);
  if (q.suffix.find_first_of("0123456789") != std::string::npos) return std::nullopt;
  q.integer = std::string_view(begin, static_cast<std::size_t>(stop - begin))
                  .find_first_of(".eE") == std::string_view::npos;
  return q;
}

}  // namespace

std::optional<std::string> sensitivity_midpoint(const std::string& lo, const std::string& hi) {
  const std::optional<Quantity> a = quantity(lo);
  const std::optional<Quantity> b = quantity(hi);
  if (!a || !b || a->suffix != b->suffix) return std::nullopt;
  double mid = (a->value + b->value) / 2.0;
  if (a->integer && b->integer) mid = std::round(mid);
  if (mid == a->value || mid == b->value) return std::nullopt;
  if (a->integer && b->integer && std::abs(mid) < 9e15) {
    return std::to_string(static_cast<long long>(mid)) + a->suffix;
  }
  // The fewest significant digits that give the midpoint to 1e-12 relative ((0.1 + 0.2) / 2 is
  // 0.15, not 0.15000000000000002).
  char buffer[64];
  for (int digits = 1; digits <= 17; ++digits) {
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, mid);
    if (std::abs(std::strtod(buffer, nullptr) - mid) <= 1e-12 * std::abs(mid)) break;
  }
  return std::string(buffer) + a->suffix;
}

SensitivityRange parse_sensitivity(const std::string& spec) {
  const SourceLocation where{"--sensitivity " + spec, 0, 0};
  const std::size_t equals = spec.find('=');
  if (equals == std::string::npos || equals == 0) {
    throw ConfigError(where, "expected key.path=lo..hi (e.g. workload.rate=2000/s..4000/s); got \"" +
                                 spec + "\"");
  }
  SensitivityRange range;
  range.spec = spec;
  range.key = spec.substr(0, equals);
  const std::string values = spec.substr(equals + 1);
  const std::size_t dots = values.find("..");
  if (dots == std::string::npos) {
    throw ConfigError(where, "expected a range lo..hi after \"" + range.key + "=\"; got \"" +
                                 values + "\"");
  }
  const std::string lo = values.substr(0, dots);
  const std::string hi = values.substr(dots + 2);
  if (lo.empty() || hi.empty() || hi.find("..") != std::string::npos) {
    throw ConfigError(where, "expected a range lo..hi with both ends given; got \"" + values + "\"");
  }
  if (lo == hi) {
    throw ConfigError(where, "expected two different ends; got " + lo + " twice");
  }
  range.values.push_back(lo);
  if (const std::optional<std::string> mid = sensitivity_midpoint(lo, hi)) {
    range.values.push_back(*mid);
  }
  range.values.push_back(hi);
  return range;
}

SensitivityStudy load_sensitivity(const Scenario& baseline,
                                  const std::vector<std::string>& overrides,
                                  const std::vector<std::string>& specs,
                                  std::optional<std::uint64_t> seed) {
  SensitivityStudy study;
  study.alternatives.push_back({"baseline", "as given", baseline.config});
  study.range_of.push_back(0);
  study.value_of.emplace_back();
  for (const std::string& spec : specs) {
    SensitivityRange range = parse_sensitivity(spec);
    range.as_given = scenario_value(baseline, range.key);
    for (const std::string& value : range.values) {
      std::vector<std::string> point_overrides = overrides;
      point_overrides.push_back(range.key + "=" + value);
      if (seed) point_overrides.push_back("seed=" + std::to_string(*seed));
      const std::string name = range.key + "=" + value;
      Scenario point;
      try {
        point = load_scenario(ScenarioFile{baseline.path}, {.overrides = point_overrides});
        const Simulation check(point.config);
      } catch (const ConfigError& e) {
        throw ConfigError(SourceLocation{"--sensitivity " + spec, 0, 0},
                          "the value " + value + " does not give a valid scenario: " +
                              e.where().to_string() + ": " + e.message());
      } catch (const std::invalid_argument& e) {
        throw ConfigError(SourceLocation{"--sensitivity " + spec, 0, 0},
                          "the value " + value + " does not give a valid scenario: " + e.what());
      }
      if (point.config.incident.start_ns < 0) {
        throw ConfigError(SourceLocation{"--sensitivity " + spec, 0, 0},
                          "with " + name + " the scenario has no incident to replay");
      }
      // Measured from the baseline's incident start, as the what-ifs are, so every point's
      // impact figures cover the same span.
      point.config.incident.start_ns = baseline.config.incident.start_ns;
      study.alternatives.push_back({name, "", std::move(point.config)});
      study.range_of.push_back(study.ranges.size());
      study.value_of.push_back(value);
    }
    study.ranges.push_back(std::move(range));
  }
  return study;
}

SensitivityResult run_sensitivity(const SensitivityStudy& study, std::uint64_t replications,
                                  unsigned threads, const RunsDone& done) {
  SensitivityResult result;
  result.replications = replications;
  std::vector<const SimulationConfig*> configs;
  configs.reserve(study.alternatives.size());
  for (const Alternative& alternative : study.alternatives) configs.push_back(&alternative.config);
  result.runs = run_replications(configs, replications, threads, done);
  result.by_metric =
      compare_metrics(result.runs, study.alternatives.size(), replications, kImpactMetrics);
  for (std::size_t p = 0; p < study.alternatives.size(); ++p) {
    SensitivityOutcome outcome;
    std::vector<double> detected;
    std::map<std::string, std::uint64_t> named;
    for (std::uint64_t r = 0; r < replications; ++r) {
      const RunSummary& run = result.runs[p * replications + r];
      if (!run.incident) continue;
      const IncidentSummary& measured = run.incident->measured;
      if (measured.detected >= 0 && measured.start >= 0) {
        detected.push_back(to_seconds(measured.detected - measured.start));
      }
      for (const std::string& server : run.incident->overloaded) ++named[server];
    }
    outcome.detected_in = detected.size();
    if (detected.size() >= 2) {
      outcome.detected_after_s = analytic::mean_interval(detected, kConfidence);
    } else if (detected.size() == 1) {
      outcome.detected_after_s = {detected[0], std::nan(""), detected[0], detected[0]};
    } else {
      const double none = std::nan("");
      outcome.detected_after_s = {none, none, none, none};
    }
    // Fleet order, as replication 0 names the servers (it keeps the per-server detail).
    for (const std::string& server : result.runs[p * replications].server_names) {
      const auto it = named.find(server);
      if (it != named.end() && 2 * it->second >= replications) outcome.overloaded.push_back(server);
    }
    result.outcomes.push_back(std::move(outcome));
  }
  return result;
}

}  // namespace lbsim::study
