// lbsim report: the HTML report of a run directory (run, replay, compare, sweep or capacity), by
// the Python analysis package.
#include <filesystem>
#include <iostream>

#include "sim/cli/commands.hpp"
#include "sim/cli/support.hpp"

namespace lbsim::cli {

int command_report(const std::vector<std::string>& args) {
  po::options_description options("lbsim report options");
  options.add_options()("run_dir", po::value<std::string>()->required(),
                        "a directory written by lbsim run, replay, compare, sweep or capacity")(
      "quiet,q", "print nothing but errors");
  auto parsed = parse_command("report", args, options, "lbsim report RUN_DIR", false, "run_dir");
  if (const int* status = std::get_if<int>(&parsed)) return *status;
  const CommandLine& line = std::get<CommandLine>(parsed);
  const std::filesystem::path dir = line.text("run_dir");
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::cerr << "lbsim report: " << dir.string() << " is not a directory\n";
    return kExitBadInput;
  }
  return with_input_errors("report", [&] { return write_report(dir, line.quiet); });
}

}  // namespace lbsim::cli
