#pragma once
// Pieces shared by the subcommands' output: progress display, the summary printed after a run,
// writing files, reporting bad input, the HTML report.
#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

#include "sim/cli/options.hpp"
#include "sim/metrics/run_output.hpp"
#include "sim/metrics/run_summary.hpp"
#include "sim/study/run.hpp"

namespace lbsim::cli {

// The one-line progress display of a single run on stderr ("sim 00:01:00 / 00:10:00 ..."), or
// nothing when `show` is false or stderr is not a terminal.
[[nodiscard]] study::ProgressFn engine_progress(bool show);

// "<label>: i / count runs done" on stderr, or nothing when `show` is false or stderr is not a
// terminal.
[[nodiscard]] study::RunsDone runs_progress(const std::string& label, bool show);

// One run written into a run directory (not yet committed): servers.csv streamed while it runs,
// then summary.json, timeseries.csv and events.csv.
struct WrittenRun {
  study::RunResult result;
  RunSummary summary;
};
// `amend` may add to the summary before summary.json is written (replay's documented figures).
[[nodiscard]] WrittenRun write_run(const SimulationConfig& config, const RunDirectory& run_dir,
                                   bool show_progress,
                                   const std::function<void(RunSummary&)>& amend = {});

// The human-readable summary printed after a run.
void print_summary(std::ostream& out, const RunSummary& summary);

// How the directory was made: scenario.yaml (the resolved scenario, `scenario`, loaded with
// load_for_command when null) and run.json (name, command, overrides, seed, lbsim_version,
// scenario, scenario_sha256 of the file as given, started_at in ISO 8601 UTC).
void write_provenance(const CommandLine& line, const RunDirectory& run_dir,
                      const Scenario* scenario = nullptr);

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

// Writes the report into a run directory before it is committed (a failed report leaves nothing
// behind); unless --no-report. Throws OutputError when the report fails.
void write_report_unless_disabled(const CommandLine& line, const std::filesystem::path& run_dir);

}  // namespace lbsim::cli
