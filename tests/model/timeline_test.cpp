// Timeline actions and alert rules in the model (issue 4): each action does what it says at the
// time it says, checked on exact quantities (event times, dispatch targets, deterministic
// arrivals) wherever the model makes them exact.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/model/components.hpp"
#include "tests/model/harness.hpp"

namespace lbsim::test {
namespace {

// Forwards everything to a Recorder (alerts need its windows) and keeps what the tests look at.
class Tap final : public Observer {
 public:
  explicit Tap(Recorder& recorder) : recorder_(recorder) {}

  void on_request_arrival(SimTime now, std::uint64_t user, double demand_s) override {
    arrivals.push_back(now);
    recorder_.on_request_arrival(now, user, demand_s);
  }
  void on_dispatch(SimTime now, std::uint32_t server) override {
    dispatches.emplace_back(now, server);
    recorder_.on_dispatch(now, server);
  }
  void on_request_done(SimTime now, const RequestOutcome& outcome) override {
    outcomes.push_back(outcome);
    recorder_.on_request_done(now, outcome);
  }
  void on_retry(SimTime now) override { recorder_.on_retry(now); }
  void on_server_join(SimTime now, std::uint32_t server) override {
    recorder_.on_server_join(now, server);
  }
  void on_server_leave(SimTime now, std::uint32_t server) override {
    recorder_.on_server_leave(now, server);
  }
  void on_server_down(SimTime now, std::uint32_t server, DownCause cause) override {
    recorder_.on_server_down(now, server, cause);
  }
  void on_server_up(SimTime now, std::uint32_t server) override {
    recorder_.on_server_up(now, server);
  }
  void on_server_status(SimTime now, std::uint32_t server, const ServerStatus& status) override {
    recorder_.on_server_status(now, server, status);
  }
  void on_service_done(SimTime now, std::uint32_t server, bool waiting) override {
    recorder_.on_service_done(now, server, waiting);
  }
  void on_server_state(SimTime now, std::uint32_t server, std::int32_t busy,
                       std::int64_t queued) override {
    recorder_.on_server_state(now, server, busy, queued);
  }
  void on_log(SimTime now, std::string_view kind, std::string_view subject,
              std::string_view detail) override {
    recorder_.on_log(now, kind, subject, detail);
  }
  void on_action(SimTime now, std::string_view kind, bool change, bool mitigation,
                 bool from_alert) override {
    recorder_.on_action(now, kind, change, mitigation, from_alert);
  }
  void on_alert(SimTime now, std::string_view name, bool firing) override {
    recorder_.on_alert(now, name, firing);
  }
  void on_window_boundary(SimTime now) override { recorder_.on_window_boundary(now); }

  std::vector<SimTime> arrivals;
  std::vector<std::pair<SimTime, std::uint32_t>> dispatches;
  std::vector<RequestOutcome> outcomes;

 private:
  Recorder& recorder_;
};

struct Run {
  explicit Run(const SimulationConfig& config)
      : simulation(config),
        recorder({config.warmup_ns, simulation.end_time(), config.window_ns, simulation.servers(),
                  simulation.user_population(), nullptr, config.incident,
                  &simulation.window_listener()}),
        tap(recorder) {
    simulation.set_observer(&tap);
  }
  void run() {
    (void)simulation.run();
    recorder.finish();
  }
  // Log entries of one kind.
  [[nodiscard]] std::vector<LogRow> logged(std::string_view kind) const {
    std::vector<LogRow> rows;
    for (const LogRow& row : recorder.log()) {
      if (row.kind == kind) rows.push_back(row);
    }
    return rows;
  }
  // Dispatches to each server within [from, to).
  [[nodiscard]] std::vector<std::uint64_t> dispatched(SimTime from, SimTime to) const {
    std::vector<std::uint64_t> counts(simulation.servers().size(), 0);
    for (const auto& [t, s] : tap.dispatches) {
      if (t >= from && t < to) ++counts[s];
    }
    return counts;
  }

