#pragma once
// The scenario loader's section readers, one file per section of a scenario (workload.cpp,
// client.cpp, balancer.cpp, servers.cpp, timeline_actions.cpp, alerts.cpp, timeline.cpp,
// what_ifs.cpp, variants.cpp) and load.cpp, which reads a whole scenario. Internal to
// sim/scenario; the public interface is scenario.hpp.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/model/config.hpp"
#include "sim/model/strategy.hpp"
#include "sim/scenario/fleet.hpp"
#include "sim/scenario/read_helpers.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/scenario/trace.hpp"

namespace lbsim::loader {

WorkloadConfig read_workload(const Node& node, const std::string& path,
                             const std::string& base_dir);

ClientConfig read_client(const Node& node, const std::string& path);

// `l4`: the balancer balances connections (unit: connection), where a check is a TCP connect
// unless `type: http` says otherwise.
HealthCheckConfig read_health_check(const Node& node, const std::string& path, bool l4);

// `l4`: unit: connection, where the HTTP-status keys have no meaning.
OutlierConfig read_outlier_detection(const Node& node, const std::string& path, bool l4);

CircuitBreakerConfig read_circuit_breakers(const Node& node, const std::string& path);

// The generic (not strategy-specific) balancer keys; the strategy and its options are read
// elsewhere.
void read_balancer_settings(const Node& node, const std::string& path, BalancerConfig& config);

std::vector<LocatedServerGroup> read_servers(const Node& node, const std::string& path,
                                             const std::string& base_dir);

// ---- top level ---------------------------------------------------------------------------------

// The balancer map's strategy (the default when the map or its key is absent). Checks that the
// balancer is a map.
const StrategyInfo& read_strategy_name(const Node* balancer);

// Balancer settings whose meaning depends on the fleet, and what only the strategy itself can
// check (a prime Maglev table, ring size bounds): it is built once here, so such an error names
// the balancer's place in the file instead of surfacing when the run starts.
void check_balancer_against_fleet(const Node& balancer, const StrategyInfo& strategy,
                                  const SimulationConfig& config);

// Where the loader keeps what it needs to check actions against each other.
struct TimelineContext {
  SimulationConfig* config = nullptr;
  std::map<std::string, std::uint32_t, std::less<>> server_index;  // name -> index
  std::map<std::string, int, std::less<>> next_index;              // group -> next server number
  std::vector<std::string> server_names;
  std::vector<const StrategyInfo*> strategies;  // every strategy the run can use
  bool any_max_connections = false;
  struct Located {
    const Node* node = nullptr;
    std::string path;
  };
  std::vector<Located> set_weights;  // checked once every strategy is known
};

// One action, from a timeline entry (`at`) or an alert's on_fire entry (`after`).
ActionConfig read_action(const Node& item, const std::string& path, TimelineContext& context,
                         bool in_alert);

std::vector<AlertRule> read_alerts(const Node& node, const std::string& path,
                                   TimelineContext& context);

// Reads clock, timeline, alerts and incident into `config` (its fleet, workload and balancer
// already read). Servers added by add_servers are appended to config.servers.
void read_timeline_and_alerts(const Node& root, SimulationConfig& config);

// Reads `incident` (its timeline already read: the default start is its first action that is not
// a note).
void read_incident(const Node& root, SimulationConfig& config);

SimulationConfig read_simulation(const Node& root, const std::string& base_dir,
                                 bool strategy_from_variant = false);

// Replaces the balancer's strategy and strategy options in `root` by the variant's; every node it
// puts in is located at the variant. The base strategy's options are validated first (a typo in
// them would otherwise vanish with them). A root that is not a map is left for read_simulation
// to report.
void apply_variant(Node& root, const StrategyVariant& variant);

struct LocatedWhatIf {
  WhatIf what_if;
  const Node* node = nullptr;
};

std::vector<LocatedWhatIf> read_what_ifs(const Node& root);

// Applies a what-if to the YAML tree. Errors in its overrides are located at its entry.
void apply_what_if(Node& root, const LocatedWhatIf& located);

}  // namespace lbsim::loader
