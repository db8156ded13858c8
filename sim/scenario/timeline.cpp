#include <algorithm>
#include <cstdint>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "sim/model/run_info.hpp"
#include "sim/scenario/clock.hpp"
#include "sim/scenario/sections.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::loader {
namespace {

using yaml::Node;

// ---- clock, timeline, alerts ---------------------------------------------------------

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

// The servers actions may name, and which strategies the run can use (the file's, then each
// set_strategy's, added as actions are read).
TimelineContext make_context(SimulationConfig& config) {
  TimelineContext context;
  context.config = &config;
  for (const ServerGroupConfig& group : config.servers) {
    context.any_max_connections = context.any_max_connections || group.max_connections > 0;
    for (int i = 0; i < group.count; ++i) {
      const std::string name = server_name(group.group, group.first_index + i);
      context.server_index[name] = static_cast<std::uint32_t>(context.server_names.size());
      context.server_names.push_back(name);
    }
    context.next_index[group.group] = group.first_index + group.count;
  }
  context.strategies.push_back(config.balancer.strategy.info);
  return context;
}

struct LocatedAction {
  const Node* item = nullptr;
  std::string path;
};

// Reads config.timeline in file order, returning where each action was written.
std::vector<LocatedAction> read_timeline(const Node& timeline, SimulationConfig& config,
                                         TimelineContext& context) {
  expect_list(timeline, "timeline", "a list of timeline actions");
  // Actions are read in run order (by time, ties as written), so servers an add_servers
  // creates are numbered in the order they join and can be named by any action that runs
  // after it, wherever it is written.
  std::vector<SimTime> at(timeline.items.size(), 0);
  for (std::size_t i = 0; i < timeline.items.size(); ++i) {
    const Node& item = timeline.items[i];
    const std::string path = child("timeline", std::to_string(i));
    expect_map(item, path,
               "an action like {at: 30m, action: set_weight, servers: web-0, weight: 5}");
    (void)require(item, path, "action");
    at[i] = read_run_time(require(item, path, "at"), child(path, "at"), config);
  }
  std::vector<std::size_t> read_order(timeline.items.size());
  std::iota(read_order.begin(), read_order.end(), std::size_t{0});
  std::stable_sort(read_order.begin(), read_order.end(),
                   [&](std::size_t a, std::size_t b) { return at[a] < at[b]; });
  config.timeline.resize(timeline.items.size());
  std::vector<LocatedAction> located(timeline.items.size());
  for (const std::size_t i : read_order) {
    const std::string path = child("timeline", std::to_string(i));
    config.timeline[i] = read_action(timeline.items[i], path, context, false);
    located[i] = {&timeline.items[i], path};
  }
  std::map<std::string, SourceLocation, std::less<>> names;
  for (std::size_t i = 0; i < timeline.items.size(); ++i) {
    const std::string& action_name = config.timeline[i].name;
    if (action_name.empty()) continue;
    const Node& name = *timeline.items[i].find("name");
    if (const auto [it, inserted] = names.try_emplace(action_name, name.where); !inserted) {
      fail(name, child(located[i].path, "name"),
           "duplicate action name \"" + action_name + "\" (first at " + it->second.to_string() +
               ")");
    }
  }
  return located;
}

const std::string* rollback_to(const ActionConfig& action) {
  const auto* rollback = std::get_if<RollbackAction>(&action.action);
  return rollback != nullptr ? &rollback->to_before : nullptr;
}

// A rollback names an action that changes the balancer configuration (what a rollback restores).
void check_configures(const SimulationConfig& config, const ActionConfig& rollback,
                      const Node& to_before, const std::string& path) {
  for (const ActionConfig& target : config.timeline) {
    if (target.name != *rollback_to(rollback) || configures_balancer(target.action)) continue;
    fail(to_before, path,
         "a rollback restores the balancer configuration (weights, strategy, health checks, "
         "outlier detection, circuit breakers, panic threshold), and " +
             std::string(action_name(target.action)) +
             " changes none of it; expected the name of such a change; got " +
             to_before.describe());
  }
}

// A timeline rollback names an action that runs before it.
void check_timeline_rollbacks(const SimulationConfig& config, const std::vector<std::size_t>& order,
                              const std::vector<LocatedAction>& located) {
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
    const LocatedAction& where = located[order[k]];
    const Node& to_before = *where.item->find("to_before");
    if (!earlier) {
      fail(to_before, child(where.path, "to_before"),
           std::string(exists ? "expected a named action that runs before this rollback"
                              : "expected the name of an action in the timeline") +
               "; got " + to_before.describe());
    }
    check_configures(config, action, to_before, child(where.path, "to_before"));
  }
}

// An alert's rollback names an action of the timeline.
void check_alert_rollbacks(const SimulationConfig& config, const Node& alerts) {
  for (std::size_t r = 0; r < config.alerts.size(); ++r) {
    for (std::size_t a = 0; a < config.alerts[r].on_fire.size(); ++a) {
      const ActionConfig& action = config.alerts[r].on_fire[a];
      if (rollback_to(action) == nullptr) continue;
      const bool exists =
          std::any_of(config.timeline.begin(), config.timeline.end(),
                      [&](const ActionConfig& t) { return t.name == *rollback_to(action); });
      const Node& to_before = *alerts.items[r].find("on_fire")->items[a].find("to_before");
      const std::string path =
          "alerts." + std::to_string(r) + ".on_fire." + std::to_string(a) + ".to_before";
      if (!exists) {
        fail(to_before, path,
             "expected the name of an action in the timeline; got " + to_before.describe());
      }
      check_configures(config, action, to_before, path);
    }
  }
}

// Weights change something only under a strategy that reads them.
void check_weights_apply(const SimulationConfig& config, const TimelineContext& context) {
  const bool weighted =
      std::any_of(context.strategies.begin(), context.strategies.end(),
                  [](const StrategyInfo* s) { return s->weighted && !s->static_weights; });
  if (weighted || context.set_weights.empty()) return;
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

}  // namespace
}  // namespace lbsim::loader

namespace lbsim::loader {

void read_timeline_and_alerts(const Node& root, SimulationConfig& config) {
  if (const Node* clock = root.find("clock")) config.clock = read_clock(*clock, "clock");
  TimelineContext context = make_context(config);
  std::vector<LocatedAction> located;
  if (const Node* timeline = root.find("timeline")) {
    located = read_timeline(*timeline, config, context);
  }
  // Run order: by time, ties as written.
  std::vector<std::size_t> order(config.timeline.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return config.timeline[a].at_ns < config.timeline[b].at_ns;
  });
  check_timeline_rollbacks(config, order, located);
  if (const Node* alerts = root.find("alerts")) {
    config.alerts = read_alerts(*alerts, "alerts", context);
    check_alert_rollbacks(config, *alerts);
  }
  std::vector<ActionConfig> sorted;
  sorted.reserve(order.size());
  for (const std::size_t i : order) sorted.push_back(config.timeline[i]);
  config.timeline = std::move(sorted);
  check_weights_apply(config, context);
  read_incident(root, config);
}

}  // namespace lbsim::loader
