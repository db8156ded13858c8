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
#include "sim/model/run_info.hpp"
#include "sim/scenario/clock.hpp"
#include "sim/scenario/csv_reader.hpp"
#include "sim/scenario/fleet.hpp"
#include "sim/scenario/sections.hpp"
#include "sim/scenario/trace.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::loader {
namespace {

using yaml::MapEntry;
using yaml::Node;
using yaml::NodeKind;

const KeyList& action_kind_names() {
  static const KeyList names(kActionNames.begin(), kActionNames.end());
  return names;
}

ServerTarget read_target(const Node& item, const std::string& path, TimelineContext& context,
                         bool required) {
  ServerTarget target;
  const Node* servers = item.find("servers");
  const Node* group = item.find("group");
  if (servers != nullptr && group != nullptr) {
    throw ConfigError(key_location(item, "group"), path + ": expected servers or group, not both");
  }
  if (servers != nullptr) {
    const std::string servers_path = child(path, "servers");
    std::vector<const Node*> names;
    if (servers->kind == NodeKind::kList) {
      if (servers->items.empty()) fail(*servers, servers_path, "expected at least one server");
      for (const Node& name : servers->items) names.push_back(&name);
    } else {
      names.push_back(servers);
    }
    for (const Node* name : names) {
      const std::string& text = scalar(*name, servers_path, "a server name like web-0");
      const auto it = context.server_index.find(text);
      if (it == context.server_index.end()) {
        std::string some;
        for (std::size_t i = 0; i < context.server_names.size() && i < 4; ++i) {
          some += (some.empty() ? "" : ", ") + context.server_names[i];
        }
        fail(*name, servers_path,
             "expected a server of the fleet (<group>-<n>: " + some +
                 (context.server_names.size() > 4 ? ", ..." : "") + "); got " + name->describe());
      }
      if (std::find(target.servers.begin(), target.servers.end(), it->second) !=
          target.servers.end()) {
        fail(*name, servers_path, "server " + text + " is named twice");
      }
      target.servers.push_back(it->second);
    }
  } else if (group != nullptr) {
    const std::string& text = scalar(*group, child(path, "group"), "a server group name");
    if (context.next_index.find(text) == context.next_index.end()) {
      std::string groups;
      for (const auto& [name, next] : context.next_index)
        groups += (groups.empty() ? "" : ", ") + name;
      fail(*group, child(path, "group"),
           "expected a server group (" + groups + "); got " + group->describe());
    }
    target.group = text;
  } else if (required) {
    throw ConfigError(item.where, path + ": expected servers (a name or a list) or group");
  }
  return target;
}

// What one action's reader sees: the entry, its path, and the loader's timeline context.
struct ActionReading {
  const Node& item;
  const std::string& path;
  TimelineContext& context;
  const Node& kind_node;

