// One apply per timeline action (an overload set that std::visit picks from): it changes the
// model and says what it did for the incident log.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <variant>

#include "sim/model/actions_apply.hpp"
#include "sim/model/model.hpp"
#include "sim/model/text.hpp"

namespace lbsim {

namespace {

struct Apply {
  Model& m;
  SimTime now;
  const ActionConfig& config;
  std::string_view trigger;
  ActionLog log;

  // The servers a target names: explicit ones, or a group's (resolved now, so servers added
  // meanwhile are included); `members_only` leaves out servers not in the fleet.
  [[nodiscard]] std::vector<std::uint32_t> resolve(const ServerTarget& target,
                                                   bool members_only) const {
    std::vector<std::uint32_t> servers;
    const Fleet& fleet = m.fleet;
    if (!target.group.empty()) {
      for (std::uint32_t s = 0; s < fleet.size(); ++s) {
        if (fleet.info()[s].group == target.group && (!members_only || fleet.member(s))) {
          servers.push_back(s);
        }
      }
    }
    for (const std::uint32_t s : target.servers) {
      if (s >= fleet.size()) throw std::invalid_argument("timeline action: no such server");
      if (!members_only || fleet.member(s)) servers.push_back(s);
    }
    return servers;
  }

  void operator()(const NoteAction&) {
    log.subject = config.name.empty() ? "timeline" : config.name;
    log.detail = config.text;
  }
  void operator()(const SetWeightAction& a) {
    if (!a.weights.empty()) {
      if (a.weights.size() != a.target.servers.size()) {
        throw std::invalid_argument("set_weight: one weight per server");
      }
      for (std::size_t k = 0; k < a.weights.size(); ++k) {
        m.balancer.set_weight(now, a.target.servers[k], a.weights[k]);
        log.detail += (log.detail.empty() ? "weights " : ", ") +
                      m.fleet.info()[a.target.servers[k]].name + " " + number_text(a.weights[k]);
      }
      return;
    }
    for (const std::uint32_t s : resolve(a.target, false)) m.balancer.set_weight(now, s, a.weight);
    log.detail = "weight " + number_text(a.weight);
  }
  void operator()(const SetSpeedAction& a) {
    for (const std::uint32_t s : resolve(a.target, true)) m.fleet.set_speed(s, a.speed);
    log.detail = "speed " + number_text(a.speed);
  }
  void operator()(const SetStrategyAction& a) {
    m.set_strategy(a.strategy);
    log.subject = "balancer";
    log.detail = strategy_text(a.strategy);
  }
  void operator()(const SetHealthCheckAction& a) {
    m.health.set_health_check(now, a.health_check);
    log.subject = "balancer";
    log.detail = "health checks " + health_check_text(a.health_check);
  }
  void operator()(const SetOutlierDetectionAction& a) {
    m.health.set_outlier_detection(now, a.outlier);
    log.subject = "balancer";
    log.detail = "outlier detection " + outlier_text(a.outlier);
  }
  void operator()(const SetCircuitBreakersAction& a) {
    m.settings.circuit_breakers = a.circuit_breakers;
    log.subject = "balancer";
    log.detail = circuit_breakers_text(a.circuit_breakers);
  }
  void operator()(const SetPanicThresholdAction& a) {
    m.health.set_panic_threshold(now, a.threshold);
    log.subject = "balancer";
    log.detail = "panic threshold " + number_text(a.threshold * 100) + "%";
  }
  void operator()(const KillAction& a) {
    const auto servers = resolve(a.target, true);
    for (const std::uint32_t s : servers) m.fleet.crash(now, s, "server_kill");
    log.detail = std::to_string(servers.size()) + " servers";
  }
  void operator()(const StartAction& a) {
    std::uint32_t started = 0;
    for (const std::uint32_t s : resolve(a.target, true)) {
      if (m.fleet.up(s)) continue;
      m.fleet.restart(now, s);
      ++started;
    }
    log.detail = std::to_string(started) + " servers";
  }
  void operator()(const RestartAction& a) {
    const auto servers = resolve(a.target, true);
    for (const std::uint32_t s : servers) restart_sequence(m, now, s, a.drain_ns, a.down_ns);
    log.detail = std::to_string(servers.size()) + " servers";
  }
  void operator()(const PhasedRestartAction& a) {
    const auto servers = resolve(a.target, true);
    const auto batch = static_cast<std::size_t>(std::max(1, a.batch));
    for (std::size_t first = 0; first < servers.size(); first += batch) {
      const SimTime at = now + static_cast<SimTime>(first / batch) * a.every_ns;
      for (std::size_t k = first; k < std::min(servers.size(), first + batch); ++k) {
        const std::uint32_t s = servers[k];
        Model& model = m;
        m.timeline.schedule(at, [&model, s, drain = a.drain_ns, down = a.down_ns](SimTime t) {
          restart_sequence(model, t, s, drain, down);
        });
      }
    }
    log.detail = std::to_string(servers.size()) + " servers, " + std::to_string(batch) +
                 " at a time every " + seconds_text(a.every_ns);
  }
  void operator()(const AddServersAction& a) {
    std::uint32_t added = 0;
    for (std::uint32_t s = 0; s < m.fleet.size(); ++s) {
      if (m.fleet.group_of(s) == a.clone_group && !m.fleet.member(s)) {
        m.fleet.join(now, s);
        ++added;
      }
    }
    for (const std::uint32_t s : a.servers) {
      if (!m.fleet.member(s)) {
        m.fleet.join(now, s);
        ++added;
      }
    }
    m.health.update_panic(now);
    for (const std::uint32_t s : a.servers) {
      log.subject += (log.subject.empty() ? "" : " ") + m.fleet.info()[s].name;
    }
    if (a.clone_group < m.config.servers.size()) {
      log.subject = m.config.servers[a.clone_group].group;
    }
    log.detail = std::to_string(added) + " servers join the fleet";
  }
  void operator()(const RemoveServersAction& a) {
    const auto servers = resolve(a.target, true);
    for (const std::uint32_t s : servers) m.remove_server(now, s);
    log.detail = std::to_string(servers.size()) + " servers leave the fleet";
  }
  void operator()(const TrafficAction& a) {
    const double before = m.traffic.rate_at(now);
    m.traffic.change(now, a.rate_per_s, a.ramp_ns);
    log.subject = "workload";
    log.detail = "rate " + number_text(before) + "/s -> " + number_text(a.rate_per_s) + "/s" +
                 (a.ramp_ns > 0 ? " over " + seconds_text(a.ramp_ns) : "");
    if (a.hold_ns > 0) {
      log.detail += ", back after " + seconds_text(a.hold_ns);
      Model& model = m;
      m.timeline.schedule(now + a.ramp_ns + a.hold_ns,
                          [&model, before, ramp = a.ramp_ns](SimTime t) {
                            model.traffic.change(t, before, ramp);
                            model.observer->on_log(t, "traffic", "workload",
                                                   "rate back to " + number_text(before) + "/s");
                          });
    }
  }
  void operator()(const RollbackAction& a) {
    // Only a rollback that restored something mitigates (one from an alert can come before its
    // named action, and is then logged as rollback_skipped instead).
    log.applied = m.timeline.rollback(now, a.to_before, trigger);
    log.subject = "balancer";
    log.detail = "to before " + a.to_before;
  }
};

// "group web" and/or the servers an action names, as the incident log's subject.
std::string describe_targets(const Fleet& fleet, const Action& action) {
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
    if (s >= fleet.size()) continue;
    text += (text.empty() ? "" : " ") + fleet.info()[s].name;
  }
  return text;
}

}  // namespace

ActionLog apply_action(Model& model, SimTime now, const ActionConfig& action,
                       std::string_view trigger) {
  Apply apply{model, now, action, trigger, {describe_targets(model.fleet, action.action), {}}};
  std::visit(apply, action.action);
  return apply.log;
}

void restart_sequence(Model& model, SimTime now, std::uint32_t server, SimTime drain_ns,
                      SimTime down_ns) {
  const SimTime down = down_ns >= 0 ? down_ns : model.fleet.restart_time(server);
  const auto stop = [&model, server, down](SimTime at) {
    model.fleet.crash(at, server, "server_stop");
    model.timeline.schedule(at + down, [&model, server](SimTime t) {
      model.fleet.restart(t, server);
      // A group configured `down` stays out of rotation after a restart.
      if (!model.fleet.configured_down(server)) model.set_drained(t, server, false);
    });
  };
  if (drain_ns > 0) {
    model.set_drained(now, server, true);
    model.timeline.schedule(now + drain_ns, stop);
  } else {
    stop(now);
  }
}

}  // namespace lbsim
