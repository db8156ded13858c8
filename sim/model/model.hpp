#pragma once
// What the model's components share, and the components themselves: the one place that wires
// them. A Simulation owns one Model; every component holds a reference to it and reaches the
// others through it (m_.fleet, m_.balancer, ...). The configuration is what was loaded and is
// never written; what can change during a run lives in `settings` and in the components.
#include <cstdint>

#include "sim/core/event_queue.hpp"
#include "sim/core/slot_pool.hpp"
#include "sim/model/alerts.hpp"
#include "sim/model/balancer.hpp"
#include "sim/model/client.hpp"
#include "sim/model/config.hpp"
#include "sim/model/events.hpp"
#include "sim/model/fleet.hpp"
#include "sim/model/health.hpp"
#include "sim/model/observer.hpp"
#include "sim/model/timeline.hpp"
#include "sim/model/traffic.hpp"

namespace lbsim {

struct Model {
  // `config` must outlive the model; its user population already covers a trace's users.
  explicit Model(const SimulationConfig& config);
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  // FIFO lanes of the event queue (timers whose deadlines arrive in the order they are set).
  struct Lanes {
    EventQueue::LaneId arrival = 0, timeout = 0, deadline = 0, probe = 0, lb_queue = 0,
                       connection = 0;
    bool probe_ready = false;  // health checks are on, or an action can turn them on
  };

  [[nodiscard]] SimTime end_time() const { return config.warmup_ns + config.duration_ns; }
  // Stale timers for the slot (timeouts, a crashed attempt's departure) are now ignored.
  void free_request(std::uint32_t slot) { requests.release(slot); }
  // Fleet changes of the event just handled, settled once (Balancer::settle).
  void settle(SimTime now) {
    balancer.settle(now);
    settle_needed = false;
  }
  // Runtime changes that touch several components.
  void set_strategy(const StrategyChoice& strategy);
  void set_drained(SimTime now, std::uint32_t server, bool drained);
  void add_server(SimTime now, std::uint32_t server);
  void remove_server(SimTime now, std::uint32_t server);

  const SimulationConfig& config;
  EventQueue events;
  Observer null_observer;
  Observer* observer = &null_observer;
  BalancerSettings settings;
  SlotPool<Request> requests;  // attempts and health probes
  Lanes lanes;
  bool settle_needed = false;
  Fleet fleet;
  Balancer balancer;
  Traffic traffic;
  Client client;
  Health health;
  Timeline timeline;
  Alerts alerts;
};

}  // namespace lbsim
