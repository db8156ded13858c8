#include <filesystem>
#include <fstream>
#include <iostream>

#include "sim/cli/commands.hpp"
#include "sim/cli/support.hpp"
#include "sim/metrics/run_output.hpp"

namespace lbsim::cli {

int command_run(const std::vector<std::string>& args) {
  po::options_description options("lbsim run options");
  options.add_options()("scenario", po::value<std::string>()->required(), "scenario YAML file")(
      "out,o", po::value<std::string>(),
      "run directory to write (default runs/<scenario name>-seed<seed>)")(
      "force,f", "replace an existing non-empty run directory")(
      "replication", po::value<std::uint64_t>()->default_value(0),
      "replication number: changes every random stream while keeping the seed")(
      "quiet,q", "print nothing but errors");
  add_scenario_options(options);
  po::positional_options_description positional;
  positional.add("scenario", 1);

  std::optional<po::variables_map> vm;
  try {
    vm = parse_args(args, options, positional, "lbsim run SCENARIO [options]");
  } catch (const po::error& e) {
    return usage_error("run", e.what());
  }
  if (!vm) return kExitOk;

  return with_input_errors("run", [&]() -> int {
    Scenario scenario = load_for_command(*vm);
    scenario.config.replication = (*vm)["replication"].as<std::uint64_t>();
    const std::string out_dir =
        vm->count("out") != 0
            ? (*vm)["out"].as<std::string>()
            : "runs/" + scenario.config.name + "-seed" + std::to_string(scenario.config.seed) +
                  (scenario.config.replication > 0
                       ? "-rep" + std::to_string(scenario.config.replication)
                       : std::string());
    const bool quiet = vm->count("quiet") != 0;
    RunDirectory run_dir(out_dir, vm->count("force") != 0);

    std::ofstream servers_csv(run_dir.file("servers.csv"));
    if (!servers_csv) throw OutputError("cannot write " + run_dir.file("servers.csv").string());
    RunResult result = run_simulation(scenario.config, &servers_csv, !quiet);
    servers_csv.flush();
    if (!servers_csv) throw OutputError("error writing servers.csv");
    servers_csv.close();

    const auto summary = make_summary(scenario.config, *result.recorder, result.stats);
    write_file(run_dir.file("summary.json"), [&](std::ostream& o) { write_json(o, summary); });
    write_file(run_dir.file("timeseries.csv"),
               [&](std::ostream& o) { write_timeseries_csv(o, *result.recorder); });
    write_file(run_dir.file("events.csv"),
               [&](std::ostream& o) { write_events_csv(o, *result.recorder); });
    run_dir.commit();
    if (!quiet) {
      print_summary(std::cout, summary);
      std::cout << "run directory: " << run_dir.target().string() << '\n';
    }
    return kExitOk;
  });
}

}  // namespace lbsim::cli
