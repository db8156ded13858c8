#include <algorithm>
#include <cerrno>
#include <charconv>
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
#include "sim/scenario/resolved.hpp"
#include "sim/scenario/sections.hpp"
#include "sim/scenario/trace.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::loader {

using yaml::Node;

namespace {

// name, seed, duration, warmup and window.
void read_run_settings(const Node& root, SimulationConfig& config) {
  config.name = read_name(require(root, "", "name"), "name");
  config.seed = 1;
  if (const Node* seed = root.find("seed")) {
    config.seed = parse_at(*seed, "seed", "an integer in [0, 2^64)",
                           [](const std::string& text) { return parse_unsigned64(text); });
  }
  config.duration_ns = read_duration(require(root, "", "duration"), "duration", true);
  if (const Node* warmup = root.find("warmup")) {
    config.warmup_ns = read_duration(*warmup, "warmup", false);
  }
  if (config.warmup_ns > kInt64Max - config.duration_ns) {
    fail(require(root, "", "duration"), "duration", "expected warmup + duration below 292 years");
  }
  const SimTime run_ns = config.warmup_ns + config.duration_ns;
  // Windows start at 0; the warmup must end on a window boundary, so that no window mixes
  // warmup and measured traffic and the measured windows add up to the summary. The default
  // (10s, or less for short runs) shrinks to a divisor of the warmup.
  config.window_ns = std::min<SimTime>(10 * kSecond, run_ns);
  if (config.warmup_ns > 0) config.window_ns = std::gcd(config.window_ns, config.warmup_ns);
  if (const Node* window = root.find("window")) {
    config.window_ns = read_duration(*window, "window", true);
    if (config.window_ns > run_ns) {
      fail(*window, "window",
           "expected a window <= warmup + duration (" + format_number(seconds_of(run_ns)) +
               "s); got " + window->describe());
    }
    if (config.warmup_ns % config.window_ns != 0) {
      fail(*window, "window",
           "expected a window that divides the warmup (" +
               format_number(seconds_of(config.warmup_ns)) +
               "s), so no window mixes warmup and measured traffic; got " + window->describe());
    }
  }
}

// The balancer section's strategy, its options and the generic settings (all defaults without
// the section).
const StrategyInfo& read_balancer_section(const Node* balancer, SimulationConfig& config) {
  const StrategyInfo* strategy = &read_strategy_name(balancer);
  config.balancer.strategy.info = strategy;
  if (balancer != nullptr) {
    config.balancer.strategy.options = read_strategy_options(*strategy, *balancer, "balancer");
    read_balancer_settings(*balancer, "balancer", config.balancer);
  } else {
    config.balancer.strategy.options = read_strategy_options(*strategy, Node{}, "balancer");
  }
  return *strategy;
}

void read_fleet_section(const Node& root, const std::string& base_dir, SimulationConfig& config) {
  const SimTime run_ns = config.warmup_ns + config.duration_ns;
  for (LocatedServerGroup& located :
       read_servers(require(root, "", "servers"), "servers", base_dir)) {
    if (located.group.join_at_ns >= run_ns) {
      throw ConfigError(located.join_at_where,
                        "join_at of group \"" + located.group.group +
                            "\": expected a time before the end of the run (warmup + duration = " +
                            format_number(seconds_of(run_ns)) + "s); got " +
                            format_number(seconds_of(located.group.join_at_ns)) + "s");
    }
    config.servers.push_back(std::move(located.group));
  }
}

// A global view only changes strategies that read server load. In a compare variant the view
// comes from the base scenario and simply does not apply to a load-blind variant.
void check_view(const Node& balancer, const StrategyInfo& strategy, const SimulationConfig& config,
                bool strategy_from_variant) {
  const Node* view = balancer.find("view");
  if (view == nullptr || config.balancer.view != LoadView::kGlobal ||
      reads_load(config.balancer.strategy) || strategy_from_variant) {
    return;
  }
  std::string aware;
  for (const StrategyInfo& info : strategy_catalog()) {
    if (info.load_aware) aware += (aware.empty() ? "" : ", ") + info.name;
    if (info.load_aware_with != nullptr) {
      aware += (aware.empty() ? "" : ", ") + info.name + " with hash_balance_factor";
    }
  }
  fail(*view, "balancer.view",
       "a global view changes only strategies that read server load (" + aware + "); strategy " +
           strategy.name + " does not, so expected view: local");
}

}  // namespace

SimulationConfig read_simulation(const Node& root, const std::string& base_dir,
                                 bool strategy_from_variant) {
  const KeyList top_keys = {"name",     "seed",   "duration", "warmup",  "window",
                            "workload", "client", "balancer", "servers", "clock",
                            "timeline", "alerts", "incident", "what_ifs"};
  expect_map(root, "", "a map of scenario keys (" + join(top_keys) + ")");
  check_keys(root, "", top_keys);
  SimulationConfig config;
  read_run_settings(root, config);
  config.workload = read_workload(require(root, "", "workload"), "workload", base_dir);
  if (const Node* client = root.find("client")) config.client = read_client(*client, "client");
  const Node* balancer = root.find("balancer");
  const StrategyInfo& strategy = read_balancer_section(balancer, config);
  read_fleet_section(root, base_dir, config);
  // Before the balancer's checks against the fleet: add_servers adds to it.
  read_timeline_and_alerts(root, config);
  if (balancer != nullptr) {
    check_balancer_against_fleet(*balancer, strategy, config);
    check_view(*balancer, strategy, config, strategy_from_variant);
  }
  return config;
}

}  // namespace lbsim::loader

