// Fleet, through its own API on a Model built in code (components.hpp): standing flags and the
// in-rotation state they collapse to, the host counts the balancer and panic rule read, joins,
// crashes and restarts with their incarnations, and a server's queue.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "sim/model/simulation.hpp"
#include "tests/model/components.hpp"

namespace lbsim::test {

namespace {

// (members, hosts, healthy hosts): what the balancer's host set and the panic rule read.
std::vector<std::uint32_t> counts(const Fleet& fleet) {
  return {fleet.members(), fleet.hosts(), fleet.healthy_hosts()};
}

}  // namespace

TEST_CASE("Fleet: health flags collapse to in-rotation; down is not health, drained leaves hosts") {
  ModelRig rig(component_config(4));
  Fleet& fleet = rig->fleet;
  fleet.report_initial_status();
  REQUIRE(rig.observer.statuses.size() == 4);  // once per server at the start
  for (std::uint32_t s = 0; s < 4; ++s) CHECK(fleet.status(s).in_rotation());
  CHECK(counts(fleet) == std::vector<std::uint32_t>{4, 4, 4});

  fleet.crash(1, 0, "server_kill");
  // Down, but still a healthy host: without checks the balancer keeps sending to it.
  CHECK(fleet.flags(0) == kDown);
  CHECK_FALSE(fleet.status(0).in_rotation());
  CHECK(counts(fleet) == std::vector<std::uint32_t>{4, 4, 4});
  fleet.set_flag(2, 1, kFailedCheck, true);
  CHECK(counts(fleet) == std::vector<std::uint32_t>{4, 4, 3});
  fleet.set_flag(3, 2, kDrained, true);  // out of the host set altogether
  CHECK(counts(fleet) == std::vector<std::uint32_t>{4, 3, 2});
  fleet.set_flag(4, 2, kFailedCheck, true);  // failing while drained: no host to lose
  CHECK(counts(fleet) == std::vector<std::uint32_t>{4, 3, 2});
  fleet.set_flag(5, 3, kEjected, true);
  CHECK(counts(fleet) == std::vector<std::uint32_t>{4, 3, 1});
  const std::size_t reports = rig.observer.statuses.size();
  fleet.set_flag(6, 3, kEjected, true);  // no change: not reported again
  CHECK(rig.observer.statuses.size() == reports);
  CHECK(fleet.flags(1) == kFailedCheck);
  CHECK(fleet.flags(2) == (kFailedCheck | kDrained));
  CHECK(fleet.flags(3) == kEjected);
  const ServerStatus drained_failing = fleet.status(2);
  CHECK(drained_failing == ServerStatus{true, true, false, false, true});
  for (std::uint32_t s = 0; s < 4; ++s) CHECK_FALSE(fleet.status(s).in_rotation());
  // Every change above was reported once, with the new standing (4 initial + 5 changes; the
  // crash reports too).
  CHECK(reports == 9);
  CHECK(rig.observer.statuses.back().server == 3);
  CHECK(rig.observer.statuses.back().status.ejected);

  fleet.leave(7, 1);  // a failing host leaves: members and hosts drop, healthy ones do not
  CHECK(counts(fleet) == std::vector<std::uint32_t>{3, 2, 1});
  fleet.restart(8, 0);
  fleet.set_flag(8, 1, kFailedCheck, false);
  fleet.set_flag(8, 2, kFailedCheck, false);
  fleet.set_flag(8, 2, kDrained, false);
  fleet.set_flag(8, 3, kEjected, false);
  fleet.join(9, 1);
  for (std::uint32_t s = 0; s < 4; ++s) {
    CAPTURE(s);
    CHECK(fleet.flags(s) == 0);
    CHECK(fleet.status(s).in_rotation());
  }
  CHECK(counts(fleet) == std::vector<std::uint32_t>{4, 4, 4});
}

TEST_CASE("Fleet: a join_at group starts outside the fleet and joins as one") {
  SimulationConfig config = component_config(2);
  ServerGroupConfig late;
  late.group = "late";
  late.count = 3;
  late.join_at_ns = 5 * kSecond;
  config.servers.push_back(late);
  ModelRig rig(config);
  Fleet& fleet = rig->fleet;
  CHECK(fleet.size() == 5);
  CHECK(fleet.names()[2] == "late-0");
  CHECK(fleet.group_of(4) == 1);
  CHECK(counts(fleet) == std::vector<std::uint32_t>{2, 2, 2});
  for (std::uint32_t s = 2; s < 5; ++s) {
    CHECK(fleet.flags(s) == kNotMember);
    CHECK_FALSE(fleet.member(s));
  }
  fleet.handle_group_join(5 * kSecond, 1);
  CHECK(counts(fleet) == std::vector<std::uint32_t>{5, 5, 5});
  using Join = std::pair<SimTime, std::uint32_t>;
  CHECK(rig.observer.joins ==
        std::vector<Join>{{5 * kSecond, 2}, {5 * kSecond, 3}, {5 * kSecond, 4}});
  auto logs = rig.observer.logs_of("servers_join");
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].subject == "late");
  CHECK(logs[0].detail == "3 servers join the fleet");
  fleet.handle_group_join(6 * kSecond, 1);  // already members: nobody joins twice
  logs = rig.observer.logs_of("servers_join");
  CHECK(logs.back().detail == "0 servers join the fleet");
  CHECK(rig.observer.joins.size() == 3);
}

