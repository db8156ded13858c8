#include "sim/study/check.hpp"

#include <algorithm>
#include <cmath>

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

// The busiest and the least busy server of a run (servers never in the fleet skipped).
void where_load_went(const RunSummary& run, CheckResult& result) {
  const std::vector<double>& per_server = run.server_utilization;
  std::size_t busiest = 0;
  std::size_t idlest = 0;
  for (std::size_t i = 0; i < per_server.size(); ++i) {
    if (std::isnan(per_server[i])) continue;
    if (std::isnan(per_server[busiest]) || per_server[i] > per_server[busiest]) busiest = i;
    if (std::isnan(per_server[idlest]) || per_server[i] < per_server[idlest]) idlest = i;
  }
  const double none = std::nan("");
  result.busiest = {run.server_names[busiest], per_server.empty() ? none : per_server[busiest]};
  result.least_busy = {run.server_names[idlest], per_server.empty() ? none : per_server[idlest]};
  result.servers_went_down = run.servers_went_down;
}

}  // namespace

CheckResult check_change(const Scenario& scenario, const std::string& change,
                         const std::vector<SloTerm>& terms, SimTime duration,
                         std::uint64_t replications, unsigned threads, const RunsDone& done) {
  const ActionConfig& action = find_change(scenario, change);
  CheckResult result;
  result.change = change;
  result.action_kind = action_name(action.action);
  result.replications = replications;
  result.terms = terms;
  result.before = steady_state(scenario.config, duration);
  result.after = result.before;
  ActionConfig applied = action;
  applied.at_ns = 0;
  result.after.timeline = {applied};
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
