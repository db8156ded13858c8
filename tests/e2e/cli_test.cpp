// The lbsim program end to end: exit statuses, the run directory's files and fields, atomic
// writing, refusal to overwrite, byte-identical reruns, help texts.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/e2e/cli_util.hpp"

namespace fs = std::filesystem;

namespace {

using lbsim::test::CliResult;
using lbsim::test::read_file;
using lbsim::test::shell_quote;

CliResult run_lbsim(const std::string& args) {
  return lbsim::test::run_cli(args);
}

// A fresh scratch directory per test.
struct Scratch {
  fs::path dir;
  Scratch() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("lbsim_e2e_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
  [[nodiscard]] std::string path(const std::string& name) const { return (dir / name).string(); }
};

const std::string kShort =
    " --set duration=30s --set warmup=5s --set window=5s --quiet --set workload.rate=2000/s";

std::string run_example(const std::string& out, const std::string& extra = "") {
  return "run scenarios/example.yaml --out " + shell_quote(out) + kShort + extra;
}

}  // namespace

TEST_CASE("run writes every file and every summary field DESIGN.md promises") {
  Scratch scratch;
  const auto out = scratch.path("run");
  const auto r = run_lbsim(run_example(out));
  REQUIRE_MESSAGE(r.status == 0, r.output);
  for (const char* name : {"summary.json", "timeseries.csv", "servers.csv", "events.csv"}) {
    CHECK_MESSAGE(fs::exists(fs::path(out) / name), name);
  }
  const auto summary = nlohmann::json::parse(read_file(fs::path(out) / "summary.json"));
  for (const char* pointer : {"/requests/offered",
                              "/requests/completed",
                              "/requests/failed",
                              "/requests/by_error",
                              "/error_rate",
                              "/latency_s/mean",
                              "/latency_s/p50",
                              "/latency_s/p90",
                              "/latency_s/p99",
                              "/latency_s/p999",
                              "/latency_s/max",
                              "/wait_s/mean",
                              "/users/active",
                              "/users/affected",
                              "/users/affected_fraction",
                              "/servers/utilization/mean",
                              "/servers/utilization/max",
                              "/engine/events",
                              "/engine/wall_s",
                              "/engine/events_per_s"}) {
    CHECK_MESSAGE(summary.contains(nlohmann::json::json_pointer(pointer)), pointer);
  }
  for (const char* kind :
       {"queue_full", "timeout", "refused", "no_healthy_backend", "circuit_open", "crash_lost"}) {
    CHECK_MESSAGE(summary["requests"]["by_error"].contains(kind), kind);
  }
  // 2000/s for 30 s: offered is Poisson with mean 60000 (sd 245).
  CHECK(std::abs(summary["requests"]["offered"].get<double>() - 60000.0) < 5 * 245.0);
  // Load 2000/s x 10 ms over 40 workers = 0.5.
  CHECK(summary["servers"]["utilization"]["mean"].get<double>() ==
        doctest::Approx(0.5).epsilon(0.03));

  const auto timeseries = read_file(fs::path(out) / "timeseries.csv");
  CHECK(timeseries.rfind("t_s,warmup,offered,completed,failed,error_rate,", 0) == 0);
  for (const char* column : {",p50_s,", ",p99_s,"})
    CHECK(timeseries.find(column) != std::string::npos);
  // 35 s in 5 s windows: 7 rows plus the header.
  CHECK(std::count(timeseries.begin(), timeseries.end(), '\n') == 8);
  const auto servers = read_file(fs::path(out) / "servers.csv");
  CHECK(servers.rfind("t_s,server,group,arrivals,completed,utilization,queue_mean", 0) == 0);
  CHECK(std::count(servers.begin(), servers.end(), '\n') == 1 + 7 * 10);
  CHECK(read_file(fs::path(out) / "events.csv").rfind("t_s,kind,subject,detail\n", 0) == 0);
}

TEST_CASE("the same seed gives byte-identical output files") {
  Scratch scratch;
  REQUIRE(run_lbsim(run_example(scratch.path("a"))).status == 0);
  REQUIRE(run_lbsim(run_example(scratch.path("b"))).status == 0);
  for (const char* name : {"timeseries.csv", "servers.csv", "events.csv"}) {
    CHECK_MESSAGE(read_file(fs::path(scratch.path("a")) / name) ==
                      read_file(fs::path(scratch.path("b")) / name),
                  name);
  }
  // summary.json: identical except the wall-clock measurements of the engine block.
  auto a = nlohmann::json::parse(read_file(fs::path(scratch.path("a")) / "summary.json"));
  auto b = nlohmann::json::parse(read_file(fs::path(scratch.path("b")) / "summary.json"));
  for (auto* doc : {&a, &b}) {
    for (const char* key : {"wall_s", "events_per_s", "requests_per_s"})
      (*doc)["engine"].erase(key);
  }
  CHECK(a == b);
  // A different seed does change the results.
  REQUIRE(run_lbsim(run_example(scratch.path("c"), " --seed 43")).status == 0);
  CHECK(read_file(fs::path(scratch.path("a")) / "timeseries.csv") !=
        read_file(fs::path(scratch.path("c")) / "timeseries.csv"));
}

TEST_CASE("an existing non-empty run directory is refused without --force, replaced with it") {
  Scratch scratch;
  const auto out = scratch.path("run");
  fs::create_directories(out);
  std::ofstream(fs::path(out) / "keep.txt") << "precious";
  const auto refused = run_lbsim(run_example(out));
  CHECK(refused.status == 2);
  CHECK(refused.output.find("--force") != std::string::npos);
  CHECK(read_file(fs::path(out) / "keep.txt") == "precious");

  const auto forced = run_lbsim(run_example(out, " --force"));
  REQUIRE_MESSAGE(forced.status == 0, forced.output);
  CHECK(!fs::exists(fs::path(out) / "keep.txt"));
  CHECK(fs::exists(fs::path(out) / "summary.json"));
  // No temporary or backup directories are left beside it.
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(scratch.dir)) {
    (void)entry;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("bad input: exit status 2, file:line:column, nothing written") {
  Scratch scratch;
  const auto scenario = scratch.path("bad.yaml");
  std::ofstream(scenario) << "name: bad\nduration: 1m\nworkload:\n  rate: 10/s\n  sevice: x\n"
                             "servers:\n  - {group: a}\n";
  const auto out = scratch.path("run");
  const auto r = run_lbsim("run " + shell_quote(scenario) + " --out " + shell_quote(out));
  CHECK(r.status == 2);
  CHECK(r.output.find(scenario + ":5:3:") != std::string::npos);
  CHECK(!fs::exists(out));
  int entries = 0;
  for (const auto& entry : fs::directory_iterator(scratch.dir)) {
    (void)entry;
    ++entries;
  }
  CHECK(entries == 1);  // only bad.yaml: no temporary directory left behind

  const auto v = run_lbsim("validate " + shell_quote(scenario));
  CHECK(v.status == 2);
  CHECK(v.output.find(scenario + ":5:3:") != std::string::npos);

  const auto set = run_lbsim("validate scenarios/example.yaml --set workload.rate=-5/s");
  CHECK(set.status == 2);
  CHECK(set.output.find("--set workload.rate") != std::string::npos);

  const auto missing = run_lbsim("run " + shell_quote(scratch.path("nope.yaml")));
  CHECK(missing.status == 2);
  CHECK(missing.output.find("nope.yaml") != std::string::npos);
}

TEST_CASE("usage: help texts are complete, unknown commands and options are errors") {
  const auto help = run_lbsim("--help");
  CHECK(help.status == 0);
  for (const char* word : {"run", "validate"}) CHECK(help.output.find(word) != std::string::npos);
  const auto run_help = run_lbsim("run --help");
  CHECK(run_help.status == 0);
  for (const char* option : {"--out", "--force", "--seed", "--set", "--replication", "--quiet"}) {
    CHECK_MESSAGE(run_help.output.find(option) != std::string::npos, option);
  }
  CHECK(run_lbsim("validate --help").status == 0);
  CHECK(run_lbsim("frobnicate").status == 2);
  CHECK(run_lbsim("run scenarios/example.yaml --no-such-option").status == 2);
  CHECK(run_lbsim("run").status == 2);
  const auto ok = run_lbsim("validate scenarios/example.yaml");
  CHECK(ok.status == 0);
  CHECK(ok.output.find("valid") != std::string::npos);
}

TEST_CASE("every shipped scenario validates") {
  for (const auto& entry :
       fs::recursive_directory_iterator(fs::path(LBSIM_SOURCE_DIR) / "scenarios")) {
    if (entry.path().extension() != ".yaml") continue;
    const auto r = run_lbsim("validate " + shell_quote(entry.path().string()) + " --quiet");
    CHECK_MESSAGE(r.status == 0, entry.path().string() << ": " << r.output);
  }
}