  [[nodiscard]] const Node& need(std::string_view key) const { return require(item, path, key); }
  [[nodiscard]] std::string at(std::string_view key) const { return child(path, key); }
  [[nodiscard]] ServerTarget target(bool required = true) const {
    return read_target(item, path, context, required);
  }
  [[nodiscard]] SimTime optional_duration(std::string_view key, SimTime otherwise) const {
    const Node* node = item.find(key);
    return node != nullptr ? read_duration(*node, at(key), false) : otherwise;
  }
};

// One reader per action (an ActionReader<T> for every alternative of Action: a missing one is a
// compile error). `keys` are the action's own keys beside at/after, action, name, text and
// mitigation; `read` reads them, after the common keys.
template <typename T>
struct ActionReader;

template <>
struct ActionReader<NoteAction> {
  static KeyList keys() { return {}; }
  static NoteAction read(ActionReading&) { return {}; }
};

template <>
struct ActionReader<SetWeightAction> {
  static KeyList keys() { return {"servers", "group", "weight", "weights"}; }
  static SetWeightAction read(ActionReading& r) {
    SetWeightAction action;
    const Node* weights = r.item.find("weights");
    if (weights == nullptr) {
      action.target = r.target();
      action.weight = read_number(r.need("weight"), r.at("weight"), 0.0, false);
      r.context.set_weights.push_back({r.item.find("weight"), r.at("weight")});
      return action;
    }
    // One change setting several servers' weights: {weights: {web-0: 10, web-1: 0.5}}.
    for (const char* key : {"servers", "group", "weight"}) {
      if (r.item.find(key) != nullptr) {
        throw ConfigError(key_location(r.item, key),
                          r.path + ": expected weights (a map of server: weight) or " +
                              "servers/group with weight, not both");
      }
    }
    const std::string weights_path = r.at("weights");
    expect_map(*weights, weights_path, "a map of server: weight like {web-0: 10, web-1: 0.5}");
    if (weights->entries.empty()) fail(*weights, weights_path, "expected at least one server");
    for (const MapEntry& entry : weights->entries) {
      const auto it = r.context.server_index.find(entry.key);
      if (it == r.context.server_index.end()) {
        throw ConfigError(entry.key_where, weights_path + ": expected a server of the fleet " +
                                               "(<group>-<n>); got \"" + entry.key + "\"");
      }
      action.target.servers.push_back(it->second);
      action.weights.push_back(
          read_number(entry.value, child(weights_path, entry.key), 0.0, false));
    }
    r.context.set_weights.push_back({weights, weights_path});
    return action;
  }
};

template <>
struct ActionReader<SetSpeedAction> {
  static KeyList keys() { return {"servers", "group", "speed"}; }
  static SetSpeedAction read(ActionReading& r) {
    SetSpeedAction action;
    action.target = r.target();
    action.speed = read_number(r.need("speed"), r.at("speed"), 0.0, false);
    return action;
  }
};

// The strategy's own options sit beside it, as under balancer:, so every key that is not a
// common one is read as an option of the named strategy.
template <>
struct ActionReader<SetStrategyAction> {
  static KeyList keys() { return {"strategy"}; }
  static constexpr bool kTakesOptions = true;
  static SetStrategyAction read(ActionReading& r, const KeyList& allowed) {
    const SimulationConfig& config = *r.context.config;
    const Node& name = r.need("strategy");
    const std::string expected = "a strategy (one of " + strategy_names() + ")";
    const StrategyInfo* info = find_strategy(scalar(name, r.at("strategy"), expected));
    if (info == nullptr) {
      fail(name, r.at("strategy"), "expected " + expected + "; got " + name.describe());
    }
    Node options;
    options.kind = NodeKind::kMap;
    options.where = r.item.where;
    for (const MapEntry& entry : r.item.entries) {
      const bool known = std::find(allowed.begin(), allowed.end(), entry.key) != allowed.end();
      if (!known) options.entries.push_back(entry);
    }
    KeyList valid = allowed;
    for (const OptionSpec& spec : info->options) valid.push_back(spec.name);
    for (const MapEntry& entry : options.entries) {
      const KeyList& generic = balancer_generic_keys();
      if (std::find(generic.begin(), generic.end(), entry.key) != generic.end()) {
        throw ConfigError(entry.key_where,
                          "balancer key \"" + entry.key + "\" cannot change in " + r.path +
                              "; set_strategy takes the strategy and its options (other settings "
                              "have their own actions)");
      }
      if (std::find(valid.begin(), valid.end(), entry.key) != valid.end()) continue;
      std::string owners;
      for (const StrategyInfo& other : strategy_catalog()) {
        for (const OptionSpec& spec : other.options) {
          if (spec.name == entry.key && other.name != info->name) {
            owners += (owners.empty() ? "" : ", ") + other.name;
          }
        }
      }
      const std::string valid_text = "; valid keys for action set_strategy: " + join(valid);
      if (owners.empty()) {
        throw ConfigError(entry.key_where,
                          "unknown key \"" + entry.key + "\" in " + r.path + valid_text);
      }
      throw ConfigError(entry.key_where, "option \"" + entry.key + "\" belongs to strategy " +
                                             owners + ", not " + info->name + valid_text);
    }
    SetStrategyAction action;
    action.strategy = {info, read_strategy_options(*info, options, r.path)};
    const StrategyContext strategy_context{
        action.strategy.options,
        static_cast<std::uint32_t>(r.context.server_names.size()),
        0,
        config.seed,
        config.workload.users,
        r.context.server_names};
    try {
      (void)info->make(strategy_context);
    } catch (const std::invalid_argument& e) {
      fail(name, r.at("strategy"), "strategy " + info->name + ": " + e.what());
    }
    r.context.strategies.push_back(info);
    return action;
  }
};

template <>
struct ActionReader<SetHealthCheckAction> {
  static KeyList keys() { return {"health_check"}; }
  static SetHealthCheckAction read(ActionReading& r) {
    SetHealthCheckAction action;
    const Node& check = r.need("health_check");
    if (check.kind == NodeKind::kScalar && check.scalar == "off") {
      action.health_check.enabled = false;
    } else if (check.kind == NodeKind::kScalar) {
      fail(check, r.at("health_check"),
           "expected a map of health-check keys ({} for the defaults) or off; got " +
               check.describe());
    } else {
      action.health_check =
          read_health_check(check, r.at("health_check"),
                            r.context.config->balancer.unit == BalancingUnit::kConnection);
    }
    return action;
  }
};

template <>
struct ActionReader<SetOutlierDetectionAction> {
  static KeyList keys() { return {"outlier_detection"}; }
  static SetOutlierDetectionAction read(ActionReading& r) {
    SetOutlierDetectionAction action;
    const Node& outlier = r.need("outlier_detection");
    if (outlier.kind == NodeKind::kScalar && outlier.scalar == "off") {
      action.outlier.enabled = false;
    } else if (outlier.kind == NodeKind::kScalar) {
      fail(outlier, r.at("outlier_detection"),
           "expected a map of outlier-detection keys ({} for the defaults) or off; got " +
               outlier.describe());
    } else {
      action.outlier =
          read_outlier_detection(outlier, r.at("outlier_detection"),
                                 r.context.config->balancer.unit == BalancingUnit::kConnection);
    }
    return action;
  }
};

template <>
struct ActionReader<SetCircuitBreakersAction> {
  static KeyList keys() { return {"circuit_breakers"}; }
  static SetCircuitBreakersAction read(ActionReading& r) {
    SetCircuitBreakersAction action;
    const Node& breakers = r.need("circuit_breakers");
    action.circuit_breakers = read_circuit_breakers(breakers, r.at("circuit_breakers"));
    if (action.circuit_breakers.max_pending >= 0 && !r.context.any_max_connections) {
      fail(*breakers.find("max_pending"), r.at("circuit_breakers.max_pending"),
           "acts only on the balancer-side queue, which exists when a server group sets "
           "max_connections; expected max_connections on some group, or no max_pending");
    }
    return action;
  }
};

template <>
struct ActionReader<SetPanicThresholdAction> {
  static KeyList keys() { return {"panic_threshold"}; }
  static SetPanicThresholdAction read(ActionReading& r) {
    return {read_fraction(r.need("panic_threshold"), r.at("panic_threshold"))};
  }
};

template <>
struct ActionReader<KillAction> {
  static KeyList keys() { return {"servers", "group"}; }
  static KillAction read(ActionReading& r) { return {r.target()}; }
};

template <>
struct ActionReader<StartAction> {
  static KeyList keys() { return {"servers", "group"}; }
  static StartAction read(ActionReading& r) { return {r.target()}; }
};

template <>
struct ActionReader<RemoveServersAction> {
  static KeyList keys() { return {"servers", "group"}; }
  static RemoveServersAction read(ActionReading& r) { return {r.target()}; }
};

template <>
struct ActionReader<RestartAction> {
  static KeyList keys() { return {"servers", "group", "down", "drain"}; }
  static RestartAction read(ActionReading& r) {
    RestartAction action;
    action.target = r.target();
    action.down_ns = r.optional_duration("down", -1);
    action.drain_ns = r.optional_duration("drain", 0);
    return action;
  }
};

template <>
struct ActionReader<PhasedRestartAction> {
  static KeyList keys() { return {"servers", "group", "batch", "every", "down", "drain"}; }
  static PhasedRestartAction read(ActionReading& r) {
    PhasedRestartAction action;
    action.target = r.target();
    action.down_ns = r.optional_duration("down", -1);
    action.drain_ns = r.optional_duration("drain", 0);
    if (const Node* batch = r.item.find("batch")) {
      action.batch = static_cast<int>(read_integer(*batch, r.at("batch"), 1, kIntMax));
    }
    action.every_ns = read_duration(r.need("every"), r.at("every"), true);
    return action;
  }
};

template <>
struct ActionReader<AddServersAction> {
  static KeyList keys() { return {"servers", "group", "count"}; }
  static AddServersAction read(ActionReading& r) {
    AddServersAction action;
    const ServerTarget target = r.target(false);
    action.servers = target.servers;
    const Node* count = r.item.find("count");
    if (count != nullptr && target.group.empty()) {
      throw ConfigError(key_location(r.item, "count"),
                        r.path +
                            ": count adds new servers like those of a group; expected "
                            "group with count (servers: names servers that rejoin)");
    }
    if (target.group.empty()) {
      if (target.servers.empty()) {
        throw ConfigError(r.item.where,
                          r.path +
                              ": expected group with count (new servers) or servers (servers "
                              "that rejoin)");
      }
      return action;
    }
    if (count == nullptr) {
      throw ConfigError(r.item.where,
                        r.path + ": expected count with group (how many servers to add)");
    }
    const auto n = static_cast<int>(read_integer(*count, r.at("count"), 1, 100000));
    // New servers: a copy of the group's first entry, numbered after its last server.
    SimulationConfig& config = *r.context.config;
    const auto model =
        std::find_if(config.servers.begin(), config.servers.end(),
                     [&](const ServerGroupConfig& g) { return g.group == target.group; });
    ServerGroupConfig added = *model;
    added.count = n;
    added.join_at_ns = kTimeNever;
    int& next = r.context.next_index[target.group];
    added.first_index = next;
    next += n;
    action.clone_group = static_cast<std::uint32_t>(config.servers.size());
    config.servers.push_back(added);  // `model` is not used after this
    for (int i = 0; i < n; ++i) {
      const std::string server = server_name(added.group, added.first_index + i);
      r.context.server_index[server] = static_cast<std::uint32_t>(r.context.server_names.size());
      r.context.server_names.push_back(server);
    }
    return action;
  }
};

template <>
struct ActionReader<TrafficAction> {
  static KeyList keys() { return {"rate", "multiplier", "ramp", "for"}; }
  static TrafficAction read(ActionReading& r) {
    const SimulationConfig& config = *r.context.config;
    if (config.workload.arrivals == ArrivalProcess::kTrace) {
      fail(r.kind_node, r.at("action"),
           "a traced workload plays as recorded; traffic actions need poisson or deterministic "
           "arrivals");
    }
    const Node* rate = r.item.find("rate");
    const Node* multiplier = r.item.find("multiplier");
    if ((rate == nullptr) == (multiplier == nullptr)) {
      fail(r.item, r.path,
           "expected exactly one of rate or multiplier; got " +
               std::string(rate == nullptr ? "neither" : "both"));
    }
    TrafficAction action;
    action.rate_per_s = rate != nullptr ? read_rate(*rate, r.at("rate"), false)
                                        : read_number(*multiplier, r.at("multiplier"), 0.0, true) *
                                              config.workload.rate_per_s;
    action.ramp_ns = r.optional_duration("ramp", 0);
    if (const Node* hold = r.item.find("for")) {
      action.hold_ns = read_duration(*hold, r.at("for"), true);
    }
    return action;
  }
};

template <>
struct ActionReader<RollbackAction> {
  static KeyList keys() { return {"to_before"}; }
  static RollbackAction read(ActionReading& r) {
    return {read_name(r.need("to_before"), r.at("to_before"))};
  }
};

template <typename T>
concept TakesOptions = ActionReader<T>::kTakesOptions;

// Reads the action named `kind` with the reader of the alternative that has that name: its keys
// are checked first (a misspelt key is reported before a bad value), then `read_common` reads
// the keys every action has, then the reader the action's own.
template <std::size_t I = 0, typename ReadCommon>
Action read_named_action(std::string_view kind, ActionReading& reading, const KeyList& common,
                         const ReadCommon& read_common) {
  if constexpr (I == std::variant_size_v<Action>) {
    throw std::logic_error("no reader for action " + std::string(kind));
  } else {
    using T = std::variant_alternative_t<I, Action>;
    if (T::kName != kind) return read_named_action<I + 1>(kind, reading, common, read_common);
    KeyList allowed = common;
    const KeyList own = ActionReader<T>::keys();
    allowed.insert(allowed.end(), own.begin(), own.end());
    if constexpr (TakesOptions<T>) {
      T action = ActionReader<T>::read(reading, allowed);
      read_common();
      return action;
    } else {
      check_keys(reading.item, reading.path, allowed, " for action " + std::string(kind));
      read_common();
      return ActionReader<T>::read(reading);
    }
  }
}

}  // namespace
}  // namespace lbsim::loader

