// Outlier detection (sim/model/health_outlier.cpp) through Health's own API, the interval timer
// driven by hand as Envoy's own tests drive theirs (test/common/upstream/
// outlier_detection_impl_test.cc): the exact ejection and return times of EjectTimeBackoff and
// MaxEjectTime, the max_ejection_percent rule of MaxEjectionPercentage / SingleHost / Overflow,
// the success-rate threshold of SRThreshold and BasicFlowSuccessRateExternalOrigin, the 83.3% /
// 85.7% pair of BasicFlowFailurePercentageExternalOrigin, and what a timeout counts as with and
// without split_external_local_origin_errors (TimeoutWithHttpCode, LargeNumberOfTimeouts).
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "tests/model/components.hpp"

namespace lbsim::test {
namespace {

SimulationConfig outlier_config(int servers, double max_ejection_fraction = 0.5) {
  SimulationConfig config = component_config(servers);
  OutlierConfig& outlier = config.balancer.outlier;
  outlier.enabled = true;
  outlier.interval_ns = 10 * kSecond;
  outlier.base_ejection_ns = 10 * kSecond;
  outlier.max_ejection_ns = 300 * kSecond;
  outlier.max_ejection_fraction = max_ejection_fraction;
  return config;
}

void observe_n(Health& health, SimTime now, std::uint32_t server, ErrorKind kind, int n) {
  for (int i = 0; i < n; ++i) health.observe(now, server, kind);
}

// The detector's epoch is 0 until a set_outlier_detection action.
void tick(ModelRig& rig, SimTime now) {
  rig->health.handle_outlier_tick(now, 0);
}

bool ejected(ModelRig& rig, std::uint32_t server) {
  return rig->fleet.has(server, kEjected);
}

}  // namespace

TEST_CASE("EjectTimeBackoff: base x backoff, ended by the interval tick; healthy ticks decay it") {
  ModelRig rig(outlier_config(10));
  Health& health = rig->health;
  const auto eject_at = [&](SimTime t) {
    observe_n(health, t, 0, ErrorKind::kQueueFull, 5);
    REQUIRE(ejected(rig, 0));
  };
  eject_at(0);  // backoff 1: 10 s
  CHECK(rig.observer.logs_of("outlier_eject")[0].detail ==
        "5 consecutive 5xx (consecutive_errors); ejected for 10.000000 s, until the first "
        "interval after");
  tick(rig, 10 * kSecond);
  CHECK_FALSE(ejected(rig, 0));
  eject_at(10 * kSecond);  // backoff 2: 20 s
  tick(rig, 20 * kSecond);
  CHECK(ejected(rig, 0));
  tick(rig, 30 * kSecond);
  CHECK_FALSE(ejected(rig, 0));
  eject_at(30 * kSecond);  // backoff 3: 30 s
  tick(rig, 40 * kSecond);
  tick(rig, 50 * kSecond);
  CHECK(ejected(rig, 0));
  tick(rig, 60 * kSecond);
  CHECK_FALSE(ejected(rig, 0));
  // Two healthy ticks bring the backoff from 3 to 1 (the tick that returned it counts 0 s).
  tick(rig, 70 * kSecond);
  tick(rig, 80 * kSecond);
  eject_at(80 * kSecond);  // backoff 2: 20 s
  tick(rig, 90 * kSecond);
  CHECK(ejected(rig, 0));
  tick(rig, 100 * kSecond);
  CHECK_FALSE(ejected(rig, 0));
  // 50 healthy ticks take the backoff to 0: an ejection at 610 s lasts one base, 10 s.
  for (int i = 1; i <= 50; ++i) tick(rig, (100 + 10 * i) * kSecond);
  eject_at(610 * kSecond);
  tick(rig, 620 * kSecond);
  CHECK_FALSE(ejected(rig, 0));
  const auto returns = rig.observer.logs_of("outlier_return");
  REQUIRE(returns.size() == 5);
  CHECK(returns[4].at == 620 * kSecond);
  CHECK(returns[4].detail == "ejection over");
}

TEST_CASE("MaxEjectTime: the backoff stops growing at max + base; the 30th ejection on last 300 s") {
  ModelRig rig(outlier_config(10));
  std::vector<std::string> details;
  SimTime now = 0;
  observe_n(rig->health, now, 0, ErrorKind::kQueueFull, 5);
  while (details.size() < 33) {
    now += 10 * kSecond;
    tick(rig, now);
    if (!ejected(rig, 0)) {
      observe_n(rig->health, now, 0, ErrorKind::kQueueFull, 5);  // fails again at once
      REQUIRE(ejected(rig, 0));
    }
    const auto ejects = rig.observer.logs_of("outlier_eject");
    details.resize(0);
    for (const auto& e : ejects) details.push_back(e.detail);
  }
  // Ejection k lasts min(10 k, 300) s: the 29th 290 s, every later one 300 s.
  CHECK(details[28].find("ejected for 290.000000 s") != std::string::npos);
  for (std::size_t k = 29; k < details.size(); ++k) {
    CHECK(details[k].find("ejected for 300.000000 s") != std::string::npos);
  }
}

TEST_CASE("max_ejection_percent: 100 x (ejected + 1) / hosts <= the percentage") {
  {  // MaxEjectionPercentage: 50%, 3 hosts: 1 ejected (66.7% > 50% for a second).
    ModelRig rig(outlier_config(3, 0.5));
    for (std::uint32_t s = 0; s < 3; ++s) observe_n(rig->health, 0, s, ErrorKind::kQueueFull, 5);
    CHECK(ejected(rig, 0));
    CHECK_FALSE(ejected(rig, 1));
    CHECK_FALSE(ejected(rig, 2));
  }
  {  // MaxEjectionPercentageSingleHost: 90%, 1 host: 100% > 90%, not ejected.
    ModelRig rig(outlier_config(1, 0.9));
    observe_n(rig->health, 0, 0, ErrorKind::kQueueFull, 5);
    CHECK_FALSE(ejected(rig, 0));
    // always_eject_one_host lets the first ejection through.
    rig->settings.outlier.always_eject_one_host = true;
    observe_n(rig->health, 0, 0, ErrorKind::kQueueFull, 5);
    CHECK(ejected(rig, 0));
  }
  {  // Overflow: 60%, 2 hosts: host 0 ejected, host 1 not (100% > 60%), one overflow.
    ModelRig rig(outlier_config(2, 0.6));
    observe_n(rig->health, 0, 0, ErrorKind::kQueueFull, 5);
    observe_n(rig->health, 0, 1, ErrorKind::kQueueFull, 5);
    CHECK(ejected(rig, 0));
    CHECK_FALSE(ejected(rig, 1));
    // Host 1's 5 errors are a gateway-failure detection (not enforced: no line) and a 5xx one.
    CHECK(rig.observer.logs_of("outlier_overflow").size() == 1);
  }
  {  // The default 10%: 9 hosts eject nothing, 10 hosts one.
    SimulationConfig nine = outlier_config(9, 0.1);
    ModelRig rig(nine);
    observe_n(rig->health, 0, 0, ErrorKind::kQueueFull, 5);
    CHECK_FALSE(ejected(rig, 0));
    ModelRig ten(outlier_config(10, 0.1));
    observe_n(ten->health, 0, 0, ErrorKind::kQueueFull, 5);
    observe_n(ten->health, 0, 1, ErrorKind::kQueueFull, 5);
    CHECK(ejected(ten, 0));
    CHECK_FALSE(ejected(ten, 1));
  }
}

TEST_CASE("success rate: mean - 1.9 stdev over hosts with 100 requests; {50,100,100,100,100}") {
  // BasicFlowSuccessRateExternalOrigin: 5 hosts with 200 successes each; host 4 also 200 503s
  // (alternating, so no 5 in a row). Rates 50 and 100 x 4: mean 90, population stdev 20,
  // threshold 90 - 1.9 x 20 = 52: host 4 is ejected at the tick.
  ModelRig rig(outlier_config(5, 0.5));
  for (std::uint32_t s = 0; s < 5; ++s) {
    for (int i = 0; i < 200; ++i) {
      rig->health.observe(kSecond, s, ErrorKind::kNone);
      if (s == 4) rig->health.observe(kSecond, s, ErrorKind::kQueueFull);
    }
  }
  CHECK_FALSE(ejected(rig, 4));
  tick(rig, 10 * kSecond);
  CHECK(ejected(rig, 4));
  const auto ejects = rig.observer.logs_of("outlier_eject");
  REQUIRE(ejects.size() == 1);
  CHECK(ejects[0].detail ==
        "success rate 50.00% < threshold 52.00% (mean 90.00%); ejected for 10.000000 s, until "
        "the first interval after");
  // The next interval has 25 requests per host: under the volume of 100, no host is rated.
  tick(rig, 20 * kSecond);  // host 4 back (10 s over)
  CHECK_FALSE(ejected(rig, 4));
  for (std::uint32_t s = 0; s < 5; ++s) {
    for (int i = 0; i < 25; ++i) {
      rig->health.observe(21 * kSecond, s, ErrorKind::kNone);
      if (s == 4) rig->health.observe(21 * kSecond, s, ErrorKind::kQueueFull);
    }
  }
  tick(rig, 30 * kSecond);
  CHECK_FALSE(ejected(rig, 4));
  // A host exactly at the threshold stays: ejection needs a rate strictly below it. Factor 0:
  // threshold = mean; all five at 100% are at the mean.
  rig->settings.outlier.success_rate_stdev_factor = 0;
  for (std::uint32_t s = 0; s < 5; ++s) observe_n(rig->health, 31 * kSecond, s, ErrorKind::kNone, 100);
  tick(rig, 40 * kSecond);
  CHECK(rig.observer.logs_of("outlier_eject").size() == 1);
}

TEST_CASE("failure percentage: 83.3% kept, 85.7% ejected against the 85% threshold") {
  // BasicFlowFailurePercentageExternalOrigin: 5 hosts x 50 successes; host 3 + 250 503s, host 4
  // + 300 (consecutive detection off here so the runs of failures do not eject first). Success
  // rates 16.67% and 14.29%; only hosts 3 and 4 reach the success-rate volume (2 < 5 hosts).
  SimulationConfig config = outlier_config(5, 0.5);
  config.balancer.outlier.consecutive_errors = 100000;
  config.balancer.outlier.consecutive_gateway_failure = 100000;
  config.balancer.outlier.enforcing_failure_percentage = 1.0;
  ModelRig rig(config);
  for (std::uint32_t s = 0; s < 5; ++s) observe_n(rig->health, kSecond, s, ErrorKind::kNone, 50);
  observe_n(rig->health, kSecond, 3, ErrorKind::kQueueFull, 250);
  observe_n(rig->health, kSecond, 4, ErrorKind::kQueueFull, 300);
  tick(rig, 10 * kSecond);
  CHECK_FALSE(ejected(rig, 3));
  CHECK(ejected(rig, 4));
  const auto ejects = rig.observer.logs_of("outlier_eject");
  REQUIRE(ejects.size() == 1);
  CHECK(ejects[0].detail.rfind("failure percentage 85.71% >= 85.00%", 0) == 0);
}

TEST_CASE("failure percentage is off by default (enforcing_failure_percentage 0)") {
  SimulationConfig config = outlier_config(5, 0.5);
  config.balancer.outlier.consecutive_errors = 100000;
  config.balancer.outlier.consecutive_gateway_failure = 100000;
  config.balancer.outlier.enforcing_success_rate = 0.0;
  ModelRig rig(config);
  for (std::uint32_t s = 0; s < 5; ++s) observe_n(rig->health, kSecond, s, ErrorKind::kNone, 50);
  observe_n(rig->health, kSecond, 4, ErrorKind::kQueueFull, 300);
  tick(rig, 10 * kSecond);
  CHECK_FALSE(ejected(rig, 4));
}

TEST_CASE("a timeout is a 504 (a 5xx) unless local-origin errors are split") {
  {  // TimeoutWithHttpCode: 5 timeouts eject as consecutive 5xx.
    ModelRig rig(outlier_config(10));
    observe_n(rig->health, 0, 0, ErrorKind::kTimeout, 5);
    REQUIRE(ejected(rig, 0));
    CHECK(rig.observer.logs_of("outlier_eject")[0].detail.rfind("5 consecutive 5xx", 0) == 0);
  }
  SimulationConfig config = outlier_config(10);
  config.balancer.outlier.split_external_local_origin_errors = true;
  {  // LargeNumberOfTimeouts (split): consecutive local-origin failures.
    ModelRig rig(config);
    observe_n(rig->health, 0, 0, ErrorKind::kTimeout, 5);
    REQUIRE(ejected(rig, 0));
    CHECK(rig.observer.logs_of("outlier_eject")[0].detail.rfind(
              "5 consecutive local-origin failures", 0) == 0);
  }
  {  // Split: 3 timeouts then 2 of the server's 503s are neither 5 local nor 5 external.
    ModelRig rig(config);
    observe_n(rig->health, 0, 0, ErrorKind::kTimeout, 3);
    observe_n(rig->health, 0, 0, ErrorKind::kQueueFull, 2);
    CHECK_FALSE(ejected(rig, 0));
    // ... while 5 503s in a row are 5 consecutive 5xx.
    observe_n(rig->health, 0, 0, ErrorKind::kQueueFull, 3);
    CHECK(ejected(rig, 0));
  }
  {  // Not split: the same 3 + 2 are 5 consecutive 5xx.
    ModelRig rig(outlier_config(10));
    observe_n(rig->health, 0, 0, ErrorKind::kTimeout, 3);
    observe_n(rig->health, 0, 0, ErrorKind::kQueueFull, 2);
    CHECK(ejected(rig, 0));
  }
}

TEST_CASE("what counts: a success resets the run; a circuit breaker's rejection is not the host's") {
  ModelRig rig(outlier_config(10));
  Health& health = rig->health;
  observe_n(health, 0, 0, ErrorKind::kQueueFull, 4);
  health.observe(0, 0, ErrorKind::kNone);
  observe_n(health, 0, 0, ErrorKind::kRefused, 4);
  health.observe(0, 0, ErrorKind::kCircuitOpen);
  health.observe(0, 0, ErrorKind::kNoHealthyBackend);
  CHECK_FALSE(ejected(rig, 0));
  health.observe(0, 0, ErrorKind::kCrashLost);  // the fifth in a row
  CHECK(ejected(rig, 0));
}

TEST_CASE("consecutive gateway failures eject only when enforced (enforcing 0 by default)") {
  SimulationConfig config = outlier_config(10);
  config.balancer.outlier.consecutive_errors = 100;
  config.balancer.outlier.consecutive_gateway_failure = 3;
  {
    ModelRig rig(config);
    observe_n(rig->health, 0, 0, ErrorKind::kQueueFull, 3);
    CHECK_FALSE(ejected(rig, 0));
  }
  config.balancer.outlier.enforcing_consecutive_gateway_failure = 1.0;
  ModelRig rig(config);
  observe_n(rig->health, 0, 0, ErrorKind::kQueueFull, 3);
  REQUIRE(ejected(rig, 0));
  CHECK(rig.observer.logs_of("outlier_eject")[0].detail.rfind(
            "3 consecutive gateway failures (consecutive_gateway_failure)", 0) == 0);
}

TEST_CASE("a passing active health check ends an ejection at once (Envoy's default)") {
  SimulationConfig config = outlier_config(10);
  config.balancer.health_check.enabled = true;
  config.balancer.health_check.out_of_band = true;  // a probe passes at once
  ModelRig rig(config);
  observe_n(rig->health, kSecond, 0, ErrorKind::kQueueFull, 5);
  REQUIRE(ejected(rig, 0));
  rig->health.handle_probe_send(2 * kSecond, 0, 0);
  CHECK_FALSE(ejected(rig, 0));
  CHECK(rig.observer.logs_of("outlier_return")[0].detail == "active health check passed");
  // Turned off, the ejection waits for the interval timer.
  rig->settings.outlier.successful_active_health_check_uneject_host = false;
  observe_n(rig->health, 3 * kSecond, 0, ErrorKind::kQueueFull, 5);
  REQUIRE(ejected(rig, 0));
  rig->health.handle_probe_send(4 * kSecond, 0, 0);
  CHECK(ejected(rig, 0));
}

}  // namespace lbsim::test

