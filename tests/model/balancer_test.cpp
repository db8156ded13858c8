// Balancer machinery that does not depend on a particular strategy: instance selection, max
// connections with the balancer-side queue, L4 connections, groups joining, slow start.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <set>

#include "sim/analytic/queueing.hpp"
#include "tests/model/components.hpp"
#include "tests/model/harness.hpp"

namespace lbsim::test {
namespace {

class OutcomeLog final : public Observer {
 public:
  void on_request_done(SimTime /*now*/, const RequestOutcome& outcome) override {
    outcomes.push_back(outcome);
  }
  void on_dispatch(SimTime now, std::uint32_t server) override {
    dispatches.emplace_back(now, server);
  }
  std::vector<RequestOutcome> outcomes;
  std::vector<std::pair<SimTime, std::uint32_t>> dispatches;
};

OutcomeLog log_run(const SimulationConfig& config) {
  Simulation simulation(config);
  OutcomeLog log;
  simulation.set_observer(&log);
  (void)simulation.run();
  return log;
}

int error_index(ErrorKind kind) {
  return static_cast<int>(kind);
}

}  // namespace

TEST_CASE("instance selection: by user hash a user always reaches the same instance") {
  auto c =
      fleet_config(500.0, exponential_s(0.005), 4, 2, kUnlimitedQueue, 0.0, 10.0, "round_robin");
  c.workload.users = 50;
  c.balancer.instances = 4;
  c.balancer.instance_selection = InstanceSelection::kUserHash;
  std::map<std::uint64_t, std::set<std::uint32_t>> instances_of;
  std::set<std::uint32_t> used;
  for (const auto& o : log_run(c).outcomes) {
    instances_of[o.user].insert(o.instance);
    used.insert(o.instance);
  }
  REQUIRE(instances_of.size() == 50);
  for (const auto& [user, instances] : instances_of) CHECK(instances.size() == 1);
  CHECK(used.size() == 4);  // 50 users spread over all 4 instances

  c.balancer.instance_selection = InstanceSelection::kRandom;
  std::size_t spread = 0;
  std::map<std::uint64_t, std::set<std::uint32_t>> random_of;
  for (const auto& o : log_run(c).outcomes) random_of[o.user].insert(o.instance);
  for (const auto& [user, instances] : random_of) spread += instances.size() > 1 ? 1 : 0;
  CHECK(spread == 50);  // ~100 requests per user over 4 instances: every user sees several
}

TEST_CASE("max_connections: a balancer-side FIFO in front of one worker behaves as M/M/1") {
  // One server, one worker, max_connections 1: requests wait in the balancer's queue instead of
  // the server's. Same FIFO order, so every response time is identical to the run without the
  // cap (the same seed gives the same arrivals and demands).
  auto plain = fleet_config(80.0, exponential_s(0.010), 1, 1, kUnlimitedQueue, 10.0, 200.0);
  auto capped = plain;
  capped.servers[0].max_connections = 1;
  capped.balancer.queue_timeout_ns = 3600 * kSecond;
  const auto a = run_config(plain);
  const auto b = run_config(capped);
  CHECK(a.totals.completed == b.totals.completed);
  CHECK(a.latency_mean_s == b.latency_mean_s);
  CHECK(b.totals.failed == 0);
  CHECK(a.wait_mean_s > 0.02);  // the run really queues (M/M/1 Wq = 40 ms)
}

TEST_CASE("max_connections with a balancer queue limit: M/M/1/K blocking") {
  // Capacity = 1 in service + 3 in the balancer's queue: M/M/1/4 at rho = 1.2. Blocked requests
  // fail as lb_queue_full. 10 replications, 4 standard errors (see long_theory_test.cpp).
  const double lambda = 120.0;
  auto c =
      fleet_config(lambda, exponential_s(0.010), 1, 1, kUnlimitedQueue, 5.0, 200.0 * test_scale());
  c.servers[0].max_connections = 1;
  c.balancer.queue_limit = 3;
  c.balancer.queue_timeout_ns = 3600 * kSecond;
  const auto blocked = replicate(10, [&](std::uint64_t r) {
    auto cr = c;
    cr.replication = r;
    const auto out = run_config(cr);
    CHECK(out.totals.failed == out.totals.by_error[error_index(ErrorKind::kLbQueueFull)]);
    return static_cast<double>(out.totals.failed) / static_cast<double>(out.totals.offered);
  });
  const double exact = analytic::mmck(1, 4, lambda, 100.0).blocking_probability;
  INFO("blocking " << blocked.mean << " +- " << blocked.standard_error << ", exact " << exact);
  CHECK(std::abs(blocked.mean - exact) <= 4 * blocked.standard_error);
  CHECK(blocked.standard_error < 0.02 * exact / std::sqrt(test_scale()));
}

TEST_CASE("max_connections: requests that wait past queue_timeout fail lb_queue_timeout") {
  // Deterministic: arrivals every 10 ms, service 25 ms, one connection slot. The balancer queue
  // grows by 1.5 requests per 25 ms; with a 100 ms queue timeout, requests whose wait would
  // exceed 100 ms leave the queue with lb_queue_timeout, and the others are served in order.
  DistributionConfig d;
  d.kind = DistributionKind::kDeterministic;
  d.mean_s = 0.025;
  auto c = fleet_config(100.0, d, 1, 1, kUnlimitedQueue, 0.0, 20.0);
  c.workload.arrivals = ArrivalProcess::kDeterministic;
  c.servers[0].max_connections = 1;
  c.balancer.queue_timeout_ns = 100 * kMillisecond;
  const auto log = log_run(c);
  std::uint64_t timeouts = 0;
  std::uint64_t completed = 0;
  for (const auto& o : log.outcomes) {
    if (o.error == ErrorKind::kLbQueueTimeout) {
      ++timeouts;
      CHECK(o.end - o.arrival == 100 * kMillisecond);
    } else {
      CHECK(o.error == ErrorKind::kNone);
      ++completed;
      CHECK(o.end - o.arrival <= 125 * kMillisecond);  // waited <= 100 ms, then 25 ms service
    }
  }
  // The server is never idle after the start, so it completes one request per 25 ms.
  CHECK(completed == doctest::Approx(20.0 / 0.025).epsilon(0.01));
  CHECK(timeouts == doctest::Approx(2000 - 800).epsilon(0.01));
}

TEST_CASE("L4: connections keep a scale-out misbalance that L7 corrects at once") {
  // 5 servers; 5 more join at 60 s. 200 users send 400/s in total, so by 60 s every user holds a
  // connection to one of the first 5 servers. Under L4 (no connection lifetime) the newcomers
  // receive nothing; under L7 round robin they take half the traffic at once.
  auto c =
      fleet_config(400.0, exponential_s(0.010), 5, 2, kUnlimitedQueue, 70.0, 60.0, "round_robin");
  c.workload.users = 200;
  ServerGroupConfig late = c.servers[0];
  late.group = "late";
  late.join_at_ns = 60 * kSecond;
  c.servers.push_back(late);

  auto l7 = run_config(c);
  c.balancer.unit = BalancingUnit::kConnection;
  auto l4 = run_config(c);
  // Measured from 70 s: L7 gives every server 40/s x 10 ms / 2 workers = 0.2; L4 leaves the
  // newcomers idle and the first five at 0.4.
  for (int s = 0; s < 10; ++s)
    CHECK(l7.totals.utilization[s] == doctest::Approx(0.2).epsilon(0.15));
  for (int s = 0; s < 5; ++s) CHECK(l4.totals.utilization[s] == doctest::Approx(0.4).epsilon(0.15));
  for (int s = 5; s < 10; ++s) CHECK(l4.totals.utilization[s] == 0.0);

  // A connection lifetime of 10 s makes clients reconnect, through the balancer: after a few
  // lifetimes the L4 fleet is even again.
  c.balancer.connection_lifetime_ns = 10 * kSecond;
  auto recycled = run_config(c);
  for (int s = 5; s < 10; ++s) {
    CHECK(recycled.totals.utilization[s] == doctest::Approx(0.2).epsilon(0.25));
  }
}

TEST_CASE("L4: a request during reconnect backoff waits for the new connection") {
  DistributionConfig d;
  d.kind = DistributionKind::kDeterministic;
  d.mean_s = 0.001;
  auto c = fleet_config(1000.0, d, 4, 4, kUnlimitedQueue, 0.0, 10.0, "round_robin");
  c.workload.users = 10;
  c.balancer.unit = BalancingUnit::kConnection;
  c.balancer.connection_lifetime_ns = 1 * kSecond;
  c.balancer.reconnect_backoff_ns = 50 * kMillisecond;
  const auto log = log_run(c);
  SimTime longest = 0;
  std::uint64_t delayed = 0;
  for (const auto& o : log.outcomes) {
    CHECK(o.error == ErrorKind::kNone);
    longest = std::max(longest, o.end - o.arrival);
    if (o.end - o.arrival > 2 * kMillisecond) ++delayed;
  }
  // A request arriving just after its connection closed waits the whole backoff.
  CHECK(longest > 45 * kMillisecond);
  CHECK(longest <= 52 * kMillisecond);
  // Each user's connection is down 50 ms in every 1.05 s: ~4.8% of requests wait.
  CHECK(static_cast<double>(delayed) / static_cast<double>(log.outcomes.size()) ==
        doctest::Approx(0.05 / 1.05).epsilon(0.2));
}

TEST_CASE("join_at: a group receives nothing before it joins") {
  auto c = fleet_config(200.0, exponential_s(0.010), 2, 1, kUnlimitedQueue, 0.0, 20.0, "random");
  ServerGroupConfig late = c.servers[0];
  late.group = "late";
  late.join_at_ns = 10 * kSecond;
  c.servers.push_back(late);
  const auto log = log_run(c);
  std::uint64_t late_before = 0, late_after = 0;
  for (const auto& [t, server] : log.dispatches) {
    if (server >= 2) (t < 10 * kSecond ? late_before : late_after)++;
  }
  CHECK(late_before == 0);
  // 2 of the 4 servers after 10 s: binomial, mean 1000 of ~2000 arrivals, sd ~ 22.
  CHECK(late_after == doctest::Approx(1000).epsilon(0.1));
}

TEST_CASE("slow start: effective weight follows Envoy's and HAProxy's ramps") {
  auto c = fleet_config(50.0, exponential_s(0.010), 2, 1, kUnlimitedQueue, 0.0, 35.0, "random");
  ServerGroupConfig late = c.servers[0];
  late.group = "late";
  late.count = 1;
  late.weight = 4.0;
  late.join_at_ns = 10 * kSecond;
  c.servers.push_back(late);
  c.balancer.slow_start.window_ns = 60 * kSecond;
  c.balancer.slow_start.update_ns = 1 * kSecond;

  SUBCASE("envoy, aggression 2: 4 x max(0.1, (t/60)^(1/2)) at t = 24 s") {
    c.balancer.slow_start.mode = SlowStartMode::kEnvoy;
    c.balancer.slow_start.aggression = 2.0;
    Simulation simulation(c);
    (void)simulation.run();
    // The last update before the end (35 s) ran at 34 s, 24 s after joining.
    CHECK(simulation.effective_weights()[2] == doctest::Approx(4.0 * std::sqrt(24.0 / 60.0)));
    CHECK(simulation.effective_weights()[0] == 1.0);
  }
  SUBCASE("envoy: the minimum weight holds early in the window") {
    c.balancer.slow_start.mode = SlowStartMode::kEnvoy;
    c.balancer.slow_start.aggression = 1.0;
    c.balancer.slow_start.min_weight_fraction = 0.5;
    Simulation simulation(c);
    (void)simulation.run();
    CHECK(simulation.effective_weights()[2] == doctest::Approx(4.0 * 0.5));  // 24/60 < 0.5
  }
  SUBCASE("haproxy: linear, 4 x 24/60") {
    c.balancer.slow_start.mode = SlowStartMode::kHaproxy;
    Simulation simulation(c);
    (void)simulation.run();
    CHECK(simulation.effective_weights()[2] == doctest::Approx(4.0 * 24.0 / 60.0));
  }
  SUBCASE("after the window the full weight applies") {
    c.balancer.slow_start.mode = SlowStartMode::kHaproxy;
    c.balancer.slow_start.window_ns = 10 * kSecond;
    Simulation simulation(c);
    (void)simulation.run();
    CHECK(simulation.effective_weights()[2] == 4.0);
  }
}

TEST_CASE("slow start again when health checks bring a server back (Envoy, HAProxy)") {
  // Server 0 of 2 is killed at 5 s and restarted at 10 s; out-of-band checks every second, fall 1,
  // rise 1 take it out at the first probe after 5 s and back at the first after 10 s, at t0 in
  // (10 s, 11 s) (each probe chain has a random phase). Envoy re-enters slow start on that
  // transition, its weight updated every second from t0: at 13 s the last update was at t0 + 2 s,
  // weight x max(0.1, 2/10) = 0.2. Server 1 never ramps.
  auto c = fleet_config(50.0, exponential_s(0.010), 2, 1, kUnlimitedQueue, 0.0, 30.0, "random");
  c.balancer.health_check.enabled = true;
  c.balancer.health_check.out_of_band = true;
  c.balancer.health_check.interval_ns = kSecond;
  c.balancer.health_check.rise = 1;
  c.balancer.health_check.fall = 1;
  c.balancer.slow_start.mode = SlowStartMode::kEnvoy;
  c.balancer.slow_start.window_ns = 10 * kSecond;
  c.balancer.slow_start.update_ns = kSecond;
  Simulation simulation(c);
  simulation.schedule_action(5 * kSecond, [](Simulation& s, SimTime) { s.kill_server(0); });
  simulation.schedule_action(10 * kSecond, [](Simulation& s, SimTime) { s.restart_server(0); });
  OutcomeLog log;
  simulation.set_observer(&log);
  std::vector<double> weight_at;  // server 0's effective weight at 9 s, 13 s, 25 s
  for (const SimTime t : {9 * kSecond, 13 * kSecond, 25 * kSecond}) {
    simulation.schedule_action(t, [&weight_at](Simulation& s, SimTime) {
      weight_at.push_back(s.effective_weights()[0]);
    });
  }
  (void)simulation.run();
  REQUIRE(weight_at.size() == 3);
  CHECK(weight_at[0] == 1.0);  // down and failing its checks: no ramp yet
  CHECK(weight_at[1] == doctest::Approx(0.2));
  CHECK(weight_at[2] == 1.0);  // the window is over
  CHECK(simulation.effective_weights()[1] == 1.0);
}

}  // namespace lbsim::test

