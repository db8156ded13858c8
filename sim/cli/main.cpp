// lbsim: discrete-event simulator of load balancers in front of server fleets.
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "sim/cli/commands.hpp"

namespace lbsim::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"run", "run a scenario and write its run directory", command_run},
      {"validate", "check a scenario file without running it", command_validate},
      {"compare", "compare strategies on one scenario: replications, paired confidence intervals",
       command_compare},
      {"replay", "replay an incident: its story, impact and cascade; what-ifs with intervals",
       command_replay},
      {"check", "pre-rollout check: simulate a change and block it if it breaches an SLO",
       command_check},
      {"sweep", "a scenario over a grid of overrides, replicated: one tidy CSV", command_sweep},
      {"capacity", "servers needed per load level under an SLO, and the headroom before it breaks",
       command_capacity},
      {"report", "write report.html and PNG plots for a run directory", command_report},
  };
  return table;
}

namespace {

void print_usage(std::ostream& out) {
  out << "lbsim — discrete-event simulator of load balancers in front of server fleets\n\n"
         "usage: lbsim COMMAND [ARGS...]\n"
         "       lbsim COMMAND --help     options of one command\n"
         "       lbsim --version\n\n"
         "commands:\n";
  for (const Command& command : commands()) {
    out << "  " << command.name << std::string(12 - std::strlen(command.name), ' ')
        << command.summary << '\n';
  }
  out << "\nExit status: 0 success; 2 bad input (the message names file:line:column) or usage;\n"
         "3 a checked change breaches its SLO (lbsim check); 1 internal failure.\n";
}

}  // namespace
}  // namespace lbsim::cli

int main(int argc, char** argv) {
  using namespace lbsim::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_usage(std::cerr);
    return kExitBadInput;
  }
  const std::string& first = args.front();
  if (first == "--help" || first == "-h" || first == "help") {
    print_usage(std::cout);
    return kExitOk;
  }
  if (first == "--version") {
    std::cout << "lbsim 0.1.0\n";
    return kExitOk;
  }
  for (const Command& command : commands()) {
    if (first == command.name) {
      try {
        return command.run(std::vector<std::string>(args.begin() + 1, args.end()));
      } catch (const std::exception& e) {
        std::cerr << "lbsim " << command.name << ": internal error: " << e.what() << '\n';
        return kExitFailure;
      }
    }
  }
  std::cerr << "lbsim: unknown command '" << first << "'; valid commands:";
  for (const Command& command : commands()) std::cerr << ' ' << command.name;
  std::cerr << "\nrun 'lbsim --help' for usage\n";
  return kExitBadInput;
}
