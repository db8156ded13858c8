// lbsim replay: runs a scenario with an incident and tells it in a postmortem's terms (start,
// detection, mitigation, recovery, impact, the servers overloaded and the cascade, the timeline of
// actions, alerts and notes on the scenario's clock), writes the run directory, and with
// --what-if compares the scenario's named alternatives with the baseline over replications (the
// experiment is sim/study/replay.hpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "sim/cli/commands.hpp"
#include "sim/cli/replay_sensitivity.hpp"
#include "sim/cli/support.hpp"
#include "sim/cli/table.hpp"
#include "sim/core/text.hpp"
#include "sim/metrics/run_output.hpp"
#include "sim/scenario/clock.hpp"
#include "sim/study/replay.hpp"

namespace lbsim::cli {
namespace {

using study::Alternative;
using study::WhatIfComparison;

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
  static std::string number(double value) { return format_significant(value, 6); }

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

// The first change at the incident start, the alert that detected it and the action that
// mitigated it, as the event log has them.
struct KeyEvents {
  std::string first_change;
  std::string first_alert;
  std::string mitigation;
};

KeyEvents key_events(const Recorder& recorder, const IncidentSummary& incident) {
  KeyEvents events;
  for (const LogRow& row : recorder.log()) {
    if (row.time < incident.start) continue;
    const std::string line = row.kind + " " + row.subject + ": " + row.detail;
    const bool action =
        is_timeline_kind(row.kind) && row.kind != "note" && row.kind.rfind("alert", 0) != 0;
    if (events.first_change.empty() && row.time == incident.start && action) {
      events.first_change = line;
    }
    if (events.first_alert.empty() && row.kind == "alert_firing" && row.time == incident.detected) {
      events.first_alert = row.subject + ": " + row.detail;
    }
    if (events.mitigation.empty() && row.time == incident.mitigated && action) {
      events.mitigation = line;
    }
  }
  return events;
}

// Whether the recovery follows a scripted mitigation (a dated timeline action): within two windows
// of it, the end of the impact, and its duration, are the scenario's input, not a result.
bool end_is_scripted(const IncidentSummary& incident, SimTime window) {
  return incident.mitigation_scripted && incident.mitigated >= 0 && incident.recovered >= 0 &&
         incident.recovered - incident.mitigated <= 2 * window;
}

void tell_milestones(std::ostream& out, const IncidentSummary& incident, const ClockText& clock,
                     const KeyEvents& events, bool scripted) {
  const auto since = [&](SimTime t) { return "+" + duration_text(t - incident.start); };
  out << "  started    " << clock.at(incident.start) << "            "
      << (events.first_change.empty() ? "incident.start" : events.first_change)
      << "  [input: scripted]\n";
  if (incident.detected >= 0) {
    out << "  detected   " << clock.at(incident.detected) << "  " << since(incident.detected)
        << "  alert " << events.first_alert << '\n';
  } else {
    out << "  detected   never (no alert fired)\n";
  }
  if (incident.mitigated >= 0) {
    out << "  mitigated  " << clock.at(incident.mitigated) << "  " << since(incident.mitigated)
        << "  " << events.mitigation
        << (incident.mitigation_scripted ? "  [input: scripted]" : "  [emerged: on an alert]")
        << '\n';
  } else {
    out << "  mitigated  never (no rollback or mitigation action)\n";
  }
  if (incident.recovered >= 0) {
    out << "  recovered  " << clock.at(incident.recovered) << "  " << since(incident.recovered)
        << "  error rate back under " << percent(incident.recovery_error_rate) << " for good"
        << (scripted ? "  [input: follows the scripted mitigation]" : "  [emerged]") << '\n';
  } else if (incident.degraded) {
    out << "  recovered  not by the end of the run\n";
  } else {
    out << "  recovered  never degraded (error rate stayed under "
        << percent(incident.recovery_error_rate) << ")\n";
  }
}

void tell_impact(std::ostream& out, const SimulationConfig& config, const RunSummary& summary,
                 const ClockText& clock, SimTime run_end) {
  const IncidentReport& report = *summary.incident;
  const IncidentSummary& incident = report.measured;
  const SimTime end = incident.recovered >= 0 ? incident.recovered : run_end;
  out << "\nimpact, " << clock.at(incident.start) << " to " << clock.at(end) << " ("
      << duration_text(end - incident.start) << ")"
      << (end_is_scripted(incident, config.window_ns)
              ? ", ended by the scripted mitigation: its length is an input of the scenario"
              : "")
      << ":\n";
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
  for (int k = 1; k < kErrorKindCount; ++k) {
    if (summary.by_error[k] == 0) continue;
    kinds += (kinds.empty() ? "" : ", ") + std::string(error_kind_name(static_cast<ErrorKind>(k))) +
             " " + std::to_string(summary.by_error[k]);
  }
  out << (kinds.empty() ? "" : "; whole run by kind: " + kinds) << '\n';
  out << "  peak error rate  " << percent(incident.peak_error_rate);
  if (incident.peak_at >= 0) out << " in the window from " << clock.at(incident.peak_at);
  out << '\n';
  if (report.budget && !std::isnan(report.budget->burned_fraction)) {
    out << "  error budget     " << percent(report.budget->burned_fraction) << " of a "
        << duration_text(config.incident.slo_period_ns) << " budget at "
        << percent(config.incident.slo) << " availability\n";
  }
}

// The servers that deviate most from their fair share of requests, worst first (at most
// `limit`), every overloaded or down one included.
std::vector<std::size_t> deviating_servers(const IncidentReport& report, std::size_t limit) {
  const IncidentSummary& incident = report.measured;
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < incident.traffic_share.size(); ++i) {
    if (!std::isnan(incident.down_fraction[i])) order.push_back(i);
  }
  const auto deviation = [&](std::size_t i) {
    const double share = incident.traffic_share[i];
    const double off = std::isnan(share) ? 0.0 : std::abs(std::log(std::max(share, 1e-9)));
    return off + (incident.crashed[i] != 0 ? 100.0 : 0.0) + incident.down_fraction[i] * 10.0;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return deviation(a) > deviation(b); });
  if (order.size() > limit) order.resize(limit);
  return order;
}

