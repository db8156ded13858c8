#pragma once
// Drives the model's components (sim/model/model.hpp) directly, without Simulation: a Model
// built from a small configuration written in code, an observer that records what it is told,
// and an event pump. Tests call a component's own API (Fleet::crash, Health::observe,
// Alerts::on_window, ...) and check its state and what it reported.
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/model/model.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim::test {

class RecordingObserver final : public Observer {
 public:
  struct Status {
    SimTime at;
    std::uint32_t server;
    ServerStatus status;
  };
  struct Log {
    SimTime at;
    std::string kind, subject, detail;
  };
  struct Alert {
    SimTime at;
    std::string name;
    bool firing;
  };

  std::vector<Status> statuses;
  std::vector<Log> logs;
  std::vector<Alert> alerts;
  std::vector<RequestOutcome> done;
  std::vector<std::pair<SimTime, std::uint32_t>> dispatches, joins, leaves, ups;
  std::vector<std::pair<std::uint32_t, DownCause>> downs;
  std::vector<SimTime> retries;
  std::vector<SimTime> boundaries;
  std::vector<std::pair<SimTime, bool>> services;  // (end, client still waiting)

  void on_dispatch(SimTime now, std::uint32_t server) override {
    dispatches.emplace_back(now, server);
  }
  void on_request_done(SimTime /*now*/, const RequestOutcome& outcome) override {
    done.push_back(outcome);
  }
  void on_retry(SimTime now) override { retries.push_back(now); }
  void on_server_join(SimTime now, std::uint32_t server) override {
    joins.emplace_back(now, server);
  }
  void on_server_leave(SimTime now, std::uint32_t server) override {
    leaves.emplace_back(now, server);
  }
  void on_server_down(SimTime /*now*/, std::uint32_t server, DownCause cause) override {
    downs.emplace_back(server, cause);
  }
  void on_server_up(SimTime now, std::uint32_t server) override { ups.emplace_back(now, server); }
  void on_server_status(SimTime now, std::uint32_t server, const ServerStatus& status) override {
    statuses.push_back({now, server, status});
  }
  void on_alert(SimTime now, std::string_view name, bool firing) override {
    alerts.push_back({now, std::string(name), firing});
  }
  void on_window_boundary(SimTime now) override { boundaries.push_back(now); }
  void on_service_done(SimTime now, std::uint32_t /*server*/, bool client_waiting) override {
    services.emplace_back(now, client_waiting);
  }
  void on_log(SimTime now, std::string_view kind, std::string_view subject,
              std::string_view detail) override {
    logs.push_back({now, std::string(kind), std::string(subject), std::string(detail)});
  }

  // The incident-log entries of one kind, in order.
  [[nodiscard]] std::vector<Log> logs_of(std::string_view kind) const {
    std::vector<Log> found;
    for (const Log& log : logs) {
      if (log.kind == kind) found.push_back(log);
    }
    return found;
  }
};

// `servers` servers in one group "s" (1 worker, unlimited queue) under `strategy`; no traffic
// unless the test sets a rate (deterministic_arrivals). Deterministic 10 ms service, so service
// times are exact.
inline SimulationConfig component_config(int servers, const std::string& strategy = "round_robin") {
  SimulationConfig c;
  c.name = "components";
  c.seed = 7;
  c.duration_ns = 1000 * kSecond;
  c.window_ns = 10 * kSecond;
  c.workload.rate_per_s = 0.0;
  c.workload.users = 100;
  c.workload.service.kind = DistributionKind::kDeterministic;
  c.workload.service.mean_s = 0.010;
  c.balancer.strategy = strategy_named(strategy);
  c.balancer.panic_threshold = 0.0;  // no panic unless a test turns it on
  ServerGroupConfig group;
  group.group = "s";
  group.count = servers;
  c.servers.push_back(group);
  return c;
}

// Arrivals every 1/rate_per_s exactly, the first at 1/rate_per_s.
inline void deterministic_arrivals(SimulationConfig& config, double rate_per_s) {
  config.workload.arrivals = ArrivalProcess::kDeterministic;
  config.workload.rate_per_s = rate_per_s;
}

// A Model over its own copy of the configuration (which must outlive it), with a recording
// observer attached.
struct ModelRig {
  explicit ModelRig(SimulationConfig c)
      : config(std::move(c)), model(std::make_unique<Model>(config)) {
    model->observer = &observer;
  }
  Model& operator*() { return *model; }
  Model* operator->() { return model.get(); }

  // Handles every event due before `end` as Simulation::run does (dispatch, then settle the
  // fleet changes it made). The switch mirrors Simulation::dispatch, which is private.
  void run_until(SimTime end) {
    Model& m = *model;
    while (!m.events.empty() && m.events.next_time() < end) {
      const Event event = m.events.pop();
      dispatch(m, event);
      if (m.settle_needed) m.settle(event.time);
    }
  }

  SimulationConfig config;
  RecordingObserver observer;
  std::unique_ptr<Model> model;

 private:
  static void dispatch(Model& m, const Event& e) {
    const SimTime now = e.time;
    switch (e.kind()) {
      case kArrival:
        if (e.b == m.traffic.epoch()) m.client.handle_arrival(now);
        return;
      case kDeparture:
        if (m.requests[e.a].generation == e.b) m.fleet.handle_departure(now, e.a);
        return;
      case kTimeout:
        return m.client.handle_timeout(now, e.a, e.b);
      case kLbQueueTimeout:
        return m.balancer.handle_lb_queue_timeout(now, e.a, e.b);
      case kGroupJoin:
        return m.fleet.handle_group_join(now, e.a);
      case kSlowStartTick:
        return m.balancer.handle_slow_start_tick(now);
      case kAction:
        return m.timeline.handle_action(now, e.a);
      case kRetry:
        return m.client.handle_retry(now, e.a, e.b);
      case kDeadline:
        return m.client.handle_deadline(now, e.a, e.b);
      case kServerRestart:
        return m.fleet.handle_restart(now, e.a, e.b);
      case kProbeSend:
        return m.health.handle_probe_send(now, e.a, e.b);
      case kProbeTimeout:
        return m.health.handle_probe_timeout(now, e.a, e.b);
      case kOutlierTick:
        return m.health.handle_outlier_tick(now, e.b);
      case kPassiveRelease:
        return m.health.handle_passive_release(now, e.a, e.b);
      case kWindowEnd:
        return m.alerts.handle_window_end(now);
      default:
        FAIL("event kind " << static_cast<int>(e.kind()) << " not handled by the test pump");
    }
  }
};

}  // namespace lbsim::test
