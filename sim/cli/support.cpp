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
#include <optional>
#include <sstream>

#include "sim/cli/commands.hpp"
#include "sim/cli/table.hpp"
#include "sim/core/sha256.hpp"
#include "sim/metrics/run_output.hpp"
#include "sim/scenario/clock.hpp"

#include "lbsim_version.hpp"

namespace lbsim::cli {

namespace {

std::string clock_text(double seconds) {
  const auto total = static_cast<long long>(seconds);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%02lld:%02lld:%02lld", total / 3600, total / 60 % 60,
                total % 60);
  return buffer;
}

}  // namespace

study::ProgressFn engine_progress(bool show) {
  if (!show || ::isatty(STDERR_FILENO) == 0) return {};
  return [](const Progress& p) {
    const double sim_s = to_seconds(p.now);
    const double end_s = to_seconds(p.end);
    const double fraction = end_s > 0 ? sim_s / end_s : 1.0;
    const double rate = p.wall_s > 0 ? static_cast<double>(p.events) / p.wall_s : 0.0;
    const double eta = fraction > 0 ? p.wall_s * (1.0 / fraction - 1.0) : 0.0;
    std::fprintf(stderr, "\r  sim %s / %s  %5.1f%%  %6.2f M events/s  ETA %s   ",
                 clock_text(sim_s).c_str(), clock_text(end_s).c_str(), 100.0 * fraction, rate / 1e6,
                 clock_text(eta).c_str());
    if (p.now >= p.end) std::fputs("\n", stderr);
    std::fflush(stderr);
  };
}

study::RunsDone runs_progress(const std::string& label, bool show) {
  if (!show || ::isatty(STDERR_FILENO) == 0) return {};
  return [label](std::size_t done, std::size_t total) {
    std::fprintf(stderr, "\r  %s: %zu / %zu runs done", label.c_str(), done, total);
    if (done == total) std::fputs("\n", stderr);
    std::fflush(stderr);
  };
}

namespace {

std::string ms(double seconds) {
  if (std::isnan(seconds)) return "-";
  std::ostringstream text;
  text << std::fixed << std::setprecision(2) << seconds * 1e3 << " ms";
  return text.str();
}

void print_incident(std::ostream& out, const IncidentReport& report) {
  const IncidentSummary& i = report.measured;
  const auto after = [&](SimTime t) -> std::string {
    if (t < 0) return "never";
    std::ostringstream text;
    text << std::fixed << std::setprecision(0) << to_seconds(t - i.start) << " s";
    return text.str();
  };
  const double affected = i.users_active > 0 ? static_cast<double>(i.users_affected) /
                                                   static_cast<double>(i.users_active)
                                             : 0.0;
  out << std::setprecision(1) << "  incident   from " << to_seconds(i.start)
      << " s: detected after " << after(i.detected) << ", mitigated after " << after(i.mitigated)
      << ", recovered after " << after(i.recovered) << "; peak error rate "
      << i.peak_error_rate * 100.0 << " %\n"
      << "             " << i.servers_crashed << " servers crashed, " << i.servers_ejected
      << " ejected, at most " << i.max_fleet_down_fraction * 100.0
      << " % of the fleet out; users affected " << affected * 100.0 << " %";
  if (report.budget && !std::isnan(report.budget->burned_fraction)) {
    out << "; error budget spent " << report.budget->burned_fraction * 100.0 << " %";
  }
  out << '\n';
}

}  // namespace

void print_summary(std::ostream& out, const RunSummary& s) {
  out << "scenario " << s.scenario << "  (seed " << s.seed << ", strategy " << s.strategy << ", "
      << s.server_names.size() << " servers, measured " << s.duration_s << " s after " << s.warmup_s
      << " s warmup)\n";
  out << std::fixed << std::setprecision(4);
  out << "  requests   offered " << s.offered << ", completed " << s.completed << ", failed "
      << s.failed << ", unfinished " << s.unfinished() << '\n';
  out << "  errors     rate " << s.error_rate * 100.0 << " %";
  for (int k = 1; k < kErrorKindCount; ++k) {
    if (s.by_error[k] > 0) {
      out << ", " << error_kind_name(static_cast<ErrorKind>(k)) << ' ' << s.by_error[k];
    }
  }
  out << '\n';
  out << "  latency    mean " << ms(s.latency_mean_s) << ", p50 " << ms(s.latency_p50_s) << ", p90 "
      << ms(s.latency_p90_s) << ", p99 " << ms(s.latency_p99_s) << ", p99.9 "
      << ms(s.latency_p999_s) << ", max " << ms(s.latency_max_s) << '\n';
  out << "  wait       mean " << ms(s.wait_mean_s) << '\n';
  out << std::setprecision(3) << "  servers    utilisation mean " << s.utilization_mean << ", max "
      << s.utilization_max << '\n';
  out << "  users      active " << s.users_active << ", affected " << s.users_affected << " ("
      << std::setprecision(2) << s.users_affected_fraction * 100.0 << " %)\n";
  if (s.incident) print_incident(out, *s.incident);
  const RunStats& e = s.engine;
  const double events_per_s = e.wall_s > 0.0 ? static_cast<double>(e.events) / e.wall_s : 0.0;
  out << std::setprecision(2) << "  engine     " << e.events << " events in " << e.wall_s << " s, "
      << events_per_s / 1e6 << " M events/s\n";
}

