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

// -r/--replications (>= 2; `what` says what is replicated) and -j/--threads.
void add_replication_options(po::options_description& options, std::uint64_t default_replications,
                             const std::string& what);
// -o/--out (`what`: the directory and its default), -f/--force, -q/--quiet.
void add_output_options(po::options_description& options, const std::string& what);

struct Replication {
  std::uint64_t replications = 2;
  unsigned threads = 1;
};
// Reads -r and -j; throws po::error (a usage error) when out of range. Two replications are the
// fewest that give an interval; the upper bound only guards against a typo (or "-1", which Boost
// reads as 2^64 - 1) sizing the result tables.
[[nodiscard]] Replication read_replication_options(const po::variables_map& vm);

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

// Writes report.html and its PNG files into `run_dir` with the Python analysis package
// (`python3 -m analysis.report RUN_DIR`, from LBSIM_ANALYSIS_DIR or this source tree, with
// LBSIM_PYTHON or /usr/bin/python3). Returns the script's exit status (0 success, 2 not a
// directory it can report on); throws OutputError when Python cannot be started.
[[nodiscard]] int write_report(const std::filesystem::path& run_dir, bool quiet);

// "bad usage" message + exit status 2.
int usage_error(const std::string& command, const std::string& message);

}  // namespace lbsim::cli
