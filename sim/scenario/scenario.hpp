#pragma once
// Scenario files (DESIGN.md, "Scenario files"): YAML, plus CSV fleets, traces and empirical
// distributions it names, loaded and validated into a SimulationConfig with every unit resolved
// and every default filled in.
//
// Strict: an unknown or duplicate key, a wrong type, a missing required key, an out-of-range or
// non-finite value, an unknown strategy, strategy option or distribution, a YAML syntax error and
// each bad CSV cell are a ConfigError naming file:line:column (1-based) and saying what was
// expected and what was found. Errors inside --set override values are located at
// SourceLocation{"--set key.path"}.
//
// Rules that the schema comment in the brief leaves open, decided here:
// - workload.profile `at` times count from the start of the run (warmup included), like trace
//   times; a profile rate or multiplier may be 0 (traffic paused); the base rate must be > 0.
// - window defaults to min(10s, warmup + duration); an explicit window must be in
//   (0, warmup + duration].
// - With trace.user_column, workload.users is the number of distinct users in the trace and may
//   not be set as well.
// - trace.time_format is required; time_unit is allowed only with timestamp or gap.
// - Balancer keys that only make sense with another key's value are errors that name it:
//   view_refresh needs view: global; connection_lifetime and reconnect_backoff need
//   unit: connection; slow_start.aggression and min_weight_percent need mode: envoy.
//   queue_timeout and queue_limit need some server group's max_connections (the balancer-side
//   queue exists only then), and unit: connection forbids max_connections.
// - connection_lifetime must be > 0 (omit it for connections that live forever).
// - servers' join_at must be before the end of the run (warmup + duration).
// - client.retries: max_attempts is required in the map; retry_on may not be empty (set
//   max_attempts: 1 for no retries) nor name a kind twice; max_backoff defaults to 10 x backoff
//   (Envoy's max_interval rule; 250ms for the default 25ms) and must be >= backoff;
//   budget_min_retries needs budget. Without retries: max_attempts 1, retry_on_mask 0.
// - servers' overload map (YAML only; a fleet CSV column named like an overload key is an
//   unknown column whose message says so): knee and slowdown need each other, as do cold_start
//   and cold_factor; restart needs crash_queue; knee <= the group's workers; crash_queue <= the
//   group's queue_limit when it is bounded. cold_start does not need crash_queue (a restart may
//   also come from the timeline).
// - balancer.health_check, outlier_detection and circuit_breakers are maps; the presence of the
//   first two enables the feature (`{}` for every default); an empty key (`health_check:` with
//   no value) is an error, not "on". health_check.timeout must be <= interval (both may be
//   defaults: interval: 500ms alone is an error at interval naming the 1s default timeout);
//   probe_demand needs out_of_band: false. outlier_detection.max_ejection defaults to
//   max(300s, base_ejection) (Envoy) and must be >= base_ejection. Fractions (panic_threshold,
//   max_ejection_percent) are "30%" or "0.3" in [0, 1]. Circuit-breaker limits are integers
//   >= 0 or unlimited; circuit_breakers.max_pending needs some group's max_connections, like
//   queue_timeout. All four keys are generic balancer keys: they survive compare variants.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/model/config.hpp"
#include "sim/model/strategy.hpp"
#include "sim/scenario/units.hpp"  // parse_duration, parse_rate_per_s, parse_fraction

