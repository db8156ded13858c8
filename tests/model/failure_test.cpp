// Client retries, deadlines and budgets; server overload, crashes, restarts and cold starts
// (issue 4, part 1). Exact answers where the setup is deterministic; closed forms with binomial
// tolerances where it is random.
#include <doctest/doctest.h>

#include "tests/model/harness.hpp"

namespace lbsim::test {
namespace {

class Log final : public Observer {
 public:
  void on_request_done(SimTime /*now*/, const RequestOutcome& outcome) override {
    outcomes.push_back(outcome);
  }
  void on_dispatch(SimTime /*now*/, std::uint32_t /*server*/) override { ++dispatches; }
  void on_retry(SimTime /*now*/) override { ++retries; }
  void on_log(SimTime now, std::string_view kind, std::string_view subject,
              std::string_view detail) override {
    entries.push_back({now, std::string(kind), std::string(subject), std::string(detail)});
  }
  std::vector<RequestOutcome> outcomes;
  std::uint64_t dispatches = 0;
  std::uint64_t retries = 0;
  std::vector<LogRow> entries;
};

struct Run {
  Log log;
  RunStats stats;
};

Run run_with(
    const SimulationConfig& c,
    const std::function<void(Simulation&)>& prepare = [](Simulation&) {}) {
  Simulation simulation(c);
  prepare(simulation);
  Run run;
  simulation.set_observer(&run.log);
  run.stats = simulation.run();
  return run;
}

std::uint32_t bit(ErrorKind kind) {
  return 1u << static_cast<unsigned>(kind);
}

DistributionConfig deterministic_s(double s) {
  DistributionConfig d;
  d.kind = DistributionKind::kDeterministic;
  d.mean_s = s;
  return d;
}

std::uint64_t count_errors(const Log& log, ErrorKind kind) {
  std::uint64_t n = 0;
  for (const auto& o : log.outcomes) n += o.error == kind ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("retry amplification matches the closed form (1 - p^(k+1)) / (1 - p)") {
  // 10 servers behind random dispatch, 3 of them down from the start (refused at once), no
  // health checks: every attempt independently hits a down server with p = 0.3. With up to k
  // retries of refused attempts, attempts per request = (1 - p^(k+1)) / (1 - p) and the request
  // fails with probability p^(k+1). Over ~60,000 requests the attempt ratio's standard error is
  // below 0.003 and the failure share's below 0.0007: assert within 5 of each.
  for (const int k : {1, 2, 4}) {
    CAPTURE(k);
    auto c = fleet_config(2000.0, exponential_s(0.001), 10, 4, kUnlimitedQueue, 0.0, 30.0);
    c.client.retry.max_attempts = k + 1;
    c.client.retry.retry_on_mask = bit(ErrorKind::kRefused);
    c.client.retry.backoff_base_ns = kMillisecond;
    const auto run = run_with(c, [](Simulation& sim) {
      sim.schedule_action(0, [](Simulation& s, SimTime) {
        for (std::uint32_t i = 0; i < 3; ++i) s.kill_server(i);
      });
    });
    const double p = 0.3;
    const auto requests = static_cast<double>(run.log.outcomes.size());
    const double attempts = static_cast<double>(run.log.dispatches) / requests;
    const double failed =
        static_cast<double>(count_errors(run.log, ErrorKind::kRefused)) / requests;
    CHECK(attempts == doctest::Approx((1 - std::pow(p, k + 1)) / (1 - p)).epsilon(0.012));
    CHECK(std::abs(failed - std::pow(p, k + 1)) < 0.0035);
    CHECK(run.log.retries == run.log.dispatches - run.log.outcomes.size());
  }
}

TEST_CASE("avoid_previous_host: a retry tries another server") {
  // Same fleet, one retry: with previous-host avoidance the retry re-picks away from the server
  // that refused (up to 3 re-picks), so the second attempt fails with probability
  // ~ (2/9 chance to land on another down server): failures fall from 0.09 to ~0.3 x 0.24.
  auto c = fleet_config(2000.0, exponential_s(0.001), 10, 4, kUnlimitedQueue, 0.0, 30.0);
  c.client.retry.max_attempts = 2;
  c.client.retry.retry_on_mask = bit(ErrorKind::kRefused);
  const auto kill3 = [](Simulation& sim) {
    sim.schedule_action(0, [](Simulation& s, SimTime) {
      for (std::uint32_t i = 0; i < 3; ++i) s.kill_server(i);
    });
  };
  const auto plain = run_with(c, kill3);
  c.client.retry.avoid_previous_host = true;
  const auto avoiding = run_with(c, kill3);
  const auto share = [](const Run& r) {
    return static_cast<double>(count_errors(r.log, ErrorKind::kRefused)) /
           static_cast<double>(r.log.outcomes.size());
  };
  CHECK(share(plain) == doctest::Approx(0.09).epsilon(0.05));
  // Re-picking until a different server (3 tries): P(second attempt on a down server) =
  // 2/10 + (1/10)(2/10) + (1/10)^2(2/10) + (1/10)^3(3/10) ~ 0.2223; times 0.3.
  CHECK(share(avoiding) == doctest::Approx(0.3 * 0.2223).epsilon(0.06));
}

TEST_CASE("back-off: none waits b, full jitter is uniform on [0, b), equal on [b/2, b)") {
  // One server, down: every attempt is refused at once, so a request's failure time is the sum
  // of its back-offs. Two attempts, base 100 ms: b = 100 ms for the single retry.
  auto c = fleet_config(200.0, exponential_s(0.001), 1, 1, kUnlimitedQueue, 0.0, 50.0);
  c.client.retry.max_attempts = 2;
  c.client.retry.retry_on_mask = bit(ErrorKind::kRefused);
  c.client.retry.backoff_base_ns = 100 * kMillisecond;
  c.client.retry.backoff_max_ns = kSecond;
  const auto kill = [](Simulation& sim) {
    sim.schedule_action(0, [](Simulation& s, SimTime) { s.kill_server(0); });
  };
  const auto waits = [&](BackoffJitter jitter) {
    c.client.retry.jitter = jitter;
    std::vector<double> w;
    for (const auto& o : run_with(c, kill).log.outcomes) w.push_back(to_seconds(o.end - o.arrival));
    return w;
  };
  for (const double w : waits(BackoffJitter::kNone)) CHECK(w == doctest::Approx(0.1));
  // ~10,000 uniform draws: the mean's standard error is 0.1/sqrt(12 x 10^4) < 0.0003.
  double sum = 0.0, lo = 1.0, hi = 0.0;
  const auto full = waits(BackoffJitter::kFull);
  for (const double w : full) sum += w, lo = std::min(lo, w), hi = std::max(hi, w);
  CHECK(sum / static_cast<double>(full.size()) == doctest::Approx(0.05).epsilon(0.03));
  CHECK(lo >= 0.0);
  CHECK(hi < 0.1);
  sum = 0.0, lo = 1.0, hi = 0.0;
  const auto equal = waits(BackoffJitter::kEqual);
  for (const double w : equal) sum += w, lo = std::min(lo, w), hi = std::max(hi, w);
  CHECK(sum / static_cast<double>(equal.size()) == doctest::Approx(0.075).epsilon(0.02));
  CHECK(lo >= 0.05);
  CHECK(hi < 0.1);
}

TEST_CASE("exponential back-off doubles per retry up to the cap") {
  // Four attempts, base 10 ms, cap 25 ms, no jitter: waits 10, 20, 25 ms: fails at 55 ms.
  auto c = fleet_config(100.0, exponential_s(0.001), 1, 1, kUnlimitedQueue, 0.0, 10.0);
  c.client.retry.max_attempts = 4;
  c.client.retry.retry_on_mask = bit(ErrorKind::kRefused);
  c.client.retry.backoff_base_ns = 10 * kMillisecond;
  c.client.retry.backoff_max_ns = 25 * kMillisecond;
  c.client.retry.jitter = BackoffJitter::kNone;
  const auto run = run_with(c, [](Simulation& sim) {
    sim.schedule_action(0, [](Simulation& s, SimTime) { s.kill_server(0); });
  });
  REQUIRE(!run.log.outcomes.empty());
  for (const auto& o : run.log.outcomes) CHECK(o.end - o.arrival == 55 * kMillisecond);
}

TEST_CASE("the overall deadline ends a request across attempts") {
  // Service 300 ms, per-attempt timeout 200 ms, retries of timeouts with 50 ms back-off, deadline
  // 500 ms: attempt 1 times out at 200 ms, attempt 2 starts at 250 ms and would time out at
  // 450 ms, attempt 3 starts at 500 ms = the deadline: every request fails `timeout` at exactly
  // 500 ms, after 2 attempts (plus 1 retry scheduled and cancelled by the deadline).
  auto c = fleet_config(2.0, deterministic_s(0.3), 1, 100, kUnlimitedQueue, 0.0, 60.0);
  c.workload.arrivals = ArrivalProcess::kDeterministic;
  c.client.timeout_ns = 200 * kMillisecond;
  c.client.deadline_ns = 500 * kMillisecond;
  c.client.retry.max_attempts = 5;
  c.client.retry.retry_on_mask = bit(ErrorKind::kTimeout);
  c.client.retry.backoff_base_ns = 50 * kMillisecond;
  c.client.retry.backoff_max_ns = 50 * kMillisecond;
  c.client.retry.jitter = BackoffJitter::kNone;
  const auto run = run_with(c);
  REQUIRE(run.log.outcomes.size() > 100);
  for (const auto& o : run.log.outcomes) {
    CHECK(o.error == ErrorKind::kTimeout);
    CHECK(o.end - o.arrival == 500 * kMillisecond);
  }
  // Two attempts per request, the last request included (it may still be in progress at the end).
  CHECK(run.log.dispatches == 2 * run.stats.arrivals);
}

TEST_CASE("retry budget: retries stay within a fraction of the requests in progress") {
  // All attempts refused (one server, down), up to 10 attempts, back-off 100 ms. Without a
  // budget every request retries 9 times. With budget 20% and min 0, retries in progress are
  // capped at 20% of requests in progress, so most failures are not retried.
  auto c = fleet_config(500.0, exponential_s(0.001), 1, 1, kUnlimitedQueue, 0.0, 20.0);
  c.client.retry.max_attempts = 10;
  c.client.retry.retry_on_mask = bit(ErrorKind::kRefused);
  c.client.retry.backoff_base_ns = 100 * kMillisecond;
  c.client.retry.backoff_max_ns = 100 * kMillisecond;
  c.client.retry.jitter = BackoffJitter::kNone;
  const auto kill = [](Simulation& sim) {
    sim.schedule_action(0, [](Simulation& s, SimTime) { s.kill_server(0); });
  };
  const auto unlimited = run_with(c, kill);
  c.client.retry.budget_fraction = 0.2;
  c.client.retry.budget_min_retries = 0;
  const auto budgeted = run_with(c, kill);
  const auto ratio = [](const Run& r) {
    return static_cast<double>(r.log.retries) / static_cast<double>(r.stats.arrivals);
  };
  // 9 retries per request, except the requests of the last 0.9 s (4.5% of 20 s), which the end
  // of the run catches part-way through their chain: between 9 x 0.955 and 9.
  CHECK(ratio(unlimited) <= 9.0);
  CHECK(ratio(unlimited) >= 9.0 * 0.955);
  // Envoy's budget is max(floor(20% x calls in progress), min). Refusals are immediate, so the
  // calls in progress at a failure are the failing one and those in back-off: with min 0 no retry
  // ever starts (floor(0.2 x 1) = 0), and the chain never grows.
  CHECK(budgeted.log.retries == 0);
  // With min 1, while fewer than 5 calls are in progress the budget is exactly 1: one retry in
  // progress at a time, each holding its place for the 100 ms back-off (a chain passes it on to
  // its own next retry, then a fresh failure ~2 ms later takes it): 20 s / 100 ms = 200 retries,
  // less a few gaps and the chain in progress at the end.
  c.client.retry.budget_min_retries = 1;
  const auto one = run_with(c, kill);
  CHECK(one.log.retries <= 200);
  CHECK(one.log.retries >= 190);
}

TEST_CASE("a retry budget overrides the max_retries circuit breaker (Envoy)") {
  // Envoy's circuit_breakers.thresholds.retry_budget: "If this field is set, the retry budget
  // will override any configured retry circuit breaker." max_retries 0 alone allows no retry at
  // all; with a budget of 100% (min 3) beside it, every failed attempt is retried as the budget
  // allows: every request in progress may be in a retry, so all 4 attempts are made.
  auto c = fleet_config(100.0, exponential_s(0.001), 1, 1, kUnlimitedQueue, 0.0, 10.0);
  c.client.retry.max_attempts = 4;
  c.client.retry.retry_on_mask = bit(ErrorKind::kRefused);
  c.client.retry.backoff_base_ns = 10 * kMillisecond;
  c.client.retry.backoff_max_ns = 10 * kMillisecond;
  c.client.retry.jitter = BackoffJitter::kNone;
  c.balancer.circuit_breakers.max_retries = 0;
  const auto kill = [](Simulation& sim) {
    sim.schedule_action(0, [](Simulation& s, SimTime) { s.kill_server(0); });
  };
  const auto breaker_only = run_with(c, kill);
  CHECK(breaker_only.log.retries == 0);
  c.client.retry.budget_fraction = 1.0;
  c.client.retry.budget_min_retries = 3;
  const auto budgeted = run_with(c, kill);
  // 3 retries per request but for the requests of the last 30 ms of the run (0.3%), which the
  // end catches part-way through their chain.
  const double per_request =
      static_cast<double>(budgeted.log.retries) / static_cast<double>(budgeted.stats.arrivals);
  CHECK(per_request <= 3.0);
  CHECK(per_request >= 3.0 * 0.99);
}

TEST_CASE("crash: a full queue brings the server down, queued and in-flight work is lost") {
  // One server, 1 worker, deterministic: arrivals every 10 ms, service 25 ms, crash when an
  // arrival finds 5 queued. The queue grows by 1.5 per 25 ms: the first crash loses the 5
  // queued, the arriving one and the one in service = 7 requests (crash_lost). Down for 1 s:
  // the 100 arrivals meanwhile are refused. Then it restarts and the cycle repeats.
  auto c = fleet_config(100.0, deterministic_s(0.025), 1, 1, kUnlimitedQueue, 0.0, 3.0);
  c.workload.arrivals = ArrivalProcess::kDeterministic;
  c.servers[0].overload.crash_queue = 5;
  c.servers[0].overload.restart_ns = kSecond;
  const auto run = run_with(c);
  std::vector<LogRow> crashes, restarts;
  for (const auto& e : run.log.entries) {
    if (e.kind == "server_crash") crashes.push_back(e);
    if (e.kind == "server_restart") restarts.push_back(e);
  }
  REQUIRE(crashes.size() >= 2);
  REQUIRE(restarts.size() >= 1);
  CHECK(crashes[0].detail == "7 requests lost");
  CHECK(restarts[0].time == crashes[0].time + kSecond);
  CHECK(crashes[1].time > restarts[0].time);
  CHECK(count_errors(run.log, ErrorKind::kCrashLost) == 7 * crashes.size());
  // Arrivals at 10 ms steps in (crash, crash + 1 s): 99 or 100 of them, per outage.
  const auto refused = count_errors(run.log, ErrorKind::kRefused);
  CHECK(refused >= 99 * restarts.size());
  CHECK(refused <= 100 * crashes.size());
}

TEST_CASE("thrashing knee: service slows with the busy workers above the knee") {
  // Four arrivals 1 us apart (a trace), 10 ms service, 4 workers, knee 2, slowdown 0.5: the
  // third starts with 3 busy (x1.5), the fourth with 4 busy (x2).
  auto c = fleet_config(1.0, deterministic_s(0.010), 1, 4, kUnlimitedQueue, 0.0, 1.0);
  c.workload.arrivals = ArrivalProcess::kTrace;
  c.workload.trace.times_ns = {0, 1000, 2000, 3000};
  c.servers[0].overload.knee = 2;
  c.servers[0].overload.slowdown = 0.5;
  const auto run = run_with(c);
  REQUIRE(run.log.outcomes.size() == 4);
  std::vector<SimTime> latency;
  for (const auto& o : run.log.outcomes) latency.push_back(o.end - o.arrival);
  std::sort(latency.begin(), latency.end());
  CHECK(latency == std::vector<SimTime>{10 * kMillisecond, 10 * kMillisecond, 15 * kMillisecond,
                                        20 * kMillisecond});
}

TEST_CASE("cold start: service is slower right after a restart, recovering linearly") {
  // Killed at 1 s, restarted at 2 s; cold start 10 s with factor 3: a request at 7 s (half-way)
  // takes 10 ms x (1 + 2 x 0.5) = 20 ms, one at 20 s takes 10 ms.
  auto c = fleet_config(1.0, deterministic_s(0.010), 1, 1, kUnlimitedQueue, 0.0, 30.0);
  c.workload.arrivals = ArrivalProcess::kTrace;
  c.workload.trace.times_ns = {7 * kSecond, 20 * kSecond};
  c.servers[0].overload.cold_start_ns = 10 * kSecond;
  c.servers[0].overload.cold_factor = 3.0;
  const auto run = run_with(c, [](Simulation& sim) {
    sim.schedule_action(kSecond, [](Simulation& s, SimTime) { s.kill_server(0); });
    sim.schedule_action(2 * kSecond, [](Simulation& s, SimTime) { s.restart_server(0); });
  });
  REQUIRE(run.log.outcomes.size() == 2);
  CHECK(run.log.outcomes[0].end - run.log.outcomes[0].arrival == 20 * kMillisecond);
  CHECK(run.log.outcomes[1].end - run.log.outcomes[1].arrival == 10 * kMillisecond);
}

TEST_CASE("server queue timeout: requests that waited too long are dropped, not served") {
  // Arrivals every 10 ms, service 25 ms, 1 worker, queue timeout 100 ms: the server only takes
  // requests that waited <= 100 ms; the rest fail queue_timeout when they reach the front, so
  // the server never serves a request that waited longer, and it stays busy all the time.
  auto c = fleet_config(100.0, deterministic_s(0.025), 1, 1, kUnlimitedQueue, 0.0, 20.0);
  c.workload.arrivals = ArrivalProcess::kDeterministic;
  c.servers[0].overload.queue_timeout_ns = 100 * kMillisecond;
  const auto run = run_with(c);
  std::uint64_t completed = 0;
  for (const auto& o : run.log.outcomes) {
    if (o.error == ErrorKind::kNone) {
      ++completed;
      CHECK(o.service_start - o.arrival <= 100 * kMillisecond);
    } else {
      CHECK(o.error == ErrorKind::kQueueTimeout);
    }
  }
  CHECK(completed == doctest::Approx(20.0 / 0.025).epsilon(0.01));
  CHECK(count_errors(run.log, ErrorKind::kQueueTimeout) > 1000);
}

TEST_CASE(
    "metastability: after a short spike, retries keep the fleet failing; without them it "
    "recovers") {
  // 10 servers x 1 worker, exponential 10 ms, base load 0.7, a 20 s spike to 1.5x at 60 s.
  // Clients time out after 200 ms. Without retries the backlog drains within ~30 s of the spike.
  // With 3 retries of timeouts (no budget), timed-out attempts still occupy the servers (wasted
  // work) while their retries add load: offered work exceeds capacity for good, and the fleet
  // stays degraded long after the spike ended (a metastable failure, Bronson et al. 2021).
  auto c = fleet_config(700.0, exponential_s(0.010), 10, 1, kUnlimitedQueue, 0.0, 240.0, "random");
  c.workload.profile = {{60 * kSecond, 0, 1050.0}, {80 * kSecond, 0, 700.0}};
  c.window_ns = 10 * kSecond;
  c.client.timeout_ns = 200 * kMillisecond;
  const auto late_error_rate = [&](const SimulationConfig& config) {
    const auto out = run_config(config);
    std::uint64_t done = 0, failed = 0;
    for (const auto& w : out.windows) {
      if (w.start >= 180 * kSecond) done += w.completed + w.failed, failed += w.failed;
    }
    return static_cast<double>(failed) / static_cast<double>(done);
  };
  const double without = late_error_rate(c);
  c.client.retry.max_attempts = 4;
  c.client.retry.retry_on_mask = bit(ErrorKind::kTimeout);
  const double with = late_error_rate(c);
  INFO("error rate 100 s after the spike: without retries " << without << ", with " << with);
  CHECK(without < 0.01);  // back to normal (M/M/1 at 0.7: P(response > 200 ms) ~ e^-6)
  CHECK(with > 0.5);      // still failing most requests
}

}  // namespace lbsim::test
