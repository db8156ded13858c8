// lbsim sweep: a scenario over the Cartesian grid of --grid overrides, replicated with common
// random numbers (replication r of every point sees the same random streams), on all cores; one
// tidy CSV with a row per point and replication, and a t interval per point and metric.
#include <iostream>

#include "sim/analytic/statistics.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/support.hpp"
#include "sim/cli/table.hpp"
#include "sim/metrics/csv_format.hpp"
#include "sim/metrics/run_output.hpp"

namespace lbsim::cli {
namespace {

struct SweepMetric {
  const char* name;
  const char* heading;
  double scale;
};

constexpr std::array<SweepMetric, 11> kSweepMetrics = {{
    {"offered_rate_per_s", "offered/s", 1.0},
    {"throughput_per_s", "served/s", 1.0},
    {"error_rate", "errors %", 100.0},
    {"latency_mean_s", "mean ms", 1e3},
    {"latency_p50_s", "p50 ms", 1e3},
    {"latency_p90_s", "p90 ms", 1e3},
    {"latency_p99_s", "p99 ms", 1e3},
    {"latency_p999_s", "p99.9 ms", 1e3},
    {"utilization_mean", "util", 1.0},
    {"utilization_max", "util max", 1.0},
    {"utilization_imbalance", "imbalance", 1.0},
}};
// Shown in the terminal table (the CSV has every metric).
constexpr std::array<std::size_t, 5> kShown = {2, 4, 6, 8, 10};

std::vector<double> sweep_values(const nlohmann::ordered_json& summary) {
  const auto number = [](const nlohmann::ordered_json& v) {
    return v.is_number() ? v.get<double>() : std::nan("");
  };
  const auto& latency = summary["latency_s"];
  const auto& utilization = summary["servers"]["utilization"];
  return {number(summary["offered_rate_per_s"]),
          number(summary["throughput_per_s"]),
          number(summary["error_rate"]),
          number(latency["mean"]),
          number(latency["p50"]),
          number(latency["p90"]),
          number(latency["p99"]),
          number(latency["p999"]),
          number(utilization["mean"]),
          number(utilization["max"]),
          number(utilization["imbalance"])};
}

struct Axis {
  std::string key;
  std::vector<std::string> values;
};

// "key.path=v1,v2,...": values split at commas outside brackets and braces, so YAML flow values
// ("{dist: gamma, mean: 8ms, cv: 2}") can be swept too.
Axis parse_grid(const std::string& text) {
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 >= text.size()) {
    throw ConfigError(SourceLocation{"--grid " + text},
                      "expected key.path=value1,value2,... (e.g. workload.rate=500/s,1000/s)");
  }
  Axis axis{text.substr(0, equals), {}};
  int depth = 0;
  std::string value;
  for (const char c : text.substr(equals + 1)) {
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      axis.values.push_back(value);
      value.clear();
      continue;
    }
    value += c;
  }
  axis.values.push_back(value);
  for (std::string& v : axis.values) {
    const auto first = v.find_first_not_of(' ');
    const auto last = v.find_last_not_of(' ');
    v = first == std::string::npos ? std::string() : v.substr(first, last - first + 1);
    if (v.empty()) {
      throw ConfigError(SourceLocation{"--grid " + text}, "expected no empty value in the list");
    }
  }
  return axis;
}

}  // namespace

