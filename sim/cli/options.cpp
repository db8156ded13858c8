#include "sim/cli/options.hpp"

#include <chrono>
#include <iostream>

#include "sim/cli/commands.hpp"
#include "sim/core/sha256.hpp"
#include "sim/scenario/units.hpp"
#include "sim/study/run.hpp"

namespace lbsim::cli {

namespace {

std::optional<po::variables_map> parse_args(const std::vector<std::string>& args,
                                            const po::options_description& options,
                                            const std::string& usage_line, const char* name) {
  po::positional_options_description positional;
  positional.add(name, 1);
  po::options_description all = options;
  all.add_options()("help,h", "show this help");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  if (vm.count("help") != 0) {
    std::cout << "usage: " << usage_line << "\n\n" << all << '\n';
    return std::nullopt;
  }
  po::notify(vm);
  return vm;
}

Replication read_replication_options(const po::variables_map& vm) {
  Replication replication;
  replication.replications = vm["replications"].as<std::uint64_t>();
  if (replication.replications < 2 || replication.replications > 1'000'000) {
    throw po::error(
        "--replications must be in [2, 1000000] (a confidence interval needs two "
        "replications); got " +
        std::to_string(replication.replications));
  }
  replication.threads = study::default_threads();
  if (vm.count("threads") != 0) {
    replication.threads = vm["threads"].as<unsigned>();
    if (replication.threads < 1) throw po::error("--threads must be >= 1");
  }
  return replication;
}

}  // namespace

void add_scenario_options(po::options_description& options) {
  options.add_options()(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override a scenario value before validation: key.path=value (YAML syntax; list "
      "elements by index, e.g. servers.0.count=20); repeatable")("seed", po::value<std::uint64_t>(),
                                                                 "override the scenario's seed");
}

void add_replication_options(po::options_description& options, std::uint64_t default_replications,
                             const std::string& what) {
  options.add_options()(
      "replications,r", po::value<std::uint64_t>()->default_value(default_replications),
      (what + " (>= 2), numbered 0..R-1 for each (common random numbers)").c_str())(
      "threads,j", po::value<unsigned>(),
      "runs in parallel (default: the number of hardware threads)");
}

void add_output_options(po::options_description& options, const std::string& what) {
  options.add_options()("out,o", po::value<std::string>(), what.c_str())(
      "force,f", "replace an existing non-empty output directory")("quiet,q",
                                                                   "print nothing but errors");
}

std::vector<std::string> CommandLine::overrides() const {
  if (vm.count("set") == 0) return {};
  return vm["set"].as<std::vector<std::string>>();
}

std::optional<std::uint64_t> CommandLine::seed() const {
  if (vm.count("seed") == 0) return std::nullopt;
  return vm["seed"].as<std::uint64_t>();
}

std::string CommandLine::out_dir(const std::string& default_dir) const {
  if (has("out")) return text("out");
  std::string changes;
  for (const std::string& assignment : overrides()) changes += assignment + '\n';
  if (const auto s = seed()) changes += "--seed " + std::to_string(*s) + '\n';
  if (changes.empty()) return default_dir;
  return default_dir + "-" + sha256_hex(changes).substr(0, 8);
}

namespace {

// An argument as a POSIX shell reads it back: bare when it has only safe characters.
std::string shell_word(const std::string& arg) {
  const bool safe = !arg.empty() && arg.find_first_not_of(
                                        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-./=:,+%@") == std::string::npos;
  if (safe) return arg;
  std::string out = "'";
  for (const char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::variant<CommandLine, int> parse_command(const std::string& command,
                                             const std::vector<std::string>& args,
                                             const po::options_description& options,
                                             const std::string& usage_line, bool replicated,
                                             const char* positional) {
  CommandLine line;
  try {
    std::optional<po::variables_map> vm = parse_args(args, options, usage_line, positional);
    if (!vm) return kExitOk;
    line.vm = std::move(*vm);
    if (replicated) line.replication = read_replication_options(line.vm);
  } catch (const po::error& e) {
    return usage_error(command, e.what());
  }
  line.quiet = line.has("quiet");
  line.command = "lbsim " + command;
  for (const std::string& arg : args) line.command += " " + shell_word(arg);
  line.started_at_s = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return line;
}

Scenario load_for_command(const CommandLine& line) {
  // --seed goes in as the last override, so the resolved scenario (scenario.yaml) records it.
  std::vector<std::string> overrides = line.overrides();
  if (const auto seed = line.seed()) overrides.push_back("seed=" + std::to_string(*seed));
  return load_scenario(ScenarioFile{line.scenario_path()}, {.overrides = overrides});
}

SimTime read_duration_option(const CommandLine& line, const char* option) {
  const std::string where = std::string("--") + option;
  SimTime duration = 0;
  try {
    duration = parse_duration(line.text(option));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(SourceLocation{where}, e.what());
  }
  if (duration <= 0) throw ConfigError(SourceLocation{where}, "expected a duration > 0");
  return duration;
}

int usage_error(const std::string& command, const std::string& message) {
  std::cerr << "lbsim " << command << ": " << message << "\nrun 'lbsim " << command
            << " --help' for usage\n";
  return kExitBadInput;
}

}  // namespace lbsim::cli