namespace lbsim {

namespace yaml {
struct Node;
}

// A named alternative to the scenario (`what_ifs:`): `set` overrides ("key.path=value", as
// --set) applied after the command line's, and timeline actions to `skip` (a change that a
// pre-rollout check would have blocked: the named actions, and every rollback to them, never
// happen).
struct WhatIf {
  std::string name;
  std::string text;  // what it stands for, for tables
  std::vector<std::string> set;
  std::vector<std::string> skip;
};

struct Scenario {
  std::string path;              // as given on the command line
  std::string base_dir;          // directory of the scenario file; relative file paths resolve here
  SimulationConfig config;       // every unit resolved, every default filled
  std::vector<WhatIf> what_ifs;  // each checked: it applies and gives a valid scenario
  // The scenario as loaded, as YAML: overrides, the what-if or variant applied (its what_ifs
  // dropped then), `file:` paths absolute. Loading it gives the same config (scenario.yaml).
  std::string resolved_yaml;
};

// Where a scenario comes from: a file, or text (tests, generated scenarios) whose locations name
// `display_name` and whose relative file paths resolve against `base_dir`.
struct ScenarioFile {
  std::string path;
};
struct ScenarioText {
  std::string yaml;
  std::string display_name;
  std::string base_dir = ".";
};
using ScenarioSource = std::variant<ScenarioFile, ScenarioText>;

struct LoadOptions {
  // "key.path=value", applied in order to the YAML tree before validation (--set).
  std::vector<std::string> overrides = {};
  // The named what-if applied after the overrides; an unknown name is a ConfigError listing the
  // scenario's what-ifs.
  std::optional<std::string> what_if = std::nullopt;
  // A strategy variant (see "strategy variants" below) replacing the balancer's strategy and its
  // options; the generic balancer keys are kept. The variant is checked before the file is read,
  // and the base strategy's options are validated first, so a typo in the file is still
  // reported although the variant drops those options. Not together with what_if.
  std::optional<std::string> variant = std::nullopt;
};

// The one entry point: reads the source, applies the options, validates every what-if (each
// must give a valid scenario; not with a variant) and the result. Throws ConfigError (also when
// the file cannot be read).
[[nodiscard]] Scenario load_scenario(const ScenarioSource& source, const LoadOptions& options = {});

// The value at "key.path" (as --set names it: map keys, list indices) in the scenario as loaded
// (resolved_yaml), as written there; nullopt when the path is absent or names a list or a map.
[[nodiscard]] std::optional<std::string> scenario_value(const Scenario& scenario,
                                                        std::string_view path);

// The balancer keys that are not options of a strategy (strategy, instances, view, unit,
// slow_start, health_check, outlier_detection, panic_threshold, circuit_breakers, ...), in the
// order error messages list them. A strategy may not declare an option with one of these names.
[[nodiscard]] const std::vector<std::string>& balancer_generic_keys();

// Validates a balancer map's strategy options against `info` (the generic keys above are
// skipped) and returns every declared option, defaults filled in (durations in seconds).
// An option of another strategy, or any other unknown key, is an error listing this strategy's
// keys. `path` prefixes messages ("balancer"). Throws ConfigError; std::logic_error when `info`
// declares an option named like a generic key.
[[nodiscard]] StrategyOptions read_strategy_options(const StrategyInfo& info,
                                                    const yaml::Node& balancer,
                                                    const std::string& path);

// ---- strategy variants (lbsim compare --strategies) ---------------------------------------------
//
// A variant is a strategy name optionally followed by options of that strategy, each introduced
// by a colon: "round_robin", "least_request:choices=3", "weighted_round_robin:mode=edf",
// "peak_ewma:decay=10s:choices=2". Values are written as in a scenario file (units included) and
// validated like the file's options. Errors are ConfigErrors located at
// SourceLocation{"--strategies <variant text>"}, so what() reads
// "--strategies least_request:choicez=3: unknown option ...".

struct StrategyVariant {
  std::string text;                                          // as written
  std::string strategy;                                      // a registered strategy name
  std::vector<std::pair<std::string, std::string>> options;  // (option, value text), as written
};

// Splits a comma-separated --strategies list into variant texts (spaces around each entry are
// dropped; duplicates are kept: comparing a variant with itself is legitimate). An empty list or
// entry is an error located at SourceLocation{"--strategies <list>"}.
[[nodiscard]] std::vector<std::string> split_strategy_list(std::string_view list);

// Parses one variant; checks that the strategy is registered, that each option is declared by it
// and given once (values are checked when the variant is applied to a scenario).
[[nodiscard]] StrategyVariant parse_strategy_variant(std::string_view text);

}  // namespace lbsim
