#pragma once
// The balancer: independent instances (Envoy workers, nginx workers, HAProxy processes), each
// with its own strategy object, in-flight counts and queue; what they may pick (the available
// servers, and per instance those below max_connections); effective weights (configured weight x
// slow start); the load view (each instance's own counts, or a shared, possibly stale, global
// view); L7 routing per request or L4 routing per persistent connection; the balancer-side queue
// used when every server is at its max_connections (HAProxy's backend queue).
//
// Changes of the fleet reach it as marks (mark_changed, release under a connection cap) and are
// settled once after the event that made them (settle): availability is recomputed for the
// servers that changed, strategies hear of it once, and queued requests go to the servers that
// can take them. What a settled send sets off (a 503, a crash) marks again, and settle loops
// until nothing is left, so no failure handler ever calls back into routing.
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "sim/core/ring_queue.hpp"
#include "sim/core/rng.hpp"
#include "sim/core/time.hpp"
#include "sim/model/config.hpp"
#include "sim/model/observer.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim {

struct Model;

class Balancer {
 public:
  Balancer(Model& model, const SimulationConfig& config, std::uint64_t user_population);

  // Strategies.
  // A fresh strategy on every instance (its state starts over; it learns the current load and
  // membership from the view). Throws std::invalid_argument on a choice the loader rejects.
  void set_strategy(const StrategyChoice& strategy);
  [[nodiscard]] std::uint32_t instances() const {
    return static_cast<std::uint32_t>(instances_.size());
  }
  // Which instance a request from `user` reaches.
  [[nodiscard]] std::uint32_t instance_for(std::uint64_t user);

  // Routing. route() sends the attempt in `slot` on (L7: picks a server; L4: the user's
  // connection, opening one if needed), queues it at the balancer when every server is at its
  // max_connections, or fails it (no_healthy_backend, circuit_open, lb_queue_full).
  void route(SimTime now, std::uint32_t slot);
  void handle_lb_queue_timeout(SimTime now, std::uint32_t slot, std::uint32_t generation);
  void handle_deferred_dispatch(SimTime now, std::uint32_t slot, std::uint32_t generation);
  void handle_connection_close(SimTime now, std::uint32_t user, std::uint32_t generation);
  void handle_view_refresh(SimTime now);
  void handle_slow_start_tick(SimTime now);

  // What the servers and the client tell it.
  void on_response(std::uint32_t instance, std::uint32_t server, SimTime rtt, SimTime now);
  // The attempt's in-flight slot on its server is returned (L7); under max_connections the
  // balancer's queue may now feed that server (after the event).
  void release(SimTime now, std::uint32_t slot);
  // The client reset an attempt at a server: the strategy hears of it; Envoy drops its
  // active-request count then, while under max_connections (HAProxy maxconn) the connection slot
  // stays taken until the server answers.
  void abandoned(SimTime now, std::uint32_t slot);
  // The client left the balancer's queue (timed out there, or gave up).
  void left_queue(std::uint32_t instance) { --instances_[instance].queued_live; }
  [[nodiscard]] std::uint32_t queued(std::uint32_t instance) const {
    return instances_[instance].queued_live;
  }
  void server_idle(std::uint32_t server);
  void load_changed(std::uint32_t server, std::uint32_t load);
  // A crashed process loses its TCP connections: each user pinned to it reconnects.
  void server_crashed(SimTime now, std::uint32_t server);

