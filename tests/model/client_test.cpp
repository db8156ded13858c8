// Client, through its own API on a Model built in code (components.hpp): a call's attempts,
// retries with back-off, the max_requests circuit breaker, the overall deadline. Deterministic
// arrivals and service make every time exact.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "tests/model/components.hpp"

namespace lbsim::test {

namespace {

constexpr SimTime kMs = kMillisecond;

std::uint32_t bit(ErrorKind kind) {
  return 1U << static_cast<unsigned>(kind);
}

// Traffic on from the start, off after `calls` arrivals, then everything run out.
void run_calls(ModelRig& rig, int calls, SimTime until = 10 * kSecond) {
  rig->traffic.schedule_next();
  const SimTime spacing = from_seconds(1.0 / rig.config.workload.rate_per_s);
  rig.run_until(calls * spacing + 1);
  rig->traffic.change(calls * spacing + 1, 0.0, 0);
  rig.run_until(until);
}

std::vector<SimTime> dispatch_times(const RecordingObserver& observer) {
  std::vector<SimTime> times;
  for (const auto& [at, server] : observer.dispatches) times.push_back(at);
  return times;
}

}  // namespace

TEST_CASE("Client: with nothing to route to, a call fails no_healthy_backend at once") {
  SimulationConfig config = component_config(2);
  deterministic_arrivals(config, 100.0);
  ModelRig rig(config);
  rig->remove_server(0, 0);
  rig->remove_server(0, 1);
  rig->settle(0);
  run_calls(rig, 1);
  REQUIRE(rig.observer.done.size() == 1);
  const RequestOutcome& o = rig.observer.done[0];
  CHECK(o.error == ErrorKind::kNoHealthyBackend);
  CHECK(o.server == kNoServer);  // it never reached one
  CHECK(o.arrival == 10 * kMs);
  CHECK(o.end == 10 * kMs);
  CHECK(rig.observer.dispatches.empty());
}

TEST_CASE("Client: refused attempts retry after b, then 2b (no jitter), up to max_attempts") {
  SimulationConfig config = component_config(1);
  deterministic_arrivals(config, 100.0);
  RetryPolicy& retry = config.client.retry;
  retry.max_attempts = 3;
  retry.retry_on_mask = bit(ErrorKind::kRefused);
  retry.jitter = BackoffJitter::kNone;
  retry.backoff_base_ns = 25 * kMs;
  ModelRig rig(config);
  rig->fleet.crash(0, 0, "server_kill");  // refuses every attempt; still in rotation (no checks)
  run_calls(rig, 1);
  // Attempts at 10 ms, 10 + 25, 35 + 50; the third is the last allowed.
  CHECK(dispatch_times(rig.observer) == std::vector<SimTime>{10 * kMs, 35 * kMs, 85 * kMs});
  CHECK(rig.observer.retries == std::vector<SimTime>{10 * kMs, 35 * kMs});
  REQUIRE(rig.observer.done.size() == 1);
  CHECK(rig.observer.done[0].error == ErrorKind::kRefused);
  CHECK(rig.observer.done[0].end == 85 * kMs);
  CHECK(rig.observer.done[0].server == 0);
}

TEST_CASE("Client: the max_requests circuit breaker fails attempts beyond it at once") {
  SimulationConfig config = component_config(1);
  deterministic_arrivals(config, 100.0);   // every 10 ms
  config.workload.service.mean_s = 0.025;  // each holds its attempt for 25 ms
  config.balancer.circuit_breakers.max_requests = 2;
  ModelRig rig(config);
  run_calls(rig, 4);
  // In flight at each arrival: 0, 1 (the 10 ms one until 35 ms), 2 -> the 30 ms call is over the
  // limit; the 40 ms one finds one left (10 ms done at 35 ms).
  std::vector<ErrorKind> errors;
  std::vector<SimTime> ends;
  for (const RequestOutcome& o : rig.observer.done) {
    errors.push_back(o.error);
    ends.push_back(o.end);
  }
  CHECK(errors == std::vector<ErrorKind>{ErrorKind::kCircuitOpen, ErrorKind::kNone,
                                         ErrorKind::kNone, ErrorKind::kNone});
  // Open at 30 ms exactly; the others served FIFO by the one worker: 35, 60, 85 ms.
  CHECK(ends == std::vector<SimTime>{30 * kMs, 35 * kMs, 60 * kMs, 85 * kMs});
  CHECK(rig.observer.dispatches.size() == 3);
}

TEST_CASE("Client: the deadline ends a call across attempts; abandoned work is still done") {
  SimulationConfig config = component_config(1);
  deterministic_arrivals(config, 100.0);
  config.workload.service.mean_s = 0.100;
  config.client.timeout_ns = 20 * kMs;
  config.client.deadline_ns = 60 * kMs;
  RetryPolicy& retry = config.client.retry;
  retry.max_attempts = 5;
  retry.retry_on_mask = bit(ErrorKind::kTimeout);
  retry.jitter = BackoffJitter::kNone;
  retry.backoff_base_ns = 10 * kMs;
  ModelRig rig(config);
  run_calls(rig, 1);
  // Arrival 10 ms. Attempt 1 times out at 30 ms, back-off 10 ms; attempt 2 at 40 ms times out at
  // 60 ms, back-off 20 ms: the retry would be at 80 ms, past the deadline at 70 ms, which ends
  // the call first.
  CHECK(dispatch_times(rig.observer) == std::vector<SimTime>{10 * kMs, 40 * kMs});
  REQUIRE(rig.observer.done.size() == 1);
  CHECK(rig.observer.done[0].error == ErrorKind::kTimeout);
  CHECK(rig.observer.done[0].end == 70 * kMs);
  // The server does both attempts' work anyway, for nobody: 10 -> 110 ms, then 110 -> 210 ms.
  using Service = std::pair<SimTime, bool>;
  CHECK(rig.observer.services == std::vector<Service>{{110 * kMs, false}, {210 * kMs, false}});
}

}  // namespace lbsim::test
