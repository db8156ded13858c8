// lbsim compare: several strategy variants on one scenario, replicated with common random numbers,
// summarised as t intervals of each variant's mean and of its paired difference from the first
// variant (Law, "Simulation Modeling and Analysis", 5th ed., 10.2: with common random numbers the
// paired-t interval of the difference is valid and usually much narrower than comparing the two
// intervals).
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "sim/analytic/statistics.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/support.hpp"
#include "sim/cli/table.hpp"
#include "sim/metrics/csv_format.hpp"
#include "sim/metrics/run_output.hpp"

namespace lbsim::cli {
namespace {

constexpr double kConfidence = 0.95;

// One compared metric: its name in the output files and how the terminal table shows it.
struct Metric {
  const char* name;     // runs.csv column, compare.csv `metric`, compare.json key
  const char* heading;  // terminal table column
  double table_scale;   // table value = value x scale (seconds -> ms, fraction -> %)
};

constexpr std::array<Metric, 7> kMetrics = {{
    {"latency_p50_s", "p50 ms", 1e3},
    {"latency_p99_s", "p99 ms", 1e3},
    {"latency_p999_s", "p99.9 ms", 1e3},
    {"latency_mean_s", "mean ms", 1e3},
    {"error_rate", "errors %", 100.0},
    {"utilization_imbalance", "imbalance", 1.0},
    {"utilization_max", "util max", 1.0},
}};
using MetricValues = std::array<double, kMetrics.size()>;

double number_or_nan(const nlohmann::ordered_json& value) {
  return value.is_number() ? value.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

// The compared metrics of one run, from its summary.json document (so they mean exactly what
// `lbsim run` reports). A metric with no value (no request completed) is NaN.
MetricValues metrics_of(const nlohmann::ordered_json& summary) {
  const auto& latency = summary["latency_s"];
  const auto& utilization = summary["servers"]["utilization"];
  return {number_or_nan(latency["p50"]),        number_or_nan(latency["p99"]),
          number_or_nan(latency["p999"]),       number_or_nan(latency["mean"]),
          number_or_nan(summary["error_rate"]), number_or_nan(utilization["imbalance"]),
          number_or_nan(utilization["max"])};
}

struct Variant {
  std::string text;  // as given in --strategies
  SimulationConfig config;
};

// Runs every (variant, replication) pair. Run i is variant i / R, replication i % R; each is an
// independent Simulation + Recorder, so the results do not depend on scheduling.
std::vector<std::vector<double>> run_all(const std::vector<Variant>& variants,
                                         std::uint64_t replications, unsigned threads,
                                         bool show_progress) {
  return run_parallel(
      variants.size() * replications, threads,
      [&](std::size_t index) {
        SimulationConfig config = variants[index / replications].config;
        config.replication = index % replications;
        const RunResult run = run_simulation(config, nullptr, false);
        const MetricValues values = metrics_of(make_summary(config, *run.recorder, run.stats));
        return std::vector<double>(values.begin(), values.end());
      },
      "compare", show_progress);
}

// ---- terminal table ----------------------------------------------------------------------------

void print_comparison(std::ostream& out, const std::vector<Variant>& variants,
                      std::uint64_t replications,
                      const std::vector<analytic::PairedComparison>& comparisons) {
  const SimulationConfig& base = variants.front().config;
  out << "compare " << base.name << ": " << variants.size() << " variants x " << replications
      << " replications (seed " << base.seed << ", common random numbers)\n"
      << "each run measured " << to_seconds(base.duration_ns) << " s after "
      << to_seconds(base.warmup_ns) << " s warmup\n\n";
  std::vector<std::string> header = {"variant"};
  for (const Metric& metric : kMetrics) header.emplace_back(metric.heading);

  out << "mean \u00b1 95% confidence half-width over replications\n";
  std::vector<std::vector<std::string>> rows;
  for (std::size_t v = 0; v < variants.size(); ++v) {
    std::vector<std::string> row = {variants[v].text};
    for (std::size_t m = 0; m < kMetrics.size(); ++m) {
      const analytic::Interval& interval = comparisons[m].variants[v];
      row.push_back(format_estimate(interval.mean * kMetrics[m].table_scale,
                                    interval.half_width * kMetrics[m].table_scale, false));
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
    for (std::size_t m = 0; m < kMetrics.size(); ++m) {
      const analytic::Interval& difference = comparisons[m].differences[v];
      row.push_back(format_estimate(difference.mean * kMetrics[m].table_scale,
                                    difference.half_width * kMetrics[m].table_scale, true) +
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
                    std::uint64_t replications, const std::vector<std::vector<double>>& results) {
  out << "variant,replication";
  for (const Metric& metric : kMetrics) out << ',' << metric.name;
  out << '\n';
  for (std::size_t i = 0; i < results.size(); ++i) {
    out << csv_field(variants[i / replications].text) << ',' << i % replications;
    for (const double value : results[i]) out << ',' << format_number(value);
    out << '\n';
  }
}

nlohmann::ordered_json compare_json(const std::vector<Variant>& variants,
                                    std::uint64_t replications,
                                    const std::vector<std::vector<double>>& results,
                                    const std::vector<analytic::PairedComparison>& comparisons) {
  const SimulationConfig& base = variants.front().config;
  nlohmann::ordered_json doc;
  doc["scenario"] = base.name;
  doc["seed"] = base.seed;
  doc["replications"] = replications;
  doc["confidence"] = kConfidence;
  doc["baseline"] = variants.front().text;
  doc["metrics"] = nlohmann::ordered_json::array();
  for (const Metric& metric : kMetrics) doc["metrics"].push_back(metric.name);
  doc["variants"] = nlohmann::ordered_json::array();
  for (std::size_t v = 0; v < variants.size(); ++v) {
    nlohmann::ordered_json entry;
    entry["variant"] = variants[v].text;
    entry["strategy"] = variants[v].config.balancer.strategy.name();
    entry["options"] = nlohmann::ordered_json::object();
    for (const auto& [name, value] : variants[v].config.balancer.strategy.options) {
      std::visit([&](const auto& held) { entry["options"][name] = held; }, value);
    }
    entry["metrics"] = nlohmann::ordered_json::object();
    for (std::size_t m = 0; m < kMetrics.size(); ++m) {
      const analytic::Interval& value = comparisons[m].variants[v];
      const analytic::Interval& difference = comparisons[m].differences[v];
      entry["metrics"][kMetrics[m].name] = {
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
    doc["variants"].push_back(std::move(entry));
  }
  doc["runs"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < results.size(); ++i) {
    nlohmann::ordered_json run;
    run["variant"] = variants[i / replications].text;
    run["replication"] = i % replications;
    for (std::size_t m = 0; m < kMetrics.size(); ++m) {
      run[kMetrics[m].name] = number_or_null(results[i][m]);
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
  po::positional_options_description positional;
  positional.add("scenario", 1);

  std::optional<po::variables_map> vm;
  Replication replication;
  try {
    vm = parse_args(args, options, positional,
                    "lbsim compare SCENARIO --strategies A,B[,...] [options]");
    if (vm) replication = read_replication_options(*vm);
  } catch (const po::error& e) {
    return usage_error("compare", e.what());
  }
  if (!vm) return kExitOk;
  const std::uint64_t replications = replication.replications;
  const unsigned threads = replication.threads;

  const bool quiet = vm->count("quiet") != 0;

  return with_input_errors("compare", [&]() -> int {
    const std::string path = (*vm)["scenario"].as<std::string>();
    std::vector<std::string> overrides;
    if (vm->count("set") != 0) overrides = (*vm)["set"].as<std::vector<std::string>>();
    std::vector<Variant> variants;
    for (const std::string& text : split_strategy_list((*vm)["strategies"].as<std::string>())) {
      Scenario scenario =
          load_scenario(ScenarioFile{path}, {.overrides = overrides, .variant = text});
      if (vm->count("seed") != 0) scenario.config.seed = (*vm)["seed"].as<std::uint64_t>();
      variants.push_back(Variant{text, std::move(scenario.config)});
    }
    // Build each variant's model once before running anything: what only the model checks is
    // reported now, for the variant it concerns, rather than from a worker thread later.
    for (const Variant& variant : variants) {
      try {
        const Simulation check(variant.config);
      } catch (const std::invalid_argument& e) {
        std::cerr << "lbsim compare: --strategies " << variant.text << ": " << e.what() << '\n';
        return kExitBadInput;
      }
    }
    const std::string out_dir = vm->count("out") != 0
                                    ? (*vm)["out"].as<std::string>()
                                    : "runs/" + variants.front().config.name + "-compare";
    RunDirectory run_dir(out_dir, vm->count("force") != 0);

    const auto results = run_all(variants, replications, threads, !quiet);
    const auto comparisons =
        compare_columns(results, variants.size(), replications, kMetrics.size());

    write_file(run_dir.file("compare.csv"), [&](std::ostream& o) {
      std::vector<std::string> names;
      for (const Variant& variant : variants) names.push_back(variant.text);
      std::vector<std::string> metrics;
      for (const Metric& metric : kMetrics) metrics.emplace_back(metric.name);
      write_comparison_csv(o, "variant", names, metrics, replications, comparisons);
    });
    write_file(run_dir.file("runs.csv"),
               [&](std::ostream& o) { write_runs_csv(o, variants, replications, results); });
    write_file(run_dir.file("compare.json"), [&](std::ostream& o) {
      write_json(o, compare_json(variants, replications, results, comparisons));
    });
    if (vm->count("no-report") == 0) {
      // Into the directory before it is committed: a failed report leaves nothing behind.
      if (const int status = write_report(run_dir.file(""), true); status != 0) {
        throw OutputError("the report failed (python exit status " + std::to_string(status) +
                          "); --no-report skips it");
      }
    }
    run_dir.commit();
    if (!quiet) {
      print_comparison(std::cout, variants, replications, comparisons);
      std::cout << "\noutput directory: " << run_dir.target().string() << '\n';
    }
    return kExitOk;
  });
}

}  // namespace lbsim::cli
