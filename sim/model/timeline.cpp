// Simulation: runtime changes, timeline actions and alert rules (the rest is in simulation.cpp).
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/model/simulation.hpp"

namespace lbsim {

namespace {

std::string number_text(double value) {
  std::string text = std::to_string(value);
  // std::to_string prints six decimals; drop the trailing zeros ("2.500000" -> "2.5").
  if (text.find('.') != std::string::npos) {
    while (!text.empty() && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.') text.pop_back();
  }
  return text;
}

std::string seconds_text(SimTime ns) {
  return number_text(to_seconds(ns)) + "s";
}

std::string options_text(const std::string& strategy, const StrategyOptions& options) {
  std::string text = strategy;
  for (const auto& [name, value] : options) {
    text += ":" + name + "=";
    text += std::holds_alternative<double>(value) ? number_text(std::get<double>(value))
                                                  : std::get<std::string>(value);
  }
  return text;
}

std::string health_check_text(const HealthCheckConfig& check) {
  if (!check.enabled) return "off";
  return "interval " + seconds_text(check.interval_ns) + ", timeout " +
         seconds_text(check.timeout_ns) + ", rise " + std::to_string(check.rise) + ", fall " +
         std::to_string(check.fall) + (check.out_of_band ? ", out of band" : "");
}

std::string outlier_text(const OutlierConfig& outlier) {
  if (!outlier.enabled) return "off";
  return std::to_string(outlier.consecutive_errors) + " consecutive errors, base ejection " +
         seconds_text(outlier.base_ejection_ns) + ", max ejection " +
         number_text(outlier.max_ejection_fraction * 100) + "%";
}

std::string limit_text(std::int64_t limit) {
  return limit < 0 ? "unlimited" : std::to_string(limit);
}

}  // namespace

ServerStatus Simulation::server_status(std::uint32_t server) const {
  return {member_[server] != 0, servers_[server].up, check_failed_[server] == 0,
          ejected_[server] != 0, drained_[server] != 0};
}

void Simulation::report_status(SimTime now, std::uint32_t server) {
  const ServerStatus status = server_status(server);
  if (status == reported_status_[server] && now > 0) return;
  reported_status_[server] = status;
  observer_->on_server_status(now, server, status);
}

// ---- runtime configuration ---------------------------------------------------------------------

void Simulation::set_strategy(const StrategyChoice& strategy) {
  const StrategyInfo* info = strategy.info;
  if (info == nullptr) throw std::invalid_argument("set_strategy: no strategy");
  const auto server_count = static_cast<std::uint32_t>(servers_.size());
  for (std::uint32_t i = 0; i < instances_.size(); ++i) {
    const StrategyContext context{strategy.options,
                                  server_count,
                                  i,
                                  config_.seed ^ (config_.replication * 0x9e3779b97f4a7c15ULL),
                                  user_population_,
                                  server_names_};
    instances_[i].strategy = info->make(context);
  }
  config_.balancer.strategy = strategy;
  // The fresh strategies learn the membership and the load in flight from the view.
  notify_fleet_change();
}

void Simulation::set_health_check(const HealthCheckConfig& check) {
  if (check.enabled && (check.interval_ns <= 0 || check.timeout_ns <= 0 || check.rise < 1 ||
                        check.fall < 1 || !(check.probe_demand_s >= 0.0))) {
    throw std::invalid_argument("set_health_check: bad settings");
  }
  if (check.enabled && !probe_lane_ready_) {
    throw std::logic_error(
        "set_health_check: health checks were off and no timeline or alert action turns them "
        "on, so the run was built without them");
  }
  const SimTime now = events_.now();
  config_.balancer.health_check = check;
  ++health_epoch_;  // the old probe chains stop
  if (!check.enabled) {
    std::fill(check_failed_.begin(), check_failed_.end(), std::uint8_t{0});
    std::fill(check_streak_.begin(), check_streak_.end(), 0);
    recompute_availability(now);
    return;
  }
  const auto interval = static_cast<double>(check.interval_ns);
  for (std::uint32_t s = 0; s < servers_.size(); ++s) {
    events_.schedule(now + static_cast<SimTime>(interval * health_rng_.uniform01()), kProbeSend, s,
                     health_epoch_);
  }
}

void Simulation::set_outlier_detection(const OutlierConfig& outlier) {
  if (outlier.enabled &&
      (outlier.consecutive_errors < 1 || outlier.interval_ns <= 0 ||
       outlier.base_ejection_ns <= 0 || outlier.max_ejection_ns < outlier.base_ejection_ns ||
       !(outlier.max_ejection_fraction >= 0.0))) {
    throw std::invalid_argument("set_outlier_detection: bad settings");
  }
  const SimTime now = events_.now();
  const bool was_enabled = config_.balancer.outlier.enabled;
  config_.balancer.outlier = outlier;
  ++outlier_epoch_;
  if (!outlier.enabled) {
    // Without a detector nothing stays ejected (Envoy drops the detector with its state).
    std::fill(ejected_.begin(), ejected_.end(), std::uint8_t{0});
    std::fill(consecutive_errors_.begin(), consecutive_errors_.end(), 0);
    std::fill(ejections_.begin(), ejections_.end(), 0u);
    ejected_count_ = 0;
    if (was_enabled) recompute_availability(now);
    return;
  }
  events_.schedule(now + outlier.interval_ns, kOutlierTick, 0, outlier_epoch_);
}

void Simulation::set_circuit_breakers(const CircuitBreakerConfig& breakers) {
  config_.balancer.circuit_breakers = breakers;
}

void Simulation::set_panic_threshold(double threshold) {
  if (!(threshold >= 0.0 && threshold <= 1.0)) {
    throw std::invalid_argument("set_panic_threshold: expected a fraction in [0, 1]");
  }
  config_.balancer.panic_threshold = threshold;
  recompute_availability(events_.now());
}

void Simulation::set_speed(std::uint32_t server, double speed) {
  if (server >= servers_.size() || !(speed > 0.0) || !std::isfinite(speed)) {
    throw std::invalid_argument("set_speed: bad server or speed");
  }
  servers_[server].ns_per_demand_s = 1e9 / speed;
}

void Simulation::add_server(std::uint32_t server) {
  if (server >= servers_.size()) throw std::invalid_argument("add_server: no such server");
  if (member_[server] != 0) return;
  const SimTime now = events_.now();
  join_server(now, server);
  recompute_availability(now);
}

void Simulation::remove_server(std::uint32_t server) {
  if (server >= servers_.size()) throw std::invalid_argument("remove_server: no such server");
  if (member_[server] == 0) return;
  const SimTime now = events_.now();
  member_[server] = 0;
  joined_at_[server] = kTimeNever;
  observer_->on_server_leave(now, server);
  recompute_availability(now);
}

void Simulation::set_drained(std::uint32_t server, bool drained) {
  if (server >= servers_.size()) throw std::invalid_argument("set_drained: no such server");
  drained_[server] = drained ? 1 : 0;
  recompute_availability(events_.now());
}

void Simulation::change_traffic(double target_rate_per_s, SimTime ramp_ns) {
  if (!(target_rate_per_s >= 0.0) || !std::isfinite(target_rate_per_s) || ramp_ns < 0) {
    throw std::invalid_argument("change_traffic: bad rate or ramp");
  }
  const SimTime now = events_.now();
  pending_arrival_ = arrivals_.retime(now, {now, ramp_ns, target_rate_per_s});
  // The arrival already scheduled is now stale; schedule the moved one.
  ++arrival_epoch_;
  if (pending_arrival_.time < end_time()) {
    events_.schedule_preferring_lane(arrival_lane_, pending_arrival_.time, kArrival, 0,
                                     arrival_epoch_);
  }
}

double Simulation::offered_rate_now() const {
  return arrivals_.rate_at(events_.now());
}

// ---- timeline actions --------------------------------------------------------------------------

std::vector<std::uint32_t> Simulation::resolve_targets(const ServerTarget& target,
                                                       bool members_only) const {
  std::vector<std::uint32_t> servers;
  if (!target.group.empty()) {
    for (std::uint32_t s = 0; s < servers_.size(); ++s) {
      if (server_info_[s].group == target.group && (!members_only || member_[s] != 0)) {
        servers.push_back(s);
      }
    }
  }
  for (const std::uint32_t s : target.servers) {
    if (s >= servers_.size()) throw std::invalid_argument("timeline action: no such server");
    if (!members_only || member_[s] != 0) servers.push_back(s);
  }
  return servers;
}

void Simulation::restart_sequence(SimTime now, std::uint32_t server, SimTime drain_ns,
                                  SimTime down_ns) {
  const SimTime down =
      down_ns >= 0 ? down_ns : config_.servers[server_group_[server]].overload.restart_ns;
  const auto stop = [server, down](Simulation& simulation, SimTime at) {
    simulation.crash(at, server, "server_stop");
    simulation.schedule_action(at + down, [server](Simulation& again, SimTime) {
      again.restart_server(server);
      again.set_drained(server, false);
    });
  };
  if (drain_ns > 0) {
    set_drained(server, true);
    schedule_action(now + drain_ns, stop);
  } else {
    stop(*this, now);
  }
}

// One apply per action (an overload set std::visit picks from): it changes the model and says
// what it did for the incident log. `applied` false: nothing happened (a rollback before its
// named action), and nothing is logged as an action.
struct Simulation::Apply {
  Simulation& sim;
  SimTime now;
  const ActionConfig& config;
  std::string_view trigger;
  std::string subject;
  std::string detail;
  bool applied = true;

