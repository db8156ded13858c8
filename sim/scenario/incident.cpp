#include <algorithm>
#include <cmath>
#include <string>

#include "sim/scenario/sections.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::loader {

using yaml::Node;

namespace {

// incident.documented: {start: "08:30", end: "16:15", users_affected: 30%, ..., inputs: [...]}.
void read_documented(const Node& node, SimulationConfig& config) {
  const std::string path = "incident.documented";
  expect_map(node, path, "a map of the document's figures, like {start: \"08:30\", users_affected: 30%}");
  const KeyList times = {"start", "detected", "mitigated", "end"};
  const KeyList fractions = {"users_affected", "requests_failed", "peak_error_rate"};
  check_keys(node, path,
             {"start", "detected", "mitigated", "end", "duration", "users_affected",
              "requests_failed", "peak_error_rate", "inputs"});
  for (const yaml::MapEntry& entry : node.entries) {
    if (entry.key == "inputs") continue;
    const std::string where = child(path, entry.key);
    DocumentedFigure figure{entry.key, scalar(entry.value, where, "a figure"), 0.0, false};
    if (std::find(times.begin(), times.end(), entry.key) != times.end()) {
      figure.value = static_cast<double>(read_run_time(entry.value, where, config));
    } else if (std::find(fractions.begin(), fractions.end(), entry.key) != fractions.end()) {
      figure.value = read_fraction(entry.value, where);
    } else {
      figure.value = static_cast<double>(read_duration(entry.value, where, true));
    }
    config.incident.documented.push_back(figure);
  }
  if (const Node* inputs = node.find("inputs")) {
    const std::string where = child(path, "inputs");
    expect_list(*inputs, where, "a list of the figures above the scenario was tuned to match");
    for (std::size_t i = 0; i < inputs->items.size(); ++i) {
      const Node& item = inputs->items[i];
      const std::string name = scalar(item, child(where, std::to_string(i)), "a figure's name");
      auto it = std::find_if(config.incident.documented.begin(), config.incident.documented.end(),
                             [&](const DocumentedFigure& f) { return f.figure == name; });
      if (it == config.incident.documented.end()) {
        fail(item, child(where, std::to_string(i)),
             "expected one of the documented figures; got \"" + name + "\"");
      }
      it->input = true;
    }
  }
}

}  // namespace

void read_incident(const Node& root, SimulationConfig& config) {
  if (const Node* incident = root.find("incident")) {
    expect_map(*incident, "incident",
               "a map like {slo: 99.9%, slo_period: 30d, recovery_error_rate: 1%}");
    check_keys(*incident, "incident",
               {"start", "slo", "slo_period", "recovery_error_rate", "documented"});
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
    if (const Node* documented = incident->find("documented")) {
      read_documented(*documented, config);
    }
  }
  // Without incident.start, the incident starts at the first action that is not a note.
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
