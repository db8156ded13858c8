// lbsim sweep and lbsim capacity end to end. Capacity is checked on a fleet of M/M/1 servers
// under random dispatch, where the exact answer is known: each of n servers sees a Poisson stream
// of 1000/s / n, so its mean response is 1 / (100 - 1000/n) s.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/cli_util.hpp"

namespace lbsim::test {
namespace {

namespace fs = std::filesystem;

struct Scratch {
  fs::path dir;
  Scratch() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("lbsim_sweep_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("sweep: the grid's points x replications in one tidy CSV, and a summary per point") {
  const Scratch scratch;
  const auto r = run_cli(
      "sweep scenarios/example.yaml --grid workload.rate=1600/s,3200/s "
      "--grid balancer.strategy=random,round_robin -r 2 -q --set duration=20s --set warmup=0s "
      "--out " +
      shell_quote(scratch.dir.string()));
  REQUIRE_MESSAGE(r.status == 0, r.output);
  const auto rows = lines(read_file(scratch.dir / "sweep.csv"));
  REQUIRE(rows.size() == 1 + 4 * 2);
  CHECK(rows[0] ==
        "point,replication,workload.rate,balancer.strategy,offered_rate_per_s,throughput_per_s,"
        "error_rate,latency_mean_s,latency_p50_s,latency_p90_s,latency_p99_s,latency_p999_s,"
        "utilization_mean,utilization_max,utilization_imbalance,response_mean_s,response_p50_s,"
        "response_p90_s,response_p99_s,response_p999_s,traffic_imbalance");
  // The last axis varies fastest; replications are adjacent.
  CHECK(rows[1].rfind("0,0,1600/s,random,", 0) == 0);
  CHECK(rows[2].rfind("0,1,1600/s,random,", 0) == 0);
  CHECK(rows[3].rfind("1,0,1600/s,round_robin,", 0) == 0);
  CHECK(rows[8].rfind("3,1,3200/s,round_robin,", 0) == 0);
  const auto summary = lines(read_file(scratch.dir / "sweep_summary.csv"));
  CHECK(summary[0] ==
        "point,workload.rate,balancer.strategy,metric,mean,ci_low,ci_high,half_width,"
        "replications");
  CHECK(summary.size() == 1 + 4 * 17);
  // Common random numbers: both strategies at 1600/s saw the same arrivals, so the offered rate
  // of replication 0 is the same number for both points.
  const auto offered = [&](std::size_t row) {
    std::vector<std::string> cells;
    std::stringstream in(rows[row]);
    for (std::string cell; std::getline(in, cell, ',');) cells.push_back(cell);
    return cells.at(4);
  };
  CHECK(offered(1) == offered(3));
}

TEST_CASE("sweep: a bad grid is exit status 2") {
  CHECK(run_cli("sweep scenarios/example.yaml --grid workload.rate -q").status == 2);
  const auto bad_value =
      run_cli("sweep scenarios/example.yaml --grid workload.rate=1000/s,fast -q --out /tmp/never");
  CHECK(bad_value.status == 2);
  CHECK(bad_value.output.find("--set workload.rate") != std::string::npos);
  CHECK_FALSE(fs::exists("/tmp/never"));
}

TEST_CASE("capacity: the fewest M/M/1 servers for a mean response under 25 ms, and headroom") {
  // mean < 25 ms needs 100 - 1000 m / n > 40: n > 16.7 m. At 1x, 17 servers (24.4 ms; 16 give
  // 26.7 ms); at 0.5x, 9 (22.5 ms; 8 give 26.7 ms). The margins (3% and 7% at 1x) exceed the
  // noise of a 3 x 2-minute mean at utilisation 0.6 (relative standard error ~1%). The M/M/c
  // estimate is exact for this fleet. The current 20 servers break the bound above 1200/s:
  // headroom 1.2x, found by bisection to 2% (and the same noise).
  const Scratch scratch;
  const auto r = run_cli(
      "capacity tests/data/e2e/mm1_fleet.yaml --slo 'mean<25ms' --load 1x,0.5x -q"
      " --out " +
      shell_quote(scratch.dir.string()));
  REQUIRE_MESSAGE(r.status == 0, r.output);
  const auto rows = lines(read_file(scratch.dir / "capacity.csv"));
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] ==
        "load,rate_per_s,servers,analytic_servers,p99_s,error_rate,utilization_mean,meets_slo,"
        "response_p99_s");
  CHECK(rows[1].rfind("1,1000,17,17,", 0) == 0);
  CHECK(rows[2].rfind("0.5,500,9,9,", 0) == 0);
  const auto doc = nlohmann::json::parse(read_file(scratch.dir / "capacity.json"));
  const double headroom = doc["headroom"]["load"].get<double>();
  CHECK(headroom > 1.12);
  CHECK(headroom < 1.28);
  CHECK(doc["headroom"]["servers"] == 20);
  CHECK(doc["levels"][0]["servers"] == 17);
}

}  // namespace lbsim::test
