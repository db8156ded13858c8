// lbsim sweep: a scenario over the Cartesian grid of --grid overrides (the experiment is
// sim/study/sweep.hpp); one tidy CSV with a row per point and replication, and a t interval per
// point and metric.
#include <algorithm>
#include <iostream>

#include "sim/cli/commands.hpp"
#include "sim/cli/support.hpp"
#include "sim/cli/table.hpp"
#include "sim/metrics/csv_format.hpp"
#include "sim/metrics/run_output.hpp"
#include "sim/study/sweep.hpp"

namespace lbsim::cli {
namespace {

using study::kSweepMetrics;
using study::SweepPlan;
using study::SweepResult;

// Shown in the terminal table (the CSV has every metric).
const std::vector<MetricId> kShown = {MetricId::kErrorRate,       MetricId::kResponseP50,
                                      MetricId::kResponseP99,     MetricId::kUtilizationMean,
                                      MetricId::kImbalance,       MetricId::kTrafficImbalance};

void write_sweep_csv(std::ostream& out, const SweepPlan& plan, const SweepResult& result) {
  const std::uint64_t replications = result.replications;
  out << "point,replication";
  for (const study::Axis& axis : plan.axes) out << ',' << csv_field(axis.key);
  for (const MetricId metric : kSweepMetrics) out << ',' << metric_info(metric).name;
  out << '\n';
  for (std::size_t i = 0; i < result.runs.size(); ++i) {
    out << i / replications << ',' << i % replications;
    for (const std::string& value : plan.points[i / replications]) out << ',' << csv_field(value);
    for (const MetricId metric : kSweepMetrics) {
      out << ',' << format_number(metric_value(result.runs[i], metric));
    }
    out << '\n';
  }
}

void write_sweep_summary_csv(std::ostream& out, const SweepPlan& plan, const SweepResult& result) {
  out << "point";
  for (const study::Axis& axis : plan.axes) out << ',' << csv_field(axis.key);
  out << ",metric,mean,ci_low,ci_high,half_width,replications\n";
  for (std::size_t p = 0; p < plan.points.size(); ++p) {
    for (std::size_t m = 0; m < kSweepMetrics.size(); ++m) {
      const analytic::Interval& i = result.intervals[p][m];
      out << p;
      for (const std::string& value : plan.points[p]) out << ',' << csv_field(value);
      out << ',' << metric_info(kSweepMetrics[m]).name << ',' << format_number(i.mean) << ','
          << format_number(i.low) << ',' << format_number(i.high) << ','
          << format_number(i.half_width) << ',' << result.replications << '\n';
    }
  }
}

void print_sweep(std::ostream& out, const SweepPlan& plan, const SweepResult& result) {
  out << "sweep " << plan.configs.front().name << ": " << plan.points.size() << " points x "
      << result.replications << " replications (common random numbers); mean \u00b1 95% "
      << "half-width\n";
  std::vector<std::string> header;
  for (const study::Axis& axis : plan.axes) header.push_back(axis.key);
  for (const MetricId metric : kShown) header.emplace_back(metric_info(metric).heading);
  std::vector<std::vector<std::string>> table;
  for (std::size_t p = 0; p < plan.points.size(); ++p) {
    std::vector<std::string> row = plan.points[p];
    for (const MetricId metric : kShown) {
      const auto m = static_cast<std::size_t>(
          std::find(kSweepMetrics.begin(), kSweepMetrics.end(), metric) - kSweepMetrics.begin());
      const analytic::Interval& i = result.intervals[p][m];
      const double scale = metric_info(metric).table_scale;
      row.push_back(format_estimate(i.mean * scale, i.half_width * scale, false));
    }
    table.push_back(std::move(row));
  }
  print_table(out, header, table);
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
  auto parsed =
      parse_command("sweep", args, options, "lbsim sweep SCENARIO --grid key=v1,v2 [...]", true);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const CommandLine& line = std::get<CommandLine>(parsed);

  return with_input_errors("sweep", [&]() -> int {
    std::vector<study::Axis> axes;
    for (const std::string& grid : line.vm["grid"].as<std::vector<std::string>>()) {
      axes.push_back(study::parse_grid(grid));
    }
    const SweepPlan plan =
        study::plan_sweep(line.scenario_path(), line.overrides(), line.seed(), std::move(axes));
    RunDirectory run_dir(line.out_dir("runs/" + plan.configs.front().name + "-sweep"),
                         line.has("force"));
    const SweepResult result =
        study::sweep(plan, line.replication.replications, line.replication.threads,
                     runs_progress("sweep", !line.quiet));
    write_provenance(line, run_dir);  // the scenario before the grid's overrides
    write_file(run_dir.file("sweep.csv"),
               [&](std::ostream& out) { write_sweep_csv(out, plan, result); });
    write_file(run_dir.file("sweep_summary.csv"),
               [&](std::ostream& out) { write_sweep_summary_csv(out, plan, result); });
    run_dir.commit();
    if (!line.quiet) {
      print_sweep(std::cout, plan, result);
      std::cout << "\noutput directory: " << run_dir.target().string() << '\n';
    }
    return kExitOk;
  });
}

}  // namespace lbsim::cli
