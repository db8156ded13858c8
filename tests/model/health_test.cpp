// Health: active checks, outlier ejection, panic, circuit breakers, and the max_connections
// regressions found in review (issue 4 part 2, issue 3 fixes).
#include <doctest/doctest.h>

#include "tests/model/components.hpp"
#include "tests/model/harness.hpp"

namespace lbsim::test {
namespace {

class Log final : public Observer {
 public:
  void on_request_done(SimTime /*now*/, const RequestOutcome& outcome) override {
    outcomes.push_back(outcome);
  }
  void on_dispatch(SimTime now, std::uint32_t server) override {
    dispatches.emplace_back(now, server);
  }
  void on_server_state(SimTime /*now*/, std::uint32_t server, std::int32_t /*busy*/,
                       std::int64_t queued) override {
    if (queued_max.size() <= server) queued_max.resize(server + 1, 0);
    queued_max[server] = std::max(queued_max[server], queued);
  }
  void on_log(SimTime now, std::string_view kind, std::string_view subject,
              std::string_view detail) override {
    entries.push_back({now, std::string(kind), std::string(subject), std::string(detail)});
  }
  [[nodiscard]] std::vector<LogRow> of_kind(const std::string& kind) const {
    std::vector<LogRow> rows;
    for (const auto& e : entries) {
      if (e.kind == kind) rows.push_back(e);
    }
    return rows;
  }
  std::vector<RequestOutcome> outcomes;
  std::vector<std::pair<SimTime, std::uint32_t>> dispatches;
  std::vector<std::int64_t> queued_max;
  std::vector<LogRow> entries;
};

Log run_logged(const SimulationConfig& c, const std::function<void(Simulation&)>& prepare) {
  Simulation simulation(c);
  prepare(simulation);
  Log log;
  simulation.set_observer(&log);
  (void)simulation.run();
  return log;
}

std::uint64_t count(const Log& log, ErrorKind kind) {
  std::uint64_t n = 0;
  for (const auto& o : log.outcomes) n += o.error == kind ? 1 : 0;
  return n;
}

DistributionConfig deterministic_s(double s) {
  DistributionConfig d;
  d.kind = DistributionKind::kDeterministic;
  d.mean_s = s;
  return d;
}

auto kill_at(SimTime t, std::vector<std::uint32_t> servers) {
  return [t, servers](Simulation& sim) {
    sim.schedule_action(t, [servers](Simulation& s, SimTime) {
      for (const auto server : servers) s.kill_server(server);
    });
  };
}

}  // namespace

TEST_CASE("active health checks: detection time follows interval and fall") {
  // A server is killed at 10 s. Out-of-band probes every `interval` from a random phase fail at
  // once; the `fall`-th failure marks it down: (fall - 1) x interval < delay <= fall x interval.
  // A longer interval or a higher fall threshold detects later.
  const auto detection = [](SimTime interval, int fall) {
    auto c = fleet_config(100.0, exponential_s(0.005), 4, 2, kUnlimitedQueue, 0.0, 60.0);
    c.balancer.health_check.enabled = true;
    c.balancer.health_check.out_of_band = true;
    c.balancer.health_check.interval_ns = interval;
    c.balancer.health_check.fall = fall;
    const auto log = run_logged(c, kill_at(10 * kSecond, {0}));
    const auto down = log.of_kind("health_down");
    REQUIRE(down.size() == 1);
    CHECK(down[0].subject == "s-0");
    return down[0].time - 10 * kSecond;
  };
  const SimTime fast = detection(2 * kSecond, 1);
  const SimTime usual = detection(2 * kSecond, 3);
  const SimTime slow = detection(5 * kSecond, 3);
  CHECK(fast > 0);
  CHECK(fast <= 2 * kSecond);
  CHECK(usual > 4 * kSecond);
  CHECK(usual <= 6 * kSecond);
  CHECK(slow > 10 * kSecond);
  CHECK(slow <= 15 * kSecond);
}

TEST_CASE("active health checks: traffic stops after detection and returns after rise") {
  auto c =
      fleet_config(200.0, exponential_s(0.005), 4, 2, kUnlimitedQueue, 0.0, 60.0, "round_robin");
  c.balancer.health_check.enabled = true;
  c.balancer.health_check.out_of_band = true;
  const auto log = run_logged(c, [](Simulation& sim) {
    sim.schedule_action(10 * kSecond, [](Simulation& s, SimTime) { s.kill_server(0); });
    sim.schedule_action(30 * kSecond, [](Simulation& s, SimTime) { s.restart_server(0); });
  });
  const auto down = log.of_kind("health_down");
  const auto up = log.of_kind("health_up");
  REQUIRE(down.size() == 1);
  REQUIRE(up.size() == 1);
  CHECK(up[0].time > 30 * kSecond + 2 * kSecond);  // rise 2: two probes after the restart
  CHECK(up[0].time <= 30 * kSecond + 4 * kSecond);
  std::uint64_t while_down = 0, refused_after_detection = 0;
  for (const auto& [t, server] : log.dispatches) {
    if (server == 0 && t > down[0].time && t < up[0].time) ++while_down;
  }
  for (const auto& o : log.outcomes) {
    if (o.error == ErrorKind::kRefused && o.end > down[0].time) ++refused_after_detection;
  }
  CHECK(while_down == 0);
  CHECK(refused_after_detection == 0);
  // Before detection, round robin sent a quarter of 200/s to the dead server: refused.
  CHECK(count(log, ErrorKind::kRefused) > 100);
}

TEST_CASE("in-band probes fail on an overloaded server: it is marked down while still up") {
  // One of two servers is slow (speed 0.1) and gets half of 300/s: its queue grows without
  // bound, probes wait behind it and time out (1 s), so checks mark it down and traffic moves.
  auto c =
      fleet_config(300.0, exponential_s(0.005), 1, 1, kUnlimitedQueue, 0.0, 60.0, "round_robin");
  ServerGroupConfig slow = c.servers[0];
  slow.group = "slow";
  slow.speed = 0.1;
  c.servers.push_back(slow);
  c.balancer.health_check.enabled = true;
  c.balancer.panic_threshold = 0.0;
  const auto log = run_logged(c, [](Simulation&) {});
  const auto down = log.of_kind("health_down");
  REQUIRE(!down.empty());
  CHECK(down[0].subject == "slow-0");
  CHECK(log.of_kind("server_crash").empty());
}

TEST_CASE("outlier detection: consecutive errors eject; the interval timer ends the ejection") {
  // Server 0 of 5 is down for good; round robin; 5 consecutive refusals eject it at about 1 s
  // with backoff 1 (30 s). The detector's timer ticks at 10, 20, 30, 40 s: the tick at 30 s finds
  // 29 s served, so the server returns at 40 s, one interval late, as in Envoy. It fails again at
  // once: backoff 2 (60 s), back at the tick at 110 s.
  auto c =
      fleet_config(500.0, exponential_s(0.002), 5, 2, kUnlimitedQueue, 0.0, 120.0, "round_robin");
  c.balancer.outlier.enabled = true;
  c.balancer.outlier.max_ejection_fraction = 0.2;
  const auto log = run_logged(c, kill_at(kSecond, {0}));
  const auto ejected = log.of_kind("outlier_eject");
  const auto returned = log.of_kind("outlier_return");
  REQUIRE(ejected.size() >= 2);
  REQUIRE(returned.size() >= 2);
  CHECK(ejected[0].time < 1100 * kMillisecond);
  CHECK(returned[0].time == 40 * kSecond);
  CHECK(ejected[1].time > returned[0].time);
  CHECK(ejected[1].time - returned[0].time < kSecond);  // fails again at once
  CHECK(ejected[1].detail.find("ejected for 60") != std::string::npos);
  CHECK(returned[1].time == 110 * kSecond);
  // Exactly 5 counted errors per ejection cycle and none while ejected: refusals, plus the
  // requests in service when the server was killed (crash_lost counts as a 5xx too).
  CHECK(count(log, ErrorKind::kRefused) + count(log, ErrorKind::kCrashLost) == 5 * ejected.size());
}

TEST_CASE("outlier detection: max_ejection_percent caps ejections; always_eject_one_host") {
  // Current Envoy: an ejection needs 100 x (ejected + 1) / hosts <= max_ejection_percent, so 0%
  // ejects nothing, unless always_eject_one_host allows the first.
  auto c =
      fleet_config(500.0, exponential_s(0.002), 10, 2, kUnlimitedQueue, 0.0, 20.0, "round_robin");
  c.balancer.outlier.enabled = true;
  c.balancer.outlier.max_ejection_fraction = 0.0;
  const auto none = run_logged(c, kill_at(kSecond, {0, 1, 2}));
  CHECK(none.of_kind("outlier_eject").empty());
  CHECK_FALSE(none.of_kind("outlier_overflow").empty());
  c.balancer.outlier.always_eject_one_host = true;
  CHECK(run_logged(c, kill_at(kSecond, {0, 1, 2})).of_kind("outlier_eject").size() == 1);
  c.balancer.outlier.always_eject_one_host = false;
  c.balancer.outlier.max_ejection_fraction = 0.2;  // two of ten
  CHECK(run_logged(c, kill_at(kSecond, {0, 1, 2})).of_kind("outlier_eject").size() == 2);
}

TEST_CASE("nginx passive health: a dead server gets one request per fail_timeout + 1 s") {
  // Round robin over 3 servers at 300/s; server 0 killed at 1 s. Its first failure (second 1)
  // bans it through second 11; at 12 s exactly it may take one request, which is refused and bans
  // it again from second 12: probes at 12, 23, 34, 45 and 56 s, and nothing else reaches it.
  auto c =
      fleet_config(300.0, exponential_s(0.002), 3, 2, kUnlimitedQueue, 0.0, 60.0, "round_robin");
  c.balancer.passive_health.enabled = true;
  const auto log = run_logged(c, kill_at(kSecond, {0}));
  const auto probes = log.of_kind("passive_probe");
  REQUIRE(probes.size() == 5);
  for (std::size_t i = 0; i < probes.size(); ++i) {
    CHECK(probes[i].time == static_cast<SimTime>(12 + 11 * i) * kSecond);
  }
  // The refusals: the requests that reached it in its first failed second... exactly one per
  // probe after that.
  std::uint64_t late_refused = 0;
  for (const auto& o : log.outcomes) {
    if (o.arrival >= 2 * kSecond && o.error == ErrorKind::kRefused) ++late_refused;
  }
  CHECK(late_refused == 5);
}

TEST_CASE("panic: below the threshold the balancer routes to every server again") {
  // 6 of 10 servers die; checks mark them down. Healthy 4/10 < 50%: panic, traffic goes to all
  // 10 (60% refused). With panic_threshold 0 the 4 healthy servers take everything.
  auto c =
      fleet_config(400.0, exponential_s(0.002), 10, 4, kUnlimitedQueue, 0.0, 40.0, "round_robin");
  c.balancer.health_check.enabled = true;
  c.balancer.health_check.out_of_band = true;
  const auto refused_late = [&](double threshold) {
    c.balancer.panic_threshold = threshold;
    const auto log = run_logged(c, kill_at(5 * kSecond, {0, 1, 2, 3, 4, 5}));
    std::uint64_t late = 0, refused = 0;
    for (const auto& o : log.outcomes) {
      if (o.arrival >= 20 * kSecond) ++late, refused += o.error == ErrorKind::kRefused ? 1 : 0;
    }
    if (threshold > 0) CHECK(log.of_kind("panic_start").size() == 1);
    return static_cast<double>(refused) / static_cast<double>(late);
  };
  CHECK(refused_late(0.5) == doctest::Approx(0.6).epsilon(0.02));
  CHECK(refused_late(0.0) == 0.0);
}

TEST_CASE("fail_traffic_on_panic: in panic nothing is routed (Envoy's no healthy upstream)") {
  // As above, with Envoy's fail_traffic_on_panic under round robin: once the panic starts every
  // request fails at once with no_healthy_backend (RandomLoadBalancerTest.FailClusterOnPanic),
  // the healthy four included. Ring hash ignores the setting (its panic routes to every host):
  // 60% refused, as without it.
  auto c =
      fleet_config(400.0, exponential_s(0.002), 10, 4, kUnlimitedQueue, 0.0, 40.0, "round_robin");
  c.balancer.health_check.enabled = true;
  c.balancer.health_check.out_of_band = true;
  c.balancer.fail_traffic_on_panic = true;
  const auto late_errors = [&](ErrorKind kind) {
    const auto log = run_logged(c, kill_at(5 * kSecond, {0, 1, 2, 3, 4, 5}));
    REQUIRE(log.of_kind("panic_start").size() == 1);
    std::uint64_t late = 0, errors = 0;
    for (const auto& o : log.outcomes) {
      if (o.arrival >= 20 * kSecond) ++late, errors += o.error == kind ? 1 : 0;
    }
    return static_cast<double>(errors) / static_cast<double>(late);
  };
  CHECK(late_errors(ErrorKind::kNoHealthyBackend) == 1.0);
  // The ring (1024 points, about 100 per server) gives the six dead servers 6/10 of the keys to
  // within a few percent (a server's share has a relative sd of about 1/sqrt(100)); +-3 points.
  c.balancer.strategy = strategy_named("ring_hash");
  CHECK(late_errors(ErrorKind::kRefused) == doctest::Approx(0.6).epsilon(0.05));
}

TEST_CASE(
    "circuit breakers: max_requests rejects at once with circuit_open; max_retries caps retries") {
  auto c = fleet_config(400.0, deterministic_s(0.050), 1, 100, kUnlimitedQueue, 0.0, 20.0);
  c.workload.arrivals = ArrivalProcess::kDeterministic;
  // 400/s x 50 ms = 20 in flight; a limit of 10 rejects about half.
  c.balancer.circuit_breakers.max_requests = 10;
  const auto log = run_logged(c, [](Simulation&) {});
  const double open = static_cast<double>(count(log, ErrorKind::kCircuitOpen)) /
                      static_cast<double>(log.outcomes.size());
  CHECK(open == doctest::Approx(0.5).epsilon(0.05));
  for (const auto& o : log.outcomes) {
    if (o.error == ErrorKind::kCircuitOpen) CHECK(o.end == o.arrival);
  }
}

TEST_CASE("max_connections holds while the server still works on a timed-out request") {
  // Review finding H2: 1 worker, max_connections 2, 100 ms service, 150 ms client timeout at
  // 50/s. The cap must bound what the server holds: 1 in service + 1 queued, always.
  auto c = fleet_config(50.0, deterministic_s(0.100), 1, 1, kUnlimitedQueue, 0.0, 30.0);
  c.workload.arrivals = ArrivalProcess::kDeterministic;
  c.servers[0].max_connections = 2;
  c.client.timeout_ns = 150 * kMillisecond;
  c.balancer.queue_timeout_ns = 3600 * kSecond;
  const auto log = run_logged(c, [](Simulation&) {});
  REQUIRE(!log.queued_max.empty());
  CHECK(log.queued_max[0] <= 1);
  CHECK(count(log, ErrorKind::kTimeout) > 0);
}

TEST_CASE("a balancer queue draining into a full server does not recurse (review finding H1)") {
  // Many requests queue at the balancer; the server's own queue holds 1. Before the fix this
  // overflowed the stack.
  auto c = fleet_config(50000.0, exponential_s(0.001), 1, 1, 1, 0.0, 2.0);
  c.servers[0].max_connections = 2;
  c.client.timeout_ns = 2 * kSecond;
  c.balancer.queue_timeout_ns = 3600 * kSecond;
  const auto out = run_config(c);
  CHECK(out.totals.offered > 90000);
  CHECK(out.totals.completed > 1500);
}

}  // namespace lbsim::test

