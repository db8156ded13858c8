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

struct CheckServer {
  std::string name;
  double utilization = 0.0;    // while up
  double traffic_share = 0.0;  // of its fair share of the attempts
  double down_fraction = 0.0;  // of its time in the fleet
};

// The load a check runs: by default the scenario's peak offered rate (its base rate, profile
// points and traffic actions) held for `duration`; with `whole_profile`, the scenario's own
// duration with its profile and traffic actions. Every offered rate times `load` (a forecast).
struct CheckSpan {
  SimTime duration = SimTime{600} * kSecond;
  bool whole_profile = false;
  double load = 1.0;
};

// The configuration `lbsim check` runs before the change (no timeline but traffic actions with
// whole_profile, no alerts, no incident). ConfigError at "--load" for a trace workload with
// load != 1 (it has no rate to scale).
// The largest offered rate the scenario asks for: its base rate, profile points, traffic actions.
[[nodiscard]] double peak_offered_rate(const SimulationConfig& config);

[[nodiscard]] SimulationConfig check_baseline(const SimulationConfig& scenario,
                                              const CheckSpan& span);

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
  CheckSpan span;
  double peak_rate_per_s = 0.0;  // the offered rate held (the profile's peak with whole_profile)
  // Where the load went, in the first replication after the change: the busiest and least busy
  // of the servers up most of the time, and the servers down at least half of it.
  CheckServer busiest;
  CheckServer least_busy;
  std::vector<CheckServer> down;
  std::uint64_t servers_went_down = 0;
  [[nodiscard]] bool blocked() const { return !breaches.empty(); }
};

// `change` names a timeline action of the scenario (ConfigError at "--change <name>" listing the
// named ones otherwise); each variant's model is built before anything runs.
[[nodiscard]] CheckResult check_change(const Scenario& scenario, const std::string& change,
                                       const std::vector<SloTerm>& terms, const CheckSpan& span,
                                       std::uint64_t replications, unsigned threads,
                                       const RunsDone& done = {});

}  // namespace lbsim::study