namespace lbsim::test {

TEST_CASE("weights change at run time: weighted strategies follow from the change on") {
  // Two servers, weights 1:1 until 10 s, then server 0's weight becomes 3: smooth weighted round
  // robin (deterministic) gives exactly 1/2 before and 3/4 after; weighted_random gives shares
  // within 5 binomial standard errors (sd of a share over ~4000 picks < 0.008).
  for (const std::string strategy : {"weighted_round_robin", "weighted_random"}) {
    CAPTURE(strategy);
    auto c = fleet_config(400.0, exponential_s(0.001), 2, 4, kUnlimitedQueue, 0.0, 20.0, strategy);
    Simulation simulation(c);
    simulation.schedule_action(10 * kSecond,
                               [](Simulation& sim, SimTime) { sim.set_weight(0, 3.0); });
    OutcomeLog log;
    simulation.set_observer(&log);
    (void)simulation.run();
    double before[2] = {0, 0}, after[2] = {0, 0};
    for (const auto& [t, server] : log.dispatches) (t < 10 * kSecond ? before : after)[server] += 1;
    const double share_before = before[0] / (before[0] + before[1]);
    const double share_after = after[0] / (after[0] + after[1]);
    if (strategy == "weighted_round_robin") {
      CHECK(std::abs(share_before - 0.5) <= 1.0 / (before[0] + before[1]));
      CHECK(std::abs(share_after - 0.75) <= 4.0 / (after[0] + after[1]));
    } else {
      CHECK(share_before == doctest::Approx(0.5).epsilon(0.08));
      CHECK(share_after == doctest::Approx(0.75).epsilon(0.055));
    }
    CHECK(simulation.effective_weights()[0] == 3.0);
  }
}

}  // namespace lbsim::test

