#pragma once
// Pieces shared by the subcommands: option parsing conventions, loading with clean errors,
// running one simulation into a Recorder, progress display, printing a summary.
#include <boost/program_options.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/metrics/recorder.hpp"
#include "sim/model/simulation.hpp"
#include "sim/scenario/scenario.hpp"

namespace lbsim::cli {

namespace po = boost::program_options;

// Parses `args` against `options` (+ positionals). Returns nullopt after printing --help (exit 0)
// and throws po::error on bad usage.
[[nodiscard]] std::optional<po::variables_map> parse_args(
    const std::vector<std::string>& args, const po::options_description& options,
    const po::positional_options_description& positional, const std::string& usage_line);

// Loads the scenario, applying --set overrides and --seed. Throws ConfigError.
[[nodiscard]] Scenario load_for_command(const po::variables_map& vm);

// The common scenario options: --set, --seed.
void add_scenario_options(po::options_description& options);

struct RunResult {
  std::unique_ptr<Recorder> recorder;
  RunStats stats;
};

// Runs one simulation to completion. `servers_csv` may be null. `show_progress` draws the
// one-line progress display on stderr (only when stderr is a terminal).
[[nodiscard]] RunResult run_simulation(const SimulationConfig& config, std::ostream* servers_csv,
                                       bool show_progress);

// The human-readable summary printed after a run.
void print_summary(std::ostream& out, const nlohmann::ordered_json& summary);

// Writes `path` with `write`; throws OutputError if it cannot be opened or written.
void write_file(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);

// Runs a command's body; bad input (ConfigError, OutputError, std::invalid_argument from the
// model) is printed to stderr, prefixed by the command where the message has no location, and
// gives exit status 2.
[[nodiscard]] int with_input_errors(const std::string& command, const std::function<int()>& body);

// "bad usage" message + exit status 2.
int usage_error(const std::string& command, const std::string& message);

}  // namespace lbsim::cli
