// lbsim compare: several strategy variants on one scenario (the experiment is
// sim/study/compare.hpp); prints the intervals and writes compare.csv, runs.csv and compare.json.
#include <iostream>

#include "sim/cli/commands.hpp"
#include "sim/cli/support.hpp"
#include "sim/cli/table.hpp"
#include "sim/metrics/csv_format.hpp"
#include "sim/metrics/run_output.hpp"
#include "sim/study/compare.hpp"

namespace lbsim::cli {
namespace {

using study::Comparison;
using study::Variant;

// ---- terminal table ----------------------------------------------------------------------------

void print_comparison(std::ostream& out, const std::vector<Variant>& variants,
                      const Comparison& result) {
  const std::uint64_t replications = result.replications;
  const auto& comparisons = result.by_metric;
  const SimulationConfig& base = variants.front().config;
  out << "compare " << base.name << ": " << variants.size() << " variants x " << replications
      << " replications (seed " << base.seed << ", common random numbers)\n"
      << "each run measured " << to_seconds(base.duration_ns) << " s after "
      << to_seconds(base.warmup_ns) << " s warmup\n\n";
  std::vector<std::string> header = {"variant"};
  for (const MetricId metric : result.metrics) header.emplace_back(metric_info(metric).heading);

  out << "mean \u00b1 95% confidence half-width over replications\n";
  std::vector<std::vector<std::string>> rows;
  for (std::size_t v = 0; v < variants.size(); ++v) {
    std::vector<std::string> row = {variants[v].text};
    for (std::size_t m = 0; m < result.metrics.size(); ++m) {
      const double scale = metric_info(result.metrics[m]).table_scale;
      const analytic::Interval& interval = comparisons[m].variants[v];
      row.push_back(format_estimate(interval.mean * scale, interval.half_width * scale, false));
    }
    rows.push_back(std::move(row));
  }
  print_table(out, header, rows);
  if (variants.size() < 2) return;

  out << "\npaired difference from " << variants.front().text
      << " (same replications; * = the 95% interval excludes 0)\n";
  rows.clear();
  for (std::size_t v = 1; v < variants.size(); ++v) {
    std::vector<std::string> row = {variants[v].text};
    for (std::size_t m = 0; m < result.metrics.size(); ++m) {
      const double scale = metric_info(result.metrics[m]).table_scale;
      const analytic::Interval& difference = comparisons[m].differences[v];
      row.push_back(format_estimate(difference.mean * scale, difference.half_width * scale, true) +
                    (difference.excludes_zero() ? "*" : " "));
    }
    rows.push_back(std::move(row));
  }
  print_table(out, header, rows);
}

// ---- files -------------------------------------------------------------------------------------

nlohmann::ordered_json number_or_null(double value) {
  if (!std::isfinite(value)) return nullptr;
  return value;
}

void write_runs_csv(std::ostream& out, const std::vector<Variant>& variants,
                    const Comparison& result) {
  const std::uint64_t replications = result.replications;
  out << "variant,replication";
  for (const MetricId metric : result.metrics) out << ',' << metric_info(metric).name;
  out << '\n';
  for (std::size_t i = 0; i < result.runs.size(); ++i) {
    out << csv_field(variants[i / replications].text) << ',' << i % replications;
    for (const MetricId metric : result.metrics) {
      out << ',' << format_number(metric_value(result.runs[i], metric));
    }
    out << '\n';
  }
}

nlohmann::ordered_json variant_json(const Variant& variant, std::size_t v,
                                    const Comparison& result) {
  nlohmann::ordered_json entry;
  entry["variant"] = variant.text;
  entry["strategy"] = variant.config.balancer.strategy.name();
  entry["options"] = nlohmann::ordered_json::object();
  for (const auto& option : variant.config.balancer.strategy.options) {
    const std::string& name = option.first;
    std::visit([&](const auto& held) { entry["options"][name] = held; }, option.second);
  }
  entry["metrics"] = nlohmann::ordered_json::object();
  for (std::size_t m = 0; m < result.metrics.size(); ++m) {
    const analytic::Interval& value = result.by_metric[m].variants[v];
    const analytic::Interval& difference = result.by_metric[m].differences[v];
    entry["metrics"][metric_info(result.metrics[m]).name] = {
        {"mean", number_or_null(value.mean)},
        {"ci_low", number_or_null(value.low)},
        {"ci_high", number_or_null(value.high)},
        {"half_width", number_or_null(value.half_width)},
        {"diff_mean", number_or_null(difference.mean)},
        {"diff_low", number_or_null(difference.low)},
        {"diff_high", number_or_null(difference.high)},
        {"diff_excludes_zero", difference.excludes_zero()},
    };
  }
  return entry;
}

nlohmann::ordered_json compare_json(const std::vector<Variant>& variants,
                                    const Comparison& result) {
  const std::uint64_t replications = result.replications;
  const SimulationConfig& base = variants.front().config;
  nlohmann::ordered_json doc;
  doc["scenario"] = base.name;
  doc["seed"] = base.seed;
  doc["replications"] = replications;
  doc["confidence"] = study::kConfidence;
  doc["baseline"] = variants.front().text;
  doc["metrics"] = nlohmann::ordered_json::array();
  for (const MetricId metric : result.metrics) doc["metrics"].push_back(metric_info(metric).name);
  doc["variants"] = nlohmann::ordered_json::array();
  for (std::size_t v = 0; v < variants.size(); ++v) {
    doc["variants"].push_back(variant_json(variants[v], v, result));
  }
  doc["runs"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < result.runs.size(); ++i) {
    nlohmann::ordered_json run;
    run["variant"] = variants[i / replications].text;
    run["replication"] = i % replications;
    for (const MetricId metric : result.metrics) {
      run[metric_info(metric).name] = number_or_null(metric_value(result.runs[i], metric));
    }
    doc["runs"].push_back(std::move(run));
  }
  return doc;
}

}  // namespace

int command_compare(const std::vector<std::string>& args) {
  po::options_description options("lbsim compare options");
  // clang-format off
  options.add_options()
      ("scenario", po::value<std::string>()->required(), "scenario YAML file")
      ("strategies", po::value<std::string>()->required(),
       "comma-separated variants, each a strategy name with optional options, e.g. "
       "round_robin,random,least_request:choices=3");
  // clang-format on
  add_replication_options(options, 10, "replications per variant");
  add_output_options(options, "output directory to write (default runs/<scenario name>-compare)");
  options.add_options()("no-report", "do not write report.html and its PNG plots");
  add_scenario_options(options);
  auto parsed = parse_command("compare", args, options,
                              "lbsim compare SCENARIO --strategies A,B[,...] [options]", true);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const CommandLine& line = std::get<CommandLine>(parsed);

  return with_input_errors("compare", [&]() -> int {
    const std::vector<Variant> variants = study::load_variants(
        line.scenario_path(), line.overrides(), line.seed(), line.text("strategies"));
    RunDirectory run_dir(line.out_dir("runs/" + variants.front().config.name + "-compare"),
                         line.has("force"));
    const Comparison result =
        study::compare(variants, line.replication.replications, line.replication.threads,
                       runs_progress("compare", !line.quiet));
    write_provenance(line, run_dir);  // the scenario before the variants
    write_file(run_dir.file("compare.csv"), [&](std::ostream& o) {
      std::vector<std::string> names;
      names.reserve(variants.size());
      for (const Variant& variant : variants) names.push_back(variant.text);
      write_comparison_csv(o, "variant", names, result.metrics, result.replications,
                           result.by_metric);
    });
    write_file(run_dir.file("runs.csv"),
               [&](std::ostream& o) { write_runs_csv(o, variants, result); });
    write_file(run_dir.file("compare.json"),
               [&](std::ostream& o) { write_json(o, compare_json(variants, result)); });
    write_report_unless_disabled(line, run_dir.file(""));
    run_dir.commit();
    if (!line.quiet) {
      print_comparison(std::cout, variants, result);
      std::cout << "\noutput directory: " << run_dir.target().string() << '\n';
    }
    return kExitOk;
  });
}

}  // namespace lbsim::cli
