// The pre-rollout check every one of the five postmortems asks for: lbsim check blocks each
// documented misconfiguration (the scenario's lb_change) against a plain SLO, and passes a
// benign weight change.
#include <doctest/doctest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/e2e/cli_util.hpp"

namespace lbsim::test {

TEST_CASE("lbsim check blocks each of the five postmortems' changes") {
  // p99 under 2 s and 0.1% errors: every service here meets it before its change (response times
  // of 100-150 ms at utilisation 0.4-0.55), and each change breaks it within the 5 minutes checked
  // after the warmup, by the mechanism its replay shows (crash loops, a saturated server's 503s,
  // a backlog of timeouts).
  for (const char* scenario :
       {"2024-05-05_messaging", "2023-11-05_messaging", "2024-04-08_platform", "2024-04-10_backend",
        "2024-05-30_web_service"}) {
    CAPTURE(scenario);
    const auto r =
        run_cli(std::string("check scenarios/postmortems/") + scenario +
                ".yaml --change lb_change --slo 'p99<2s,errors<0.1%' --duration 5m -r 2");
    CHECK_MESSAGE(r.status == 3, r.output);
    CHECK(r.output.find("BLOCK: lb_change breaches the SLO:") != std::string::npos);
  }
}

TEST_CASE("lbsim check passes a benign change to a postmortem's fleet") {
  // The 2024-05-05 messaging fleet with msg-0 weighted 1.1 instead of 1: Maglev gives it
  // 1.1 / 16.1 of the users, utilisation 0.53 instead of 0.49 (imbalance ~1.09), nothing fails.
  const auto r = run_cli(
      "check scenarios/postmortems/2024-05-05_messaging.yaml --change lb_change "
      "--slo 'p99<2s,errors<0.1%' --duration 5m -r 2 --set 'timeline.0.weights={msg-0: 1.1}'");
  CHECK_MESSAGE(r.status == 0, r.output);
  CHECK(r.output.find("PASS: lb_change keeps every bound") != std::string::npos);
}

TEST_CASE("lbsim check --json writes the verdict and every breach; --out writes check.json") {
  const std::string json_path = std::filesystem::temp_directory_path() /
                                ("lbsim_check_" + std::to_string(::getpid()) + ".json");
  const auto r = run_cli(
      "check scenarios/postmortems/2024-05-30_web_service.yaml --change lb_change "
      "--slo 'p99<2s,errors<0.1%' --duration 2m -r 2 -q --json " + shell_quote(json_path));
  CHECK_MESSAGE(r.status == 3, r.output);
  const nlohmann::json doc = nlohmann::json::parse(read_file(json_path));
  std::filesystem::remove(json_path);
  CHECK(doc["verdict"] == "BLOCK");
  CHECK(doc["change"] == "lb_change");
  REQUIRE(doc["terms"].size() == 3);  // p99, errors, and the imbalance limit
  CHECK(doc["terms"][0]["metric"] == "response_p99_s");
  bool errors_breached = false;
  for (const auto& breach : doc["breaches"]) {
    errors_breached = errors_breached || breach["metric"] == "error_rate";
  }
  CHECK(errors_breached);
  // Four servers crash-loop after this change: they are listed as down, not as least busy.
  CHECK(doc["down"].size() == 4);
  for (const auto& down : doc["down"]) CHECK(down["name"] != doc["least_busy"]["name"]);

  const std::string out = std::filesystem::temp_directory_path() /
                          ("lbsim_check_dir_" + std::to_string(::getpid()));
  const auto o = run_cli(
      "check scenarios/postmortems/2024-05-30_web_service.yaml --change lb_change "
      "--slo 'p99<2s,errors<0.1%' --duration 2m -r 2 -q --force --out " + shell_quote(out));
  CHECK(o.status == 3);
  CHECK(std::filesystem::exists(std::filesystem::path(out) / "check.json"));
  CHECK(std::filesystem::exists(std::filesystem::path(out) / "run.json"));
  std::filesystem::remove_all(out);
}

}  // namespace lbsim::test