void tell_server_table(std::ostream& out, const RunSummary& summary) {
  const IncidentSummary& incident = summary.incident->measured;
  const std::vector<std::size_t> shown = deviating_servers(*summary.incident, 6);
  std::vector<std::vector<std::string>> rows;
  for (const std::size_t i : shown) {
    const double share = incident.traffic_share[i];
    const double failed = incident.dispatched[i] > 0
                              ? static_cast<double>(incident.failed_attempts[i]) /
                                    static_cast<double>(incident.dispatched[i])
                              : 0.0;
    rows.push_back({summary.server_names[i],
                    std::isnan(share) ? "-" : format_significant(share, 3) + "x",
                    std::isnan(incident.utilization[i]) ? "-" : percent(incident.utilization[i]),
                    percent(incident.down_fraction[i]), percent(failed),
                    std::to_string(incident.failed_attempts[i])});
  }
  out << "\n";
  print_table(
      out,
      {"server", "requests vs fair share", "busy while up", "down", "attempts failed", "failed"},
      rows);
  if (shown.size() < incident.traffic_share.size()) {
    out << "  (the " << shown.size() << " servers furthest from their fair share; every server is "
        << "in servers.csv)\n";
  }
}

void tell_servers(std::ostream& out, const RunSummary& summary, const ClockText& clock) {
  const IncidentReport& report = *summary.incident;
  const IncidentSummary& incident = report.measured;
  const auto names = [](const std::vector<std::string>& list) {
    std::string text;
    for (const std::string& name : list) text += (text.empty() ? "" : ", ") + name;
    return text.empty() ? std::string("none") : text;
  };
  out << "\nservers over the incident window (fleet mean utilisation while up "
      << percent(incident.utilization_mean) << "):\n"
      << "  overloaded  " << names(report.overloaded) << '\n'
      << "  underused   " << names(report.underused) << '\n'
      << "  down        " << names(report.down) << '\n'
      << "  (overloaded: crashed from overload, overload errors on >= 1% of its requests, or >= 90%"
         " busy while up;\n   underused: <= 90% of its fair share of requests by weight, or busy"
         " <= 75% of the fleet mean;\n   down: down >= half its time in the fleet, not from "
         "overload)\n"
      << "  crashed " << incident.servers_crashed << " (" << incident.crashes
      << " crashes), killed " << incident.servers_killed << ", ejected " << incident.servers_ejected
      << " (" << incident.ejections << " ejections); at most "
      << percent(incident.max_fleet_down_fraction) << " of the fleet out of rotation";
  if (incident.max_fleet_down_at >= 0) out << " (" << clock.at(incident.max_fleet_down_at) << ")";
  out << '\n';
  tell_server_table(out, summary);
  if (!incident.cascade.empty()) {
    out << "\ncascade (each server's first failure):\n";
    for (const CascadeStep& step : incident.cascade) {
      out << "  " << clock.at(step.time) << "  +" << duration_text(step.time - incident.start)
          << "  " << summary.server_names[step.server] << "  " << step.cause << '\n';
    }
  }
}

