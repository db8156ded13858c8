// lbsim replay: runs a scenario with an incident and tells it in a postmortem's terms (start,
// detection, mitigation, recovery, impact, the servers overloaded and the cascade, the timeline of
// actions, alerts and notes on the scenario's clock), writes the run directory, and with
// --what-if compares the scenario's named alternatives with the baseline over replications.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "sim/analytic/statistics.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/support.hpp"
#include "sim/cli/table.hpp"
#include "sim/metrics/csv_format.hpp"
#include "sim/metrics/run_output.hpp"
#include "sim/scenario/clock.hpp"

namespace lbsim::cli {
namespace {

constexpr double kConfidence = 0.95;

// A time in the run, on the scenario's clock when it has one ("08:35:10"), else "t=360s".
class ClockText {
 public:
  explicit ClockText(const ScenarioClock& clock) : clock_(clock) {}
  [[nodiscard]] std::string at(SimTime t) const {
    if (!clock_.set) return "t=" + number(to_seconds(t)) + "s";
    const std::int64_t whole = t / kSecond;
    // "2024-05-05T08:35:10+00:00" -> "08:35:10".
    const std::string iso = format_iso8601(clock_.start_epoch_s + whole, clock_.offset_minutes);
    return iso.substr(11, 8);
  }
  [[nodiscard]] std::string date(SimTime t) const {
    if (!clock_.set) return "";
    return format_iso8601(clock_.start_epoch_s + t / kSecond, clock_.offset_minutes).substr(0, 10);
  }
  static std::string number(double value) {
    std::ostringstream out;
    out.precision(6);
    out << value;
    return out.str();
  }

