#include <iostream>

#include "sim/cli/commands.hpp"
#include "sim/cli/support.hpp"
#include "sim/model/simulation.hpp"

namespace lbsim::cli {

int command_validate(const std::vector<std::string>& args) {
  po::options_description options("lbsim validate options");
  options.add_options()("scenario", po::value<std::string>()->required(), "scenario YAML file")(
      "quiet,q", "print nothing when the scenario is valid");
  add_scenario_options(options);
  auto parsed =
      parse_command("validate", args, options, "lbsim validate SCENARIO [options]", false);
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const CommandLine& line = std::get<CommandLine>(parsed);

  try {
    const Scenario scenario = load_for_command(line);
    // Building the model checks what only the model knows (strategy construction, fleet).
    const Simulation simulation(scenario.config);
    if (!line.quiet) {
      const SimulationConfig& c = scenario.config;
      std::cout << scenario.path << ": valid\n"
                << "  scenario " << c.name << ", seed " << c.seed << ", duration "
                << to_seconds(c.duration_ns) << " s after " << to_seconds(c.warmup_ns)
                << " s warmup, window " << to_seconds(c.window_ns) << " s\n"
                << "  " << simulation.servers().size() << " servers in " << c.servers.size()
                << " group(s), strategy " << c.balancer.strategy.name() << " x"
                << c.balancer.instances << " instance(s), " << simulation.user_population()
                << " users\n";
      if (!c.timeline.empty() || !c.alerts.empty()) {
        std::cout << "  timeline of " << c.timeline.size() << " action(s), " << c.alerts.size()
                  << " alert rule(s)";
        if (c.incident.start_ns >= 0) {
          std::cout << "; the incident starts at " << to_seconds(c.incident.start_ns) << " s";
        }
        std::cout << '\n';
      }
    }
    return kExitOk;
  } catch (const ConfigError& e) {
    std::cerr << e.what() << '\n';
    return kExitBadInput;
  } catch (const std::invalid_argument& e) {
    std::cerr << line.scenario_path() << ": " << e.what() << '\n';
    return kExitBadInput;
  }
}

}  // namespace lbsim::cli