// incident.documented beside the replay's figures; inputs marked.
std::vector<IncidentReport::Documented> documented_rows(const SimulationConfig& config,
                                                        const RunSummary& summary,
                                                        const ClockText& clock) {
  const IncidentReport& report = *summary.incident;
  const IncidentSummary& incident = report.measured;
  const bool scripted_end = end_is_scripted(incident, config.window_ns);
  const auto time = [&](SimTime t) { return t >= 0 ? clock.at(t) : std::string("never"); };
  const auto fraction = [](std::uint64_t part, std::uint64_t whole) {
    return percent(whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0);
  };
  std::vector<IncidentReport::Documented> rows;
  for (const DocumentedFigure& figure : config.incident.documented) {
    IncidentReport::Documented row{figure.figure, figure.text, "", figure.input};
    const std::string& f = figure.figure;
    if (f == "start") {
      row.replayed = time(incident.start);
      row.input = true;  // the scripted change
    } else if (f == "detected") {
      row.replayed = time(incident.detected);
    } else if (f == "mitigated") {
      row.replayed = time(incident.mitigated);
      row.input = row.input || incident.mitigation_scripted;
    } else if (f == "end") {
      row.replayed = time(incident.recovered);
      row.input = row.input || scripted_end;
    } else if (f == "duration") {
      row.replayed = duration_text(from_seconds(report.impact_s));
      row.input = row.input || scripted_end;
    } else if (f == "users_affected") {
      row.replayed = fraction(incident.users_affected, incident.users_active);
    } else if (f == "requests_failed") {
      row.replayed = fraction(incident.failed, incident.offered);
    } else {  // peak_error_rate
      row.replayed = percent(incident.peak_error_rate);
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

void tell_documented(std::ostream& out, const RunSummary& summary) {
  const auto& rows = summary.incident->documented;
  if (rows.empty()) return;
  out << "\ndocumented vs replayed (input = set by the scenario: scripted, or tuned to match; "
         "emerged = a result of the replay):\n";
  std::vector<std::vector<std::string>> table;
  table.reserve(rows.size());
  for (const IncidentReport::Documented& row : rows) {
    table.push_back({row.figure, row.documented, row.replayed, row.input ? "input" : "emerged"});
  }
  print_table(out, {"figure", "documented", "replayed", ""}, table);
}

// The narrative, from the run's recorder and summary.
void tell_incident(std::ostream& out, const SimulationConfig& config, const Recorder& recorder,
                   const RunSummary& summary) {
  const IncidentSummary& incident = summary.incident->measured;
  const ClockText clock(config.clock);
  out << "incident replay: " << config.name;
  if (config.clock.set) {
    out << "  (" << clock.date(incident.start) << ", " << config.clock.zone << ")";
  }
  out << "\n\n";
  tell_milestones(out, incident, clock, key_events(recorder, incident),
                  end_is_scripted(incident, config.window_ns));
  tell_impact(out, config, summary, clock, recorder.setup().end_ns);
  tell_documented(out, summary);
  tell_servers(out, summary, clock);
  out << "\ntimeline (actions, alerts, notes):\n";
  for (const LogRow& row : recorder.log()) {
    if (!is_timeline_kind(row.kind)) continue;
    out << "  " << clock.at(row.time) << "  " << row.kind << "  " << row.subject
        << (row.detail.empty() ? "" : ": " + row.detail) << '\n';
  }
}

// ---- what-ifs ----------------------------------------------------------------------------------

// One judged metric's change in a reader's terms: counts and the budget relative to the
// baseline ("failures -97.2%"), times and rates as the difference ("p99 +760.0 ms").
std::string change_text(const study::MetricChange& change) {
  const auto sign = [](double d) { return d < 0 ? std::string("-") : std::string("+"); };
  const auto relative = [&](const char* what) {
    if (!(change.baseline > 0.0)) return std::string(what) + " " + sign(change.difference);
    return std::string(what) + " " + sign(change.difference) +
           percent(std::abs(change.difference) / change.baseline);
  };
  switch (change.metric) {
    case MetricId::kFailedRequests:
      return relative("failures");
    case MetricId::kUsersAffected:
      return relative("users affected");
    case MetricId::kBudgetSpent:
      return relative("error budget spent");
    case MetricId::kPeakErrorRate:
      return "peak error rate " + percent(change.baseline) + " -> " + percent(change.what_if);
    case MetricId::kImpact:
      return "impact " + sign(change.difference) +
             duration_text(from_seconds(std::abs(change.difference)));
    default:
      break;
  }
  const MetricInfo& info = metric_info(change.metric);
  return std::string(info.alias != nullptr ? info.alias : info.name) + " (all) " +
         sign(change.difference) + show_value(std::abs(change.difference), info.unit);
}

std::string changes_text(const std::vector<study::MetricChange>& changes) {
  std::string text;
  for (const study::MetricChange& change : changes) {
    text += (text.empty() ? "" : ", ") + change_text(change);
  }
  return text;
}

// "reduces failures by 97.2% (users affected by 95.0%)", or the other improvements when the
// failures are not among them.
std::string reduction_text(const std::vector<study::MetricChange>& better) {
  const study::MetricChange* failures = nullptr;
  const study::MetricChange* users = nullptr;
  std::vector<study::MetricChange> others;
  for (const study::MetricChange& change : better) {
    if (change.metric == MetricId::kFailedRequests) {
      failures = &change;
    } else if (change.metric == MetricId::kUsersAffected) {
      users = &change;
    } else {
      others.push_back(change);
    }
  }
  const auto share = [](const study::MetricChange& c) {
    return c.baseline > 0.0 ? percent(-c.difference / c.baseline) : std::string("all");
  };
  std::string text;
  if (failures != nullptr) {
    text = "reduces failures by " + share(*failures);
    if (users != nullptr) text += " (users affected by " + share(*users) + ")";
  } else if (users != nullptr) {
    text = "reduces the users affected by " + share(*users);
  } else {
    text = "reduces";
  }
  if (!others.empty()) text += (failures || users ? "; " : " ") + changes_text(others);
  return text;
}

std::string verdict_text(const study::WhatIfVerdict& verdict) {
  using Kind = study::WhatIfVerdict::Kind;
  switch (verdict.kind) {
    case Kind::kPrevents:
      return "prevents the incident (no window above the threshold in any replication): " +
             changes_text(verdict.better);
    case Kind::kReduces:
      return reduction_text(verdict.better);
    case Kind::kWorse:
      return "makes it worse: " + changes_text(verdict.worse);
    case Kind::kMixed:
      return "mixed: " + reduction_text(verdict.better) + "; but " + changes_text(verdict.worse);
    case Kind::kNoMeasurableEffect:
      break;
  }
  return "no measurable effect (no judged figure's 95% paired interval excludes 0)";
}

void print_what_ifs(std::ostream& out, const std::vector<Alternative>& alternatives,
                    const WhatIfComparison& result) {
  const auto& metrics = study::kImpactMetrics;
  out << "\nwhat-ifs: " << result.replications
      << " replications each, common random numbers; mean \u00b1 95% half-width\n";
  std::vector<std::string> header = {"what-if"};
  for (const MetricId metric : metrics) header.emplace_back(metric_info(metric).heading);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t v = 0; v < alternatives.size(); ++v) {
    std::vector<std::string> row = {alternatives[v].name};
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const double scale = metric_info(metrics[m]).table_scale;
      const analytic::Interval& i = result.by_metric[m].variants[v];
      row.push_back(format_estimate(i.mean * scale, i.half_width * scale, false));
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
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const double scale = metric_info(metrics[m]).table_scale;
      const analytic::Interval& d = result.by_metric[m].differences[v];
      row.push_back(format_estimate(-d.mean * scale, d.half_width * scale, true) +
                    (d.excludes_zero() ? "*" : " "));
    }
    rows.push_back(std::move(row));
  }
  print_table(out, header, rows);
  out << '\n';
  for (std::size_t v = 1; v < alternatives.size(); ++v) {
    out << "  " << alternatives[v].name
        << (alternatives[v].text.empty() ? "" : " (" + alternatives[v].text + ")") << ": "
        << verdict_text(result.verdicts[v]) << "  [" << study::verdict_name(result.verdicts[v].kind)
        << "]\n";
  }
}

// The what-if comparison: its tables in the story, whatif.csv in the run directory.
void run_what_ifs(const CommandLine& line, const std::vector<Alternative>& alternatives,
                  RunDirectory& run_dir, std::ostream& story) {
  const WhatIfComparison result =
      study::compare_what_ifs(alternatives, line.replication.replications, line.replication.threads,
                              runs_progress("what-ifs", !line.quiet));
  print_what_ifs(story, alternatives, result);
  write_file(run_dir.file("whatif.csv"), [&](std::ostream& o) {
    std::vector<std::string> names;
    names.reserve(alternatives.size());
    for (const Alternative& alternative : alternatives) names.push_back(alternative.name);
    std::vector<std::string> verdicts = {""};  // the baseline has none
    for (std::size_t v = 1; v < alternatives.size(); ++v) {
      verdicts.emplace_back(study::verdict_name(result.verdicts[v].kind));
    }
    write_comparison_csv(o, "what_if", names, study::kImpactMetrics, result.replications,
                         result.by_metric, &verdicts);
  });
}

}  // namespace