 private:
  ScenarioClock clock_;
};

std::string duration_text(SimTime ns) {
  const double s = to_seconds(ns);
  char buffer[64];
  if (s >= 2 * 86400) {
    std::snprintf(buffer, sizeof buffer, "%.0f-day", s / 86400);
  } else if (s < 120) {
    std::snprintf(buffer, sizeof buffer, "%.0f s", s);
  } else if (s < 2 * 3600) {
    std::snprintf(buffer, sizeof buffer, "%.1f min", s / 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%.2f h", s / 3600);
  }
  return buffer;
}

std::string percent(double fraction) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", fraction * 100.0);
  return buffer;
}

bool is_timeline_kind(const std::string& kind) {
  static const std::set<std::string> kinds = [] {
    std::set<std::string> all = {"alert_firing", "alert_resolved", "rollback_skipped"};
    for (const std::string_view name : kActionNames) all.emplace(name);
    return all;
  }();
  return kinds.count(kind) != 0;
}

// The narrative, from the run's recorder and summary.
void tell_incident(std::ostream& out, const SimulationConfig& config, const Recorder& recorder,
                   const nlohmann::ordered_json& summary) {
  const IncidentSummary& incident = *recorder.incident();
  const ClockText clock(config.clock);
  const auto since = [&](SimTime t) { return "+" + duration_text(t - incident.start); };
  std::string first_change;
  std::string first_alert;
  std::string mitigation;
  for (const LogRow& row : recorder.log()) {
    if (row.time < incident.start) continue;
    const std::string line = row.kind + " " + row.subject + ": " + row.detail;
    if (first_change.empty() && row.time == incident.start && row.kind != "note" &&
        is_timeline_kind(row.kind) && row.kind.rfind("alert", 0) != 0) {
      first_change = line;
    }
    if (first_alert.empty() && row.kind == "alert_firing" && row.time == incident.detected) {
      first_alert = row.subject + ": " + row.detail;
    }
    if (mitigation.empty() && row.time == incident.mitigated && is_timeline_kind(row.kind) &&
        row.kind != "note" && row.kind.rfind("alert", 0) != 0) {
      mitigation = line;
    }
  }
  out << "incident replay: " << config.name;
  if (config.clock.set)
    out << "  (" << clock.date(incident.start) << ", " << config.clock.zone << ")";
  out << "\n\n";
  out << "  started    " << clock.at(incident.start) << "            "
      << (first_change.empty() ? "incident.start" : first_change) << '\n';
  if (incident.detected >= 0) {
    out << "  detected   " << clock.at(incident.detected) << "  " << since(incident.detected)
        << "  alert " << first_alert << '\n';
  } else {
    out << "  detected   never (no alert fired)\n";
  }
  if (incident.mitigated >= 0) {
    out << "  mitigated  " << clock.at(incident.mitigated) << "  " << since(incident.mitigated)
        << "  " << mitigation << '\n';
  } else {
    out << "  mitigated  never (no rollback or mitigation action)\n";
  }
  if (incident.recovered >= 0) {
    out << "  recovered  " << clock.at(incident.recovered) << "  " << since(incident.recovered)
        << "  error rate back under " << percent(incident.recovery_error_rate) << " for good\n";
  } else if (incident.degraded) {
    out << "  recovered  not by the end of the run\n";
  } else {
    out << "  recovered  never degraded (error rate stayed under "
        << percent(incident.recovery_error_rate) << ")\n";
  }

  const SimTime end = incident.recovered >= 0 ? incident.recovered : recorder.setup().end_ns;
  out << "\nimpact, " << clock.at(incident.start) << " to " << clock.at(end) << " ("
      << duration_text(end - incident.start) << "):\n";
  out << "  users affected   "
      << percent(incident.users_active > 0 ? static_cast<double>(incident.users_affected) /
                                                 static_cast<double>(incident.users_active)
                                           : 0.0)
      << " (" << incident.users_affected << " of " << incident.users_active << " active)\n";
  out << "  requests failed  "
      << percent(incident.offered > 0
                     ? static_cast<double>(incident.failed) / static_cast<double>(incident.offered)
                     : 0.0)
      << " (" << incident.failed << " of " << incident.offered << ")";
  std::string kinds;
  for (const auto& [kind, count] : summary["requests"]["by_error"].items()) {
    if (count.get<std::uint64_t>() > 0) {
      kinds +=
          (kinds.empty() ? "" : ", ") + kind + " " + std::to_string(count.get<std::uint64_t>());
    }
  }
  out << (kinds.empty() ? "" : "; whole run by kind: " + kinds) << '\n';
  out << "  peak error rate  " << percent(incident.peak_error_rate);
  if (incident.peak_at >= 0) out << " in the window from " << clock.at(incident.peak_at);
  out << '\n';
  if (const auto& budget = summary["incident"]["error_budget"];
      !budget.is_null() && !budget["burned_fraction"].is_null()) {
    out << "  error budget     " << percent(budget["burned_fraction"].get<double>()) << " of a "
        << duration_text(config.incident.slo_period_ns) << " budget at "
        << percent(config.incident.slo) << " availability\n";
  }

  const auto& servers = summary["incident"]["servers"];
  const auto names = [](const nlohmann::ordered_json& list) {
    std::string text;
    for (const auto& name : list) text += (text.empty() ? "" : ", ") + name.get<std::string>();
    return text.empty() ? std::string("none") : text;
  };
  out << "\nservers (utilisation over the incident window; fleet mean "
      << percent(incident.utilization_mean) << "):\n"
      << "  overloaded (crashed, or >= 90% busy)  " << names(servers["overloaded"]) << '\n'
      << "  underused (<= half the fleet mean)    " << names(servers["underused"]) << '\n'
      << "  crashed " << incident.servers_crashed << " (" << incident.crashes
      << " crashes), killed " << incident.servers_killed << ", ejected " << incident.servers_ejected
      << " (" << incident.ejections << " ejections); at most "
      << percent(incident.max_fleet_down_fraction) << " of the fleet out of rotation";
  if (incident.max_fleet_down_at >= 0) out << " (" << clock.at(incident.max_fleet_down_at) << ")";
  out << '\n';
  if (!incident.cascade.empty()) {
    out << "\ncascade (each server's first failure):\n";
    for (const CascadeStep& step : incident.cascade) {
      out << "  " << clock.at(step.time) << "  " << since(step.time) << "  "
          << recorder.setup().servers[step.server].name << "  " << step.cause << '\n';
    }
  }
  out << "\ntimeline (actions, alerts, notes):\n";
  for (const LogRow& row : recorder.log()) {
    if (!is_timeline_kind(row.kind)) continue;
    out << "  " << clock.at(row.time) << "  " << row.kind << "  " << row.subject
        << (row.detail.empty() ? "" : ": " + row.detail) << '\n';
  }
}

// ---- what-ifs ----------------------------------------------------------------------------------

struct ImpactMetric {
  const char* name;     // whatif.csv `metric`
  const char* heading;  // terminal column
  double scale;         // table value = value x scale
};

constexpr std::array<ImpactMetric, 7> kImpact = {{
    {"users_affected_fraction", "users hit %", 100.0},
    {"failed_requests", "failed", 1.0},
    {"error_rate", "errors %", 100.0},
    {"impact_s", "impact min", 1.0 / 60.0},
    {"peak_error_rate", "peak err %", 100.0},
    {"servers_crashed", "crashed", 1.0},
    {"latency_p99_s", "p99 ms", 1e3},
}};

double value_or_nan(const nlohmann::ordered_json& value) {
  return value.is_number() ? value.get<double>() : std::nan("");
}

// A run's impact, over the measured period so that every variant is measured on the same span:
// impact_s is how long the error rate stayed above the recovery threshold after the incident
// started (0 if it never went above it; to the end of the run if it never recovered).
std::vector<double> impact_of(const SimulationConfig& config, const Recorder& recorder,
                              const nlohmann::ordered_json& summary) {
  const IncidentSummary* incident = recorder.incident();
  double impact_s = 0.0;
  double peak = 0.0;
  double crashed = 0.0;
  if (incident != nullptr) {
    if (incident->degraded) {
      const SimTime end =
          incident->recovered >= 0 ? incident->recovered : config.warmup_ns + config.duration_ns;
      impact_s = to_seconds(end - incident->start);
    }
    peak = incident->peak_error_rate;
    crashed = incident->servers_crashed;
  }
  return {value_or_nan(summary["users"]["affected_fraction"]),
          value_or_nan(summary["requests"]["failed"]),
          value_or_nan(summary["error_rate"]),
          impact_s,
          peak,
          crashed,
          value_or_nan(summary["latency_s"]["p99"])};
}

struct Alternative {
  std::string name;
  std::string text;
  SimulationConfig config;
};

void print_what_ifs(std::ostream& out, const std::vector<Alternative>& alternatives,
                    std::uint64_t replications,
                    const std::vector<analytic::PairedComparison>& comparisons) {
  out << "\nwhat-ifs: " << replications
      << " replications each, common random numbers; mean \u00b1 95% half-width\n";
  std::vector<std::string> header = {"what-if"};
  for (const ImpactMetric& metric : kImpact) header.emplace_back(metric.heading);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t v = 0; v < alternatives.size(); ++v) {
    std::vector<std::string> row = {alternatives[v].name};
    for (std::size_t m = 0; m < kImpact.size(); ++m) {
      const analytic::Interval& i = comparisons[m].variants[v];
      row.push_back(
          format_estimate(i.mean * kImpact[m].scale, i.half_width * kImpact[m].scale, false));
    }
    rows.push_back(std::move(row));
  }
  print_table(out, header, rows);
  if (alternatives.size() < 2) return;
  out << "\nimpact avoided against the baseline (baseline - what-if; * = the 95% interval "
         "excludes 0)\n";
  rows.clear();
  for (std::size_t v = 1; v < alternatives.size(); ++v) {
    std::vector<std::string> row = {alternatives[v].name};
    for (std::size_t m = 0; m < kImpact.size(); ++m) {
      const analytic::Interval& d = comparisons[m].differences[v];
      row.push_back(
          format_estimate(-d.mean * kImpact[m].scale, d.half_width * kImpact[m].scale, true) +
          (d.excludes_zero() ? "*" : " "));
    }
    rows.push_back(std::move(row));
  }
  print_table(out, header, rows);
  out << '\n';
  for (std::size_t v = 1; v < alternatives.size(); ++v) {
    const analytic::Interval& users = comparisons[0].variants[v];
    const analytic::Interval& impact = comparisons[3].variants[v];
    std::string verdict;
    if (impact.mean == 0.0 && users.mean == 0.0) {
      verdict = "prevents the incident: no window above the threshold, no user affected";
    } else if (impact.mean == 0.0) {
      verdict = "prevents the outage (no window above the threshold); some users still see errors";
    } else {
      const analytic::Interval& saved = comparisons[3].differences[v];
      verdict = saved.mean < 0 && saved.excludes_zero()
                    ? "shortens the impact by " + duration_text(from_seconds(-saved.mean))
                    : "does not shorten the impact measurably";
    }
    out << "  " << alternatives[v].name
        << (alternatives[v].text.empty() ? "" : " (" + alternatives[v].text + ")") << ": "
        << verdict << '\n';
  }
}

}  // namespace

