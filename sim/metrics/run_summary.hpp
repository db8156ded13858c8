#pragma once
// A run's results, typed (DESIGN.md "Outputs", summary.json): what `lbsim run` reports, and what
// every study (compare, sweep, replay, check, capacity) reads its metrics from. summary.json is
// written from it (summary_json), so a study's numbers mean exactly what `lbsim run` prints.
// "No value" (nothing completed, no server in the fleet) is NaN here and null in JSON.
#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/metrics/recorder.hpp"
#include "sim/model/config.hpp"
#include "sim/model/observer.hpp"
#include "sim/model/run_info.hpp"

namespace lbsim {

struct ErrorBudget {
  double slo = 0.0;               // the objective (0.999)
  double period_s = 0.0;          // the period the budget covers
  double allowed_failures = 0.0;  // (1 - slo) x mean offered rate x period
  std::uint64_t failed = 0;       // the incident's failures, which spend it
  double burned_fraction = kNoValue;
};

// The incident section: the recorder's IncidentSummary and what is derived from it.
struct IncidentReport {
  IncidentSummary measured;
  SimTime end = 0;  // recovered, or the end of the run
  // How long the error rate stayed above the recovery threshold after the start: 0 if it never
  // went above it, to the end of the run if it never recovered.
  double impact_s = 0.0;
  // "Some servers overloaded while others idle", over the incident window (classify_servers).
  std::vector<std::string> overloaded;
  std::vector<std::string> underused;
  std::vector<std::string> down;  // down most of the window, not from overload
  std::optional<ErrorBudget> budget;  // with incident.slo
  // incident.documented beside the replay's own figures (lbsim replay fills it).
  struct Documented {
    std::string figure, documented, replayed;
    bool input = false;  // an input of the scenario (scripted, or tuned to match), not a result
  };
  std::vector<Documented> documented;
};

struct RunSummary {
  std::string scenario;
  std::uint64_t seed = 0;
  std::uint64_t replication = 0;
  std::string strategy;
  double duration_s = 0.0, warmup_s = 0.0, window_s = 0.0;

  std::uint64_t offered = 0, completed = 0, failed = 0;
  std::uint64_t wasted_services = 0, retries = 0;
  std::array<std::uint64_t, kErrorKindCount> by_error{};  // index 0 (none) unused
  double error_rate = 0.0;                                // failed / (completed + failed)
  double offered_rate_per_s = 0.0, throughput_per_s = 0.0;

  double latency_mean_s = kNoValue, latency_p50_s = kNoValue, latency_p90_s = kNoValue;
  double latency_p99_s = kNoValue, latency_p999_s = kNoValue, latency_max_s = kNoValue;
  double wait_mean_s = kNoValue, wait_p99_s = kNoValue;
  // Every request, a failure counted at the time it failed (a timeout at 2 s is a 2 s response).
  double response_mean_s = kNoValue, response_p50_s = kNoValue, response_p90_s = kNoValue;
  double response_p99_s = kNoValue, response_p999_s = kNoValue;

  std::uint64_t user_population = 0, users_active = 0, users_affected = 0;
  double users_affected_fraction = 0.0;

  std::vector<std::string> server_names;   // every server of the run, added ones included
  // Per server over the measured period (Totals): utilisation while up (NaN: never up in the
  // fleet), attempts dispatched and failed, overload errors, share over fair share, time down.
  std::vector<double> server_utilization;
  std::vector<std::uint64_t> server_dispatched, server_failed, server_overload_errors;
  std::vector<double> server_traffic_share, server_down_fraction;
  std::uint64_t servers_went_down = 0;
  // Over servers up in the fleet for part of the measured period; imbalance = max / mean.
  double utilization_mean = 0.0, utilization_max = 0.0, imbalance = 0.0;
  double traffic_imbalance = kNoValue;  // the largest server_traffic_share

  // The scenario's alert rules, for plots that draw each threshold on its metric.
  struct AlertRuleInfo {
    std::string name, metric;
    std::string column;  // its timeseries.csv column; empty when it has none
    bool above = true;
    double threshold = 0.0;
  };
  std::vector<AlertRuleInfo> alert_rules;
  std::optional<ScenarioClock> clock;      // when the scenario has one
  std::optional<IncidentReport> incident;  // when the scenario has an incident start
  RunStats engine;

  [[nodiscard]] std::uint64_t unfinished() const { return offered - completed - failed; }
};

// One server over a span (an incident window, a measured period), as classify_server reads it.
struct ServerLoad {
  double utilization = kNoValue;    // busy share of its up time; NaN: never up
  double traffic_share = kNoValue;  // share_over_fair of the attempts dispatched
  double down_fraction = kNoValue;  // of its time in the fleet; NaN: never in the fleet
  std::uint64_t dispatched = 0, overload_errors = 0;
  bool crashed = false;  // from overload
};

enum class ServerClass : std::uint8_t { kOverloaded, kDown, kUnderused, kNormal, kAbsent };

// What an SRE sees, in this order: overloaded = crashed from overload, or overload errors
// (queue_full, queue_timeout, timeout) on at least 1% of the attempts sent to it, or busy >= 90%
// of its up time; down = down at least half its time in the fleet (killed, not overloaded);
// underused = given at most 90% of its fair share of the attempts, or busy at most 75% of the
// fleet's mean utilisation; absent = never in the fleet.
[[nodiscard]] ServerClass classify_server(const ServerLoad& load, double fleet_utilization_mean);

// The summary of a finished run.
[[nodiscard]] RunSummary summarize(const SimulationConfig& config, const Recorder& recorder,
                                   const RunStats& stats);

// The summary.json document.
[[nodiscard]] nlohmann::ordered_json summary_json(const RunSummary& summary);

}  // namespace lbsim
