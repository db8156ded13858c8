#include <filesystem>
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
  auto parsed = parse_command("run", args, options, "lbsim run SCENARIO [options]", false);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const CommandLine& line = std::get<CommandLine>(parsed);

  return with_input_errors("run", [&]() -> int {
    Scenario scenario = load_for_command(line);
    scenario.config.replication = line.vm["replication"].as<std::uint64_t>();
    const std::string out_dir = line.out_dir(
        "runs/" + scenario.config.name + "-seed" + std::to_string(scenario.config.seed) +
        (scenario.config.replication > 0 ? "-rep" + std::to_string(scenario.config.replication)
                                         : std::string()));
    const bool quiet = line.quiet;
    RunDirectory run_dir(out_dir, line.has("force"));

    const WrittenRun run = write_run(scenario.config, run_dir, !quiet);
    write_provenance(line, run_dir, &scenario);
    run_dir.commit();
    if (!quiet) {
      print_summary(std::cout, run.summary);
      std::cout << "run directory: " << run_dir.target().string() << '\n';
    }
    return kExitOk;
  });
}

}  // namespace lbsim::cli
