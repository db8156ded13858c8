// A run directory says how it was made and reproduces itself (issue 11): run.json records the
// command, overrides, seed, version, the scenario's SHA-256 and the start time; scenario.yaml is
// the resolved scenario, and `lbsim run scenario.yaml` from another directory gives byte-identical
// outputs; overrides change the default directory name.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/core/sha256.hpp"
#include "tests/e2e/cli_util.hpp"

namespace lbsim::test {
namespace {

namespace fs = std::filesystem;

struct Scratch {
  fs::path dir;
  Scratch() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("lbsim_provenance_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
};

// Runs lbsim from `cwd`.
int run_in(const fs::path& cwd, const std::string& args) {
  const std::string command = "cd " + shell_quote(cwd.string()) + " && " +
                              shell_quote(LBSIM_BINARY) + " " + args + " > /dev/null 2>&1";
  const int raw = std::system(command.c_str());
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

// summary.json without the engine's wall-clock fields.
nlohmann::json summary_of(const fs::path& dir) {
  nlohmann::json doc = nlohmann::json::parse(read_file(dir / "summary.json"));
  for (const char* key : {"wall_s", "events_per_s", "requests_per_s"}) doc["engine"].erase(key);
  return doc;
}

TEST_CASE("a run directory records how it was made, and rerunning its scenario.yaml reproduces it") {
  const Scratch scratch;
  // mixed_fleet reads its servers from a CSV beside it: a relative path scenario.yaml must make
  // absolute, since the rerun below reads it from the scratch directory.
  const std::string scenario = std::string(LBSIM_SOURCE_DIR) + "/scenarios/mixed_fleet.yaml";
  const fs::path first = scratch.dir / "first";
  REQUIRE(run_in(scratch.dir, "run " + shell_quote(scenario) +
                                  " --set workload.rate=900/s --set duration=30s --seed 11 -q "
                                  "--out first") == 0);
  const nlohmann::json run = nlohmann::json::parse(read_file(first / "run.json"));
  CHECK(run["name"] == "first");
  CHECK(run["command"] == "lbsim run " + scenario +
                              " --set workload.rate=900/s --set duration=30s --seed 11 -q --out "
                              "first");
  CHECK(run["overrides"] == nlohmann::json::array({"workload.rate=900/s", "duration=30s"}));
  CHECK(run["seed"] == 11);
  CHECK(run["scenario"] == scenario);
  CHECK(run["scenario_sha256"] == sha256_hex(read_file(scenario)));
  CHECK_FALSE(run["lbsim_version"].get<std::string>().empty());
  const std::string started = run["started_at"];
  CHECK(started.size() == 25);  // 2026-12-03T14:15:29+00:00
  CHECK(started.substr(19) == "+00:00");

  const std::string resolved = read_file(first / "scenario.yaml");
  CHECK(resolved.find("rate: \"900/s\"") != std::string::npos);
  CHECK(resolved.find("seed: \"11\"") != std::string::npos);
  CHECK(resolved.find("file: \"" + std::string(LBSIM_SOURCE_DIR) + "/scenarios/fleet_example.csv\"") !=
        std::string::npos);

  // Rerun from elsewhere, with no override: the same outputs, byte for byte.
  const fs::path elsewhere = scratch.dir / "elsewhere";
  fs::create_directories(elsewhere);
  REQUIRE(run_in(elsewhere, "run ../first/scenario.yaml -q --out second") == 0);
  const fs::path second = elsewhere / "second";
  for (const char* file : {"timeseries.csv", "servers.csv", "events.csv"}) {
    CAPTURE(file);
    CHECK(read_file(first / file) == read_file(second / file));
  }
  CHECK(summary_of(first) == summary_of(second));
}

TEST_CASE("overrides change the default run directory's name") {
  const Scratch scratch;
  const std::string scenario = std::string(LBSIM_SOURCE_DIR) + "/scenarios/example.yaml";
  const std::string short_run = " --set duration=5s --set warmup=0s --set window=5s -q";
  REQUIRE(run_in(scratch.dir, "run " + shell_quote(scenario) + short_run) == 0);
  REQUIRE(run_in(scratch.dir, "run " + shell_quote(scenario) + short_run +
                                  " --set workload.rate=3000/s") == 0);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(scratch.dir / "runs")) {
    names.push_back(entry.path().filename().string());
  }
  REQUIRE(names.size() == 2);
  CHECK(names[0] != names[1]);
  for (const std::string& name : names) CHECK(name.rfind("example-seed", 0) == 0);
}

}  // namespace
}  // namespace lbsim::test