int command_replay(const std::vector<std::string>& args) {
  po::options_description options("lbsim replay options");
  // clang-format off
  options.add_options()
      ("scenario", po::value<std::string>()->required(), "scenario YAML file with an incident")
      ("what-if,w", po::value<std::vector<std::string>>()->multitoken(),
       "what-ifs of the scenario to compare with the baseline, or `all`")
      ("sensitivity", po::value<std::vector<std::string>>()->composing(),
       "key.path=lo..hi: rerun the replay at lo, the midpoint and hi of an undocumented choice "
       "and show how each headline figure moves (repeatable)");
  // clang-format on
  add_replication_options(options, 10,
                          "replications of the baseline and each what-if or sensitivity value");
  add_output_options(options, "run directory to write (default runs/<scenario name>-replay)");
  options.add_options()("no-report", "do not write report.html and its PNG plots");
  add_scenario_options(options);
  auto parsed = parse_command(
      "replay", args, options,
      "lbsim replay SCENARIO [--what-if NAME...] [--sensitivity KEY=LO..HI...]", true);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const CommandLine& line = std::get<CommandLine>(parsed);

  return with_input_errors("replay", [&]() -> int {
    const Scenario scenario = load_for_command(line);
    if (scenario.config.incident.start_ns < 0) {
      throw ConfigError(SourceLocation{scenario.path},
                        "nothing to replay: expected an incident (a timeline action that changes "
                        "something, or incident.start)");
    }
    std::vector<Alternative> alternatives;
    if (line.has("what-if")) {
      alternatives =
          study::load_alternatives(scenario, line.overrides(),
                                   line.vm["what-if"].as<std::vector<std::string>>(), line.seed());
    }
    std::optional<study::SensitivityStudy> sensitivity;
    if (line.has("sensitivity")) {
      sensitivity = study::load_sensitivity(scenario, line.overrides(),
                                            line.vm["sensitivity"].as<std::vector<std::string>>(),
                                            line.seed());
    }
    RunDirectory run_dir(line.out_dir("runs/" + scenario.config.name + "-replay"),
                         line.has("force"));
    std::ostringstream story;
    const ClockText clock(scenario.config.clock);
    const WrittenRun baseline =
        write_run(scenario.config, run_dir, !line.quiet, [&](RunSummary& summary) {
          summary.incident->documented = documented_rows(scenario.config, summary, clock);
        });
    write_provenance(line, run_dir, &scenario);
    tell_incident(story, scenario.config, *baseline.result.recorder, baseline.summary);
    if (alternatives.size() > 1) run_what_ifs(line, alternatives, run_dir, story);
    if (sensitivity) {
      const study::SensitivityResult result = study::run_sensitivity(
          *sensitivity, line.replication.replications, line.replication.threads,
          runs_progress("sensitivity", !line.quiet));
      print_sensitivity(story, *sensitivity, result);
      write_file(run_dir.file("sensitivity.csv"),
                 [&](std::ostream& o) { write_sensitivity_csv(o, *sensitivity, result); });
    }
    write_file(run_dir.file("replay.txt"), [&](std::ostream& o) { o << story.str(); });
    write_report_unless_disabled(line, run_dir.file(""));
    run_dir.commit();
    if (!line.quiet) {
      std::cout << story.str() << "\nrun directory: " << run_dir.target().string() << '\n';
    }
    return kExitOk;
  });
}

}  // namespace lbsim::cli