namespace lbsim::loader {
namespace {

using yaml::Node;

std::string read_scenario_file(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw ConfigError(SourceLocation{path, 0, 0}, "expected a scenario file; got a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    throw ConfigError(SourceLocation{path, 0, 0},
                      std::string("cannot open scenario file: ") + std::strerror(error));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

// scenario.yaml's text. With a what-if or variant applied, the what-ifs are dropped: they were
// written for the scenario before it.
std::string resolved_text(const Node& root, const std::string& base_dir, bool applied) {
  Node copy = root;
  if (applied && copy.kind == yaml::NodeKind::kMap) {
    std::erase_if(copy.entries, [](const yaml::MapEntry& e) { return e.key == "what_ifs"; });
  }
  yaml::make_file_paths_absolute(copy, base_dir);
  return yaml::emit(copy);
}

Scenario load_with_what_if(const std::string& yaml, const std::string& display_name,
                           const std::string& base_dir, const std::vector<std::string>& overrides,
                           const std::string* what_if_name) {
  Node root = yaml::parse(yaml, display_name);
  for (const std::string& assignment : overrides) yaml::apply_override(root, assignment);
  Scenario scenario;
  scenario.path = display_name;
  scenario.base_dir = base_dir;
  const std::vector<LocatedWhatIf> what_ifs = read_what_ifs(root);
  // Every what-if must give a valid scenario, so a broken one is reported by validate and run,
  // not only when someone asks for it.
  for (const LocatedWhatIf& located : what_ifs) {
    Node copy = root;
    apply_what_if(copy, located);
    try {
      (void)read_simulation(copy, base_dir);
    } catch (const ConfigError& error) {
      throw ConfigError(error.where(),
                        "with what-if " + located.what_if.name + ": " + error.message());
    }
    scenario.what_ifs.push_back(located.what_if);
  }
  if (what_if_name != nullptr) {
    const auto it = std::find_if(what_ifs.begin(), what_ifs.end(), [&](const LocatedWhatIf& w) {
      return w.what_if.name == *what_if_name;
    });
    if (it == what_ifs.end()) {
      std::string names;
      for (const LocatedWhatIf& w : what_ifs) names += (names.empty() ? "" : ", ") + w.what_if.name;
      throw ConfigError(SourceLocation{"--what-if " + *what_if_name},
                        "expected a what-if of " + display_name + " (" +
                            (names.empty() ? "it has none" : names) + "); got \"" + *what_if_name +
                            "\"");
    }
    apply_what_if(root, *it);
  }
  scenario.config = read_simulation(root, base_dir);
  scenario.resolved_yaml = resolved_text(root, base_dir, what_if_name != nullptr);
  return scenario;
}

}  // namespace
}  // namespace lbsim::loader

namespace lbsim {

using namespace loader;  // NOLINT: the module's own readers
using yaml::Node;

namespace {

// The variant path does not read what_ifs: a compare variant replaces the strategy, and what-ifs
// are replay's alternatives.
Scenario load_with_variant(const std::string& yaml, const std::string& display_name,
                           const std::string& base_dir, const std::vector<std::string>& overrides,
                           const StrategyVariant& variant) {
  Node root = yaml::parse(yaml, display_name);
  for (const std::string& assignment : overrides) yaml::apply_override(root, assignment);
  apply_variant(root, variant);
  Scenario scenario;
  scenario.path = display_name;
  scenario.base_dir = base_dir;
  scenario.config = read_simulation(root, base_dir, true);
  scenario.resolved_yaml = resolved_text(root, base_dir, true);
  return scenario;
}

}  // namespace

Scenario load_scenario(const ScenarioSource& source, const LoadOptions& options) {
  if (options.what_if && options.variant) {
    throw ConfigError(SourceLocation{"--what-if " + *options.what_if},
                      "expected either a what-if or a strategy variant; got both (variant " +
                          *options.variant + ")");
  }
  // A variant is checked before the file is read: a bad --strategies entry is reported as such
  // even when the file has problems of its own.
  std::optional<StrategyVariant> variant;
  if (options.variant) variant = parse_strategy_variant(*options.variant);
  std::string yaml;
  std::string display_name;
  std::string base_dir;
  if (const auto* file = std::get_if<ScenarioFile>(&source)) {
    yaml = read_scenario_file(file->path);
    display_name = file->path;
    base_dir = directory_of(file->path);
  } else {
    const auto& text = std::get<ScenarioText>(source);
    yaml = text.yaml;
    display_name = text.display_name;
    base_dir = text.base_dir;
  }
  if (variant) return load_with_variant(yaml, display_name, base_dir, options.overrides, *variant);
  return load_with_what_if(yaml, display_name, base_dir, options.overrides,
                           options.what_if ? &*options.what_if : nullptr);
}

std::optional<std::string> scenario_value(const Scenario& scenario, std::string_view path) {
  const yaml::Node root = yaml::parse(scenario.resolved_yaml, scenario.path);
  const yaml::Node* node = &root;
  std::size_t start = 0;
  while (node != nullptr) {
    const std::size_t dot = path.find('.', start);
    const std::string_view segment = path.substr(start, dot - start);
    if (node->kind == yaml::NodeKind::kMap) {
      node = node->find(segment);
    } else if (node->kind == yaml::NodeKind::kList) {
      std::size_t index = 0;
      const auto [end, error] =
          std::from_chars(segment.data(), segment.data() + segment.size(), index);
      const bool whole = error == std::errc() && end == segment.data() + segment.size();
      node = whole && !segment.empty() && index < node->items.size() ? &node->items[index]
                                                                      : nullptr;
    } else {
      node = nullptr;
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (node == nullptr || node->kind != yaml::NodeKind::kScalar) return std::nullopt;
  return node->scalar;
}

}  // namespace lbsim
