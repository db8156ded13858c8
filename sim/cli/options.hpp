#pragma once
// The options preamble every subcommand shares: parsing (help, usage errors), the scenario
// options (--set, --seed), replications and threads, output directory options, and loading the
// scenario with them.
#include <boost/program_options.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/scenario/scenario.hpp"

namespace lbsim::cli {

namespace po = boost::program_options;

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

// A parsed command line.
struct CommandLine {
  po::variables_map vm;
  Replication replication;  // with replication options
  bool quiet = false;
  std::string command;            // "lbsim replay SCENARIO --set ...", each argument shell-quoted
  std::int64_t started_at_s = 0;  // wall clock when it was parsed, seconds since 1970 (UTC)

  [[nodiscard]] bool has(const char* option) const { return vm.count(option) != 0; }
  [[nodiscard]] std::string text(const char* option) const { return vm[option].as<std::string>(); }
  [[nodiscard]] std::string scenario_path() const { return text("scenario"); }
  [[nodiscard]] std::vector<std::string> overrides() const;  // --set, in order
  [[nodiscard]] std::optional<std::uint64_t> seed() const;   // --seed
  // --out, or the default directory; with --set or --seed, the default gains "-" and the first
  // 8 hex digits of their SHA-256, so a run with overrides never lands in the plain run's place.
  [[nodiscard]] std::string out_dir(const std::string& default_dir) const;
};

// Parses a subcommand's arguments, the one positional argument being `positional`. Returns the
// command line, or the exit status the command returns at once: 0 after printing --help, 2 after a
// usage error (printed with a pointer to --help). With `replicated`, reads -r and -j (out of range
// is a usage error: two replications are the fewest that give an interval; the upper bound guards
// against a typo, or "-1", which Boost reads as 2^64 - 1).
[[nodiscard]] std::variant<CommandLine, int> parse_command(const std::string& command,
                                                           const std::vector<std::string>& args,
                                                           const po::options_description& options,
                                                           const std::string& usage_line,
                                                           bool replicated,
                                                           const char* positional = "scenario");

// Loads the scenario, applying --set overrides and --seed. Throws ConfigError.
[[nodiscard]] Scenario load_for_command(const CommandLine& line);

// A duration option ("10m"), > 0. ConfigError at "--<option>".
[[nodiscard]] SimTime read_duration_option(const CommandLine& line, const char* option);

// "bad usage" message + exit status 2.
int usage_error(const std::string& command, const std::string& message);

}  // namespace lbsim::cli