// ---- Balancer through its own API (components.hpp): exact answers on a Model built in code -----

namespace lbsim::test {
namespace {

constexpr SimTime kMs = kMillisecond;

// Servers dispatched to in [from, to).
std::map<std::uint32_t, int> dispatched(const RecordingObserver& observer, SimTime from,
                                        SimTime to) {
  std::map<std::uint32_t, int> count;
  for (const auto& [at, server] : observer.dispatches) {
    if (at >= from && at < to) ++count[server];
  }
  return count;
}

}  // namespace

TEST_CASE("Balancer: settled fleet changes decide what is picked; panic routes to all members") {
  // Round robin over 4 servers, an arrival every 10 ms (100 per second), 1 ms of service.
  SimulationConfig config = component_config(4);
  deterministic_arrivals(config, 100.0);
  config.workload.service.mean_s = 0.001;
  config.balancer.panic_threshold = 0.5;
  ModelRig rig(config);
  Model& m = *rig;
  m.traffic.schedule_next();
  m.fleet.set_flag(0, 1, kFailedCheck, true);  // marked, settled before the first arrival
  m.settle(0);
  rig.run_until(1 * kSecond + 1);
  // 100 arrivals over the other three, in turn: 34, 33, 33 (which one gets 34 depends on the
  // random start).
  auto count = dispatched(rig.observer, 0, kSecond + 1);
  CHECK(count.count(1) == 0);
  CHECK(count[0] + count[2] + count[3] == 100);
  for (const std::uint32_t s : {0U, 2U, 3U}) CHECK((count[s] == 33 || count[s] == 34));
  // Two more fail their checks: 1 of 4 healthy, below half -> panic: every member is routable
  // again, the failing ones too, but a drained server stays out (drained is not health).
  m.fleet.set_flag(kSecond + 1, 2, kFailedCheck, true);
  m.fleet.set_flag(kSecond + 1, 3, kFailedCheck, true);
  m.set_drained(kSecond + 1, 0, true);
  m.health.update_panic(kSecond + 1);
  REQUIRE(m.health.panic());
  m.settle(kSecond + 1);
  rig.run_until(2 * kSecond + 1);
  count = dispatched(rig.observer, kSecond + 1, 2 * kSecond + 1);
  CHECK(count.count(0) == 0);
  CHECK(count[1] + count[2] + count[3] == 100);
  for (const std::uint32_t s : {1U, 2U, 3U}) CHECK((count[s] == 33 || count[s] == 34));
}

TEST_CASE("Balancer: at max_connections requests wait in its queue and go FIFO as slots free") {
  // One server, 1 connection per instance, 10 ms of service, arrivals every 1 ms: the first
  // goes at once, the next ones wait at the balancer and each leaves when the slot frees.
  SimulationConfig config = component_config(1);
  deterministic_arrivals(config, 1000.0);
  config.servers[0].max_connections = 1;
  ModelRig rig(config);
  Model& m = *rig;
  m.traffic.schedule_next();
  rig.run_until(3 * kMs + 1);
  CHECK(m.balancer.queued(0) == 2);  // 2 ms and 3 ms wait; 1 ms is at the server
  m.traffic.change(3 * kMs + 1, 0.0, 0);
  rig.run_until(kSecond);
  std::vector<SimTime> dispatch_times;
  for (const auto& [at, server] : rig.observer.dispatches) dispatch_times.push_back(at);
  CHECK(dispatch_times == std::vector<SimTime>{1 * kMs, 11 * kMs, 21 * kMs});
  std::vector<SimTime> ends;
  for (const RequestOutcome& o : rig.observer.done) ends.push_back(o.end);
  CHECK(ends == std::vector<SimTime>{11 * kMs, 21 * kMs, 31 * kMs});
  CHECK(m.balancer.queued(0) == 0);
}

TEST_CASE("Balancer: set_weight changes the configured weight and rejects bad arguments") {
  ModelRig rig(component_config(2));
  Balancer& balancer = rig->balancer;
  balancer.set_weight(0, 1, 3.0);
  CHECK(balancer.configured_weights() == std::vector<double>{1.0, 3.0});
  // No slow start: effective = configured.
  CHECK(balancer.effective_weights()[1] == 3.0);
  CHECK_THROWS_AS(balancer.set_weight(0, 2, 1.0), std::invalid_argument);  // no such server
  CHECK_THROWS_AS(balancer.set_weight(0, 0, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(balancer.set_weight(0, 0, std::nan("")), std::invalid_argument);
  CHECK(balancer.configured_weights() == std::vector<double>{1.0, 3.0});
}

}  // namespace lbsim::test
