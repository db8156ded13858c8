// lbsim capacity: the fewest servers that meet an SLO at each load level, and the headroom of the
// current fleet (the experiment is sim/study/capacity.hpp); prints the table and writes
// capacity.csv and capacity.json.
#include <cmath>
#include <iostream>

#include "sim/cli/commands.hpp"
#include "sim/cli/support.hpp"
#include "sim/cli/table.hpp"
#include "sim/metrics/csv_format.hpp"
#include "sim/metrics/run_output.hpp"
#include "sim/study/capacity.hpp"

namespace lbsim::cli {
namespace {

using study::CapacityLevel;
using study::CapacityResult;

nlohmann::ordered_json number(double v) {
  if (!std::isfinite(v)) return nullptr;
  return v;
}

void write_capacity_csv(std::ostream& out, const CapacityResult& result) {
  out << "load,rate_per_s,servers,analytic_servers,p99_s,error_rate,utilization_mean,"
         "meets_slo,response_p99_s\n";
  for (const CapacityLevel& row : result.levels) {
    const bool found = row.servers > 0;
    const auto cell = [&](double v) { return found ? format_number(v) : std::string(); };
    out << format_number(row.level.multiplier) << ',' << format_number(row.rate_per_s) << ','
        << (found ? std::to_string(row.servers) : std::string()) << ',' << row.analytic << ','
        << cell(row.judgement.mean(MetricId::kLatencyP99)) << ','
        << cell(row.judgement.mean(MetricId::kErrorRate)) << ',' << cell(row.utilization_mean)
        << ',' << (found ? "true" : "false") << ','
        << cell(row.judgement.mean(MetricId::kResponseP99)) << '\n';
  }
}

nlohmann::ordered_json capacity_json(const CapacityResult& result, const std::string& slo,
                                     std::uint64_t replications) {
  nlohmann::ordered_json doc;
  doc["scenario"] = result.base.name;
  doc["slo"] = slo;
  doc["group"] = result.base.servers[result.group].group;
  doc["replications"] = replications;
  doc["duration_s"] = to_seconds(result.base.duration_ns);
  doc["levels"] = nlohmann::ordered_json::array();
  for (const CapacityLevel& row : result.levels) {
    const bool found = row.servers > 0;
    doc["levels"].push_back(
        {{"load", row.level.multiplier},
         {"rate_per_s", row.rate_per_s},
         {"servers", found ? nlohmann::ordered_json(row.servers) : nullptr},
         {"analytic_servers", row.analytic},
         {"p99_s", found ? number(row.judgement.mean(MetricId::kLatencyP99)) : nullptr},
         {"error_rate", found ? number(row.judgement.mean(MetricId::kErrorRate)) : nullptr},
         {"meets_slo", found},
         {"response_p99_s",
          found ? number(row.judgement.mean(MetricId::kResponseP99)) : nullptr}});
  }
  const double base_rate = result.base.workload.rate_per_s;
  doc["headroom"] = {{"load", number(result.headroom)},
                     {"rate_per_s", number(result.headroom * base_rate)},
                     {"servers", result.current}};
  return doc;
}

void print_capacity(std::ostream& out, const CapacityResult& result, const std::string& slo,
                    std::uint64_t replications, int max_servers) {
  const SimulationConfig& base = result.base;
  out << "capacity " << base.name << ": the fewest " << base.servers[result.group].group
      << " servers meeting " << slo << " (mean of " << replications << " replications of "
      << to_seconds(base.duration_ns) << " s)\n";
  std::vector<std::vector<std::string>> table;
  for (const CapacityLevel& row : result.levels) {
    const bool found = row.servers > 0;
    table.push_back(
        {row.level.text, format_estimate(row.rate_per_s, std::nan(""), false),
         found ? std::to_string(row.servers) : "> " + std::to_string(max_servers),
         std::to_string(row.analytic),
         found ? show_value(row.judgement.mean(MetricId::kResponseP99), MetricUnit::kSeconds)
               : "-",
         found ? show_value(row.judgement.mean(MetricId::kErrorRate), MetricUnit::kFraction)
               : "-"});
  }
  print_table(out, {"load", "rate/s", "servers", "M/M/c estimate", "p99 (all)", "errors"}, table);
  out << "\nheadroom: the current " << result.current << " servers ";
  if (std::isnan(result.headroom)) {
    out << "meet the SLO up to 64x the load\n";
  } else if (result.headroom == 1.0) {
    out << "already break the SLO at the scenario's load\n";
  } else {
    out << "break the SLO at about " << format_estimate(result.headroom, std::nan(""), false)
        << "x the load ("
        << format_estimate(result.headroom * base.workload.rate_per_s, std::nan(""), false)
        << "/s)\n";
  }
}

}  // namespace

int command_capacity(const std::vector<std::string>& args) {
  po::options_description options("lbsim capacity options");
  // clang-format off
  options.add_options()
      ("scenario", po::value<std::string>()->required(), "scenario YAML file")
      ("slo", po::value<std::string>()->required(),
       "upper bounds, e.g. \"p99<250ms,errors<0.1%\" (as lbsim check)")
      ("load", po::value<std::string>()->default_value("1x"),
       "load levels: multiples of workload.rate (1x,1.5x,2x) or rates (2000/s)")
      ("group", po::value<std::string>(), "the server group to size (default: the first)")
      ("max-servers", po::value<int>()->default_value(10000), "the largest fleet to try")
      ("duration", po::value<std::string>()->default_value("10m"),
       "simulated time measured per run (after the scenario's warmup), at most the scenario's");
  // clang-format on
  add_replication_options(options, 3, "replications per fleet size");
  add_output_options(options, "output directory (default runs/<scenario name>-capacity)");
  add_scenario_options(options);
  auto parsed =
      parse_command("capacity", args, options,
                    "lbsim capacity SCENARIO --slo \"p99<250ms,errors<0.1%\" --load 1x,2x", true);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const CommandLine& line = std::get<CommandLine>(parsed);
  study::CapacityRequest request;
  request.max_servers = line.vm["max-servers"].as<int>();
  if (request.max_servers < 1) return usage_error("capacity", "--max-servers must be >= 1");
  request.replications = line.replication.replications;
  request.threads = line.replication.threads;

  return with_input_errors("capacity", [&]() -> int {
    const std::string slo = line.text("slo");
    request.terms = study::parse_slo(slo);
    request.duration = read_duration_option(line, "duration");
    const Scenario scenario = load_for_command(line);
    if (line.has("group")) request.group = line.text("group");
    (void)study::sized_group(scenario, request.group);  // its errors before --load's
    request.levels = study::parse_levels(line.text("load"), scenario.config.workload.rate_per_s);
    RunDirectory run_dir(line.out_dir("runs/" + scenario.config.name + "-capacity"),
                         line.has("force"));
    const auto judged = [&](double multiplier, int servers, bool meets) {
      if (line.quiet) return;
      std::cerr << "  capacity: load x" << multiplier << ", " << servers
                << " servers: " << (meets ? "meets" : "breaks") << " the SLO\n";
    };
    const CapacityResult result = study::size_fleet(scenario, request, judged);
    write_provenance(line, run_dir, &scenario);
    write_file(run_dir.file("capacity.csv"),
               [&](std::ostream& out) { write_capacity_csv(out, result); });
    write_file(run_dir.file("capacity.json"), [&](std::ostream& out) {
      write_json(out, capacity_json(result, slo, request.replications));
    });
    run_dir.commit();
    if (!line.quiet) {
      print_capacity(std::cout, result, slo, request.replications, request.max_servers);
      std::cout << "output directory: " << run_dir.target().string() << '\n';
    }
    return kExitOk;
  });
}

}  // namespace lbsim::cli