int command_replay(const std::vector<std::string>& args) {
  po::options_description options("lbsim replay options");
  // clang-format off
  options.add_options()
      ("scenario", po::value<std::string>()->required(), "scenario YAML file with an incident")
      ("what-if,w", po::value<std::vector<std::string>>()->multitoken(),
       "what-ifs of the scenario to compare with the baseline, or `all`");
  // clang-format on
  add_replication_options(options, 10,
                          "replications of the baseline and each what-if (with --what-if)");
  add_output_options(options, "run directory to write (default runs/<scenario name>-replay)");
  options.add_options()("no-report", "do not write report.html and its PNG plots");
  add_scenario_options(options);
  po::positional_options_description positional;
  positional.add("scenario", 1);

  std::optional<po::variables_map> vm;
  Replication replication;
  try {
    vm = parse_args(args, options, positional, "lbsim replay SCENARIO [--what-if NAME...]");
    if (vm) replication = read_replication_options(*vm);
  } catch (const po::error& e) {
    return usage_error("replay", e.what());
  }
  if (!vm) return kExitOk;
  const std::uint64_t replications = replication.replications;
  const unsigned threads = replication.threads;
  const bool quiet = vm->count("quiet") != 0;

  return with_input_errors("replay", [&]() -> int {
    const Scenario scenario = load_for_command(*vm);
    if (scenario.config.incident.start_ns < 0) {
      throw ConfigError(SourceLocation{scenario.path},
                        "nothing to replay: expected an incident (a timeline action that changes "
                        "something, or incident.start)");
    }
    std::vector<std::string> overrides;
    if (vm->count("set") != 0) overrides = (*vm)["set"].as<std::vector<std::string>>();
    std::vector<Alternative> alternatives = {{"baseline", "as it happened", scenario.config}};
    if (vm->count("what-if") != 0) {
      std::vector<std::string> names = (*vm)["what-if"].as<std::vector<std::string>>();
      if (names.size() == 1 && names[0] == "all") {
        names.clear();
        for (const WhatIf& what_if : scenario.what_ifs) names.push_back(what_if.name);
        if (names.empty()) {
          throw ConfigError(SourceLocation{scenario.path},
                            "--what-if all: the scenario has no what_ifs");
        }
      }
      for (const std::string& name : names) {
        Scenario alternative =
            load_scenario(ScenarioFile{scenario.path}, {.overrides = overrides, .what_if = name});
        if (vm->count("seed") != 0) alternative.config.seed = scenario.config.seed;
        // Every alternative is measured from the baseline's incident start: a what-if that skips
        // the change would otherwise start its incident at a later action, or have none.
        alternative.config.incident.start_ns = scenario.config.incident.start_ns;
        std::string text;
        for (const WhatIf& what_if : scenario.what_ifs) {
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
    }
    const std::string out_dir = vm->count("out") != 0 ? (*vm)["out"].as<std::string>()
                                                      : "runs/" + scenario.config.name + "-replay";
    RunDirectory run_dir(out_dir, vm->count("force") != 0);

    std::ofstream servers_csv(run_dir.file("servers.csv"));
    if (!servers_csv) throw OutputError("cannot write " + run_dir.file("servers.csv").string());
    RunResult result = run_simulation(scenario.config, &servers_csv, !quiet);
    servers_csv.close();
    if (!servers_csv) throw OutputError("error writing servers.csv");
    const auto summary = make_summary(scenario.config, *result.recorder, result.stats);
    write_file(run_dir.file("summary.json"), [&](std::ostream& o) { write_json(o, summary); });
    write_file(run_dir.file("timeseries.csv"),
               [&](std::ostream& o) { write_timeseries_csv(o, *result.recorder); });
    write_file(run_dir.file("events.csv"),
               [&](std::ostream& o) { write_events_csv(o, *result.recorder); });
    std::ostringstream story;
    tell_incident(story, scenario.config, *result.recorder, summary);

    if (alternatives.size() > 1) {
      const std::size_t total = alternatives.size() * replications;
      const auto rows = run_parallel(
          total, threads,
          [&](std::size_t index) {
            SimulationConfig config = alternatives[index / replications].config;
            config.replication = index % replications;
            const RunResult run = run_simulation(config, nullptr, false);
            return impact_of(config, *run.recorder, make_summary(config, *run.recorder, run.stats));
          },
          "what-ifs", !quiet);
      const auto comparisons =
          compare_columns(rows, alternatives.size(), replications, kImpact.size());
      print_what_ifs(story, alternatives, replications, comparisons);
      write_file(run_dir.file("whatif.csv"), [&](std::ostream& o) {
        std::vector<std::string> names;
        for (const Alternative& alternative : alternatives) names.push_back(alternative.name);
        std::vector<std::string> metrics;
        for (const ImpactMetric& metric : kImpact) metrics.emplace_back(metric.name);
        write_comparison_csv(o, "what_if", names, metrics, replications, comparisons);
      });
    }
    write_file(run_dir.file("replay.txt"), [&](std::ostream& o) { o << story.str(); });
    if (vm->count("no-report") == 0) {
      // Into the directory before it is committed: a failed report leaves nothing behind.
      if (const int status = write_report(run_dir.file(""), true); status != 0) {
        throw OutputError("the report failed (python exit status " + std::to_string(status) +
                          "); --no-report skips it");
      }
    }
    run_dir.commit();
    if (!quiet) {
      std::cout << story.str() << "\nrun directory: " << run_dir.target().string() << '\n';
    }
    return kExitOk;
  });
}

}  // namespace lbsim::cli