TEST_CASE("Fleet: an overload crash restarts after restart_ns; a manual restart voids it") {
  SimulationConfig config = component_config(2);
  config.servers[0].overload.restart_ns = 30 * kSecond;
  ModelRig rig(config);
  Fleet& fleet = rig->fleet;
  fleet.crash(1 * kSecond, 0, "server_crash");
  fleet.crash(2 * kSecond, 0, "server_crash");  // already down: nothing happens
  REQUIRE(rig.observer.downs.size() == 1);
  CHECK(rig.observer.downs[0].second == DownCause::kCrash);
  const auto crashes = rig.observer.logs_of("server_crash");
  REQUIRE(crashes.size() == 1);
  CHECK(crashes[0].subject == "s-0");
  CHECK(crashes[0].detail == "0 requests lost");
  CHECK(fleet.restart_time(0) == 30 * kSecond);
  rig.run_until(32 * kSecond);
  using Up = std::pair<SimTime, std::uint32_t>;
  CHECK(rig.observer.ups == std::vector<Up>{{31 * kSecond, 0}});  // 1 s + restart_ns, exactly
  CHECK(fleet.up(0));

  fleet.restart(33 * kSecond, 0);  // up already: no effect
  CHECK(rig.observer.ups.size() == 1);
  fleet.crash(40 * kSecond, 0, "server_crash");  // automatic restart due at 70 s
  fleet.restart(50 * kSecond, 0);                // by hand: supersedes it
  fleet.crash(60 * kSecond, 0, "server_kill");   // stays down until started
  CHECK(rig.observer.downs.back().second == DownCause::kKill);
  rig.run_until(200 * kSecond);
  // The 70 s restart belonged to an older incarnation: ignored, the kill stands.
  CHECK(rig.observer.ups == std::vector<Up>{{31 * kSecond, 0}, {50 * kSecond, 0}});
  CHECK_FALSE(fleet.up(0));
  CHECK(fleet.up(1));
}

