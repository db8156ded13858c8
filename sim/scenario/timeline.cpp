#include "sim/scenario/sections.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "sim/core/distributions.hpp"
#include "sim/model/observer.hpp"
#include "sim/scenario/clock.hpp"
#include "sim/scenario/csv_reader.hpp"
#include "sim/scenario/fleet.hpp"
#include "sim/scenario/trace.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::loader {
namespace {

using yaml::MapEntry;
using yaml::Node;
using yaml::NodeKind;

// ---- clock, timeline, alerts, incident ---------------------------------------------------------

ScenarioClock read_clock(const Node& node, const std::string& path) {
  expect_map(node, path, "a clock like {start: \"2024-05-05 08:00\", zone: UTC}");
  check_keys(node, path, {"start", "zone"});
  ScenarioClock clock;
  clock.set = true;
  clock.zone = "UTC";
  if (const Node* zone = node.find("zone")) {
    const std::string& text = scalar(*zone, child(path, "zone"), "a time zone");
    std::string error;
    const auto offset = parse_zone_offset_minutes(text, &error);
    if (!offset) fail(*zone, child(path, "zone"), error);
    clock.zone = text;
    clock.offset_minutes = *offset;
  }
  const Node& start = require(node, path, "start");
  const std::string& text = scalar(start, child(path, "start"), "a date and time");
  std::string error;
  const auto local = parse_local_datetime(text, &error);
  if (!local) fail(start, child(path, "start"), error);
  clock.start_epoch_s = *local - std::int64_t{clock.offset_minutes} * 60;
  return clock;
}

}  // namespace
}  // namespace lbsim::loader

namespace lbsim::loader {

using yaml::MapEntry;
using yaml::Node;
using yaml::NodeKind;

void read_timeline_and_alerts(const Node& root, SimulationConfig& config) {
  if (const Node* clock = root.find("clock")) config.clock = read_clock(*clock, "clock");
  TimelineContext context;
  context.config = &config;
  for (const ServerGroupConfig& group : config.servers) {
    context.any_max_connections = context.any_max_connections || group.max_connections > 0;
    for (int i = 0; i < group.count; ++i) {
      const std::string name = group.group + "-" + std::to_string(group.first_index + i);
      context.server_index[name] = static_cast<std::uint32_t>(context.server_names.size());
      context.server_names.push_back(name);
    }
    context.next_index[group.group] = group.first_index + group.count;
  }
  context.strategies.push_back(config.balancer.strategy.info);

  std::vector<std::pair<const Node*, std::string>> located;  // (item, path) per action
  if (const Node* timeline = root.find("timeline")) {
    expect_list(*timeline, "timeline", "a list of timeline actions");
    // Actions are read in run order (by time, ties as written), so servers an add_servers
    // creates are numbered in the order they join and can be named by any action that runs
    // after it, wherever it is written.
    std::vector<SimTime> at(timeline->items.size(), 0);
    for (std::size_t i = 0; i < timeline->items.size(); ++i) {
      const Node& item = timeline->items[i];
      const std::string path = child("timeline", std::to_string(i));
      expect_map(item, path,
                 "an action like {at: 30m, action: set_weight, servers: web-0, weight: 5}");
      (void)require(item, path, "action");
      at[i] = read_run_time(require(item, path, "at"), child(path, "at"), config);
    }
    std::vector<std::size_t> read_order(timeline->items.size());
    std::iota(read_order.begin(), read_order.end(), std::size_t{0});
    std::stable_sort(read_order.begin(), read_order.end(),
                     [&](std::size_t a, std::size_t b) { return at[a] < at[b]; });
    config.timeline.resize(timeline->items.size());
    located.resize(timeline->items.size());
    for (const std::size_t i : read_order) {
      const std::string path = child("timeline", std::to_string(i));
      config.timeline[i] = read_action(timeline->items[i], path, context, false);
      located[i] = {&timeline->items[i], path};
    }
    std::map<std::string, SourceLocation, std::less<>> names;
    for (std::size_t i = 0; i < timeline->items.size(); ++i) {
      const std::string& action_name = config.timeline[i].name;
      if (action_name.empty()) continue;
      const Node& name = *timeline->items[i].find("name");
      if (const auto [it, inserted] = names.try_emplace(action_name, name.where); !inserted) {
        fail(name, child(located[i].second, "name"),
             "duplicate action name \"" + action_name + "\" (first at " + it->second.to_string() +
                 ")");
      }
    }
  }
  // Run order: by time, ties as written.
  std::vector<std::size_t> order(config.timeline.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return config.timeline[a].at_ns < config.timeline[b].at_ns;
  });
  // A rollback names an action that runs before it and changes the balancer configuration (what a
  // rollback restores).
  const auto rollback_to = [](const ActionConfig& action) -> const std::string* {
    const auto* rollback = std::get_if<RollbackAction>(&action.action);
    return rollback != nullptr ? &rollback->to_before : nullptr;
  };
  const auto check_configures = [&](const ActionConfig& rollback, const Node& to_before,
                                    const std::string& path) {
    for (const ActionConfig& target : config.timeline) {
      if (target.name != *rollback_to(rollback) || configures_balancer(target.action)) continue;
      fail(to_before, path,
           "a rollback restores the balancer configuration (weights, strategy, health checks, "
           "outlier detection, circuit breakers, panic threshold), and " +
               std::string(action_name(target.action)) +
               " changes none of it; expected the name of such a change; got " +
               to_before.describe());
    }
  };
  for (std::size_t k = 0; k < order.size(); ++k) {
    const ActionConfig& action = config.timeline[order[k]];
    if (rollback_to(action) == nullptr) continue;
    bool earlier = false;
    bool exists = false;
    for (std::size_t j = 0; j < order.size(); ++j) {
      if (config.timeline[order[j]].name != *rollback_to(action)) continue;
      exists = true;
      earlier = earlier || j < k;
    }
    const auto& [item, path] = located[order[k]];
    if (!earlier) {
      fail(*item->find("to_before"), child(path, "to_before"),
           std::string(exists ? "expected a named action that runs before this rollback"
                              : "expected the name of an action in the timeline") +
               "; got " + item->find("to_before")->describe());
    }
    check_configures(action, *item->find("to_before"), child(path, "to_before"));
  }
  if (const Node* alerts = root.find("alerts")) {
    config.alerts = read_alerts(*alerts, "alerts", context);
    for (std::size_t r = 0; r < config.alerts.size(); ++r) {
      for (std::size_t a = 0; a < config.alerts[r].on_fire.size(); ++a) {
        const ActionConfig& action = config.alerts[r].on_fire[a];
        if (rollback_to(action) == nullptr) continue;
        const bool exists =
            std::any_of(config.timeline.begin(), config.timeline.end(),
                        [&](const ActionConfig& t) { return t.name == *rollback_to(action); });
        if (!exists) {
          const Node& item = alerts->items[r].find("on_fire")->items[a];
          fail(*item.find("to_before"),
               "alerts." + std::to_string(r) + ".on_fire." + std::to_string(a) + ".to_before",
               "expected the name of an action in the timeline; got " +
                   item.find("to_before")->describe());
        }
        const Node& item = alerts->items[r].find("on_fire")->items[a];
        check_configures(
            action, *item.find("to_before"),
            "alerts." + std::to_string(r) + ".on_fire." + std::to_string(a) + ".to_before");
      }
    }
  }
  std::vector<ActionConfig> sorted;
  sorted.reserve(order.size());
  for (const std::size_t i : order) sorted.push_back(config.timeline[i]);
  config.timeline = std::move(sorted);