namespace lbsim::test {

TEST_CASE("L4 (unit: connection): the server's 503s are successful connections to outlier detection") {
  SimulationConfig config = outlier_config(10);
  config.balancer.unit = BalancingUnit::kConnection;
  ModelRig rig(config);
  observe_n(rig->health, 0, 0, ErrorKind::kQueueFull, 50);
  CHECK_FALSE(ejected(rig, 0));
  // Connect failures and timeouts still count (Envoy's TCP proxy reports them).
  observe_n(rig->health, 0, 0, ErrorKind::kRefused, 4);
  rig->health.observe(0, 0, ErrorKind::kQueueFull);  // a good connection: the run restarts
  observe_n(rig->health, 0, 0, ErrorKind::kTimeout, 4);
  CHECK_FALSE(ejected(rig, 0));
  rig->health.observe(0, 0, ErrorKind::kCrashLost);
  CHECK(ejected(rig, 0));
}

}  // namespace lbsim::test

namespace lbsim::test {

TEST_CASE("max_ejection_percent in whole percent: 29% of 100 hosts is 29 ejections") {
  // 0.29 x 100 is 28.999999999999996 in floating point; the cap is compared in integers.
  ModelRig rig(outlier_config(100, 0.29));
  for (std::uint32_t s = 0; s < 35; ++s) observe_n(rig->health, 0, s, ErrorKind::kQueueFull, 5);
  CHECK(rig->fleet.hosts() - rig->fleet.healthy_hosts() == 29);
}

TEST_CASE("a server that leaves the fleet leaves its ejection behind") {
  // 20% of 10 hosts: 2 at once. Server 0 ejected, then removed: 9 hosts, 20% allows one
  // ejection (100 <= 180, 200 > 180), which the removed server must not hold.
  ModelRig rig(outlier_config(10, 0.2));
  observe_n(rig->health, 0, 0, ErrorKind::kQueueFull, 5);
  REQUIRE(ejected(rig, 0));
  rig->remove_server(kSecond, 0);
  CHECK_FALSE(ejected(rig, 0));
  observe_n(rig->health, 2 * kSecond, 1, ErrorKind::kQueueFull, 5);
  CHECK(ejected(rig, 1));
  observe_n(rig->health, 2 * kSecond, 2, ErrorKind::kQueueFull, 5);
  CHECK_FALSE(ejected(rig, 2));
}

}  // namespace lbsim::test