int command_sweep(const std::vector<std::string>& args) {
  po::options_description options("lbsim sweep options");
  // clang-format off
  options.add_options()
      ("scenario", po::value<std::string>()->required(), "scenario YAML file")
      ("grid,g", po::value<std::vector<std::string>>()->required(),
       "key.path=v1,v2,... (repeat for more axes; the grid is their Cartesian product)");
  // clang-format on
  add_replication_options(options, 3, "replications per point");
  add_output_options(options, "output directory (default runs/<scenario name>-sweep)");
  add_scenario_options(options);
  po::positional_options_description positional;
  positional.add("scenario", 1);

  std::optional<po::variables_map> vm;
  Replication replication;
  try {
    vm = parse_args(args, options, positional, "lbsim sweep SCENARIO --grid key=v1,v2 [...]");
    if (vm) replication = read_replication_options(*vm);
  } catch (const po::error& e) {
    return usage_error("sweep", e.what());
  }
  if (!vm) return kExitOk;
  const std::uint64_t replications = replication.replications;
  const unsigned threads = replication.threads;
  const bool quiet = vm->count("quiet") != 0;

  return with_input_errors("sweep", [&]() -> int {
    std::vector<Axis> axes;
    for (const std::string& grid : (*vm)["grid"].as<std::vector<std::string>>()) {
      axes.push_back(parse_grid(grid));
    }
    const std::string path = (*vm)["scenario"].as<std::string>();
    std::vector<std::string> overrides;
    if (vm->count("set") != 0) overrides = (*vm)["set"].as<std::vector<std::string>>();
    // Points in row-major order: the last axis varies fastest.
    std::size_t point_count = 1;
    for (const Axis& axis : axes) {
      point_count *= axis.values.size();
      if (point_count > 100'000) break;  // before the product can overflow
    }
    if (point_count > 100'000) {
      throw ConfigError(SourceLocation{"--grid"}, "expected at most 100000 points; got more");
    }
    std::vector<std::vector<std::string>> points(point_count);
    std::vector<SimulationConfig> configs;
    for (std::size_t p = 0; p < point_count; ++p) {
      std::size_t rest = p;
      std::vector<std::string> values(axes.size());
      for (std::size_t a = axes.size(); a-- > 0;) {
        values[a] = axes[a].values[rest % axes[a].values.size()];
        rest /= axes[a].values.size();
      }
      std::vector<std::string> point_overrides = overrides;
      for (std::size_t a = 0; a < axes.size(); ++a) {
        point_overrides.push_back(axes[a].key + "=" + values[a]);
      }
      Scenario scenario = load_scenario(ScenarioFile{path}, {.overrides = point_overrides});
      if (vm->count("seed") != 0) scenario.config.seed = (*vm)["seed"].as<std::uint64_t>();
      try {
        const Simulation check(scenario.config);
      } catch (const std::invalid_argument& e) {
        std::string where;
        for (std::size_t a = 0; a < axes.size(); ++a) {
          where += (a == 0 ? "" : ", ") + axes[a].key + "=" + values[a];
        }
        throw std::invalid_argument("point " + where + ": " + e.what());
      }
      points[p] = values;
      configs.push_back(std::move(scenario.config));
    }
    const std::string out_dir = vm->count("out") != 0 ? (*vm)["out"].as<std::string>()
                                                      : "runs/" + configs.front().name + "-sweep";
    RunDirectory run_dir(out_dir, vm->count("force") != 0);

    const auto rows = run_parallel(
        point_count * replications, threads,
        [&](std::size_t index) {
          SimulationConfig config = configs[index / replications];
          config.replication = index % replications;
          const RunResult run = run_simulation(config, nullptr, false);
          return sweep_values(make_summary(config, *run.recorder, run.stats));
        },
        "sweep", !quiet);

    write_file(run_dir.file("sweep.csv"), [&](std::ostream& out) {
      out << "point,replication";
      for (const Axis& axis : axes) out << ',' << csv_field(axis.key);
      for (const SweepMetric& metric : kSweepMetrics) out << ',' << metric.name;
      out << '\n';
      for (std::size_t i = 0; i < rows.size(); ++i) {
        out << i / replications << ',' << i % replications;
        for (const std::string& value : points[i / replications]) out << ',' << csv_field(value);
        for (const double value : rows[i]) out << ',' << format_number(value);
        out << '\n';
      }
    });
    std::vector<std::vector<analytic::Interval>> intervals(point_count);
    for (std::size_t p = 0; p < point_count; ++p) {
      for (std::size_t m = 0; m < kSweepMetrics.size(); ++m) {
        std::vector<double> samples;
        for (std::uint64_t r = 0; r < replications; ++r) {
          samples.push_back(rows[p * replications + r][m]);
        }
        intervals[p].push_back(analytic::mean_interval(samples, 0.95));
      }
    }
    write_file(run_dir.file("sweep_summary.csv"), [&](std::ostream& out) {
      out << "point";
      for (const Axis& axis : axes) out << ',' << csv_field(axis.key);
      out << ",metric,mean,ci_low,ci_high,half_width,replications\n";
      for (std::size_t p = 0; p < point_count; ++p) {
        for (std::size_t m = 0; m < kSweepMetrics.size(); ++m) {
          const analytic::Interval& i = intervals[p][m];
          out << p;
          for (const std::string& value : points[p]) out << ',' << csv_field(value);
          out << ',' << kSweepMetrics[m].name << ',' << format_number(i.mean) << ','
              << format_number(i.low) << ',' << format_number(i.high) << ','
              << format_number(i.half_width) << ',' << replications << '\n';
        }
      }
    });
    run_dir.commit();
    if (!quiet) {
      std::cout << "sweep " << configs.front().name << ": " << point_count << " points x "
                << replications << " replications (common random numbers); mean \u00b1 95% "
                << "half-width\n";
      std::vector<std::string> header;
      for (const Axis& axis : axes) header.push_back(axis.key);
      for (const std::size_t m : kShown) header.emplace_back(kSweepMetrics[m].heading);
      std::vector<std::vector<std::string>> table;
      for (std::size_t p = 0; p < point_count; ++p) {
        std::vector<std::string> row = points[p];
        for (const std::size_t m : kShown) {
          const analytic::Interval& i = intervals[p][m];
          row.push_back(format_estimate(i.mean * kSweepMetrics[m].scale,
                                        i.half_width * kSweepMetrics[m].scale, false));
        }
        table.push_back(std::move(row));
      }
      print_table(std::cout, header, table);
      std::cout << "\noutput directory: " << run_dir.target().string() << '\n';
    }
    return kExitOk;
  });
}

}  // namespace lbsim::cli