  void operator()(const NoteAction&) {
    subject = config.name.empty() ? "timeline" : config.name;
    detail = config.text;
  }
  void operator()(const SetWeightAction& a) {
    if (!a.weights.empty()) {
      if (a.weights.size() != a.target.servers.size()) {
        throw std::invalid_argument("set_weight: one weight per server");
      }
      for (std::size_t k = 0; k < a.weights.size(); ++k) {
        sim.set_weight(a.target.servers[k], a.weights[k]);
        detail += (detail.empty() ? "weights " : ", ") +
                  sim.server_info_[a.target.servers[k]].name + " " + number_text(a.weights[k]);
      }
      return;
    }
    for (const std::uint32_t s : sim.resolve_targets(a.target, false)) sim.set_weight(s, a.weight);
    detail = "weight " + number_text(a.weight);
  }
  void operator()(const SetSpeedAction& a) {
    for (const std::uint32_t s : sim.resolve_targets(a.target, true)) sim.set_speed(s, a.speed);
    detail = "speed " + number_text(a.speed);
  }
  void operator()(const SetStrategyAction& a) {
    sim.set_strategy(a.strategy);
    subject = "balancer";
    detail = options_text(a.strategy.name(), a.strategy.options);
  }
  void operator()(const SetHealthCheckAction& a) {
    sim.set_health_check(a.health_check);
    subject = "balancer";
    detail = "health checks " + health_check_text(a.health_check);
  }
  void operator()(const SetOutlierDetectionAction& a) {
    sim.set_outlier_detection(a.outlier);
    subject = "balancer";
    detail = "outlier detection " + outlier_text(a.outlier);
  }
  void operator()(const SetCircuitBreakersAction& a) {
    sim.set_circuit_breakers(a.circuit_breakers);
    subject = "balancer";
    detail = "max_requests " + limit_text(a.circuit_breakers.max_requests) + ", max_pending " +
             limit_text(a.circuit_breakers.max_pending) + ", max_retries " +
             limit_text(a.circuit_breakers.max_retries);
  }
  void operator()(const SetPanicThresholdAction& a) {
    sim.set_panic_threshold(a.threshold);
    subject = "balancer";
    detail = "panic threshold " + number_text(a.threshold * 100) + "%";
  }
  void operator()(const KillAction& a) {
    const auto servers = sim.resolve_targets(a.target, true);
    for (const std::uint32_t s : servers) sim.crash(now, s, "server_kill");
    detail = std::to_string(servers.size()) + " servers";
  }
  void operator()(const StartAction& a) {
    std::uint32_t started = 0;
    for (const std::uint32_t s : sim.resolve_targets(a.target, true)) {
      if (sim.servers_[s].up) continue;
      sim.restart_server(s);
      ++started;
    }
    detail = std::to_string(started) + " servers";
  }
  void operator()(const RestartAction& a) {
    const auto servers = sim.resolve_targets(a.target, true);
    for (const std::uint32_t s : servers) sim.restart_sequence(now, s, a.drain_ns, a.down_ns);
    detail = std::to_string(servers.size()) + " servers";
  }
  void operator()(const PhasedRestartAction& a) {
    const auto servers = sim.resolve_targets(a.target, true);
    const auto batch = static_cast<std::size_t>(std::max(1, a.batch));
    for (std::size_t first = 0; first < servers.size(); first += batch) {
      const SimTime at = now + static_cast<SimTime>(first / batch) * a.every_ns;
      for (std::size_t k = first; k < std::min(servers.size(), first + batch); ++k) {
        const std::uint32_t s = servers[k];
        const SimTime drain = a.drain_ns;
        const SimTime down = a.down_ns;
        sim.schedule_action(at, [s, drain, down](Simulation& simulation, SimTime t) {
          simulation.restart_sequence(t, s, drain, down);
        });
      }
    }
    detail = std::to_string(servers.size()) + " servers, " + std::to_string(batch) +
             " at a time every " + seconds_text(a.every_ns);
  }
  void operator()(const AddServersAction& a) {
    std::uint32_t added = 0;
    for (std::uint32_t s = 0; s < sim.servers_.size(); ++s) {
      if (sim.server_group_[s] == a.clone_group && sim.member_[s] == 0) {
        sim.join_server(now, s);
        ++added;
      }
    }
    for (const std::uint32_t s : a.servers) {
      if (sim.member_[s] == 0) {
        sim.join_server(now, s);
        ++added;
      }
    }
    sim.recompute_availability(now);
    subject.clear();
    for (const std::uint32_t s : a.servers)
      subject += (subject.empty() ? "" : " ") + sim.server_info_[s].name;
    if (a.clone_group < sim.config_.servers.size())
      subject = sim.config_.servers[a.clone_group].group;
    detail = std::to_string(added) + " servers join the fleet";
  }
  void operator()(const RemoveServersAction& a) {
    const auto servers = sim.resolve_targets(a.target, true);
    for (const std::uint32_t s : servers) sim.remove_server(s);
    detail = std::to_string(servers.size()) + " servers leave the fleet";
  }
  void operator()(const TrafficAction& a) {
    const double before = sim.offered_rate_now();
    sim.change_traffic(a.rate_per_s, a.ramp_ns);
    subject = "workload";
    detail = "rate " + number_text(before) + "/s -> " + number_text(a.rate_per_s) + "/s" +
             (a.ramp_ns > 0 ? " over " + seconds_text(a.ramp_ns) : "");
    if (a.hold_ns > 0) {
      const SimTime ramp = a.ramp_ns;
      detail += ", back after " + seconds_text(a.hold_ns);
      sim.schedule_action(
          now + ramp + a.hold_ns, [before, ramp](Simulation& simulation, SimTime t) {
            simulation.change_traffic(before, ramp);
            simulation.observer_->on_log(t, "traffic", "workload",
                                         "rate back to " + number_text(before) + "/s");
          });
    }
  }
  void operator()(const RollbackAction& a) {
    // Only a rollback that restored something mitigates (one from an alert can come before its
    // named action, and is then logged as rollback_skipped instead).
    applied = sim.rollback(now, a.to_before, trigger);
    subject = "balancer";
    detail = "to before " + a.to_before;
  }
};

std::string Simulation::describe_targets(const Action& action) const {
  const ServerTarget* target = std::visit(
      [](const auto& a) -> const ServerTarget* {
        if constexpr (requires { a.target; }) {
          return &a.target;
        } else {
          return nullptr;
        }
      },
      action);
  std::string text;
  if (target == nullptr) return text;
  if (!target->group.empty()) text = "group " + target->group;
  for (const std::uint32_t s : target->servers) {
    if (s >= servers_.size()) continue;
    text += (text.empty() ? "" : " ") + server_info_[s].name;
  }
  return text;
}

void Simulation::run_action(const ActionConfig& action, bool from_alert, std::string_view trigger) {
  const SimTime now = events_.now();
  if (!action.name.empty() && !from_alert) {
    snapshots_.emplace_back(
        action.name,
        ConfigSnapshot{base_weights_, config_.balancer.strategy, config_.balancer.health_check,
                       config_.balancer.outlier, config_.balancer.circuit_breakers,
                       config_.balancer.panic_threshold});
  }
  Apply apply{*this, now, action, trigger, describe_targets(action.action), {}};
  std::visit(apply, action.action);
  if (!apply.applied) return;
  const bool note = holds<NoteAction>(action);
  std::string& detail = apply.detail;
  if (!action.name.empty() && !note) detail += " [" + action.name + "]";
  if (!action.text.empty() && !note) detail += ": " + action.text;
  if (from_alert) detail += " (on alert " + std::string(trigger) + ")";
  const bool mitigation = action.mitigation || holds<RollbackAction>(action);
  observer_->on_log(now, action_name(action.action), apply.subject, detail);
  observer_->on_action(now, action_name(action.action), !note, mitigation, from_alert);
}

bool Simulation::rollback(SimTime now, const std::string& name, std::string_view trigger) {
  const auto it = std::find_if(snapshots_.rbegin(), snapshots_.rend(),
                               [&](const auto& entry) { return entry.first == name; });
  if (it == snapshots_.rend()) {
    // Only an alert-triggered rollback can get here (the loader checks the timeline's order).
    observer_->on_log(now, "rollback_skipped", name,
                      "\"" + name + "\" has not happened yet" +
                          (trigger.empty() ? "" : " (on alert " + std::string(trigger) + ")"));
    return false;
  }
  const ConfigSnapshot& before = it->second;
  for (std::uint32_t s = 0; s < servers_.size(); ++s) {
    if (base_weights_[s] != before.weights[s]) set_weight(s, before.weights[s]);
  }
  if (!(before.strategy == config_.balancer.strategy)) set_strategy(before.strategy);
  if (!(before.health_check == config_.balancer.health_check)) {
    set_health_check(before.health_check);
  }
  if (!(before.outlier == config_.balancer.outlier)) set_outlier_detection(before.outlier);
  set_circuit_breakers(before.circuit_breakers);
  if (before.panic_threshold != config_.balancer.panic_threshold) {
    set_panic_threshold(before.panic_threshold);
  }
  return true;
}

// ---- alerts ------------------------------------------------------------------------------------

namespace {

double metric_value(AlertMetric metric, const WindowMetrics& m) {
  switch (metric) {
    case AlertMetric::kErrorRate:
      return m.error_rate;
    case AlertMetric::kLatencyMean:
      return m.latency_mean_s;
    case AlertMetric::kLatencyP50:
      return m.p50_s;
    case AlertMetric::kLatencyP90:
      return m.p90_s;
    case AlertMetric::kLatencyP99:
      return m.p99_s;
    case AlertMetric::kUtilizationMean:
      return m.utilization_mean;
    case AlertMetric::kUtilizationMax:
      return m.utilization_max;
    case AlertMetric::kImbalance:
      return m.imbalance;
    case AlertMetric::kHealthyServers:
      return m.healthy_servers;
    case AlertMetric::kHealthyFraction:
      return m.healthy_fraction;
    case AlertMetric::kServersDown:
      return m.servers_down;
    case AlertMetric::kOfferedRate:
      return m.offered_per_s;
    case AlertMetric::kRetryRate:
      return m.retries_per_s;
    case AlertMetric::kQueueTotal:
      return m.queue_total;
  }
  return std::nan("");
}

}  // namespace

void Simulation::handle_window_end(SimTime now) {
  if (now + config_.window_ns < end_time()) {
    events_.schedule(now + config_.window_ns, kWindowEnd, 0, 0);
  }
  WindowMetrics metrics;
  metrics.start = now - config_.window_ns;
  metrics.end = now;
  if (!observer_->on_window_end(now, metrics)) {
    throw std::logic_error(
        "alert rules need an observer that measures windows (the metrics Recorder)");
  }
  for (std::size_t r = 0; r < config_.alerts.size(); ++r) {
    const AlertRule& rule = config_.alerts[r];
    AlertState& state = alert_states_[r];
    const double value = metric_value(rule.metric, metrics);
    // No data (NaN) never meets a condition, as a missing series does not fire in Prometheus.
    const bool met = rule.above ? value > rule.threshold : value < rule.threshold;
    if (!met) {
      state.pending_since = kTimeNever;
      if (state.firing) {
        state.firing = false;
        observer_->on_alert(now, rule.name, false);
        observer_->on_log(now, "alert_resolved", rule.name,
                          std::string(alert_metric_name(rule.metric)) + " " + number_text(value));
      }
      continue;
    }
    if (state.pending_since == kTimeNever) state.pending_since = metrics.start;
    if (state.firing || now - state.pending_since < std::max(rule.for_ns, SimTime{1})) continue;
    state.firing = true;
    observer_->on_alert(now, rule.name, true);
    observer_->on_log(now, "alert_firing", rule.name,
                      std::string(alert_metric_name(rule.metric)) + " " + number_text(value) +
                          (rule.above ? " > " : " < ") + number_text(rule.threshold) +
                          (rule.for_ns > 0 ? " for " + seconds_text(rule.for_ns) : ""));
    for (std::size_t a = 0; a < rule.on_fire.size(); ++a) {
      schedule_action(now + rule.on_fire[a].at_ns, [r, a](Simulation& simulation, SimTime) {
        const AlertRule& fired = simulation.config_.alerts[r];
        simulation.run_action(fired.on_fire[a], true, fired.name);
      });
    }
  }
}

}  // namespace lbsim
