// `lbsim compare` end to end, running the built binary: the table and the three output files,
// determinism across thread counts, common random numbers (a variant against itself differs by
// exactly 0), bad variants, and a comparison whose answer queueing theory knows (round robin beats
// random dispatch on p99 at load 0.9).
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sim/analytic/queueing.hpp"
#include "sim/analytic/statistics.hpp"
#include "tests/e2e/cli_util.hpp"

namespace fs = std::filesystem;

namespace {

using lbsim::test::CliResult;
using lbsim::test::read_file;
using lbsim::test::shell_quote;

CliResult run_lbsim(const std::string& args) {
  return lbsim::test::run_cli(args);
}

// A fresh scratch directory per test, holding the test's scenario.
struct Scratch {
  fs::path dir;
  Scratch() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("lbsim_compare_e2e_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
    fs::create_directories(dir);
    // 10 single-worker servers with exponential 10 ms service at 900/s: load 0.9 per server.
    std::ofstream(dir / "fleet.yaml") << R"(name: fleet
seed: 7
duration: 60s
warmup: 20s
window: 10s
workload:
  rate: 900/s
  service: {dist: exponential, mean: 10ms}
balancer:
  strategy: round_robin
servers:
  - {group: web, count: 10, workers: 1}
)";
  }
  ~Scratch() { fs::remove_all(dir); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  [[nodiscard]] std::string path(const std::string& name) const { return (dir / name).string(); }
  [[nodiscard]] std::string scenario() const { return shell_quote(path("fleet.yaml")); }
};

// Short runs for the tests that check form, not numbers.
// --no-report: these tests are about the numbers; the report is tested in tests/analysis and
// by replay_test.
const std::string kShort = " --set duration=5s --set warmup=1s --set window=1s --quiet --no-report";

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string field; std::getline(in, field, ',');) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

// compare.csv as rows keyed by column name.
std::vector<std::map<std::string, std::string>> read_csv(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split(line);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = split(line);
    REQUIRE(fields.size() == header.size());
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < header.size(); ++i) row[header[i]] = fields[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

const std::map<std::string, std::string>& find_row(
    const std::vector<std::map<std::string, std::string>>& rows, const std::string& variant,
    const std::string& metric) {
  for (const auto& row : rows) {
    if (row.at("variant") == variant && row.at("metric") == metric) return row;
  }
  FAIL("no row for " << variant << " / " << metric);
  return rows.front();
}

const char* const kMetricNames[] = {"latency_p50_s",  "latency_p99_s", "latency_p999_s",
                                    "latency_mean_s", "error_rate",    "utilization_imbalance",
                                    "utilization_max"};

}  // namespace

TEST_CASE("compare prints the table and writes compare.csv, runs.csv and compare.json") {
  Scratch scratch;
  const std::string out = scratch.path("cmp");
  const auto r = run_lbsim("compare " + scratch.scenario() +
                           " --strategies round_robin,random --replications 3 --threads 2 --out " +
                           shell_quote(out) + " --set duration=5s --set warmup=1s --set window=1s");
  REQUIRE_MESSAGE(r.status == 0, r.output);
  for (const char* text : {"compare fleet: 2 variants x 3 replications", "variant", "p50 ms",
                           "p99 ms", "p99.9 ms", "mean ms", "errors %", "imbalance", "util max",
                           "paired difference from round_robin", "output directory"}) {
    CHECK_MESSAGE(r.output.find(text) != std::string::npos, text);
  }
  // Readable at 100 columns.
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    std::size_t columns = 0;
    for (const char c : line) columns += (c & 0xC0) != 0x80 ? 1 : 0;
    CHECK_MESSAGE(columns <= 100, line);
  }

  const std::string compare_csv = read_file(fs::path(out) / "compare.csv");
  CHECK(compare_csv.rfind("variant,metric,mean,ci_low,ci_high,half_width,diff_mean,diff_low,"
                          "diff_high,replications\n",
                          0) == 0);
  const auto rows = read_csv(fs::path(out) / "compare.csv");
  CHECK(rows.size() == 2 * 9);
  const std::string runs_csv = read_file(fs::path(out) / "runs.csv");
  CHECK(runs_csv.rfind("variant,replication,latency_p50_s,latency_p99_s,latency_p999_s,"
                       "latency_mean_s,error_rate,utilization_imbalance,utilization_max,"
                       "response_p99_s,traffic_imbalance\n",
                       0) == 0);
  const auto runs = read_csv(fs::path(out) / "runs.csv");
  REQUIRE(runs.size() == 2 * 3);
  CHECK(runs[0].at("variant") == "round_robin");
  CHECK(runs[0].at("replication") == "0");
  CHECK(runs[5].at("variant") == "random");
  CHECK(runs[5].at("replication") == "2");

  const auto json = nlohmann::json::parse(read_file(fs::path(out) / "compare.json"));
  CHECK(json["scenario"] == "fleet");
  CHECK(json["replications"] == 3);
  CHECK(json["baseline"] == "round_robin");
  CHECK(json["metrics"].size() == 9);
  REQUIRE(json["variants"].size() == 2);
  CHECK(json["runs"].size() == 6);
  for (const char* metric : kMetricNames) {
    CAPTURE(metric);
    for (const auto& variant : json["variants"]) {
      const std::string name = variant["variant"];
      const auto& row = find_row(rows, name, metric);
      const auto& numbers = variant["metrics"][metric];
      // The same numbers in both files: both are written in shortest round-trip form.
      CHECK(std::stod(row.at("mean")) == numbers["mean"].get<double>());
      CHECK(std::stod(row.at("ci_low")) == numbers["ci_low"].get<double>());
      CHECK(std::stod(row.at("diff_high")) == numbers["diff_high"].get<double>());
      CHECK(row.at("replications") == "3");
      // The mean is the mean of the three runs in runs.csv (summation order may differ: 1e-12).
      double sum = 0.0;
      for (const auto& run : runs) {
        if (run.at("variant") == name) sum += std::stod(run.at(metric));
      }
      CHECK(std::abs(sum / 3.0 - numbers["mean"].get<double>()) <=
            1e-12 * std::abs(numbers["mean"].get<double>()));
    }
  }
  // The baseline against itself.
  CHECK(find_row(rows, "round_robin", "latency_p99_s").at("diff_mean") == "0");

  // A non-empty output directory is refused without --force, replaced with it.
  const auto refused =
      run_lbsim("compare " + scratch.scenario() +
                " --strategies round_robin --replications 2 --out " + shell_quote(out) + kShort);
  CHECK(refused.status == 2);
  CHECK(refused.output.find("--force") != std::string::npos);
  CHECK(read_file(fs::path(out) / "compare.csv") == compare_csv);
  const auto forced = run_lbsim("compare " + scratch.scenario() +
                                " --strategies round_robin --replications 2 --force --out " +
                                shell_quote(out) + kShort);
  REQUIRE_MESSAGE(forced.status == 0, forced.output);
  CHECK(read_csv(fs::path(out) / "compare.csv").size() == 9);
}

