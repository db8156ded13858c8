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
  po::positional_options_description positional;
  positional.add("run_dir", 1);
  std::optional<po::variables_map> vm;
  try {
    vm = parse_args(args, options, positional, "lbsim report RUN_DIR");
  } catch (const po::error& e) {
    return usage_error("report", e.what());
  }
  if (!vm) return kExitOk;
  const std::filesystem::path dir = (*vm)["run_dir"].as<std::string>();
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    std::cerr << "lbsim report: " << dir.string() << " is not a directory\n";
    return kExitBadInput;
  }
  return with_input_errors("report", [&] { return write_report(dir, vm->count("quiet") != 0); });
}

}  // namespace lbsim::cli
