#include "sim/cli/support.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "sim/cli/commands.hpp"
#include "sim/cli/table.hpp"
#include "sim/metrics/run_output.hpp"

namespace lbsim::cli {

std::optional<po::variables_map> parse_args(const std::vector<std::string>& args,
                                            const po::options_description& options,
                                            const po::positional_options_description& positional,
                                            const std::string& usage_line) {
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

void add_scenario_options(po::options_description& options) {
  options.add_options()(
      "set", po::value<std::vector<std::string>>()->composing(),
      "override a scenario value before validation: key.path=value (YAML syntax; list "
      "elements by index, e.g. servers.0.count=20); repeatable")("seed", po::value<std::uint64_t>(),
                                                                 "override the scenario's seed");
}

Scenario load_for_command(const po::variables_map& vm) {
  std::vector<std::string> overrides;
  if (vm.count("set") != 0) overrides = vm["set"].as<std::vector<std::string>>();
  Scenario scenario =
      load_scenario(ScenarioFile{vm["scenario"].as<std::string>()}, {.overrides = overrides});
  if (vm.count("seed") != 0) scenario.config.seed = vm["seed"].as<std::uint64_t>();
  return scenario;
}

namespace {

std::string clock_text(double seconds) {
  const auto total = static_cast<long long>(seconds);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%02lld:%02lld:%02lld", total / 3600, total / 60 % 60,
                total % 60);
  return buffer;
}

}  // namespace

RunResult run_simulation(const SimulationConfig& config, std::ostream* servers_csv,
                         bool show_progress) {
  Simulation simulation(config);
  RecorderSetup setup{config.warmup_ns,     simulation.end_time(),        config.window_ns,
                      simulation.servers(), simulation.user_population(), servers_csv,
                      config.incident,      &simulation.window_listener()};
  auto recorder = std::make_unique<Recorder>(std::move(setup));
  simulation.set_observer(recorder.get());
  const bool draw = show_progress && ::isatty(STDERR_FILENO) != 0;
  if (draw) {
    simulation.set_progress(
        [](const Progress& p) {
          const double sim_s = to_seconds(p.now);
          const double end_s = to_seconds(p.end);
          const double fraction = end_s > 0 ? sim_s / end_s : 1.0;
          const double rate = p.wall_s > 0 ? static_cast<double>(p.events) / p.wall_s : 0.0;
          const double eta = fraction > 0 ? p.wall_s * (1.0 / fraction - 1.0) : 0.0;
          std::fprintf(stderr, "\r  sim %s / %s  %5.1f%%  %6.2f M events/s  ETA %s   ",
                       clock_text(sim_s).c_str(), clock_text(end_s).c_str(), 100.0 * fraction,
                       rate / 1e6, clock_text(eta).c_str());
          if (p.now >= p.end) std::fputs("\n", stderr);
          std::fflush(stderr);
        },
        1u << 20);
  }
  const RunStats stats = simulation.run();
  recorder->finish();
  return {std::move(recorder), stats};
}

void print_summary(std::ostream& out, const nlohmann::ordered_json& s) {
  const auto ms = [](const nlohmann::ordered_json& v) -> std::string {
    if (v.is_null()) return "-";
    std::ostringstream text;
    text << std::fixed << std::setprecision(2) << v.get<double>() * 1e3 << " ms";
    return text.str();
  };
  const auto& r = s["requests"];
  out << "scenario " << s["scenario"].get<std::string>() << "  (seed " << s["seed"] << ", strategy "
      << s["strategy"].get<std::string>() << ", " << s["servers"]["count"] << " servers, measured "
      << s["duration_s"].get<double>() << " s after " << s["warmup_s"].get<double>()
      << " s warmup)\n";
  out << std::fixed << std::setprecision(4);
  out << "  requests   offered " << r["offered"] << ", completed " << r["completed"] << ", failed "
      << r["failed"] << ", unfinished " << r["unfinished"] << '\n';
  out << "  errors     rate " << s["error_rate"].get<double>() * 100.0 << " %";
  for (const auto& [kind, count] : r["by_error"].items()) {
    if (count.get<std::uint64_t>() > 0) out << ", " << kind << ' ' << count;
  }
  out << '\n';
  const auto& l = s["latency_s"];
  out << "  latency    mean " << ms(l["mean"]) << ", p50 " << ms(l["p50"]) << ", p90 "
      << ms(l["p90"]) << ", p99 " << ms(l["p99"]) << ", p99.9 " << ms(l["p999"]) << ", max "
      << ms(l["max"]) << '\n';
  out << "  wait       mean " << ms(s["wait_s"]["mean"]) << '\n';
  const auto& u = s["servers"]["utilization"];
  out << std::setprecision(3) << "  servers    utilisation mean " << u["mean"].get<double>()
      << ", max " << u["max"].get<double>() << '\n';
  const auto& users = s["users"];
  out << "  users      active " << users["active"] << ", affected " << users["affected"] << " ("
      << std::setprecision(2) << users["affected_fraction"].get<double>() * 100.0 << " %)\n";
  if (const auto& i = s["incident"]; !i.is_null()) {
    const auto after = [](const nlohmann::ordered_json& v) -> std::string {
      if (v.is_null()) return "never";
      std::ostringstream text;
      text << std::fixed << std::setprecision(0) << v.get<double>() << " s";
      return text.str();
    };
    out << std::setprecision(1) << "  incident   from " << i["start_s"].get<double>()
        << " s: detected after " << after(i["time_to_detect_s"]) << ", mitigated after "
        << after(i["time_to_mitigate_s"]) << ", recovered after " << after(i["time_to_recover_s"])
        << "; peak error rate " << i["peak_error_rate"].get<double>() * 100.0 << " %\n"
        << "             " << i["servers_crashed"] << " servers crashed, " << i["servers_ejected"]
        << " ejected, at most " << i["max_fleet_down_fraction"].get<double>() * 100.0
        << " % of the fleet out; users affected "
        << i["users"]["affected_fraction"].get<double>() * 100.0 << " %";
    if (const auto& budget = i["error_budget"];
        !budget.is_null() && !budget["burned_fraction"].is_null()) {
      out << "; error budget spent " << budget["burned_fraction"].get<double>() * 100.0 << " %";
    }
    out << '\n';
  }
  const auto& e = s["engine"];
  out << std::setprecision(2) << "  engine     " << e["events"] << " events in "
      << e["wall_s"].get<double>() << " s, " << e["events_per_s"].get<double>() / 1e6
      << " M events/s\n";
}

void write_file(const std::filesystem::path& path,
                const std::function<void(std::ostream&)>& write) {
  std::ofstream out(path);
  if (!out) throw OutputError("cannot write " + path.string());
  write(out);
  out.flush();
  if (!out) throw OutputError("error writing " + path.string());
}

int with_input_errors(const std::string& command, const std::function<int()>& body) {
  try {
    return body();
  } catch (const ConfigError& e) {
    std::cerr << e.what() << '\n';
  } catch (const OutputError& e) {
    std::cerr << "lbsim " << command << ": " << e.what() << '\n';
  } catch (const std::invalid_argument& e) {
    std::cerr << "lbsim " << command << ": " << e.what() << '\n';
  }
  return kExitBadInput;
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

Replication read_replication_options(const po::variables_map& vm) {
  Replication replication;
  replication.replications = vm["replications"].as<std::uint64_t>();
  if (replication.replications < 2 || replication.replications > 1'000'000) {
    throw po::error(
        "--replications must be in [2, 1000000] (a confidence interval needs two "
        "replications); got " +
        std::to_string(replication.replications));
  }
  replication.threads = default_threads();
  if (vm.count("threads") != 0) {
    replication.threads = vm["threads"].as<unsigned>();
    if (replication.threads < 1) throw po::error("--threads must be >= 1");
  }
  return replication;
}

int write_report(const std::filesystem::path& run_dir, bool quiet) {
  const char* python_env = std::getenv("LBSIM_PYTHON");
  const char* analysis_env = std::getenv("LBSIM_ANALYSIS_DIR");
  const std::string python = python_env != nullptr ? python_env : "/usr/bin/python3";
  const std::string analysis = analysis_env != nullptr ? analysis_env : LBSIM_ANALYSIS_DIR;
  std::vector<std::string> argv_text = {python, "-m", "analysis.report", run_dir.string()};
  if (quiet) argv_text.emplace_back("--quiet");
  std::vector<char*> argv;
  for (std::string& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // The child's environment: ours, with PYTHONPATH pointing at the analysis package and
  // matplotlib drawing off-screen.
  std::vector<std::string> env_text;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (entry.rfind("PYTHONPATH=", 0) == 0 || entry.rfind("MPLBACKEND=", 0) == 0) continue;
    env_text.push_back(entry);
  }
  env_text.push_back("PYTHONPATH=" + analysis);
  env_text.emplace_back("MPLBACKEND=Agg");
  std::vector<char*> envp;
  for (std::string& entry : env_text) envp.push_back(entry.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  if (const int error =
          ::posix_spawn(&pid, python.c_str(), nullptr, nullptr, argv.data(), envp.data());
      error != 0) {
    throw OutputError("cannot start " + python + " for the report: " + std::strerror(error));
  }
  int status = 0;
  if (::waitpid(pid, &status, 0) < 0) throw OutputError("lost the report process");
  return WIFEXITED(status) ? WEXITSTATUS(status) : kExitFailure;
}

int usage_error(const std::string& command, const std::string& message) {
  std::cerr << "lbsim " << command << ": " << message << "\nrun 'lbsim " << command
            << " --help' for usage\n";
  return kExitBadInput;
}

}  // namespace lbsim::cli
