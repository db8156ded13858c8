// lbsim check: the pre-rollout check every postmortem asks for. Simulates the scenario's fleet and
// workload with the configuration before a change and with the change applied, over
// replications, and blocks the change (exit status 3, with a plain explanation) when the result
// breaches the SLO or the imbalance limit.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "sim/analytic/statistics.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/slo.hpp"
#include "sim/cli/support.hpp"
#include "sim/cli/table.hpp"
#include "sim/metrics/run_output.hpp"

namespace lbsim::cli {
namespace {

// Measured per run: the SLO metrics, then the busiest and the least busy server (index) with
// their utilisation, then how many times servers went down.
constexpr std::size_t kBusiest = kSloMetrics.size();

std::vector<double> measure(const Recorder& recorder, const nlohmann::ordered_json& summary) {
  std::vector<double> values = slo_values(summary);
  const auto& per_server = recorder.totals().utilization;
  std::size_t busiest = 0;
  std::size_t idlest = 0;
  for (std::size_t i = 0; i < per_server.size(); ++i) {
    if (std::isnan(per_server[i])) continue;
    if (std::isnan(per_server[busiest]) || per_server[i] > per_server[busiest]) busiest = i;
    if (std::isnan(per_server[idlest]) || per_server[i] < per_server[idlest]) idlest = i;
  }
  values.push_back(static_cast<double>(busiest));
  values.push_back(per_server.empty() ? std::nan("") : per_server[busiest]);
  values.push_back(static_cast<double>(idlest));
  values.push_back(per_server.empty() ? std::nan("") : per_server[idlest]);
  values.push_back(static_cast<double>(recorder.totals().crashes));
  return values;
}

}  // namespace

int command_check(const std::vector<std::string>& args) {
  po::options_description options("lbsim check options");
  // clang-format off
  options.add_options()
      ("scenario", po::value<std::string>()->required(), "scenario YAML file")
      ("change", po::value<std::string>()->required(), "the named timeline action to check")
      ("slo", po::value<std::string>()->required(),
       "upper bounds, comma-separated: p50|p90|p99|p999|mean<duration, errors<fraction, "
       "imbalance<number, utilization_max<fraction; e.g. \"p99<300ms,errors<0.1%\"")
      ("max-imbalance", po::value<double>()->default_value(1.5),
       "limit on utilisation imbalance (busiest / mean server), unless the SLO bounds it; 0 = none")
      ("duration", po::value<std::string>()->default_value("10m"),
       "simulated time measured per run (after the scenario's warmup), at most the scenario's")
      ("quiet,q", "print only the verdict");
  // clang-format on
  add_replication_options(options, 3, "replications before and after the change");
  add_scenario_options(options);
  po::positional_options_description positional;
  positional.add("scenario", 1);

  std::optional<po::variables_map> vm;
  Replication replication;
  try {
    vm = parse_args(args, options, positional,
                    "lbsim check SCENARIO --change NAME --slo \"p99<300ms,errors<0.1%\"");
    if (vm) replication = read_replication_options(*vm);
  } catch (const po::error& e) {
    return usage_error("check", e.what());
  }
  if (!vm) return kExitOk;
  const std::uint64_t replications = replication.replications;
  const unsigned threads = replication.threads;
  const double max_imbalance = (*vm)["max-imbalance"].as<double>();
  if (!(max_imbalance == 0.0 || max_imbalance >= 1.0)) {
    return usage_error("check", "--max-imbalance must be 0 (none) or >= 1");
  }
  const bool quiet = vm->count("quiet") != 0;

  return with_input_errors("check", [&]() -> int {
    std::vector<SloTerm> terms = parse_slo((*vm)["slo"].as<std::string>());
    const auto bounds = [&](std::size_t metric) {
      return std::any_of(terms.begin(), terms.end(),
                         [&](const SloTerm& t) { return t.metric == metric; });
    };
    if (max_imbalance > 0.0 && !bounds(kSloImbalance)) {
      terms.push_back(
          {kSloImbalance, true, max_imbalance, "imbalance<=" + std::to_string(max_imbalance)});
    }
    SimTime duration = 0;
    try {
      duration = parse_duration((*vm)["duration"].as<std::string>());
    } catch (const std::invalid_argument& e) {
      throw ConfigError(SourceLocation{"--duration"}, e.what());
    }
    if (duration <= 0) throw ConfigError(SourceLocation{"--duration"}, "expected a duration > 0");

    const Scenario scenario = load_for_command(*vm);
    const std::string change_name = (*vm)["change"].as<std::string>();
    const auto change =
        std::find_if(scenario.config.timeline.begin(), scenario.config.timeline.end(),
                     [&](const ActionConfig& action) { return action.name == change_name; });
    if (change == scenario.config.timeline.end()) {
      std::string names;
      for (const ActionConfig& action : scenario.config.timeline) {
        if (!action.name.empty()) names += (names.empty() ? "" : ", ") + action.name;
      }
      throw ConfigError(SourceLocation{"--change " + change_name},
                        "expected a named timeline action of " + scenario.path + " (" +
                            (names.empty() ? "it names none" : names) + ")");
    }
    // Before: the scenario's configuration with nothing happening. After: the same with the
    // change in place from the start. Both in steady state over the same span and random numbers.
    SimulationConfig before = scenario.config;
    before.timeline.clear();
    before.alerts.clear();
    before.incident = IncidentConfig{};
    before.duration_ns = std::min(before.duration_ns, duration);
    if (before.window_ns > before.warmup_ns + before.duration_ns) {
      before.window_ns = before.warmup_ns + before.duration_ns;
    }
    SimulationConfig after = before;
    ActionConfig applied = *change;
    applied.at_ns = 0;
    after.timeline = {applied};
    for (const SimulationConfig* config : {&before, &after}) {
      const Simulation model_check(*config);
    }

    const std::array<const SimulationConfig*, 2> variants = {&before, &after};
    const auto rows = run_parallel(
        2 * replications, threads,
        [&](std::size_t index) {
          SimulationConfig config = *variants[index / replications];
          config.replication = index % replications;
          const RunResult run = run_simulation(config, nullptr, false);
          return measure(*run.recorder, make_summary(config, *run.recorder, run.stats));
        },
        "check", !quiet);
    const auto comparisons = compare_columns(rows, 2, replications, kSloMetrics.size());

    std::ostringstream out;
    out << "check " << change_name << " (" << action_name(change->action) << ") on "
        << scenario.config.name << ": " << replications << " replications of "
        << to_seconds(before.duration_ns) << " s after " << to_seconds(before.warmup_ns)
        << " s warmup, before and after the change\n\n";
    std::vector<std::string> header = {"metric", "before", "after", "bound"};
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> breaches;
    bool breached_before = false;
    for (const SloTerm& term : terms) {
      const SloMetric& metric = kSloMetrics[term.metric];
      const analytic::Interval& was = comparisons[term.metric].variants[0];
      const analytic::Interval& now = comparisons[term.metric].variants[1];
      const double scale = metric.unit == SloUnit::kSeconds    ? 1e3
                           : metric.unit == SloUnit::kFraction ? 100.0
                                                               : 1.0;
      const std::string unit = metric.unit == SloUnit::kSeconds    ? " ms"
                               : metric.unit == SloUnit::kFraction ? " %"
                                                                   : "";
      table.push_back({metric.name,
                       format_estimate(was.mean * scale, was.half_width * scale, false) + unit,
                       format_estimate(now.mean * scale, now.half_width * scale, false) + unit,
                       (term.inclusive ? "<= " : "< ") + show_slo_value(term.bound, metric.unit)});
      breached_before = breached_before || !meets(term, was.mean);
      if (!meets(term, now.mean)) {
        breaches.push_back(
            std::string(metric.meaning) + " " + show_slo_value(now.mean, metric.unit) +
            (term.inclusive ? " > " : " >= ") + show_slo_value(term.bound, metric.unit) +
            " (before the change: " + show_slo_value(was.mean, metric.unit) + ")");
      }
    }
    print_table(out, header, table);
    // Where the load went, in the first replication after the change.
    const std::vector<double>& first_after = rows[replications];
    const Simulation model(after);
    const auto& servers = model.servers();
    const auto busiest = static_cast<std::size_t>(first_after[kBusiest]);
    const auto idlest = static_cast<std::size_t>(first_after[kBusiest + 2]);
    out << "\nafter the change the busiest server, " << servers[busiest].name << ", runs at "
        << show_slo_value(first_after[kBusiest + 1], SloUnit::kFraction) << " and the least busy, "
        << servers[idlest].name << ", at "
        << show_slo_value(first_after[kBusiest + 3], SloUnit::kFraction);
    if (first_after[kBusiest + 4] > 0) {
      out << "; servers went down " << first_after[kBusiest + 4] << " times";
    }
    out << " (replication 0)\n\n";
    const bool blocked = !breaches.empty();
    if (blocked) {
      out << "BLOCK: " << change_name << " breaches the SLO:\n";
      for (const std::string& breach : breaches) out << "  - " << breach << '\n';
      if (breached_before) {
        out << "  (the configuration before the change already breaches the SLO too)\n";
      }
    } else {
      out << "PASS: " << change_name << " keeps every bound";
      if (breached_before) out << " (the configuration before it did not)";
      out << '\n';
    }
    if (quiet) {
      std::cout << (blocked ? "BLOCK: " : "PASS: ") << change_name << '\n';
    } else {
      std::cout << out.str();
    }
    return blocked ? kExitBlocked : kExitOk;
  });
}

}  // namespace lbsim::cli