  // Weights and membership.
  // The configured weight; the effective one also reflects slow start. Strategies see it at
  // their next pick, with their own semantics.
  void set_weight(SimTime now, std::uint32_t server, double weight);
  [[nodiscard]] const std::vector<double>& configured_weights() const { return base_weights_; }
  [[nodiscard]] std::span<const double> effective_weights() const { return weights_; }
  void joined(SimTime now, std::uint32_t server) { joined_at_[server] = now; }
  void left(std::uint32_t server) { joined_at_[server] = kTimeNever; }
  void start_slow_start(SimTime now, std::uint32_t server);
  // A server that active health checks just brought back (unhealthy to healthy) ramps again from
  // now: Envoy re-enters slow start then (slow_start.rst: "in case it has transitioned from
  // unhealthy to healthy state via an active healthchecking"; an outlier un-ejection does not),
  // and HAProxy's slowstart applies to a server that has just come back up.
  void restart_slow_start(SimTime now, std::uint32_t server);

  // Fleet changes, settled after the event.
  void mark_changed(std::uint32_t server);
  void mark_all_changed();  // the panic mode flipped: every server's availability may change
  void settle(SimTime now);

  void schedule_start();  // the first view refresh, at 0

 private:
  struct Instance {
    std::unique_ptr<Strategy> strategy;
    std::vector<std::uint32_t> outstanding;  // L7: requests in flight; L4: open connections
    std::vector<std::uint8_t> eligible;      // available and below max_connections
    std::uint32_t eligible_count = 0;
    RingQueue<std::uint32_t> queue;  // balancer-side queue (request slots)
    std::uint32_t queued_live = 0;   // entries in `queue` whose client still waits
    Rng rng{0};
  };

  [[nodiscard]] BackendView view_for(std::uint32_t instance) const;
  [[nodiscard]] std::uint32_t pick(SimTime now, std::uint32_t instance, std::uint64_t user);
  void route_l7(SimTime now, std::uint32_t slot);
  void route_l4(SimTime now, std::uint32_t slot);
  void wait_in_queue(SimTime now, std::uint32_t slot);
  void fail(SimTime now, std::uint32_t slot, ErrorKind error);
  void change_outstanding(std::uint32_t instance, std::uint32_t server, std::int32_t delta);
  void recompute_eligibility(std::uint32_t instance, std::uint32_t server);
  void notify_fleet_change();
  void drain(SimTime now, std::uint32_t instance, std::uint32_t server);
  [[nodiscard]] bool recompute_availability();
  [[nodiscard]] double slow_start_factor(SimTime since_join) const;
  void refresh_effective_weight(std::uint32_t server, SimTime now);
  void close_connection(SimTime now, std::uint32_t user);

  Model& m_;
  const BalancerConfig& config_;
  std::uint64_t seed_;
  std::uint64_t replication_;
  std::uint64_t user_population_;
  std::vector<Instance> instances_;
  Rng instance_rng_;
  Rng idle_report_rng_;

  // Weights, slow start, caps.
  std::vector<double> base_weights_;
  std::vector<double> weights_;  // effective: base x slow-start factor
  std::uint64_t weights_version_ = 0;
  std::vector<SimTime> joined_at_;  // kTimeNever until the server joins; 0 = from the start
  std::uint32_t ramping_ = 0;       // servers still inside their slow-start window
  bool slow_start_ticking_ = false;
  std::vector<std::uint32_t> max_connections_;
  bool any_max_connections_ = false;

  // What strategies may pick: healthy members, or every member while the balancer panics.
  std::vector<std::uint8_t> available_;
  std::uint32_t available_count_ = 0;
  std::vector<std::uint32_t> changed_;      // servers whose availability may have changed
  std::vector<std::uint8_t> changed_mark_;  // in changed_
  bool all_changed_ = false;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> freed_;  // (instance, server) slots

  // The load view.
  bool global_view_ = false;
  std::vector<std::uint32_t> global_load_;  // busy + queued per server (always current)
  std::vector<std::uint32_t> view_load_;    // what strategies see under a stale global view

  // L4 connections, per user.
  bool connection_mode_ = false;
  std::vector<std::uint32_t> connection_server_;
  std::vector<std::uint32_t> connection_generation_;
  std::vector<std::uint32_t> connection_instance_;
  std::vector<SimTime> reconnect_at_;
};

}  // namespace lbsim
