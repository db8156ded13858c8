#include "sim/model/model.hpp"

namespace lbsim {

namespace {

BalancerSettings settings_of(const BalancerConfig& balancer) {
  return {balancer.strategy, balancer.health_check, balancer.outlier, balancer.circuit_breakers,
          balancer.panic_threshold};
}

// Health checks may also be turned on by a timeline or alert action (a rollback too).
bool checks_possible(const SimulationConfig& config) {
  const auto sets_checks = [](const ActionConfig& action) {
    return holds<SetHealthCheckAction>(action) || holds<RollbackAction>(action);
  };
  bool possible = config.balancer.health_check.enabled;
  for (const ActionConfig& action : config.timeline) possible = possible || sets_checks(action);
  for (const AlertRule& rule : config.alerts) {
    for (const ActionConfig& action : rule.on_fire) possible = possible || sets_checks(action);
  }
  return possible;
}

}  // namespace

Model::Model(const SimulationConfig& loaded)
    : config(loaded),
      settings(settings_of(loaded.balancer)),
      fleet(*this, loaded),
      balancer(*this, loaded, loaded.workload.users),
      traffic(*this, loaded),
      client(*this, loaded, balancer.instances()),
      health(*this, loaded, fleet.size()),
      timeline(*this),
      alerts(*this, loaded.alerts) {
  lanes.arrival = events.add_lane();
  if (config.client.timeout_ns > 0) lanes.timeout = events.add_lane();
  if (config.client.deadline_ns > 0) lanes.deadline = events.add_lane();
  if (checks_possible(config)) {
    lanes.probe = events.add_lane();
    lanes.probe_ready = true;
  }
  bool any_max_connections = false;
  for (const ServerGroupConfig& group : config.servers) {
    any_max_connections = any_max_connections || group.max_connections > 0;
  }
  if (any_max_connections) lanes.lb_queue = events.add_lane();
  if (config.balancer.unit == BalancingUnit::kConnection &&
      config.balancer.connection_lifetime_ns > 0) {
    lanes.connection = events.add_lane();
  }
  requests.reserve(1024);
  events.reserve(fleet.size() * 4 + 64);
}

void Model::set_strategy(const StrategyChoice& strategy) {
  balancer.set_strategy(strategy);
  settings.strategy = strategy;
  // fail_traffic_on_panic applies to some strategies only: availability may change with it.
  if (config.balancer.fail_traffic_on_panic) balancer.mark_all_changed();
}

void Model::set_drained(SimTime now, std::uint32_t server, bool drained) {
  fleet.set_flag(now, server, kDrained, drained);
  health.update_panic(now);
}

void Model::add_server(SimTime now, std::uint32_t server) {
  if (fleet.member(server)) return;
  fleet.join(now, server);
  health.update_panic(now);
}

void Model::remove_server(SimTime now, std::uint32_t server) {
  if (!fleet.member(server)) return;
  fleet.leave(now, server);
  health.server_removed(now, server);
  health.update_panic(now);
}

}  // namespace lbsim