TEST_CASE("compare output does not depend on the number of threads") {
  Scratch scratch;
  const std::string args = "compare " + scratch.scenario() +
                           " --strategies round_robin,random,random --replications 4" + kShort;
  REQUIRE(run_lbsim(args + " --threads 1 --out " + shell_quote(scratch.path("one"))).status == 0);
  REQUIRE(run_lbsim(args + " --threads 2 --out " + shell_quote(scratch.path("two"))).status == 0);
  for (const char* name : {"compare.csv", "runs.csv", "compare.json"}) {
    CAPTURE(name);
    const std::string one = read_file(fs::path(scratch.path("one")) / name);
    CHECK(!one.empty());
    CHECK(one == read_file(fs::path(scratch.path("two")) / name));
  }
  // --seed changes the runs.
  REQUIRE(run_lbsim(args + " --seed 8 --out " + shell_quote(scratch.path("seed8"))).status == 0);
  CHECK(read_file(fs::path(scratch.path("one")) / "runs.csv") !=
        read_file(fs::path(scratch.path("seed8")) / "runs.csv"));
}

TEST_CASE("common random numbers: a variant compared with itself differs by exactly 0") {
  Scratch scratch;
  const std::string out = scratch.path("same");
  const auto r =
      run_lbsim("compare " + scratch.scenario() +
                " --strategies random,random --replications 4 --out " + shell_quote(out) + kShort);
  REQUIRE_MESSAGE(r.status == 0, r.output);
  const auto rows = read_csv(fs::path(out) / "compare.csv");
  REQUIRE(rows.size() == 2 * 9);
  for (std::size_t i = 9; i < rows.size(); ++i) {
    const auto& row = rows[i];
    CAPTURE(row.at("metric"));
    CHECK(row.at("diff_mean") == "0");
    CHECK(row.at("diff_low") == "0");  // half width exactly 0
    CHECK(row.at("diff_high") == "0");
    // Each variant's values do vary over replications, so a zero difference is not trivial
    // (error_rate is 0 in every run: no timeouts or queue limits here).
    if (row.at("metric") != "error_rate") CHECK(std::stod(row.at("half_width")) > 0.0);
  }
}

