#pragma once
// lbsim check's experiment, the pre-rollout check every postmortem asks for: the scenario's fleet
// and workload in steady state with the configuration before a change and with the change in
// place from the start, over the same span and random numbers, judged against an SLO.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/analytic/statistics.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/run.hpp"
#include "sim/study/slo.hpp"

namespace lbsim::study {

struct CheckBreach {
  SloTerm term;
  double before = 0.0;  // means over replications
  double after = 0.0;
};

struct ServerLoad {
  std::string name;
  double utilization = 0.0;
};

struct CheckResult {
  std::string change;       // the action's name
  std::string action_kind;  // set_weight, ...
  SimulationConfig before;  // as run (replication 0)
  SimulationConfig after;
  std::uint64_t replications = 0;
  std::vector<SloTerm> terms;
  std::vector<analytic::PairedComparison> by_term;  // per term: variant 0 before, 1 after
  std::vector<CheckBreach> breaches;                // the terms the change breaks
  bool breached_before = false;  // the configuration before the change breaks a term too
  // Where the load went, in the first replication after the change.
  ServerLoad busiest;
  ServerLoad least_busy;
  std::uint64_t servers_went_down = 0;
  [[nodiscard]] bool blocked() const { return !breaches.empty(); }
};

// `change` names a timeline action of the scenario (ConfigError at "--change <name>" listing the
// named ones otherwise); each variant's model is built before anything runs.
[[nodiscard]] CheckResult check_change(const Scenario& scenario, const std::string& change,
                                       const std::vector<SloTerm>& terms, SimTime duration,
                                       std::uint64_t replications, unsigned threads,
                                       const RunsDone& done = {});

}  // namespace lbsim::study
