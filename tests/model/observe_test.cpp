// HAProxy observe / error-limit / on-error (sim/model/health_observe.cpp) through Health's API:
// what counts in layer4 and layer7, the reset by an OK observation and by a passing check, and
// how many error-limit runs each on-error action needs to take a server with fall 3 down
// (fail-check 3, sudden-death 2, mark-down 1), as configuration.txt describes them.
#include <doctest/doctest.h>

#include "tests/model/components.hpp"

namespace lbsim::test {
namespace {

SimulationConfig observe_config(HealthCheckConfig::Observe mode, HealthCheckConfig::OnError on) {
  SimulationConfig config = component_config(4);
  HealthCheckConfig& check = config.balancer.health_check;
  check.enabled = true;
  check.out_of_band = true;
  check.fall = 3;
  check.rise = 2;
  check.observe = mode;
  check.error_limit = 3;
  check.on_error = on;
  return config;
}

void errors(ModelRig& rig, std::uint32_t server, ErrorKind kind, int n) {
  for (int i = 0; i < n; ++i) rig->health.observe(kSecond, server, kind);
}

bool down(ModelRig& rig, std::uint32_t server) {
  return rig->fleet.has(server, kFailedCheck);
}

}  // namespace

TEST_CASE("observe: error-limit runs of errors, each one on-error action") {
  using Observe = HealthCheckConfig::Observe;
  using OnError = HealthCheckConfig::OnError;
  for (const auto& [on_error, runs] :
       {std::pair{OnError::kFailCheck, 3}, std::pair{OnError::kSuddenDeath, 2},
        std::pair{OnError::kMarkDown, 1}}) {
    CAPTURE(static_cast<int>(on_error));
    ModelRig rig(observe_config(Observe::kLayer7, on_error));
    for (int run = 1; run <= runs; ++run) {
      CHECK_FALSE(down(rig, 0));
      errors(rig, 0, ErrorKind::kQueueFull, 3);
    }
    CHECK(down(rig, 0));
    CHECK(rig.observer.logs_of("observe_error").size() == static_cast<std::size_t>(runs));
  }
}

TEST_CASE("observe: an OK observation or a passing check restarts the count") {
  using Observe = HealthCheckConfig::Observe;
  ModelRig rig(observe_config(Observe::kLayer7, HealthCheckConfig::OnError::kMarkDown));
  errors(rig, 0, ErrorKind::kTimeout, 2);
  rig->health.observe(kSecond, 0, ErrorKind::kNone);
  errors(rig, 0, ErrorKind::kCrashLost, 2);
  rig->health.handle_probe_send(2 * kSecond, 0, 0);  // out of band: passes
  errors(rig, 0, ErrorKind::kRefused, 2);
  CHECK_FALSE(down(rig, 0));
  // Rejections that never reached the server are not observed at all.
  rig->health.observe(kSecond, 0, ErrorKind::kCircuitOpen);
  errors(rig, 0, ErrorKind::kQueueTimeout, 1);
  CHECK(down(rig, 0));
}

TEST_CASE("observe layer4: only refused connections are errors; a 503 is a good connection") {
  ModelRig rig(observe_config(HealthCheckConfig::Observe::kLayer4,
                              HealthCheckConfig::OnError::kMarkDown));
  errors(rig, 0, ErrorKind::kQueueFull, 10);
  errors(rig, 0, ErrorKind::kTimeout, 10);
  CHECK_FALSE(down(rig, 0));
  errors(rig, 0, ErrorKind::kRefused, 2);
  rig->health.observe(kSecond, 0, ErrorKind::kQueueFull);  // connected: resets
  errors(rig, 0, ErrorKind::kRefused, 2);
  CHECK_FALSE(down(rig, 0));
  errors(rig, 0, ErrorKind::kRefused, 1);
  CHECK(down(rig, 0));
}

}  // namespace lbsim::test
