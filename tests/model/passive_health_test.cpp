// nginx passive health (sim/model/health_passive.cpp): max_fails and fail_timeout as
// ngx_http_upstream_round_robin.c applies them on its one-second clock. Exact times from that
// code: a failure in second 0 bans through second 10, one probe at second 11; successes within
// fail_timeout of a failure do not reset the count (failures at 0, 8 and 16 s reach max_fails 3);
// a fleet of one is never banned.
#include <doctest/doctest.h>

#include "tests/model/components.hpp"

namespace lbsim::test {
namespace {

SimulationConfig passive_config(int servers, int max_fails) {
  SimulationConfig config = component_config(servers);
  config.balancer.passive_health.enabled = true;
  config.balancer.passive_health.max_fails = max_fails;
  return config;
}

}  // namespace

TEST_CASE("max_fails 1: banned through fail_timeout, then one probe; its success unbans") {
  ModelRig rig(passive_config(3, 1));
  Health& health = rig->health;
  health.observe(500 * kMillisecond, 0, ErrorKind::kRefused);
  CHECK(rig->fleet.has(0, kBanned));
  CHECK(rig.observer.logs_of("passive_down")[0].detail ==
        "1 failed attempts (max_fails 1); skipped until 11 s");
  rig.run_until(10999 * kMillisecond);
  CHECK(rig->fleet.has(0, kBanned));  // now - checked = 10 <= fail_timeout through second 10
  rig.run_until(11 * kSecond + 1);
  CHECK_FALSE(rig->fleet.has(0, kBanned));
  REQUIRE(rig.observer.logs_of("passive_probe").size() == 1);
  CHECK(rig.observer.logs_of("passive_probe")[0].at == 11 * kSecond);
  // The probe: picking it moves `checked` to second 11, so the next requests skip it again.
  health.passive_dispatched(11200 * kMillisecond, 0);
  CHECK(rig->fleet.has(0, kBanned));
  // It succeeds (accessed 0 < checked 11): fails reset, back in rotation at once.
  health.observe(11300 * kMillisecond, 0, ErrorKind::kNone);
  CHECK_FALSE(rig->fleet.has(0, kBanned));
  CHECK(rig.observer.logs_of("passive_up").size() == 1);
}

TEST_CASE("a failed probe bans for another fail_timeout from its second") {
  ModelRig rig(passive_config(3, 1));
  Health& health = rig->health;
  health.observe(0, 0, ErrorKind::kTimeout);
  rig.run_until(11 * kSecond + 1);
  health.passive_dispatched(11 * kSecond + 5, 0);
  health.observe(13 * kSecond, 0, ErrorKind::kRefused);  // the probe fails at second 13
  rig.run_until(23 * kSecond + 1);
  const auto probes = rig.observer.logs_of("passive_probe");
  REQUIRE(probes.size() == 1);  // the release at 12 s was superseded
  rig.run_until(24 * kSecond + 1);
  REQUIRE(rig.observer.logs_of("passive_probe").size() == 2);
  CHECK(rig.observer.logs_of("passive_probe")[1].at == 24 * kSecond);
}

TEST_CASE("no sliding window: successes within fail_timeout of a failure do not reset fails") {
  ModelRig rig(passive_config(3, 3));
  Health& health = rig->health;
  for (const int t : {0, 8, 16}) {
    health.passive_dispatched(t * kSecond, 0);
    health.observe(t * kSecond, 0, ErrorKind::kRefused);
    if (t < 16) {
      CHECK_FALSE(rig->fleet.has(0, kBanned));
      health.passive_dispatched((t + 4) * kSecond, 0);
      health.observe((t + 4) * kSecond, 0, ErrorKind::kNone);  // accessed == checked: no reset
    }
  }
  CHECK(rig->fleet.has(0, kBanned));
  // A success picked more than fail_timeout after the last failure does reset.
  ModelRig other(passive_config(3, 3));
  other->health.observe(0, 1, ErrorKind::kRefused);
  other->health.observe(kSecond, 1, ErrorKind::kRefused);
  other->health.passive_dispatched(12 * kSecond, 1);  // 12 - 1 > 10: checked = 12
  other->health.observe(12 * kSecond, 1, ErrorKind::kNone);
  other->health.observe(13 * kSecond, 1, ErrorKind::kRefused);
  CHECK_FALSE(other->fleet.has(1, kBanned));  // 1 failure since the reset, not 3
}

TEST_CASE("what counts: errors and timeouts always, the server's 503s only with http_503") {
  {
    ModelRig rig(passive_config(3, 1));
    rig->health.observe(0, 0, ErrorKind::kQueueFull);
    rig->health.observe(0, 0, ErrorKind::kCircuitOpen);
    CHECK_FALSE(rig->fleet.has(0, kBanned));
    rig->health.observe(0, 0, ErrorKind::kCrashLost);
    CHECK(rig->fleet.has(0, kBanned));
  }
  SimulationConfig config = passive_config(3, 1);
  config.balancer.passive_health.http_503 = true;
  ModelRig rig(config);
  rig->health.observe(0, 0, ErrorKind::kQueueTimeout);
  CHECK(rig->fleet.has(0, kBanned));
}

TEST_CASE("one server alone is never banned; max_fails 0 turns the accounting off") {
  ModelRig alone(passive_config(1, 1));
  alone->health.observe(0, 0, ErrorKind::kRefused);
  CHECK_FALSE(alone->fleet.has(0, kBanned));
  ModelRig off(passive_config(3, 0));
  off->health.observe(0, 0, ErrorKind::kRefused);
  CHECK_FALSE(off->fleet.has(0, kBanned));
}

}  // namespace lbsim::test