// ---- Health through its own API (components.hpp): exact answers on a Model built in code -------

namespace lbsim::test {

TEST_CASE("Health: panic below the threshold's share of healthy hosts; drained ones leave it") {
  SimulationConfig config = component_config(10);
  config.balancer.panic_threshold = 0.5;
  ModelRig rig(config);
  Model& m = *rig;
  const auto fail_check = [&](std::uint32_t s) {
    m.fleet.set_flag(kSecond, s, kFailedCheck, true);
    m.health.update_panic(kSecond);
  };
  for (std::uint32_t s = 0; s < 5; ++s) fail_check(s);
  CHECK_FALSE(m.health.panic());  // 5 of 10 healthy is not below half
  fail_check(5);
  CHECK(m.health.panic());
  auto logs = rig.observer.logs_of("panic_start");
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].detail == "4 of 10 servers healthy");
  m.set_drained(2 * kSecond, 0, true);  // failing servers drained: out of the host set
  m.set_drained(2 * kSecond, 1, true);
  CHECK_FALSE(m.health.panic());  // 4 of 8
  logs = rig.observer.logs_of("panic_end");
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].detail == "4 of 8 servers healthy");
  m.health.set_panic_threshold(3 * kSecond, 0.0);  // never panic
  fail_check(6);
  CHECK_FALSE(m.health.panic());
  CHECK_THROWS_AS(m.health.set_panic_threshold(4 * kSecond, 1.5), std::invalid_argument);
}

