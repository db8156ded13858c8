// lbsim check: the pre-rollout check every postmortem asks for (the experiment is
// sim/study/check.hpp). Blocks the change (exit status 3, with a plain explanation) when the
// result breaches the SLO or the imbalance limit.
#include <iostream>
#include <sstream>

#include "sim/cli/commands.hpp"
#include "sim/cli/support.hpp"
#include "sim/cli/table.hpp"
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

void print_check(std::ostream& out, const std::string& scenario, const CheckResult& result) {
  out << "check " << result.change << " (" << result.action_kind << ") on " << scenario << ": "
      << result.replications << " replications of " << to_seconds(result.before.duration_ns)
      << " s after " << to_seconds(result.before.warmup_ns)
      << " s warmup, before and after the change\n\n";
  print_terms(out, result);
  out << "\nafter the change the busiest server, " << result.busiest.name << ", runs at "
      << show_value(result.busiest.utilization, MetricUnit::kFraction) << " and the least busy, "
      << result.least_busy.name << ", at "
      << show_value(result.least_busy.utilization, MetricUnit::kFraction);
  if (result.servers_went_down > 0) {
    out << "; servers went down " << result.servers_went_down << " times";
  }
  out << " (replication 0)\n\n";
  print_verdict(out, result);
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
       "simulated time measured per run (after the scenario's warmup), at most the scenario's")
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

  return with_input_errors("check", [&]() -> int {
    const std::vector<SloTerm> terms =
        study::with_imbalance_limit(study::parse_slo(line.text("slo")), max_imbalance);
    const SimTime duration = read_duration_option(line, "duration");
    const Scenario scenario = load_for_command(line);
    const CheckResult result = study::check_change(
        scenario, line.text("change"), terms, duration, line.replication.replications,
        line.replication.threads, runs_progress("check", !line.quiet));
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
