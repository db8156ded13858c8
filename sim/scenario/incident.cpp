#include <cmath>
#include <string>

#include "sim/scenario/sections.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::loader {

using yaml::Node;

void read_incident(const Node& root, SimulationConfig& config) {
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