TEST_CASE("bad variants and bad options: exit status 2, a message naming the variant") {
  Scratch scratch;
  const std::string out = scratch.path("bad");
  const auto option = run_lbsim("compare " + scratch.scenario() +
                                " --strategies round_robin,least_request:choicez=3 --out " +
                                shell_quote(out) + kShort);
  CHECK(option.status == 2);
  CHECK_MESSAGE(option.output.find("--strategies least_request:choicez=3: unknown option "
                                   "\"choicez\"") != std::string::npos,
                option.output);
  CHECK(!fs::exists(out));

  const auto strategy = run_lbsim("compare " + scratch.scenario() + " --strategies fastest --out " +
                                  shell_quote(out));
  CHECK(strategy.status == 2);
  CHECK(strategy.output.find("--strategies fastest: unknown strategy \"fastest\"") !=
        std::string::npos);
  const auto value = run_lbsim("compare " + scratch.scenario() +
                               " --strategies least_request:choices=0 --out " + shell_quote(out));
  CHECK(value.status == 2);
  CHECK(value.output.find("--strategies least_request:choices=0: balancer.choices: expected") !=
        std::string::npos);
  CHECK(!fs::exists(out));

  CHECK(
      run_lbsim("compare " + scratch.scenario() + " --strategies random --replications 1").status ==
      2);
  CHECK(run_lbsim("compare " + scratch.scenario() + " --strategies random --threads 0").status ==
        2);
  CHECK(run_lbsim("compare " + scratch.scenario()).status == 2);  // --strategies is required
  const auto help = run_lbsim("compare --help");
  CHECK(help.status == 0);
  for (const char* text : {"--strategies", "--replications", "--threads", "--out", "--force",
                           "--set", "--seed", "--quiet"}) {
    CHECK_MESSAGE(help.output.find(text) != std::string::npos, text);
  }
  CHECK(run_lbsim("--help").output.find("compare") != std::string::npos);
}

TEST_CASE("round robin beats random on p99 at load 0.9, as E_k/M/1 theory says") {
  // Random dispatch splits the Poisson stream into 10 Poisson streams of 90/s: each server is
  // M/M/1 at rho = 0.9 and its response time is exponential with rate mu - lambda = 10/s.
  // A single round-robin instance gives each server every 10th arrival: Erlang-10 interarrivals,
  // an E_10/M/1 queue, whose response time is exponential with rate mu (1 - sigma) (Kleinrock
  // vol. 1, ch. 6). Both p99s are therefore ln(100) x the mean response time, and round robin's
  // is much lower (sigma ~ 0.8 < rho).
  constexpr double kMu = 100.0;
  constexpr double kLambda = 90.0;
  const double random_p99 = std::log(100.0) * lbsim::analytic::mm1_mean_response_s(kLambda, kMu);
  const double rr_p99 = std::log(100.0) * lbsim::analytic::ekm1_mean_response_s(10, kLambda, kMu);
  REQUIRE(rr_p99 < 0.7 * random_p99);

  Scratch scratch;
  const std::string out = scratch.path("theory");
  const auto r = run_lbsim("compare " + scratch.scenario() +
                           " --strategies round_robin,random --replications 10 --threads 2 --quiet"
                           " --out " +
                           shell_quote(out));
  REQUIRE_MESSAGE(r.status == 0, r.output);
  const auto rows = read_csv(fs::path(out) / "compare.csv");
  const auto& rr = find_row(rows, "round_robin", "latency_p99_s");
  const auto& random = find_row(rows, "random", "latency_p99_s");
  INFO("theory: round_robin p99 " << rr_p99 << " s, random p99 " << random_p99 << " s");
  INFO("round_robin " << rr.at("mean") << " +- " << rr.at("half_width") << ", random "
                      << random.at("mean") << " +- " << random.at("half_width") << ", diff "
                      << random.at("diff_mean") << " [" << random.at("diff_low") << ", "
                      << random.at("diff_high") << "]");
  CHECK(std::stod(rr.at("mean")) < std::stod(random.at("mean")));
  // The paired difference random - round_robin excludes 0.
  CHECK(std::stod(random.at("diff_low")) > 0.0);

  // And it is the difference theory predicts. Each replication is 60 s after a 20 s warmup (five
  // relaxation times 1 / (mu (1 - sqrt(rho))^2) = 3.8 s of the slower M/M/1, so the start-up
  // bias is ~e^-5 of the initial deficit); the spread over 10 replications gives the standard
  // error SE = half_width / t_{0.975}(9). Tolerance: 4 SE (a 0.3% false-alarm chance for an
  // unbiased estimate; fixed seed) plus 3% of the exact value for what SE does not cover: the
  // histogram's 0.4% quantile error, the residual warmup bias, and the O(1/n) bias of a sample
  // quantile from strongly correlated response times.
  const double t9 = lbsim::analytic::student_t_quantile(0.975, 9);
  const double diff = std::stod(random.at("diff_mean"));
  const double diff_se = (std::stod(random.at("diff_high")) - diff) / t9;
  const double exact_diff = random_p99 - rr_p99;
  CHECK(std::abs(diff - exact_diff) <= 4 * diff_se + 0.03 * exact_diff);
  for (const auto* row : {&rr, &random}) {
    const double exact = row == &rr ? rr_p99 : random_p99;
    const double se = std::stod(row->at("half_width")) / t9;
    CHECK(std::abs(std::stod(row->at("mean")) - exact) <= 4 * se + 0.03 * exact);
  }
}