  Simulation simulation;
  Recorder recorder;
  Tap tap;
};

DistributionConfig deterministic_s(double mean_s) {
  DistributionConfig d;
  d.kind = DistributionKind::kDeterministic;
  d.mean_s = mean_s;
  return d;
}

template <typename T>
ActionConfig action(double at_s) {
  ActionConfig a;
  a.action = T{};
  a.at_ns = from_seconds(at_s);
  return a;
}

template <typename T>
ActionConfig on_servers(double at_s, std::vector<std::uint32_t> servers) {
  ActionConfig a = action<T>(at_s);
  as<T>(a).target.servers = std::move(servers);
  return a;
}

}  // namespace

TEST_CASE("a traffic step moves the pending arrival by the time-change theorem") {
  // Deterministic arrivals at 100/s: one every 10 ms. At 1.005 s the rate doubles. The arrival
  // due at 1.010 s had used half of its unit of cumulative rate by then; the other half at
  // 200/s takes 2.5 ms: it moves to 1.0075 s, then one every 5 ms. Exact to the nanosecond.
  auto c = fleet_config(100.0, deterministic_s(0.001), 1, 100, -1, 0.0, 2.0);
  c.workload.arrivals = ArrivalProcess::kDeterministic;
  ActionConfig step = action<TrafficAction>(1.005);
  as<TrafficAction>(step).rate_per_s = 200.0;
  c.timeline = {step};
  Run run(c);
  run.run();
  const auto& t = run.tap.arrivals;
  REQUIRE(t.size() > 110);
  CHECK(t[99] == 1'000'000'000);  // the 100th arrival, at 1.000 s, under the old rate
  CHECK(t[100] == 1'007'500'000);
  CHECK(t[101] == 1'012'500'000);
  CHECK(t[102] == 1'017'500'000);
  // 100 arrivals in [0, 1.005), then (2 - 1.0075) / 0.005 + 1 = 199.5 -> 199 more before 2 s.
  CHECK(t.size() == 100 + 199);
}

TEST_CASE("a traffic ramp offers the integral of its rate, and a spike goes back") {
  // Poisson at 1000/s; at 10 s a ramp to 3000/s over 10 s: 20000 arrivals expected in
  // [10, 20) (the integral), 30000 in [20, 25). Then at 30 s a spike to 5x for 5 s: 25000 in
  // [30, 35) and 1000/s again after. Counts are Poisson: 5 standard deviations is a tolerance a
  // correct model misses with probability ~1e-6, while a ramp applied as a step (30000) or not
  // at all (10000) is 70+ deviations out.
  auto c = fleet_config(1000.0, deterministic_s(0.0001), 1, 1000, -1, 0.0, 50.0);
  ActionConfig ramp = action<TrafficAction>(10.0);
  as<TrafficAction>(ramp).rate_per_s = 3000.0;
  as<TrafficAction>(ramp).ramp_ns = 10 * kSecond;
  ActionConfig back = action<TrafficAction>(25.0);
  as<TrafficAction>(back).rate_per_s = 1000.0;
  ActionConfig spike = action<TrafficAction>(30.0);
  as<TrafficAction>(spike).rate_per_s = 5000.0;
  as<TrafficAction>(spike).hold_ns = 5 * kSecond;
  c.timeline = {ramp, back, spike};
  Run run(c);
  run.run();
  const auto count = [&](double from_s, double to_s) {
    double n = 0;
    for (const SimTime t : run.tap.arrivals)
      n += (t >= from_seconds(from_s) && t < from_seconds(to_s)) ? 1 : 0;
    return n;
  };
  const auto near = [](double n, double expected) {
    return std::abs(n - expected) < 5.0 * std::sqrt(expected);
  };
  CHECK(near(count(0, 10), 10000));
  CHECK(near(count(10, 20), 20000));
  CHECK(near(count(20, 25), 15000));
  CHECK(near(count(25, 30), 5000));
  CHECK(near(count(30, 35), 25000));
  CHECK(near(count(35, 50), 15000));
  // The spike's return is logged.
  CHECK(run.logged("traffic").size() == 4);
  CHECK(run.logged("traffic").back().time == 35 * kSecond);
}

TEST_CASE("set_strategy replaces every instance's strategy at once") {
  // 4 servers, 2 balancer instances, round robin; at 10 s `first` (HAProxy balance first: the
  // lowest-numbered available server). After the switch every request goes to s-0.
  auto c = fleet_config(400.0, deterministic_s(0.001), 4, 100, -1, 0.0, 20.0, "round_robin");
  c.balancer.instances = 2;
  ActionConfig first = action<SetStrategyAction>(10.0);
  as<SetStrategyAction>(first).strategy = strategy_named("first");
  c.timeline = {first};
  Run run(c);
  run.run();
  const auto before = run.dispatched(0, 10 * kSecond);
  const auto after = run.dispatched(10 * kSecond, 20 * kSecond);
  for (const auto n : before) CHECK(n > 800);  // about 1000 each under round robin
  CHECK(after[0] > 3500);
  CHECK(after[1] + after[2] + after[3] == 0);
  CHECK(run.simulation.settings().strategy.name() == "first");
  CHECK(run.simulation.config().balancer.strategy.name() == "round_robin");  // as loaded
}

TEST_CASE("a health-check change from the timeline moves detection time as it should") {
  // A killed server refuses every probe at once, so with interval i and fall f the f-th failed
  // probe comes (f - 1) i to f i after the kill (the first probe is within one interval).
  // Defaults i = 2 s, f = 3: detection in (4, 6] s. Changed at 5 s to i = 0.5 s, f = 2: in
  // (0.5, 1] s. Bounds are exact: no tolerance needed.
  for (const bool changed : {false, true}) {
    CAPTURE(changed);
    auto c = fleet_config(200.0, deterministic_s(0.001), 4, 4, -1, 0.0, 40.0, "round_robin");
    c.balancer.health_check.enabled = true;
    c.timeline.push_back(on_servers<KillAction>(20.0, {1}));
    if (changed) {
      ActionConfig check = action<SetHealthCheckAction>(5.0);
      as<SetHealthCheckAction>(check).health_check.enabled = true;
      as<SetHealthCheckAction>(check).health_check.interval_ns = 500 * kMillisecond;
      as<SetHealthCheckAction>(check).health_check.timeout_ns = 250 * kMillisecond;
      as<SetHealthCheckAction>(check).health_check.fall = 2;
      c.timeline.push_back(check);
      std::swap(c.timeline[0], c.timeline[1]);  // sorted by time
    }
    Run run(c);
    run.run();
    const auto down = run.logged("health_down");
    REQUIRE(down.size() == 1);
    CHECK(down[0].subject == "s-1");
    const double delay = to_seconds(down[0].time - 20 * kSecond);
    if (changed) {
      CHECK(delay > 0.5);
      CHECK(delay <= 1.0);
    } else {
      CHECK(delay > 4.0);
      CHECK(delay <= 6.0);
    }
  }
}

TEST_CASE("kill and start take servers down and back") {
  // Round robin over 2 servers without health checks keeps sending to the killed one: exactly
  // half the requests fail `refused` while it is down, none before or after.
  auto c = fleet_config(100.0, deterministic_s(0.001), 2, 1, -1, 0.0, 30.0, "round_robin");
  c.workload.arrivals = ArrivalProcess::kDeterministic;
  c.timeline = {on_servers<KillAction>(10.0, {1}), on_servers<StartAction>(20.0, {1})};
  Run run(c);
  run.run();
  std::map<int, std::uint64_t> refused_by_second;
  for (const RequestOutcome& o : run.tap.outcomes) {
    if (o.error == ErrorKind::kRefused)
      ++refused_by_second[static_cast<int>(to_seconds(o.arrival))];
    if (o.error != ErrorKind::kNone) CHECK(o.error == ErrorKind::kRefused);
  }
  std::uint64_t refused = 0;
  for (const auto& [second, n] : refused_by_second) {
    CHECK(second >= 10);
    CHECK(second < 20);
    refused += n;
  }
  CHECK(refused == 500);  // 1000 arrivals in [10, 20), every other one
  REQUIRE(run.logged("server_kill").size() == 1);
  CHECK(run.logged("server_kill")[0].time == 10 * kSecond);
  CHECK(run.logged("server_restart")[0].time == 20 * kSecond);
}

TEST_CASE("restart drains, stops and brings a server back; phased restart goes in batches") {
  SUBCASE("restart") {
    auto c = fleet_config(200.0, deterministic_s(0.001), 2, 1, -1, 0.0, 30.0, "round_robin");
    ActionConfig restart = on_servers<RestartAction>(10.0, {0});
    as<RestartAction>(restart).drain_ns = 2 * kSecond;
    as<RestartAction>(restart).down_ns = 3 * kSecond;
    c.timeline = {restart};
    Run run(c);
    run.run();
    // Drained at 10 s: no new requests; stopped at 12 s holding nothing (1 ms of work drains in
    // 2 s); back at 15 s.
    const auto out = run.dispatched(10 * kSecond + 1, 15 * kSecond);
    CHECK(out[0] == 0);
    CHECK(out[1] > 800);
    CHECK(run.dispatched(15 * kSecond, 30 * kSecond)[0] > 1000);
    REQUIRE(run.logged("server_stop").size() == 1);
    CHECK(run.logged("server_stop")[0].time == 12 * kSecond);
    CHECK(run.logged("server_stop")[0].detail == "0 requests lost");
    CHECK(run.logged("server_restart")[0].time == 15 * kSecond);
    for (const RequestOutcome& o : run.tap.outcomes) CHECK(o.error == ErrorKind::kNone);
  }
  SUBCASE("a group configured down stays out of rotation after a restart") {
    // nginx down / HAProxy disabled: configured, never routed to, a restart included.
    auto c = fleet_config(200.0, deterministic_s(0.001), 2, 1, -1, 0.0, 30.0, "round_robin");
    c.servers[0].count = 1;
    ServerGroupConfig spare = c.servers[0];
    spare.group = "spare";
    spare.down = true;
    c.servers.push_back(spare);
    ActionConfig restart = on_servers<RestartAction>(10.0, {1});
    as<RestartAction>(restart).down_ns = 3 * kSecond;
    c.timeline = {restart};
    Run run(c);
    run.run();
    CHECK(run.logged("server_restart").size() == 1);
    CHECK(run.dispatched(0, 30 * kSecond)[1] == 0);
    CHECK(run.dispatched(0, 30 * kSecond)[0] > 5000);
  }
  SUBCASE("phased restart") {
    auto c = fleet_config(200.0, deterministic_s(0.001), 6, 1, -1, 0.0, 60.0, "round_robin");
    ActionConfig phased = action<PhasedRestartAction>(10.0);
    as<PhasedRestartAction>(phased).target.group = "s";
    as<PhasedRestartAction>(phased).batch = 2;
    as<PhasedRestartAction>(phased).every_ns = 10 * kSecond;
    as<PhasedRestartAction>(phased).down_ns = 5 * kSecond;
    c.timeline = {phased};
    Run run(c);
    run.run();
    const auto stops = run.logged("server_stop");
    const auto starts = run.logged("server_restart");
    REQUIRE(stops.size() == 6);
    REQUIRE(starts.size() == 6);
    for (std::size_t i = 0; i < 6; ++i) {
      const SimTime batch_start = (10 + 10 * static_cast<SimTime>(i / 2)) * kSecond;
      CHECK(stops[i].subject == "s-" + std::to_string(i));
      CHECK(stops[i].time == batch_start);
      CHECK(starts[i].time == batch_start + 5 * kSecond);
    }
  }
}

TEST_CASE("add_servers brings new servers in and remove_servers takes servers out") {
  auto c = fleet_config(300.0, deterministic_s(0.001), 3, 4, -1, 0.0, 30.0, "round_robin");
  c.window_ns = 5 * kSecond;
  ServerGroupConfig added = c.servers[0];
  added.count = 2;
  added.first_index = 3;
  added.join_at_ns = kTimeNever;
  c.servers.push_back(added);
  ActionConfig add = action<AddServersAction>(10.0);
  as<AddServersAction>(add).clone_group = 1;
  c.timeline = {add, on_servers<RemoveServersAction>(20.0, {0})};
  Run run(c);
  run.run();
  REQUIRE(run.simulation.servers().size() == 5);
  CHECK(run.simulation.servers()[3].name == "s-3");
  CHECK(run.simulation.servers()[4].name == "s-4");
  const auto before = run.dispatched(0, 10 * kSecond);
  CHECK(before[3] + before[4] == 0);
  const auto during = run.dispatched(10 * kSecond, 20 * kSecond);
  for (const auto n : during) CHECK(n > 500);  // 3000 over 5 servers
  const auto after = run.dispatched(20 * kSecond, 30 * kSecond);
  CHECK(after[0] == 0);
  // Members at each window's end: 3, then 5, then 4.
  const auto& w = run.recorder.windows();
  REQUIRE(w.size() == 6);
  CHECK(w[0].members == 3);
  CHECK(w[2].members == 5);
  CHECK(w[5].members == 4);
  CHECK(w[5].healthy == 4);
  // Utilisation counts s-3 and s-4 only from when they joined: the fleet's mean is the same
  // per-server load, not diluted by the 10 s before they existed.
  const auto& util = run.recorder.totals().utilization;
  CHECK(util[3] == doctest::Approx(util[1]).epsilon(0.1));
}

TEST_CASE("rollback restores the configuration from just before the named action") {
  auto c =
      fleet_config(400.0, deterministic_s(0.001), 4, 100, -1, 0.0, 30.0, "weighted_round_robin");
  c.workload.arrivals = ArrivalProcess::kDeterministic;
  ActionConfig change = action<SetStrategyAction>(10.0);
  change.name = "bad";
  as<SetStrategyAction>(change).strategy = strategy_named("first");
  ActionConfig weights = on_servers<SetWeightAction>(10.0, {2});
  as<SetWeightAction>(weights).weight = 5.0;
  ActionConfig checks = action<SetHealthCheckAction>(15.0);
  as<SetHealthCheckAction>(checks).health_check.enabled = true;
  ActionConfig rollback = action<RollbackAction>(20.0);
  as<RollbackAction>(rollback).to_before = "bad";
  c.timeline = {change, weights, checks, rollback};
  Run run(c);
  run.run();
  const BalancerSettings& after = run.simulation.settings();
  CHECK(after.strategy.name() == "weighted_round_robin");
  CHECK(after.strategy.options.at("mode") == OptionValue(std::string("smooth")));
  CHECK_FALSE(after.health_check.enabled);  // turned on after "bad", so undone too
  for (const double w : run.simulation.effective_weights()) CHECK(w == 1.0);
  const auto last = run.dispatched(20 * kSecond, 30 * kSecond);
  // 4000 arrivals (20.0 s to 29.9975 s), equal weights, smooth WRR: an exact rotation.
  for (const auto n : last) CHECK(n == 1000);
  const auto rollbacks = run.logged("rollback");
  REQUIRE(rollbacks.size() == 1);
  CHECK(rollbacks[0].detail == "to before bad");
}

TEST_CASE("an alert fires after its duration, resolves, and triggers its actions") {
  // Deterministic arrivals at 100/s; a spike to 300/s over [60, 90). Windows of 10 s. The rule
  // "offered_rate above 200/s for 20s" holds in the windows starting at 60, 70 and 80: pending
  // from 60, firing at the end of the window that makes 20 s, 80 s; resolved at the end of the
  // first window without it, 100 s. Its action runs 5 s after firing.
  auto c = fleet_config(100.0, deterministic_s(0.001), 2, 4, -1, 0.0, 120.0, "round_robin");
  c.workload.arrivals = ArrivalProcess::kDeterministic;
  c.window_ns = 10 * kSecond;
  ActionConfig spike = action<TrafficAction>(60.0);
  as<TrafficAction>(spike).rate_per_s = 300.0;
  as<TrafficAction>(spike).hold_ns = 30 * kSecond;
  c.timeline = {spike};
  AlertRule busy;
  busy.name = "busy";
  busy.metric = AlertMetric::kOfferedRate;
  busy.threshold = 200.0;
  busy.for_ns = 20 * kSecond;
  ActionConfig kill = on_servers<KillAction>(0.0, {1});
  kill.at_ns = 5 * kSecond;  // the delay after firing
  busy.on_fire = {kill};
  c.alerts = {busy};
  Run run(c);
  run.run();
  const auto fired = run.logged("alert_firing");
  const auto resolved = run.logged("alert_resolved");
  REQUIRE(fired.size() == 1);
  REQUIRE(resolved.size() == 1);
  CHECK(fired[0].time == 80 * kSecond);
  CHECK(fired[0].subject == "busy");
  CHECK(resolved[0].time == 100 * kSecond);
  const auto kills = run.logged("kill");
  REQUIRE(kills.size() == 1);
  CHECK(kills[0].time == 85 * kSecond);
  CHECK(kills[0].detail.find("(on alert busy)") != std::string::npos);
  CHECK_FALSE(run.simulation.server_up(1));

  SUBCASE("for: 0 fires at the end of the first window that meets the condition") {
    c.alerts[0].for_ns = 0;
    Run again(c);
    again.run();
    REQUIRE(again.logged("alert_firing").size() == 1);
    CHECK(again.logged("alert_firing")[0].time == 70 * kSecond);
  }
}

TEST_CASE("alerts on healthy servers, and a rollback before its action happened") {
  // 4 servers with health checks; 2 killed at 20 s are detected within 6 s (defaults): the
  // window ending at 30 s sees 2 healthy servers, below 3.
  auto c = fleet_config(200.0, deterministic_s(0.001), 4, 4, -1, 0.0, 60.0, "round_robin");
  c.window_ns = 10 * kSecond;
  c.balancer.health_check.enabled = true;
  ActionConfig late = on_servers<KillAction>(20.0, {0, 1});
  late.name = "late";
  c.timeline = {late};
  AlertRule healthy;
  healthy.name = "healthy";
  healthy.metric = AlertMetric::kHealthyServers;
  healthy.above = false;
  healthy.threshold = 3.0;
  AlertRule early;
  early.name = "early";
  early.metric = AlertMetric::kOfferedRate;
  early.threshold = 100.0;
  ActionConfig rollback;
  rollback.action = RollbackAction{};
  as<RollbackAction>(rollback).to_before = "late";
  early.on_fire = {rollback};
  c.alerts = {healthy, early};
  c.incident.start_ns = 0;
  Run run(c);
  run.run();
  bool healthy_fired = false;
  for (const LogRow& row : run.logged("alert_firing")) {
    if (row.subject == "healthy") {
      healthy_fired = true;
      CHECK(row.time == 30 * kSecond);
    }
  }
  CHECK(healthy_fired);
  // "early" fires at 10 s, before "late" ran: nothing to roll back to yet.
  const auto skipped = run.logged("rollback_skipped");
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].time == 10 * kSecond);
  CHECK(skipped[0].subject == "late");
  // A skipped rollback is not logged as a rollback and mitigates nothing.
  CHECK(run.logged("rollback").empty());
  REQUIRE(run.recorder.incident() != nullptr);
  CHECK(run.recorder.incident()->mitigated == -1);
}

TEST_CASE("set_speed, circuit breakers, panic threshold and outlier detection change at run time") {
  SUBCASE("speed") {
    // One worker, 10 ms of work, arrivals 100 ms apart: no queueing, response = work / speed.
    auto c = fleet_config(10.0, deterministic_s(0.010), 1, 1, -1, 0.0, 20.0);
    c.workload.arrivals = ArrivalProcess::kDeterministic;
    ActionConfig faster = on_servers<SetSpeedAction>(10.05, {0});
    as<SetSpeedAction>(faster).speed = 2.0;
    c.timeline = {faster};
    Run run(c);
    run.run();
    for (const RequestOutcome& o : run.tap.outcomes) {
      const SimTime expected =
          o.arrival < 10'050 * kMillisecond ? 10 * kMillisecond : 5 * kMillisecond;
      CHECK(o.end - o.arrival == expected);
    }
  }
  SUBCASE("circuit breakers") {
    // max_requests 0 from 10 s: every attempt is rejected at once with circuit_open.
    auto c = fleet_config(100.0, deterministic_s(0.001), 2, 4, -1, 0.0, 20.0);
    c.workload.arrivals = ArrivalProcess::kDeterministic;
    ActionConfig breakers = action<SetCircuitBreakersAction>(10.0);
    as<SetCircuitBreakersAction>(breakers).circuit_breakers.max_requests = 0;
    c.timeline = {breakers};
    Run run(c);
    run.run();
    for (const RequestOutcome& o : run.tap.outcomes) {
      CHECK(o.error == (o.arrival < 10 * kSecond ? ErrorKind::kNone : ErrorKind::kCircuitOpen));
    }
  }
  SUBCASE("panic threshold") {
    // 3 of 4 servers killed and detected: 25% healthy, below the default 50%: panic. Lowering
    // the threshold to 20% ends it.
    auto c = fleet_config(100.0, deterministic_s(0.001), 4, 4, -1, 0.0, 40.0);
    c.balancer.health_check.enabled = true;
    ActionConfig threshold = action<SetPanicThresholdAction>(30.0);
    as<SetPanicThresholdAction>(threshold).threshold = 0.2;
    c.timeline = {on_servers<KillAction>(10.0, {0, 1, 2}), threshold};
    Run run(c);
    run.run();
    REQUIRE(run.logged("panic_start").size() == 1);
    REQUIRE(run.logged("panic_end").size() == 1);
    CHECK(run.logged("panic_end")[0].time == 30 * kSecond);
  }
  SUBCASE("outlier detection off ends every ejection") {
    auto c = fleet_config(200.0, deterministic_s(0.001), 4, 4, -1, 0.0, 40.0, "round_robin");
    c.balancer.outlier.enabled = true;
    c.balancer.outlier.base_ejection_ns = 300 * kSecond;
    c.balancer.outlier.max_ejection_fraction = 0.5;
    ActionConfig off = action<SetOutlierDetectionAction>(30.0);
    as<SetOutlierDetectionAction>(off).outlier.enabled = false;
    c.timeline = {on_servers<KillAction>(10.0, {0}), off};
    Run run(c);
    run.run();
    REQUIRE(run.logged("outlier_eject").size() == 1);
    CHECK(run.simulation.server_status(0).ejected == false);
    CHECK(run.recorder.windows().back().healthy == 3);  // s-0 is back in rotation, but down
    CHECK(run.recorder.windows().back().members == 4);
  }
}

TEST_CASE("L4: a crashed server's connections are gone; users reconnect elsewhere") {
  // unit: connection pins each user to a server. s-1 is killed at 10 s; health checks take it out
  // of rotation within 6 s (2 s interval, fall 3). Its users' connections die with it, so they
  // reconnect to s-0 and nothing fails after detection. (Were the connections kept, every user
  // pinned to s-1 would be refused until the end.) A refused connect is not pinned either.
  auto c = fleet_config(200.0, deterministic_s(0.001), 2, 4, -1, 0.0, 40.0, "round_robin");
  c.balancer.unit = BalancingUnit::kConnection;
  c.balancer.health_check.enabled = true;
  c.workload.users = 100;
  c.timeline = {on_servers<KillAction>(10.0, {1})};
  Run run(c);
  run.run();
  std::uint64_t failed_before = 0, failed_late = 0, failed_between = 0;
  for (const RequestOutcome& o : run.tap.outcomes) {
    if (o.error == ErrorKind::kNone) continue;
    if (o.arrival < 10 * kSecond)
      ++failed_before;
    else if (o.arrival >= 17 * kSecond)
      ++failed_late;
    else
      ++failed_between;
  }
  CHECK(failed_before == 0);
  CHECK(failed_between > 0);  // refused until the checks notice
  CHECK(failed_late == 0);
  const auto late = run.dispatched(17 * kSecond, 40 * kSecond);
  CHECK(late[1] == 0);
  CHECK(late[0] > 4000);
}

TEST_CASE("group actions reach members only; a re-enabled detector's old timers are void") {
  SUBCASE("kill by group spares servers that have not joined yet") {
    auto c = fleet_config(200.0, deterministic_s(0.001), 2, 4, -1, 0.0, 40.0, "round_robin");
    ServerGroupConfig later = c.servers[0];
    later.count = 1;
    later.first_index = 2;
    later.join_at_ns = kTimeNever;
    c.servers.push_back(later);
    ActionConfig kill = action<KillAction>(10.0);
    as<KillAction>(kill).target.group = "s";
    ActionConfig add = action<AddServersAction>(20.0);
    as<AddServersAction>(add).clone_group = 1;
    c.timeline = {kill, add};
    Run run(c);
    run.run();
    REQUIRE(run.logged("server_kill").size() == 2);  // s-0 and s-1, not s-2
    CHECK(run.simulation.server_up(2));
    // s-2 joins at 20 s, up, and serves: after it joins every request goes to it (the others
    // are down and round robin skips nothing without health checks, so half are refused).
    const auto late = run.dispatched(20 * kSecond, 40 * kSecond);
    CHECK(late[2] > 1000);
  }
  SUBCASE("outlier detection off and on again: only the new ejection's timer ends it") {
    // s-0 killed at 10 s is ejected after 5 errors (base ejection 60 s). Detection goes off at
    // 20 s (the ejection ends) and on at 25 s; s-0, still down, is ejected again at once, for 60 s
    // from then. The first ejection's timer (due at ~70 s) must not end the second one.
    auto c = fleet_config(200.0, deterministic_s(0.001), 4, 4, -1, 0.0, 120.0, "round_robin");
    c.balancer.outlier.enabled = true;
    c.balancer.outlier.base_ejection_ns = 60 * kSecond;
    c.balancer.outlier.max_ejection_fraction = 0.5;
    ActionConfig off = action<SetOutlierDetectionAction>(20.0);
    as<SetOutlierDetectionAction>(off).outlier.enabled = false;
    ActionConfig on = action<SetOutlierDetectionAction>(25.0);
    as<SetOutlierDetectionAction>(on).outlier = c.balancer.outlier;
    c.timeline = {on_servers<KillAction>(10.0, {0}), off, on};
    Run run(c);
    run.run();
    const auto ejections = run.logged("outlier_eject");
    REQUIRE(ejections.size() >= 2);
    CHECK(ejections[0].time < 11 * kSecond);
    CHECK(ejections[1].time >= 25 * kSecond);
    CHECK(ejections[1].time < 26 * kSecond);
    const auto returns = run.logged("outlier_return");
    REQUIRE(!returns.empty());
    CHECK(returns[0].time >= ejections[1].time + 60 * kSecond);
  }
}

}  // namespace lbsim::test

// ---- Timeline through its own API (components.hpp): exact answers on a Model built in code -----

namespace lbsim::test {
namespace {

ActionConfig weight_action(std::string name, std::uint32_t server, double weight) {
  ActionConfig action;
  action.name = std::move(name);
  SetWeightAction set;
  set.target.servers = {server};
  set.weight = weight;
  action.action = set;
  return action;
}

}  // namespace

TEST_CASE("Timeline: steps run in time order, ties as scheduled; no past, nothing after the run") {
  ModelRig rig(component_config(1));
  Timeline& timeline = rig->timeline;
  std::vector<std::string> ran;
  CHECK_THROWS_AS(timeline.schedule(-1, [](SimTime) {}), std::invalid_argument);
  timeline.schedule(2 * kSecond, [&](SimTime t) { ran.push_back("b@" + std::to_string(t)); });
  timeline.schedule(1 * kSecond, [&](SimTime t) { ran.push_back("a@" + std::to_string(t)); });
  timeline.schedule(2 * kSecond, [&](SimTime) { ran.push_back("c"); });  // ties: in order
  timeline.schedule_start({});
  // While running, steps may be added for now or later (an alert's reactions).
  timeline.schedule(3 * kSecond, [&](SimTime) { ran.push_back("d"); });
  rig.run_until(10 * kSecond);
  CHECK(ran == std::vector<std::string>{"a@1000000000", "b@2000000000", "c", "d"});
  CHECK_THROWS_AS(timeline.schedule(1 * kSecond, [](SimTime) {}), std::invalid_argument);
  timeline.finish();
  CHECK_THROWS_AS(timeline.schedule(20 * kSecond, [](SimTime) {}), std::logic_error);
}

TEST_CASE("Timeline: a named action records what a rollback restores; unknown names are skipped") {
  ModelRig rig(component_config(2));
  Model& m = *rig;
  m.timeline.run(kSecond, weight_action("heavier", 0, 5.0));
  CHECK(m.balancer.configured_weights() == std::vector<double>{5.0, 1.0});
  const auto applied = rig.observer.logs_of("set_weight");
  REQUIRE(applied.size() == 1);
  CHECK(applied[0].detail == "weight 5 [heavier]");
  m.timeline.run(2 * kSecond, weight_action("", 1, 7.0));  // unnamed: nothing recorded
  CHECK(m.timeline.rollback(3 * kSecond, "heavier", ""));
  // Back to just before "heavier", the later unnamed change included.
  CHECK(m.balancer.configured_weights() == std::vector<double>{1.0, 1.0});
  // A named action run from an alert records nothing either (the loader orders only the
  // timeline's names), so a rollback to it is skipped and logged.
  m.timeline.run(4 * kSecond, weight_action("from_alert", 1, 2.0), true, "errors");
  CHECK_FALSE(m.timeline.rollback(5 * kSecond, "from_alert", "errors"));
  const auto skipped = rig.observer.logs_of("rollback_skipped");
  REQUIRE(skipped.size() == 1);
  CHECK(skipped[0].subject == "from_alert");
  CHECK(skipped[0].detail == "\"from_alert\" has not happened yet (on alert errors)");
  CHECK(m.balancer.configured_weights() == std::vector<double>{1.0, 2.0});
}

}  // namespace lbsim::test