TEST_CASE("Health: fall failed checks take a server out, rise passed ones bring it back") {
  SimulationConfig config = component_config(2);
  HealthCheckConfig& check = config.balancer.health_check;
  check.enabled = true;
  check.out_of_band = true;  // the probe's answer is the server's state, not its queue
  check.fall = 2;
  check.rise = 3;
  ModelRig rig(config);
  Model& m = *rig;
  m.fleet.crash(0, 0, "server_kill");
  // Probes sent by hand (epoch 0 = the loaded settings); the follow-ups they schedule are left
  // in the queue. A down server refuses the probe.
  m.health.handle_probe_send(1 * kSecond, 0, 0);
  CHECK_FALSE(m.fleet.has(0, kFailedCheck));
  m.health.handle_probe_send(3 * kSecond, 0, 0);
  CHECK(m.fleet.has(0, kFailedCheck));
  auto down = rig.observer.logs_of("health_down");
  REQUIRE(down.size() == 1);
  CHECK(down[0].at == 3 * kSecond);
  CHECK(down[0].detail == "2 failed checks");
  m.fleet.restart(4 * kSecond, 0);
  m.health.handle_probe_send(5 * kSecond, 0, 0);
  m.health.handle_probe_send(7 * kSecond, 0, 0);
  CHECK(m.fleet.has(0, kFailedCheck));
  m.health.handle_probe_send(9 * kSecond, 0, 0);
  CHECK_FALSE(m.fleet.has(0, kFailedCheck));
  CHECK(rig.observer.logs_of("health_up").at(0).detail == "3 passed checks");
  // New settings start a new epoch: probes of the old one are ignored.
  m.fleet.crash(10 * kSecond, 1, "server_kill");
  m.health.set_health_check(10 * kSecond, check);
  m.health.handle_probe_send(11 * kSecond, 1, 0);
  m.health.handle_probe_send(13 * kSecond, 1, 0);
  CHECK_FALSE(m.fleet.has(1, kFailedCheck));
  m.health.handle_probe_send(15 * kSecond, 1, 1);
  m.health.handle_probe_send(17 * kSecond, 1, 1);
  CHECK(m.fleet.has(1, kFailedCheck));
  // Checks off: every server passes again.
  HealthCheckConfig off = check;
  off.enabled = false;
  m.health.set_health_check(18 * kSecond, off);
  CHECK_FALSE(m.fleet.has(1, kFailedCheck));
}

TEST_CASE("Health: settings the loader would reject throw") {
  ModelRig rig(component_config(2));  // built without health checks
  Health& health = rig->health;
  HealthCheckConfig check;
  check.enabled = true;
  // Valid, but no probe lane was made for a run without checks: a logic error.
  CHECK_THROWS_AS(health.set_health_check(0, check), std::logic_error);
  check.fall = 0;
  CHECK_THROWS_AS(health.set_health_check(0, check), std::invalid_argument);
  OutlierConfig outlier;
  outlier.enabled = true;
  outlier.max_ejection_ns = outlier.base_ejection_ns - 1;
  CHECK_THROWS_AS(health.set_outlier_detection(0, outlier), std::invalid_argument);
}

}  // namespace lbsim::test
