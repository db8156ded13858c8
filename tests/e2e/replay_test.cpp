// lbsim replay and lbsim check, end to end on scenarios/weight_cascade.yaml: the story on the
// scenario's clock, the run directory, the what-if table, and the pre-rollout check's verdicts
// and exit statuses.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/cli_util.hpp"

namespace lbsim::test {
namespace {

namespace fs = std::filesystem;

struct Scratch {
  fs::path dir;
  Scratch() {
    static int counter = 0;
    dir = fs::temp_directory_path() /
          ("lbsim_replay_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(dir);
  }
  ~Scratch() { fs::remove_all(dir); }
};

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The rollback is at 960 s; 17 minutes measured after the 1-minute warmup end the run at 1080 s,
// time enough to recover.
const std::string kCascade = "scenarios/weight_cascade.yaml --set duration=17m";

}  // namespace

TEST_CASE("replay tells the incident on the scenario's clock and writes the run directory") {
  const Scratch scratch;
  const auto r = run_cli("replay " + kCascade + " --out " + shell_quote(scratch.dir.string()));
  REQUIRE_MESSAGE(r.status == 0, r.output);
  // The change at 08:35; the first alert (fleet_down: every server out) at the end of the first
  // window after it; the rollback at 08:45, and the recovery with it.
  CHECK(has(r.output, "incident replay: weight_cascade  (2024-04-10, UTC)"));
  CHECK(has(r.output, "started    08:35:00"));
  CHECK(has(r.output, "detected   08:35:10  +10 s  alert fleet_down"));
  CHECK(has(r.output, "mitigated  08:45:00  +10.0 min  rollback balancer: to before lb_change"));
  CHECK(has(r.output, "recovered  08:45:"));
  CHECK(has(r.output, "cascade (each server's first failure)"));
  CHECK(has(r.output, "08:37:00  note  timeline: on-call paged; DDoS suspected"));
  // The report is written by default: the page and its plots.
  for (const char* file : {"summary.json", "timeseries.csv", "servers.csv", "events.csv",
                           "replay.txt", "report.html", "timeline.png", "utilization.png"}) {
    CHECK_MESSAGE(fs::exists(scratch.dir / file), file);
  }
  CHECK(read_file(scratch.dir / "replay.txt") ==
        r.output.substr(0, r.output.find("\nrun directory")));
  const auto summary = nlohmann::json::parse(read_file(scratch.dir / "summary.json"));
  const auto& incident = summary["incident"];
  CHECK(incident["start_s"] == 360.0);
  CHECK(incident["mitigated_s"] == 960.0);
  CHECK(incident["servers_crashed"] == 5);
  // The two servers whose weight went to 10 crashed first and are listed as overloaded.
  const auto& overloaded = incident["servers"]["overloaded"];
  CHECK(std::find(overloaded.begin(), overloaded.end(), "web-0") != overloaded.end());
  CHECK(std::find(overloaded.begin(), overloaded.end(), "web-1") != overloaded.end());
  CHECK(summary["clock"]["start_epoch_s"] == 1712737740);
}

TEST_CASE("replay --what-if: the pre-rollout check prevents it, the auto-rollback reduces it") {
  const Scratch scratch;
  const auto r =
      run_cli("replay " + kCascade + " --what-if pre_rollout_check auto_rollback -r 3 -q" +
              " --out " + shell_quote(scratch.dir.string()));
  REQUIRE_MESSAGE(r.status == 0, r.output);
  const std::string table = read_file(scratch.dir / "whatif.csv");
  REQUIRE(!table.empty());
  CHECK(has(table,
            "what_if,metric,mean,ci_low,ci_high,half_width,diff_mean,diff_low,diff_high,"
            "replications,verdict\n"));
  // The verdict of each what-if on each of its rows; the baseline has none.
  CHECK(has(table, ",3,prevents\n"));
  CHECK(has(table, ",3,reduces\n"));
  CHECK(has(table, "baseline,failed_requests,"));
  CHECK_FALSE(has(table, ",3,mixed\n"));
  // Without the change nothing fails in any replication: exactly 0 with a zero-width interval.
  CHECK(has(table, "pre_rollout_check,users_affected_fraction,0,0,0,0,"));
  CHECK(has(table, "pre_rollout_check,impact_s,0,0,0,0,"));
  const std::string story = read_file(scratch.dir / "replay.txt");
  CHECK(has(story, "pre_rollout_check (the change blocked by lbsim check): prevents the incident"));
  CHECK(has(story, "auto_rollback (roll back 30 s after the error alert fires): reduces failures by"));
  CHECK(has(story, "impact avoided against the baseline"));
}

TEST_CASE("replay marks which figures are inputs of the scenario and sets the document beside") {
  // 2024-05-05: the rollback is a dated action, so the end of the impact follows it (an input);
  // the detection emerged from the alert; users_affected is listed as tuned to match.
  const Scratch scratch;
  const auto r = run_cli("replay scenarios/postmortems/2024-05-05_messaging.yaml -q --no-report "
                         "--out " + shell_quote(scratch.dir.string()));
  REQUIRE_MESSAGE(r.status == 0, r.output);
  const std::string story = read_file(scratch.dir / "replay.txt");
  CHECK(has(story, "ended by the scripted mitigation: its length is an input of the scenario"));
  CHECK(has(story, "[input: follows the scripted mitigation]"));
  CHECK(has(story, "documented vs replayed"));
  const auto summary = nlohmann::json::parse(read_file(scratch.dir / "summary.json"));
  const auto& rows = summary["incident"]["documented"];
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == nlohmann::json({{"figure", "start"}, {"documented", "08:30"},
                                   {"replayed", "08:29:30"}, {"input", true}}));
  CHECK(rows[1]["figure"] == "detected");
  CHECK(rows[1]["replayed"] == "08:30:00");
  CHECK(rows[1]["input"] == false);
  CHECK(rows[2]["figure"] == "end");
  CHECK(rows[2]["input"] == true);
  CHECK(rows[3]["figure"] == "users_affected");
  CHECK(rows[3]["replayed"] == "30.1%");
  CHECK(rows[3]["input"] == true);
  // An inputs entry that is not a documented figure is a located error.
  const auto bad = run_cli(
      "validate scenarios/postmortems/2024-05-05_messaging.yaml "
      "--set 'incident.documented={start: \"08:30\", inputs: [end]}'");
  CHECK(bad.status == 2);
  CHECK(has(bad.output, "incident.documented.inputs.0: expected one of the documented figures"));
}

TEST_CASE("replay: bad input is exit status 2 with what was expected") {
  const auto unknown = run_cli("replay " + kCascade + " --what-if nope -q --out /tmp/lbsim_never");
  CHECK(unknown.status == 2);
  CHECK(has(unknown.output,
            "--what-if nope: expected a what-if of scenarios/weight_cascade.yaml "
            "(pre_rollout_check, auto_rollback, least_request, no_crash)"));
  CHECK_FALSE(fs::exists("/tmp/lbsim_never"));
  const auto nothing = run_cli("replay scenarios/example.yaml -q --out /tmp/lbsim_never");
  CHECK(nothing.status == 2);
  CHECK(has(nothing.output, "nothing to replay"));
  CHECK(run_cli("replay " + kCascade + " --what-if all -r 1").status == 2);
}

TEST_CASE("check blocks the weight change and passes a benign one") {
  const std::string base = "check scenarios/weight_cascade.yaml --change lb_change --duration 2m";
  const std::string check = base + " --slo 'p99<300ms,errors<0.1%'";
  const auto bad = run_cli(check);
  CHECK_MESSAGE(bad.status == 3, bad.output);
  CHECK(has(bad.output, "BLOCK: lb_change breaches the SLO:"));
  CHECK(has(bad.output, "error rate"));
  CHECK(has(bad.output, "(before the change: 0%)"));
  // A benign change: web-0 weighted 1.2 instead of 1 moves a little load, within every bound.
  const auto benign = run_cli(
      check + " --set 'timeline.0.weights={web-0: 1.2, web-1: 1, web-2: 1, web-3: 1, web-4: 1}'");
  CHECK_MESSAGE(benign.status == 0, benign.output);
  CHECK(has(benign.output, "PASS: lb_change keeps every bound"));
  // The imbalance limit alone blocks a change that keeps errors but unbalances load: weights
  // 1.6, 1, 1, 1, 1 give web-0 1.6 / 5.6 of 1200/s, utilisation 0.86 against 0.54 for the others:
  // imbalance 0.86 / 0.6 = 1.43, over a limit of 1.2, with nothing failing.
  const auto uneven = run_cli(
      base + " --set 'timeline.0.weights={web-0: 1.6, web-1: 1, web-2: 1, web-3: 1, web-4: 1}'" +
      " --max-imbalance 1.2 --slo 'errors<50%'");
  CHECK_MESSAGE(uneven.status == 3, uneven.output);
  CHECK(has(uneven.output, "utilisation imbalance"));
}

TEST_CASE("check blocks a change after which nothing is served") {
  // A circuit breaker with max_requests 0 rejects every attempt: nothing completes, so there is
  // no completed-request p99 at all. No value cannot show the bound is kept: the change is
  // blocked. (The failure-aware p99 has a value, the immediate 503s; the error rate says they
  // failed.)
  const auto r = run_cli(
      "check scenarios/weight_cascade.yaml --change lb_change --duration 2m "
      "--slo 'latency_p99<300ms' "
      "--set 'timeline.0={at: \"08:35\", action: set_circuit_breakers, name: lb_change, "
      "circuit_breakers: {max_requests: 0}}'");
  CHECK_MESSAGE(r.status == 3, r.output);
  CHECK(r.output.find("99th percentile latency of completed requests no value") !=
        std::string::npos);
}

TEST_CASE("check: a bad SLO or an unknown change is bad input") {
  const auto slo = run_cli("check scenarios/weight_cascade.yaml --change lb_change --slo 'p99>1s'");
  CHECK(slo.status == 2);
  CHECK(has(slo.output, "--slo p99>1s: expected terms like p99<300ms,errors<0.1%"));
  const auto unit = run_cli("check scenarios/weight_cascade.yaml --change lb_change --slo 'p99<3'");
  CHECK(unit.status == 2);
  const auto change = run_cli("check scenarios/weight_cascade.yaml --change nope --slo 'p99<1s'");
  CHECK(change.status == 2);
  CHECK(has(change.output,
            "--change nope: expected a named timeline action of "
            "scenarios/weight_cascade.yaml (lb_change)"));
}

}  // namespace lbsim::test
