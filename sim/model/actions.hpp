#pragma once
// Timeline actions as typed alternatives (STYLE.md, "typed alternatives, not kinds"): one struct
// per action with its own fields, held in `Action`, a std::variant. Each struct names itself
// (kName, as written in scenario files and events.csv) and says what it touches (kConfigures:
// it changes the balancer configuration that a rollback restores). The scenario loader has one
// reader per struct (sim/scenario/timeline_actions.cpp) and the model one apply per struct
// (sim/model/actions.cpp); both are overload sets that std::visit dispatches on, so adding an
// alternative here makes the compiler list the reader and the apply still missing. Nothing
// switches over kinds.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/model/settings.hpp"

namespace lbsim {

// Which servers an action acts on: explicit servers, or the servers of a group (resolved when
// the action runs, so servers added meanwhile are included).
struct ServerTarget {
  std::vector<std::uint32_t> servers;  // server indices
  std::string group;                   // non-empty: every server of this group
  [[nodiscard]] bool empty() const { return servers.empty() && group.empty(); }
};

// Free text in the incident log (a postmortem's investigation steps).
struct NoteAction {
  static constexpr std::string_view kName = "note";
  static constexpr bool kConfigures = false;
};

// Servers' configured weight, as one change: `weight` for every target server, or one entry of
// `weights` per `target.servers` entry.
struct SetWeightAction {
  static constexpr std::string_view kName = "set_weight";
  static constexpr bool kConfigures = true;
  ServerTarget target;
  double weight = 0.0;
  std::vector<double> weights;
};

// Servers' speed (a degraded or upgraded machine); not configuration.
struct SetSpeedAction {
  static constexpr std::string_view kName = "set_speed";
  static constexpr bool kConfigures = false;
  ServerTarget target;
  double speed = 1.0;
};

// A fresh strategy on every instance.
struct SetStrategyAction {
  static constexpr std::string_view kName = "set_strategy";
  static constexpr bool kConfigures = true;
  StrategyChoice strategy;
};

// Replaces the health-check settings (enabled == false: checks off).
struct SetHealthCheckAction {
  static constexpr std::string_view kName = "set_health_check";
  static constexpr bool kConfigures = true;
  HealthCheckConfig health_check;
};

// Replaces the outlier-detection settings (enabled == false: detection off).
struct SetOutlierDetectionAction {
  static constexpr std::string_view kName = "set_outlier_detection";
  static constexpr bool kConfigures = true;
  OutlierConfig outlier;
};

struct SetCircuitBreakersAction {
  static constexpr std::string_view kName = "set_circuit_breakers";
  static constexpr bool kConfigures = true;
  CircuitBreakerConfig circuit_breakers;
};

struct SetPanicThresholdAction {
  static constexpr std::string_view kName = "set_panic_threshold";
  static constexpr bool kConfigures = true;
  double threshold = 0.5;
};

// Servers go down (everything in them lost) until started again.
struct KillAction {
  static constexpr std::string_view kName = "kill";
  static constexpr bool kConfigures = false;
  ServerTarget target;
};

// Down servers come back (cold start applies).
struct StartAction {
  static constexpr std::string_view kName = "start";
  static constexpr bool kConfigures = false;
  ServerTarget target;
};

// Each server is drained (no new requests) for drain_ns, stopped (what it still holds is lost),
// and started again down_ns later (< 0: its group's overload restart time).
struct RestartAction {
  static constexpr std::string_view kName = "restart";
  static constexpr bool kConfigures = false;
  ServerTarget target;
  SimTime drain_ns = 0;
  SimTime down_ns = -1;
};

// A restart of `batch` servers at a time (in the target's order), one batch every every_ns.
struct PhasedRestartAction {
  static constexpr std::string_view kName = "phased_restart";
  static constexpr bool kConfigures = false;
  ServerTarget target;
  SimTime drain_ns = 0;
  SimTime down_ns = -1;
  int batch = 1;
  SimTime every_ns = 0;
};

// New servers join: the servers of `clone_group` (a group the loader appended to the fleet, its
// servers non-members until now), and/or named servers that left rejoin.
struct AddServersAction {
  static constexpr std::string_view kName = "add_servers";
  static constexpr bool kConfigures = false;
  std::uint32_t clone_group = UINT32_MAX;
  std::vector<std::uint32_t> servers;
};

// Servers leave the fleet; they finish what they hold.
struct RemoveServersAction {
  static constexpr std::string_view kName = "remove_servers";
  static constexpr bool kConfigures = false;
  ServerTarget target;
};

// The offered rate moves to rate_per_s, at once (ramp_ns == 0) or linearly over ramp_ns; with
// hold_ns > 0 it goes back to the rate before, hold_ns after the ramp ends (a spike).
struct TrafficAction {
  static constexpr std::string_view kName = "traffic";
  static constexpr bool kConfigures = false;
  double rate_per_s = 0.0;
  SimTime ramp_ns = 0;
  SimTime hold_ns = 0;
};

// The balancer configuration as it was just before the named action.
struct RollbackAction {
  static constexpr std::string_view kName = "rollback";
  static constexpr bool kConfigures = false;
  std::string to_before;
};

using Action = std::variant<NoteAction, SetWeightAction, SetSpeedAction, SetStrategyAction,
                            SetHealthCheckAction, SetOutlierDetectionAction,
                            SetCircuitBreakersAction, SetPanicThresholdAction, KillAction,
                            StartAction, RestartAction, PhasedRestartAction, AddServersAction,
                            RemoveServersAction, TrafficAction, RollbackAction>;

// One dated action (a timeline entry) or an alert's reaction (at_ns = the delay after firing).
struct ActionConfig {
  SimTime at_ns = 0;
  std::string name;         // optional label (what a rollback names); unique in the timeline
  bool mitigation = false;  // counts as mitigation in the incident metrics (rollback always does)
  std::string text;         // a note's text; for others an optional comment logged with them
  Action action;
};

// The name of an action, as written in scenario files and in events.csv.
[[nodiscard]] inline std::string_view action_name(const Action& action) {
  return std::visit([](const auto& a) { return std::decay_t<decltype(a)>::kName; }, action);
}

// The action changes the balancer configuration a rollback restores (weights, strategy, health
// checks, outlier detection, circuit breakers, panic threshold).
[[nodiscard]] inline bool configures_balancer(const Action& action) {
  return std::visit([](const auto& a) { return std::decay_t<decltype(a)>::kConfigures; }, action);
}

template <typename T>
[[nodiscard]] bool holds(const ActionConfig& action) {
  return std::holds_alternative<T>(action.action);
}

namespace detail {
template <typename Variant>
struct ActionNames;
template <typename... Alternatives>
struct ActionNames<std::variant<Alternatives...>> {
  static constexpr std::array<std::string_view, sizeof...(Alternatives)> kNames = {
      Alternatives::kName...};
};
}  // namespace detail

// Every action name, in the variant's order.
inline constexpr auto kActionNames = detail::ActionNames<Action>::kNames;

}  // namespace lbsim
