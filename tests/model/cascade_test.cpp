// The cascade a weight misconfiguration sets off (issue 4): uneven weights overload two servers
// while the others idle; the overloaded ones crash and are taken out; their load spreads to the
// rest, which were sized for a fifth each and now carry a third: they tip over in turn; the
// change is rolled back and the fleet recovers. Asserted on the incident log and the series.
#include <doctest/doctest.h>

#include "tests/model/harness.hpp"

namespace lbsim::test {
namespace {

class Log final : public Observer {
 public:
  void on_log(SimTime now, std::string_view kind, std::string_view subject,
              std::string_view detail) override {
    entries.push_back({now, std::string(kind), std::string(subject), std::string(detail)});
  }
  std::vector<LogRow> entries;
};

}  // namespace

TEST_CASE("a weight misconfiguration cascades through the fleet and recovers after rollback") {
  // 5 servers x 4 workers, 10 ms exponential service, 1200/s: utilisation 0.6 when balanced.
  // Each server crashes when an arrival finds 60 queued, and restarts after 15 s. In-band health
  // checks (2 s, fall 2, rise 2), outlier detection, Envoy's panic threshold, 1 s client timeout.
  auto c =
      fleet_config(1200.0, exponential_s(0.010), 5, 4, 100, 0.0, 300.0, "weighted_round_robin");
  c.window_ns = 10 * kSecond;
  c.client.timeout_ns = kSecond;
  c.servers[0].overload.crash_queue = 60;
  c.servers[0].overload.restart_ns = 15 * kSecond;
  c.balancer.health_check.enabled = true;
  c.balancer.health_check.fall = 2;
  c.balancer.outlier.enabled = true;

  Simulation simulation(c);
  Recorder recorder({c.warmup_ns, simulation.end_time(), c.window_ns, simulation.servers(),
                     simulation.user_population(), nullptr});
  Log log;
  // The misconfiguration at 60 s: servers 0 and 1 get weight 10, the others 0.1 (meant for 1).
  simulation.schedule_action(60 * kSecond, [](Simulation& s, SimTime) {
    s.set_weight(0, 10.0);
    s.set_weight(1, 10.0);
    for (std::uint32_t i = 2; i < 5; ++i) s.set_weight(i, 0.1);
  });
  // The rollback at 150 s.
  simulation.schedule_action(150 * kSecond, [](Simulation& s, SimTime) {
    for (std::uint32_t i = 0; i < 5; ++i) s.set_weight(i, 1.0);
  });
  struct Both final : Observer {
    Observer* a;
    Observer* b;
    Both(Observer* x, Observer* y) : a(x), b(y) {}
    void on_request_arrival(SimTime t, std::uint64_t u, double d) override {
      a->on_request_arrival(t, u, d);
    }
    void on_dispatch(SimTime t, std::uint32_t s) override { a->on_dispatch(t, s); }
    void on_request_done(SimTime t, const RequestOutcome& o) override { a->on_request_done(t, o); }
    void on_service_done(SimTime t, std::uint32_t s, bool w) override {
      a->on_service_done(t, s, w);
    }
    void on_server_state(SimTime t, std::uint32_t s, std::int32_t b2, std::int64_t q) override {
      a->on_server_state(t, s, b2, q);
    }
    void on_retry(SimTime t) override { a->on_retry(t); }
    void on_server_down(SimTime t, std::uint32_t s) override { a->on_server_down(t, s); }
    void on_server_up(SimTime t, std::uint32_t s) override { a->on_server_up(t, s); }
    void on_log(SimTime t, std::string_view k, std::string_view s, std::string_view d) override {
      a->on_log(t, k, s, d);
      b->on_log(t, k, s, d);
    }
  } both(&recorder, &log);
  simulation.set_observer(&both);
  (void)simulation.run();
  recorder.finish();

  std::vector<LogRow> crashes;
  std::uint64_t ejections = 0, checks_down = 0;
  for (const auto& e : log.entries) {
    if (e.kind == "server_crash") crashes.push_back(e);
    ejections += e.kind == "outlier_eject" ? 1 : 0;
    checks_down += e.kind == "health_down" ? 1 : 0;
  }
  REQUIRE(crashes.size() >= 5);
  // Nothing fails before the change; the two overweighted servers go first, within a second.
  CHECK(crashes[0].time > 60 * kSecond);
  CHECK(crashes[1].time < 61 * kSecond);
  CHECK(((crashes[0].subject == "s-0" && crashes[1].subject == "s-1") ||
         (crashes[0].subject == "s-1" && crashes[1].subject == "s-0")));
  // Then the cascade: every one of the servers that had been nearly idle crashes too, before
  // the rollback, after taking over the load of the crashed ones.
  for (const std::string victim : {"s-2", "s-3", "s-4"}) {
    bool hit = false;
    for (const auto& e : crashes) hit = hit || (e.subject == victim && e.time < 150 * kSecond);
    CHECK_MESSAGE(hit, victim << " never tipped over");
  }
  CHECK(ejections > 0);    // outlier detection took crashed servers out
  CHECK(checks_down > 0);  // and so did the health checks
  // The series: no errors before the change, most requests failing during the cascade with at
  // least three servers down at once, and a clean fleet within 60 s of the rollback.
  std::uint32_t most_down = 0;
  for (const auto& w : recorder.windows()) {
    if (w.start < 60 * kSecond) CHECK(w.failed == 0);
    if (w.start >= 60 * kSecond && w.start < 150 * kSecond) {
      most_down = std::max(most_down, w.servers_down);
      CHECK(w.error_rate() > 0.1);
    }
    if (w.start >= 210 * kSecond) {
      CHECK(w.error_rate() < 0.001);
      CHECK(w.servers_down == 0);
    }
  }
  CHECK(most_down >= 3);
  CHECK(crashes.back().time < 210 * kSecond);
}

}  // namespace lbsim::test