namespace lbsim::test {

TEST_CASE("split: the local-origin success-rate pass rates timeouts, the external one does not") {
  // As BasicFlowSuccessRateExternalOrigin, with timeouts (local origin) instead of 503s: host 4
  // has 200 successes and 200 timeouts, interleaved. Split: its local-origin success rate is 50%
  // against a threshold of 52 (mean 90, stdev 20): ejected by enforcing_local_origin_success_rate
  // (100%); its external rate is 100%. Off (0%), nothing is ejected.
  SimulationConfig config = outlier_config(5, 0.5);
  config.balancer.outlier.split_external_local_origin_errors = true;
  for (const double enforcing : {1.0, 0.0}) {
    CAPTURE(enforcing);
    config.balancer.outlier.enforcing_local_origin_success_rate = enforcing;
    ModelRig rig(config);
    for (std::uint32_t s = 0; s < 5; ++s) {
      for (int i = 0; i < 200; ++i) {
        rig->health.observe(kSecond, s, ErrorKind::kNone);
        if (s == 4) rig->health.observe(kSecond, s, ErrorKind::kTimeout);
      }
    }
    tick(rig, 10 * kSecond);
    CHECK(ejected(rig, 4) == (enforcing > 0.0));
    if (enforcing > 0.0) {
      CHECK(rig.observer.logs_of("outlier_eject")[0].detail.rfind(
                "local-origin success rate 50.00% < threshold 52.00%", 0) == 0);
    }
  }
}

TEST_CASE("an enforcing share between 0 and 100% ejects that share of the detections") {
  // 400 hosts, 100% may be ejected, each detected once (5 in a row): with enforcing 50% the
  // ejections are Binomial(400, 1/2): 200 +- 10 (1 sd); 5 sd either side.
  SimulationConfig config = outlier_config(400, 1.0);
  config.balancer.outlier.enforcing_consecutive_errors = 0.5;
  ModelRig rig(config);
  for (std::uint32_t s = 0; s < 400; ++s) observe_n(rig->health, 0, s, ErrorKind::kQueueFull, 5);
  const auto ejected_count = rig->fleet.hosts() - rig->fleet.healthy_hosts();
  CHECK(ejected_count >= 150);
  CHECK(ejected_count <= 250);
}

TEST_CASE("max_ejection_jitter adds whole milliseconds in [0, jitter] to the ejection") {
  SimulationConfig config = outlier_config(50, 1.0);
  config.balancer.outlier.max_ejection_jitter_ns = 10 * kSecond;
  ModelRig rig(config);
  for (std::uint32_t s = 0; s < 50; ++s) observe_n(rig->health, 0, s, ErrorKind::kQueueFull, 5);
  const auto ejects = rig.observer.logs_of("outlier_eject");
  REQUIRE(ejects.size() == 50);
  std::set<std::string> durations;
  for (const auto& e : ejects) {
    const std::size_t at = e.detail.find("ejected for ");
    REQUIRE(at != std::string::npos);
    const double seconds = std::stod(e.detail.substr(at + 12));
    CHECK(seconds >= 10.0);  // base 10 s
    CHECK(seconds <= 20.0);  // + at most 10 s
    CHECK(std::abs(seconds * 1000 - std::round(seconds * 1000)) < 1e-6);  // whole ms
    durations.insert(e.detail.substr(at));
  }
  // 50 draws from 10,001 values: all equal only by a wildly improbable chance.
  CHECK(durations.size() > 40);
  // A server whose jittered time is over returns at the first tick after it, not before.
  tick(rig, 10 * kSecond);
  tick(rig, 20 * kSecond);
  for (std::uint32_t s = 0; s < 50; ++s) CHECK_FALSE(ejected(rig, s));
}

}  // namespace lbsim::test