  // Weights change something only under a strategy that reads them.
  const bool weighted =
      std::any_of(context.strategies.begin(), context.strategies.end(),
                  [](const StrategyInfo* s) { return s->weighted && !s->static_weights; });
  if (!weighted && !context.set_weights.empty()) {
    std::string which;
    for (const StrategyInfo& info : strategy_catalog()) {
      if (info.weighted && !info.static_weights) which += (which.empty() ? "" : ", ") + info.name;
    }
    const auto& first = context.set_weights.front();
    fail(*first.node, first.path,
         "strategy " + config.balancer.strategy.name() +
             " does not apply weight changes during a run (it ignores weights, or reads them only "
             "when it builds its map), so this changes nothing; expected a strategy that does (" +
             which + ") in balancer.strategy or a set_strategy action");
  }

  if (const Node* incident = root.find("incident")) {
    expect_map(*incident, "incident",
               "a map like {slo: 99.9%, slo_period: 30d, recovery_error_rate: 1%}");
    check_keys(*incident, "incident", {"start", "slo", "slo_period", "recovery_error_rate"});
    if (const Node* start = incident->find("start")) {
      config.incident.start_ns = read_run_time(*start, "incident.start", config);
    }
    if (const Node* slo = incident->find("slo")) {
      // "99.9%" parses as 0.9990000000000001; keep the objective as written.
      config.incident.slo = std::round(read_fraction(*slo, "incident.slo") * 1e12) / 1e12;
      if (!(config.incident.slo > 0.0 && config.incident.slo < 1.0)) {
        fail(*slo, "incident.slo",
             "expected an objective strictly between 0 and 100%, like 99.9%; got " +
                 slo->describe());
      }
    }
    if (const Node* period = incident->find("slo_period")) {
      reject_unless(*incident, "incident", "slo_period", incident->find("slo") != nullptr,
                    "slo is set (the period its error budget covers)");
      config.incident.slo_period_ns = read_duration(*period, "incident.slo_period", true);
    }
    if (const Node* rate = incident->find("recovery_error_rate")) {
      config.incident.recovery_error_rate = read_fraction(*rate, "incident.recovery_error_rate");
    }
  }
  if (config.incident.start_ns < 0) {
    for (const ActionConfig& action : config.timeline) {
      if (!holds<NoteAction>(action)) {
        config.incident.start_ns = action.at_ns;
        break;
      }
    }
  }
}

}  // namespace lbsim::loader