TEST_CASE("Fleet: one worker serves FIFO, queues to queue_limit, then rejects queue_full") {
  // Arrivals every 1 ms (deterministic), 10 ms of service, 1 worker and 1 queue place: the 1st
  // is served at once, the 2nd waits for it, the 3rd finds the queue full; the 4th..10th too.
  SimulationConfig config = component_config(1);
  config.servers[0].queue_limit = 1;
  config.workload.arrivals = ArrivalProcess::kDeterministic;
  config.workload.rate_per_s = 1000.0;
  ModelRig rig(config);
  rig->traffic.schedule_next();
  rig.run_until(10 * kMillisecond + 1);                // arrivals at 1..10 ms
  CHECK(rig->fleet.load(0) == 2);                      // one in service, one queued
  CHECK(rig->fleet.queue_full(0));                     // a 3rd request now would be refused
  rig->traffic.change(10 * kMillisecond + 1, 0.0, 0);  // no more arrivals
  rig.run_until(1 * kSecond);
  const auto& done = rig.observer.done;
  REQUIRE(done.size() == 10);
  int rejected = 0;
  for (const RequestOutcome& o : done) rejected += o.error == ErrorKind::kQueueFull ? 1 : 0;
  CHECK(rejected == 8);
  // The two served ones: 1 ms -> 11 ms, and 2 ms -> 21 ms after waiting for the first.
  std::vector<std::pair<SimTime, SimTime>> served;
  for (const RequestOutcome& o : done) {
    if (o.error == ErrorKind::kNone) served.emplace_back(o.arrival, o.end);
  }
  using Span = std::pair<SimTime, SimTime>;
  CHECK(served == std::vector<Span>{{1 * kMillisecond, 11 * kMillisecond},
                                    {2 * kMillisecond, 21 * kMillisecond}});
  CHECK(rig->fleet.load(0) == 0);
}

// Known bug (issue 10 item 6, not fixed here: this refactor keeps behaviour): join_idle_queue
// learns of idle servers only from Fleet::handle_departure, and Fleet::join and Fleet::restart
// never report the server idle. At light load the I-queue is never empty, so its random fallback
// never runs and a joined or restarted server gets nothing. The two tests below state the correct
// behaviour and are marked should_fail: they pass while the bug is there, and fail (flagging that
// the marker must go) once Fleet reports joined and restarted servers idle.
namespace {

SimulationConfig light_jiq_load() {
  SimulationConfig config = component_config(4, "join_idle_queue");
  config.duration_ns = 100 * kSecond;
  config.workload.rate_per_s = 20.0;  // load 0.2 of one server over the fleet: mostly idle
  return config;
}

// Dispatches to `server` at or after `from`, and to every server then.
std::pair<int, int> dispatches_from(const RecordingObserver& observer, std::uint32_t server,
                                    SimTime from) {
  int to_server = 0;
  int all = 0;
  for (const auto& [at, s] : observer.dispatches) {
    if (at < from) continue;
    ++all;
    to_server += s == server ? 1 : 0;
  }
  return {to_server, all};
}

}  // namespace

TEST_CASE("join_idle_queue: a server that joins takes its share at light load (known bug)" *
          doctest::should_fail()) {
  SimulationConfig config = light_jiq_load();
  ServerGroupConfig late;
  late.group = "late";
  late.join_at_ns = 10 * kSecond;
  config.servers.push_back(late);
  RecordingObserver observer;
  Simulation simulation(config);
  simulation.set_observer(&observer);
  (void)simulation.run();
  const auto [to_late, all] = dispatches_from(observer, 4, 10 * kSecond);
  REQUIRE(all > 1000);  // 20/s over 90 s: 1,800 expected
  // Reported idle, it would cycle through the I-queue with the others: 1/5 of the picks. At
  // least 1/10 leaves room for the start of the cycle; today it gets none.
  CHECK(to_late >= all / 10);
}

TEST_CASE("join_idle_queue: a restarted server takes its share at light load (known bug)" *
          doctest::should_fail()) {
  RecordingObserver observer;
  Simulation simulation(light_jiq_load());
  simulation.set_observer(&observer);
  simulation.schedule_action(10 * kSecond, [](Simulation& s, SimTime) { s.kill_server(0); });
  simulation.schedule_action(20 * kSecond, [](Simulation& s, SimTime) { s.restart_server(0); });
  (void)simulation.run();
  const auto [to_restarted, all] = dispatches_from(observer, 0, 20 * kSecond);
  REQUIRE(all > 1000);             // 20/s over 80 s: 1,600 expected
  CHECK(to_restarted >= all / 8);  // 1/4 once reported idle; today none
}

}  // namespace lbsim::test
