// lbsim check: the pre-rollout check every postmortem asks for (the experiment is
// sim/study/check.hpp). Blocks the change (exit status 3, with a plain explanation) when the
// result breaches the SLO or the imbalance limit.
#include <cmath>
#include <iostream>
#include <optional>
#include <sstream>

#include "sim/cli/commands.hpp"
#include "sim/cli/support.hpp"
#include "sim/cli/table.hpp"
#include "sim/core/text.hpp"
#include "sim/scenario/units.hpp"
#include "sim/study/check.hpp"

namespace lbsim::cli {
namespace {

using study::CheckResult;
using study::SloTerm;

std::string bound_text(const SloTerm& term) {
  return (term.inclusive ? "<= " : "< ") + show_value(term.bound, metric_info(term.metric).unit);
}

void print_terms(std::ostream& out, const CheckResult& result) {
  std::vector<std::vector<std::string>> table;
  for (std::size_t t = 0; t < result.terms.size(); ++t) {
    const MetricInfo& metric = metric_info(result.terms[t].metric);
    const analytic::Interval& was = result.by_term[t].variants[0];
    const analytic::Interval& now = result.by_term[t].variants[1];
    const double scale = metric.unit == MetricUnit::kSeconds    ? 1e3
                         : metric.unit == MetricUnit::kFraction ? 100.0
                                                                : 1.0;
    const std::string unit = metric.unit == MetricUnit::kSeconds    ? " ms"
                             : metric.unit == MetricUnit::kFraction ? " %"
                                                                    : "";
    table.push_back({metric.alias,
                     format_estimate(was.mean * scale, was.half_width * scale, false) + unit,
                     format_estimate(now.mean * scale, now.half_width * scale, false) + unit,
                     bound_text(result.terms[t])});
  }
  print_table(out, {"metric", "before", "after", "bound"}, table);
}

void print_verdict(std::ostream& out, const CheckResult& result) {
  if (result.blocked()) {
    out << "BLOCK: " << result.change << " breaches the SLO:\n";
    for (const study::CheckBreach& breach : result.breaches) {
      const MetricInfo& metric = metric_info(breach.term.metric);
      out << "  - " << metric.meaning << " " << show_value(breach.after, metric.unit)
          << (breach.term.inclusive ? " > " : " >= ") << show_value(breach.term.bound, metric.unit)
          << " (before the change: " << show_value(breach.before, metric.unit) << ")\n";
    }
    if (result.breached_before) {
      out << "  (the configuration before the change already breaches the SLO too)\n";
    }
  } else {
    out << "PASS: " << result.change << " keeps every bound";
    if (result.breached_before) out << " (the configuration before it did not)";
    out << '\n';
  }
}

std::string load_text(const CheckResult& result) {
  std::string text = result.span.whole_profile
                         ? "the scenario's whole profile (peak " +
                               show_value(result.peak_rate_per_s, MetricUnit::kPerSecond) + ")"
                         : show_value(result.peak_rate_per_s, MetricUnit::kPerSecond) +
                               " (the scenario's peak offered rate)";
  if (result.span.load != 1.0) {
    text += ", every rate x" + format_significant(result.span.load, 4) + " (--load)";
  }
  return text;
}

std::string server_text(const study::CheckServer& server) {
  return server.name + " at " + show_value(server.utilization, MetricUnit::kFraction) +
         " busy while up, " + format_significant(server.traffic_share, 3) + "x its fair share";
}

void print_check(std::ostream& out, const std::string& scenario, const CheckResult& result) {
  out << "check " << result.change << " (" << result.action_kind << ") on " << scenario << ": "
      << result.replications << " replications of " << to_seconds(result.before.duration_ns)
      << " s after " << to_seconds(result.before.warmup_ns) << " s warmup at " << load_text(result)
      << ", before and after the change\n\n";
  print_terms(out, result);
  out << "\nafter the change (replication 0): busiest " << server_text(result.busiest)
      << "; least busy " << server_text(result.least_busy) << '\n';
  if (!result.down.empty()) {
    out << "  down (at least half the time):";
    for (const study::CheckServer& server : result.down) {
      out << ' ' << server.name << " (" << show_value(server.down_fraction, MetricUnit::kFraction)
          << " down, " << format_significant(server.traffic_share, 3) << "x its fair share)";
    }
    out << '\n';
  }
  if (result.servers_went_down > 0) {
    out << "  servers went down " << result.servers_went_down << " times\n";
  }
  out << '\n';
  print_verdict(out, result);
}

nlohmann::ordered_json number_or_null(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

nlohmann::ordered_json interval_json(const analytic::Interval& i) {
  return {{"mean", number_or_null(i.mean)},
          {"ci_low", number_or_null(i.low)},
          {"ci_high", number_or_null(i.high)}};
}

nlohmann::ordered_json server_json(const study::CheckServer& s) {
  return {{"name", s.name},
          {"utilization", number_or_null(s.utilization)},
          {"traffic_share", number_or_null(s.traffic_share)},
          {"down_fraction", number_or_null(s.down_fraction)}};
}

// check.json: the verdict and every term, for CI.
nlohmann::ordered_json check_json(const std::string& scenario, const CheckResult& result) {
  nlohmann::ordered_json doc;
  doc["verdict"] = result.blocked() ? "BLOCK" : "PASS";
  doc["scenario"] = scenario;
  doc["change"] = result.change;
  doc["action"] = result.action_kind;
  doc["replications"] = result.replications;
  doc["duration_s"] = to_seconds(result.before.duration_ns);
  doc["whole_profile"] = result.span.whole_profile;
  doc["load"] = result.span.load;
  doc["peak_rate_per_s"] = result.peak_rate_per_s;
  doc["terms"] = nlohmann::ordered_json::array();
  for (std::size_t t = 0; t < result.terms.size(); ++t) {
    const SloTerm& term = result.terms[t];
    doc["terms"].push_back({{"term", term.text},
                            {"metric", metric_info(term.metric).name},
                            {"bound", term.bound},
                            {"inclusive", term.inclusive},
                            {"before", interval_json(result.by_term[t].variants[0])},
                            {"after", interval_json(result.by_term[t].variants[1])},
                            {"kept", study::meets(term, result.by_term[t].variants[1].mean)}});
  }
  doc["breaches"] = nlohmann::ordered_json::array();
  for (const study::CheckBreach& breach : result.breaches) {
    doc["breaches"].push_back({{"term", breach.term.text},
                               {"metric", metric_info(breach.term.metric).name},
                               {"before", number_or_null(breach.before)},
                               {"after", number_or_null(breach.after)}});
  }
  doc["breached_before"] = result.breached_before;
  doc["busiest"] = server_json(result.busiest);
  doc["least_busy"] = server_json(result.least_busy);
  doc["down"] = nlohmann::ordered_json::array();
  for (const study::CheckServer& s : result.down) doc["down"].push_back(server_json(s));
  return doc;
}

// --duration: a duration, or `profile`; --load: "1.5x", or a peak rate ("3000/s").
study::CheckSpan read_span(const CommandLine& line, const Scenario& scenario) {
  study::CheckSpan span;
  if (line.text("duration") == "profile") {
    span.whole_profile = true;
  } else {
    span.duration = read_duration_option(line, "duration");
  }
  if (line.has("load")) {
    const std::string text = line.text("load");
    try {
      if (!text.empty() && text.back() == 'x') {
        span.load = parse_number_at_least(text.substr(0, text.size() - 1), 0.0, false);
      } else {
        span.load = parse_rate_per_s(text) / study::peak_offered_rate(scenario.config);
      }
    } catch (const std::invalid_argument& e) {
      throw ConfigError(SourceLocation{"--load " + text},
                        std::string("expected a multiple such as 1.5x or a rate such as 3000/s: ") +
                            e.what());
    }
    if (!(span.load > 0.0) || !std::isfinite(span.load)) {
      throw ConfigError(SourceLocation{"--load " + text}, "expected a load > 0");
    }
  }
  return span;
}

}  // namespace

int command_check(const std::vector<std::string>& args) {
  po::options_description options("lbsim check options");
  // clang-format off
  options.add_options()
      ("scenario", po::value<std::string>()->required(), "scenario YAML file")
      ("change", po::value<std::string>()->required(), "the named timeline action to check")
      ("slo", po::value<std::string>()->required(),
       "upper bounds, comma-separated: p50|p90|p99|p999|mean<duration (every request, a failure "
       "at its failure time; latency_p99 ... for completed requests only), errors<fraction, "
       "imbalance|traffic_imbalance<number, utilization_max<fraction; e.g. "
       "\"p99<300ms,errors<0.1%\"")
      ("max-imbalance", po::value<double>()->default_value(1.5),
       "limit on utilisation imbalance (busiest / mean server), unless the SLO bounds it; 0 = none")
      ("duration", po::value<std::string>()->default_value("10m"),
       "simulated time measured per run at the scenario's peak offered rate (after its warmup), "
       "at most the scenario's; `profile`: the scenario's whole profile and traffic actions")
      ("load", po::value<std::string>(),
       "a forecast: every offered rate times 1.5x, or the peak set to a rate such as 3000/s")
      ("json", po::value<std::string>(), "write the verdict and every term as JSON to this file")
      ("out,o", po::value<std::string>(),
       "directory for check.json, run.json and scenario.yaml (instead of --json)")
      ("force,f", "replace an existing non-empty --out directory")
      ("quiet,q", "print only the verdict");
  // clang-format on
  add_replication_options(options, 3, "replications before and after the change");
  add_scenario_options(options);
  auto parsed =
      parse_command("check", args, options,
                    "lbsim check SCENARIO --change NAME --slo \"p99<300ms,errors<0.1%\"", true);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const CommandLine& line = std::get<CommandLine>(parsed);
  const double max_imbalance = line.vm["max-imbalance"].as<double>();
  if (!(max_imbalance == 0.0 || max_imbalance >= 1.0)) {
    return usage_error("check", "--max-imbalance must be 0 (none) or >= 1");
  }
  if (line.has("json") && line.has("out")) {
    return usage_error("check", "expected --json FILE or --out DIR, not both");
  }

  return with_input_errors("check", [&]() -> int {
    const std::vector<SloTerm> terms =
        study::with_imbalance_limit(study::parse_slo(line.text("slo")), max_imbalance);
    const Scenario scenario = load_for_command(line);
    const study::CheckSpan span = read_span(line, scenario);
    std::optional<RunDirectory> out_dir;
    if (line.has("out")) out_dir.emplace(line.text("out"), line.has("force"));
    const CheckResult result = study::check_change(
        scenario, line.text("change"), terms, span, line.replication.replications,
        line.replication.threads, runs_progress("check", !line.quiet));
    const nlohmann::ordered_json doc = check_json(scenario.config.name, result);
    if (line.has("json")) {
      write_file(line.text("json"), [&](std::ostream& o) { write_json(o, doc); });
    }
    if (out_dir) {
      write_file(out_dir->file("check.json"), [&](std::ostream& o) { write_json(o, doc); });
      write_provenance(line, *out_dir, &scenario);
      out_dir->commit();
    }
    if (line.quiet) {
      std::cout << (result.blocked() ? "BLOCK: " : "PASS: ") << result.change << '\n';
    } else {
      std::ostringstream out;
      print_check(out, scenario.config.name, result);
      std::cout << out.str();
    }
    return result.blocked() ? kExitBlocked : kExitOk;
  });
}

}  // namespace lbsim::cli