namespace lbsim::loader {

using yaml::Node;

ActionConfig read_action(const Node& item, const std::string& path, TimelineContext& context,
                         bool in_alert) {
  const SimulationConfig& config = *context.config;
  expect_map(item, path,
             in_alert ? "an action like {after: 5m, action: rollback, to_before: change}"
                      : "an action like {at: 30m, action: set_weight, servers: web-0, weight: 5}");
  const Node& kind_node = require(item, path, "action");
  const std::string kind = read_choice(kind_node, child(path, "action"), action_kind_names());
  KeyList common = {in_alert ? "after" : "at", "action", "text", "mitigation"};
  if (!in_alert) common.emplace_back("name");
  ActionConfig action;
  const auto read_common = [&] {
    if (in_alert) {
      if (const Node* after = item.find("after")) {
        action.at_ns = read_duration(*after, child(path, "after"), false);
      }
    } else {
      action.at_ns = read_run_time(require(item, path, "at"), child(path, "at"), config);
      if (const Node* name = item.find("name")) action.name = read_name(*name, child(path, "name"));
    }
    if (const Node* text = item.find("text")) {
      action.text = scalar(*text, child(path, "text"), "a text");
    }
    if (kind == NoteAction::kName && action.text.empty()) {
      throw ConfigError(item.find("text") != nullptr ? item.find("text")->where : item.where,
                        path + ": a note needs a non-empty text");
    }
    if (const Node* mitigation = item.find("mitigation")) {
      action.mitigation = read_bool(*mitigation, child(path, "mitigation"));
    }
  };
  ActionReading reading{item, path, context, kind_node};
  action.action = read_named_action(kind, reading, common, read_common);
  return action;
}

}  // namespace lbsim::loader
