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
#include "sim/scenario/sections.hpp"
#include "sim/scenario/trace.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::loader {
namespace {

using yaml::Node;

AlertMetric read_alert_metric(const Node& node, const std::string& path) {
  KeyList names;
  for (int m = 0; m < kAlertMetricCount; ++m) {
    names.emplace_back(alert_metric_name(static_cast<AlertMetric>(m)));
  }
  const std::string text = read_choice(node, path, names);
  for (int m = 0; m < kAlertMetricCount; ++m) {
    if (alert_metric_name(static_cast<AlertMetric>(m)) == text) return static_cast<AlertMetric>(m);
  }
  return AlertMetric::kErrorRate;
}

// A threshold in the metric's own unit: a fraction (5%), a duration (500ms, compared in
// seconds), a rate (100/s) or a plain number.
double read_threshold(const Node& node, const std::string& path, AlertMetric metric) {
  switch (metric) {
    case AlertMetric::kErrorRate:
    case AlertMetric::kUtilizationMean:
    case AlertMetric::kUtilizationMax:
    case AlertMetric::kHealthyFraction:
      return read_fraction(node, path);
    case AlertMetric::kLatencyMean:
    case AlertMetric::kLatencyP50:
    case AlertMetric::kLatencyP90:
    case AlertMetric::kLatencyP99:
    case AlertMetric::kResponseMean:
    case AlertMetric::kResponseP50:
    case AlertMetric::kResponseP90:
    case AlertMetric::kResponseP99:
      return seconds_of(read_duration(node, path, false));
    case AlertMetric::kOfferedRate:
    case AlertMetric::kRetryRate:
      return read_rate(node, path, false);
    case AlertMetric::kImbalance:
    case AlertMetric::kTrafficImbalance:
    case AlertMetric::kHealthyServers:
    case AlertMetric::kServersDown:
    case AlertMetric::kQueueTotal:
      return read_number(node, path, 0.0, true);
  }
  return 0.0;
}

}  // namespace
}  // namespace lbsim::loader

namespace lbsim::loader {

using yaml::Node;

std::vector<AlertRule> read_alerts(const Node& node, const std::string& path,
                                   TimelineContext& context) {
  expect_list(node, path,
              "a list of alert rules like {name: errors, metric: error_rate, above: 5%}");
  std::vector<AlertRule> rules;
  std::map<std::string, SourceLocation, std::less<>> seen;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    const std::string item_path = child(path, std::to_string(i));
    expect_map(item, item_path, "an alert rule like {name: errors, metric: error_rate, above: 5%}");
    check_keys(item, item_path, {"name", "metric", "above", "below", "for", "on_fire"});
    AlertRule rule;
    const Node& name = require(item, item_path, "name");
    rule.name = read_name(name, child(item_path, "name"));
    if (const auto [it, inserted] = seen.try_emplace(rule.name, name.where); !inserted) {
      fail(name, child(item_path, "name"),
           "duplicate alert name \"" + rule.name + "\" (first at " + it->second.to_string() + ")");
    }
    rule.metric = read_alert_metric(require(item, item_path, "metric"), child(item_path, "metric"));
    const Node* above = item.find("above");
    const Node* below = item.find("below");
    if ((above == nullptr) == (below == nullptr)) {
      fail(item, item_path,
           "expected exactly one of above or below (the threshold); got " +
               std::string(above == nullptr ? "neither" : "both"));
    }
    rule.above = above != nullptr;
    rule.threshold =
        read_threshold(above != nullptr ? *above : *below,
                       child(item_path, above != nullptr ? "above" : "below"), rule.metric);
    if (const Node* duration = item.find("for")) {
      rule.for_ns = read_duration(*duration, child(item_path, "for"), false);
    }
    if (const Node* on_fire = item.find("on_fire")) {
      const std::string fire_path = child(item_path, "on_fire");
      expect_list(*on_fire, fire_path, "a list of actions like {after: 5m, action: rollback, ...}");
      for (std::size_t a = 0; a < on_fire->items.size(); ++a) {
        rule.on_fire.push_back(
            read_action(on_fire->items[a], child(fire_path, std::to_string(a)), context, true));
      }
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace lbsim::loader
