#include "sim/study/check.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <variant>

#include "sim/core/error.hpp"
#include "sim/model/simulation.hpp"

namespace lbsim::study {

namespace {

const ActionConfig& find_change(const Scenario& scenario, const std::string& name) {
  const auto& timeline = scenario.config.timeline;
  const auto change = std::find_if(timeline.begin(), timeline.end(),
                                   [&](const ActionConfig& action) { return action.name == name; });
  if (change != timeline.end()) return *change;
  std::string names;
  for (const ActionConfig& action : timeline) {
    if (!action.name.empty()) names += (names.empty() ? "" : ", ") + action.name;
  }
  throw ConfigError(SourceLocation{"--change " + name},
                    "expected a named timeline action of " + scenario.path + " (" +
                        (names.empty() ? "it names none" : names) + ")");
}

// The busiest and the least busy of the servers up at least half the time, and the others.
void where_load_went(const RunSummary& run, CheckResult& result) {
  const auto server = [&](std::size_t i) {
    return CheckServer{run.server_names[i], run.server_utilization[i], run.server_traffic_share[i],
                       run.server_down_fraction[i]};
  };
  std::optional<std::size_t> busiest, idlest;
  for (std::size_t i = 0; i < run.server_utilization.size(); ++i) {
    const double down = run.server_down_fraction[i];
    if (std::isnan(down)) continue;  // never in the fleet
    if (down >= 0.5) {
      result.down.push_back(server(i));
      continue;
    }
    const double u = run.server_utilization[i];
    if (std::isnan(u)) continue;
    if (!busiest || u > run.server_utilization[*busiest]) busiest = i;
    if (!idlest || u < run.server_utilization[*idlest]) idlest = i;
  }
  const CheckServer none{"none", std::nan(""), std::nan(""), std::nan("")};
  result.busiest = busiest ? server(*busiest) : none;
  result.least_busy = idlest ? server(*idlest) : none;
  result.servers_went_down = run.servers_went_down;
}

}  // namespace

double peak_offered_rate(const SimulationConfig& config) {
  double peak = config.workload.rate_per_s;
  for (const RateChange& change : config.workload.profile) {
    peak = std::max(peak, change.target_rate_per_s);
  }
  for (const ActionConfig& action : config.timeline) {
    if (const auto* traffic = std::get_if<TrafficAction>(&action.action)) {
      peak = std::max(peak, traffic->rate_per_s);
    }
  }
  return peak;
}

SimulationConfig check_baseline(const SimulationConfig& scenario, const CheckSpan& span) {
  SimulationConfig config = scenario;
  if (span.load != 1.0) {
    if (config.workload.arrivals == ArrivalProcess::kTrace) {
      throw ConfigError(SourceLocation{"--load"},
                        "expected no --load with a trace workload (it has no rate to scale)");
    }
    config.workload.rate_per_s *= span.load;
    for (RateChange& change : config.workload.profile) change.target_rate_per_s *= span.load;
    for (ActionConfig& action : config.timeline) {
      if (auto* traffic = std::get_if<TrafficAction>(&action.action)) {
        traffic->rate_per_s *= span.load;
      }
    }
  }
  if (span.whole_profile) {
    std::erase_if(config.timeline, [](const ActionConfig& action) {
      return !std::holds_alternative<TrafficAction>(action.action);
    });
    config.alerts.clear();
    config.incident = IncidentConfig{};
    return config;
  }
  config.workload.rate_per_s = peak_offered_rate(config);
  config.workload.profile.clear();
  return steady_state(config, span.duration);
}

CheckResult check_change(const Scenario& scenario, const std::string& change,
                         const std::vector<SloTerm>& terms, const CheckSpan& span,
                         std::uint64_t replications, unsigned threads, const RunsDone& done) {
  const ActionConfig& action = find_change(scenario, change);
  CheckResult result;
  result.change = change;
  result.action_kind = action_name(action.action);
  result.replications = replications;
  result.terms = terms;
  result.span = span;
  result.before = check_baseline(scenario.config, span);
  result.peak_rate_per_s = peak_offered_rate(result.before);
  result.after = result.before;
  ActionConfig applied = action;
  applied.at_ns = 0;
  result.after.timeline.insert(result.after.timeline.begin(), applied);
  for (const SimulationConfig* config : {&result.before, &result.after}) {
    const Simulation model_check(*config);
  }
  const std::vector<RunSummary> runs =
      run_replications({&result.before, &result.after}, replications, threads, done);
  std::vector<MetricId> metrics;
  metrics.reserve(terms.size());
  for (const SloTerm& term : terms) metrics.push_back(term.metric);
  result.by_term = compare_metrics(runs, 2, replications, metrics);
  for (std::size_t t = 0; t < terms.size(); ++t) {
    const double was = result.by_term[t].variants[0].mean;
    const double now = result.by_term[t].variants[1].mean;
    result.breached_before = result.breached_before || !meets(terms[t], was);
    if (!meets(terms[t], now)) result.breaches.push_back({terms[t], was, now});
  }
  where_load_went(runs[replications], result);
  return result;
}

}  // namespace lbsim::study