WrittenRun write_run(const SimulationConfig& config, const RunDirectory& run_dir,
                     bool show_progress, const std::function<void(RunSummary&)>& amend) {
  std::ofstream servers_csv(run_dir.file("servers.csv"));
  if (!servers_csv) throw OutputError("cannot write " + run_dir.file("servers.csv").string());
  study::RunResult result =
      study::run_simulation(config, &servers_csv, engine_progress(show_progress));
  servers_csv.close();
  if (!servers_csv) throw OutputError("error writing servers.csv");
  RunSummary summary = summarize(config, *result.recorder, result.stats);
  if (amend) amend(summary);
  write_file(run_dir.file("summary.json"),
             [&](std::ostream& o) { write_json(o, summary_json(summary)); });
  write_file(run_dir.file("timeseries.csv"),
             [&](std::ostream& o) { write_timeseries_csv(o, *result.recorder); });
  write_file(run_dir.file("events.csv"),
             [&](std::ostream& o) { write_events_csv(o, *result.recorder); });
  return {std::move(result), std::move(summary)};
}

void write_provenance(const CommandLine& line, const RunDirectory& run_dir,
                      const Scenario* scenario) {
  std::optional<Scenario> loaded;
  if (scenario == nullptr) scenario = &loaded.emplace(load_for_command(line));
  write_file(run_dir.file("scenario.yaml"), [&](std::ostream& o) {
    o << "# The resolved scenario of this run: " << scenario->path
      << "\n# with every --set override, the what-if or variant and --seed applied, and file\n"
         "# paths made absolute. `lbsim run scenario.yaml` reproduces the run's outputs.\n"
      << scenario->resolved_yaml;
  });
  std::ifstream file(scenario->path, std::ios::binary);
  std::ostringstream bytes;
  bytes << file.rdbuf();
  nlohmann::ordered_json doc;
  doc["name"] = run_dir.target().filename().string();
  doc["command"] = line.command;
  doc["overrides"] = line.overrides();
  doc["seed"] = scenario->config.seed;
  doc["lbsim_version"] = LBSIM_VERSION;
  doc["scenario"] = scenario->path;
  doc["scenario_sha256"] = sha256_hex(bytes.str());
  doc["started_at"] = format_iso8601(line.started_at_s, 0);
  write_file(run_dir.file("run.json"), [&](std::ostream& o) { write_json(o, doc); });
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

int write_report(const std::filesystem::path& run_dir, bool quiet) {
  const char* python_env = std::getenv("LBSIM_PYTHON");
  const char* analysis_env = std::getenv("LBSIM_ANALYSIS_DIR");
  const std::string python = python_env != nullptr ? python_env : "/usr/bin/python3";
  const std::string analysis = analysis_env != nullptr ? analysis_env : LBSIM_ANALYSIS_DIR;
  std::vector<std::string> argv_text = {python, "-m", "analysis.report", run_dir.string()};
  if (quiet) argv_text.emplace_back("--quiet");
  std::vector<char*> argv;
  argv.reserve(argv_text.size() + 1);
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
  envp.reserve(env_text.size() + 1);
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

void write_report_unless_disabled(const CommandLine& line, const std::filesystem::path& run_dir) {
  if (line.has("no-report")) return;
  if (const int status = write_report(run_dir, true); status != 0) {
    throw OutputError("the report failed (python exit status " + std::to_string(status) +
                      "); --no-report skips it");
  }
}

}  // namespace lbsim::cli
