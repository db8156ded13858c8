#include "sim/metrics/run_summary.hpp"

#include <algorithm>
#include <cmath>

namespace lbsim {

namespace {

// The rules of classify_servers (README, "Overloaded and underused servers").
constexpr double kOverloadedUtilization = 0.9;   // busy this much of its up time
constexpr double kOverloadErrorShare = 0.01;     // overload errors / attempts dispatched to it
constexpr double kDownFraction = 0.5;            // down this much of its time in the fleet
constexpr double kUnderusedTrafficShare = 0.9;   // of its fair share of the attempts
constexpr double kUnderusedUtilization = 0.75;   // of the fleet's mean utilisation

double ratio(double num, double den) {
  return den > 0.0 ? num / den : 0.0;
}

// JSON numbers: NaN has no JSON form, so "no value" is null.
nlohmann::ordered_json number_or_null(double value) {
  if (std::isnan(value) || std::isinf(value)) return nullptr;
  return value;
}

nlohmann::ordered_json seconds_or_null(SimTime t) {
  if (t < 0) return nullptr;
  return to_seconds(t);
}

nlohmann::ordered_json since_or_null(SimTime t, SimTime start) {
  if (t < 0) return nullptr;
  return to_seconds(t - start);
}

IncidentReport make_incident(const SimulationConfig& config, const Recorder& recorder) {
  IncidentReport report;
  report.measured = *recorder.incident();
  const IncidentSummary& incident = report.measured;
  for (std::size_t i = 0; i < incident.utilization.size(); ++i) {
    ServerLoad load;
    load.utilization = incident.utilization[i];
    load.traffic_share = incident.traffic_share[i];
    load.down_fraction = incident.down_fraction[i];
    load.dispatched = incident.dispatched[i];
    load.overload_errors = incident.overload_errors[i];
    load.crashed = incident.crashed[i] != 0;
    const std::string& name = recorder.setup().servers[i].name;
    switch (classify_server(load, incident.utilization_mean)) {
      case ServerClass::kOverloaded:
        report.overloaded.push_back(name);
        break;
      case ServerClass::kDown:
        report.down.push_back(name);
        break;
      case ServerClass::kUnderused:
        report.underused.push_back(name);
        break;
      case ServerClass::kNormal:
      case ServerClass::kAbsent:
        break;
    }
  }
  const IncidentConfig& slo = config.incident;
  if (slo.slo > 0.0) {
    // The budget of a whole SLO period at the run's mean offered rate; the incident's failures
    // spend it.
    const double rate =
        ratio(static_cast<double>(recorder.totals().offered), to_seconds(config.duration_ns));
    ErrorBudget budget;
    budget.slo = slo.slo;
    budget.period_s = to_seconds(slo.slo_period_ns);
    budget.allowed_failures = (1.0 - slo.slo) * rate * to_seconds(slo.slo_period_ns);
    budget.failed = incident.failed;
    budget.burned_fraction = budget.allowed_failures > 0.0
                                 ? static_cast<double>(incident.failed) / budget.allowed_failures
                                 : kNoValue;
    report.budget = budget;
  }
  report.end = incident.recovered >= 0 ? incident.recovered : config.warmup_ns + config.duration_ns;
  if (incident.degraded) report.impact_s = to_seconds(report.end - incident.start);
  return report;
}

void summarize_latency(const Recorder& recorder, RunSummary& s) {
  const LatencyHistogram& latency = recorder.latency();
  if (latency.count() > 0) {
    s.latency_mean_s = latency.mean_s();
    s.latency_p50_s = latency.quantile_s(0.50);
    s.latency_p90_s = latency.quantile_s(0.90);
    s.latency_p99_s = latency.quantile_s(0.99);
    s.latency_p999_s = latency.quantile_s(0.999);
    s.latency_max_s = latency.max_s();
  }
  const LatencyHistogram& response = recorder.response();
  if (response.count() > 0) {
    s.response_mean_s = response.mean_s();
    s.response_p50_s = response.quantile_s(0.50);
    s.response_p90_s = response.quantile_s(0.90);
    s.response_p99_s = response.quantile_s(0.99);
    s.response_p999_s = response.quantile_s(0.999);
  }
  const LatencyHistogram& wait = recorder.wait();
  if (wait.count() > 0) {
    s.wait_mean_s = wait.mean_s();
    s.wait_p99_s = wait.quantile_s(0.99);
  }
}

void summarize_servers(const Recorder& recorder, RunSummary& s) {
  const Totals& totals = recorder.totals();
  for (const ServerInfo& server : recorder.setup().servers) s.server_names.push_back(server.name);
  s.server_utilization = totals.utilization;
  s.server_dispatched = totals.dispatched;
  s.server_failed = totals.failed_attempts;
  s.server_overload_errors = totals.overload_errors;
  s.server_traffic_share = totals.traffic_share;
  s.server_down_fraction = totals.down_fraction;
  s.traffic_imbalance = totals.traffic_imbalance;
  double util_sum = 0.0;
  std::size_t members = 0;  // servers in the fleet for part of the measured period
  for (const double u : totals.utilization) {
    if (std::isnan(u)) continue;
    ++members;
    util_sum += u;
    s.utilization_max = std::max(s.utilization_max, u);
  }
  s.utilization_mean = ratio(util_sum, static_cast<double>(members));
  s.imbalance = ratio(s.utilization_max, s.utilization_mean);
  s.servers_went_down = totals.crashes;
}

// The timeseries.csv column holding an alert metric's value; empty when none does.
std::string alert_column(AlertMetric metric) {
  switch (metric) {
    case AlertMetric::kErrorRate:
      return "error_rate";
    case AlertMetric::kLatencyMean:
      return "mean_s";
    case AlertMetric::kLatencyP50:
      return "p50_s";
    case AlertMetric::kLatencyP90:
      return "p90_s";
    case AlertMetric::kLatencyP99:
      return "p99_s";
    case AlertMetric::kUtilizationMean:
      return "utilization_mean";
    case AlertMetric::kUtilizationMax:
      return "utilization_max";
    case AlertMetric::kImbalance:
      return "imbalance";
    case AlertMetric::kHealthyServers:
      return "healthy";
    case AlertMetric::kServersDown:
      return "servers_down";
    case AlertMetric::kQueueTotal:
      return "queue_total_mean";
    case AlertMetric::kResponseMean:
      return "response_mean_s";
    case AlertMetric::kResponseP50:
      return "response_p50_s";
    case AlertMetric::kResponseP90:
      return "response_p90_s";
    case AlertMetric::kResponseP99:
      return "response_p99_s";
    case AlertMetric::kTrafficImbalance:
      return "traffic_imbalance";
    case AlertMetric::kHealthyFraction:  // healthy / members
    case AlertMetric::kOfferedRate:      // offered / window
    case AlertMetric::kRetryRate:        // retries / window
      break;
  }
  return "";
}

nlohmann::ordered_json documented_json(const IncidentReport& report) {
  if (report.documented.empty()) return nullptr;
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const IncidentReport::Documented& row : report.documented) {
    rows.push_back({{"figure", row.figure},
                    {"documented", row.documented},
                    {"replayed", row.replayed},
                    {"input", row.input}});
  }
  return rows;
}

nlohmann::ordered_json incident_json(const RunSummary& summary) {
  if (!summary.incident) return nullptr;
  const IncidentReport& report = *summary.incident;
  const IncidentSummary& incident = report.measured;
  const SimTime start = incident.start;
  nlohmann::ordered_json cascade = nlohmann::ordered_json::array();
  for (const CascadeStep& step : incident.cascade) {
    cascade.push_back({{"t_s", to_seconds(step.time)},
                       {"server", summary.server_names[step.server]},
                       {"cause", step.cause}});
  }
  nlohmann::ordered_json budget = nullptr;
  if (const auto& b = report.budget) {
    budget = {{"slo", b->slo},
              {"period_s", b->period_s},
              {"allowed_failures", b->allowed_failures},
              {"failed", b->failed},
              {"burned_fraction", number_or_null(b->burned_fraction)}};
  }
  nlohmann::ordered_json doc = {
      {"start_s", to_seconds(start)},
      {"end_s", to_seconds(report.end)},
      {"detected_s", seconds_or_null(incident.detected)},
      {"mitigated_s", seconds_or_null(incident.mitigated)},
      {"recovered_s", seconds_or_null(incident.recovered)},
      {"time_to_detect_s", since_or_null(incident.detected, start)},
      {"time_to_mitigate_s", since_or_null(incident.mitigated, start)},
      {"time_to_recover_s", since_or_null(incident.recovered, start)},
      {"degraded", incident.degraded},
      {"recovery_error_rate", incident.recovery_error_rate},
      {"peak_error_rate", incident.peak_error_rate},
      {"peak_at_s", seconds_or_null(incident.peak_at)},
      {"requests",
       {{"offered", incident.offered},
        {"failed", incident.failed},
        {"error_rate",
         ratio(static_cast<double>(incident.failed), static_cast<double>(incident.offered))}}},
      {"users",
       {{"active", incident.users_active},
        {"affected", incident.users_affected},
        {"affected_fraction", ratio(static_cast<double>(incident.users_affected),
                                    static_cast<double>(incident.users_active))}}},
      {"error_budget", budget},
      {"alerts_fired", incident.alerts_fired},
      {"servers_crashed", incident.servers_crashed},
      {"crashes", incident.crashes},
      {"servers_killed", incident.servers_killed},
      {"servers_ejected", incident.servers_ejected},
      {"ejections", incident.ejections},
      {"max_fleet_down_fraction", incident.max_fleet_down_fraction},
      {"max_fleet_down_at_s", seconds_or_null(incident.max_fleet_down_at)},
      {"cascade", cascade},
      {"servers",
       {{"utilization_mean", number_or_null(incident.utilization_mean)},
        {"overloaded", report.overloaded},
        {"underused", report.underused},
        {"down", report.down}}},
  };
  if (!report.documented.empty()) doc["documented"] = documented_json(report);
  return doc;
}

}  // namespace

ServerClass classify_server(const ServerLoad& load, double fleet_utilization_mean) {
  if (std::isnan(load.down_fraction)) return ServerClass::kAbsent;  // never in the fleet
  const bool overload_errors =
      load.overload_errors > 0 && static_cast<double>(load.overload_errors) >=
                                      kOverloadErrorShare * static_cast<double>(load.dispatched);
  if (load.crashed || overload_errors ||
      (!std::isnan(load.utilization) && load.utilization >= kOverloadedUtilization)) {
    return ServerClass::kOverloaded;
  }
  if (load.down_fraction >= kDownFraction) return ServerClass::kDown;
  const bool little_traffic = !std::isnan(load.traffic_share) &&
                              load.traffic_share <= kUnderusedTrafficShare;
  const bool little_work = !std::isnan(load.utilization) && fleet_utilization_mean > 0.0 &&
                           load.utilization <= kUnderusedUtilization * fleet_utilization_mean;
  return little_traffic || little_work ? ServerClass::kUnderused : ServerClass::kNormal;
}

RunSummary summarize(const SimulationConfig& config, const Recorder& recorder,
                     const RunStats& stats) {
  const Totals& totals = recorder.totals();
  RunSummary s;
  s.scenario = config.name;
  s.seed = config.seed;
  s.replication = config.replication;
  s.strategy = config.balancer.strategy.name();
  s.duration_s = to_seconds(config.duration_ns);
  s.warmup_s = to_seconds(config.warmup_ns);
  s.window_s = to_seconds(config.window_ns);
  s.offered = totals.offered;
  s.completed = totals.completed;
  s.failed = totals.failed;
  s.wasted_services = totals.wasted;
  s.retries = totals.retries;
  s.by_error = totals.by_error;
  s.error_rate = ratio(static_cast<double>(totals.failed),
                       static_cast<double>(totals.completed + totals.failed));
  s.offered_rate_per_s = ratio(static_cast<double>(totals.offered), s.duration_s);
  s.throughput_per_s = ratio(static_cast<double>(totals.completed), s.duration_s);
  summarize_latency(recorder, s);
  s.user_population = recorder.setup().user_population;
  s.users_active = totals.users_active;
  s.users_affected = totals.users_affected;
  s.users_affected_fraction =
      ratio(static_cast<double>(totals.users_affected), static_cast<double>(totals.users_active));
  summarize_servers(recorder, s);
  for (const AlertRule& rule : config.alerts) {
    s.alert_rules.push_back({rule.name, std::string(alert_metric_name(rule.metric)),
                             alert_column(rule.metric), rule.above, rule.threshold});
  }
  if (config.clock.set) s.clock = config.clock;
  if (recorder.incident() != nullptr) s.incident = make_incident(config, recorder);
  s.engine = stats;
  return s;
}

nlohmann::ordered_json summary_json(const RunSummary& s) {
  nlohmann::ordered_json by_error = nlohmann::ordered_json::object();
  for (int k = 1; k < kErrorKindCount; ++k) {
    by_error[std::string(error_kind_name(static_cast<ErrorKind>(k)))] = s.by_error[k];
  }
  nlohmann::ordered_json doc;
  doc["scenario"] = s.scenario;
  doc["seed"] = s.seed;
  doc["replication"] = s.replication;
  doc["strategy"] = s.strategy;
  doc["duration_s"] = s.duration_s;
  doc["warmup_s"] = s.warmup_s;
  doc["window_s"] = s.window_s;
  doc["requests"] = {
      {"offered", s.offered},
      {"completed", s.completed},
      {"failed", s.failed},
      {"unfinished", s.unfinished()},
      {"wasted_services", s.wasted_services},
      {"retries", s.retries},
      {"attempts", s.offered + s.retries},
      {"by_error", by_error},
  };
  doc["error_rate"] = s.error_rate;
  doc["offered_rate_per_s"] = s.offered_rate_per_s;
  doc["throughput_per_s"] = s.throughput_per_s;
  doc["latency_s"] = {
      {"mean", number_or_null(s.latency_mean_s)}, {"p50", number_or_null(s.latency_p50_s)},
      {"p90", number_or_null(s.latency_p90_s)},   {"p99", number_or_null(s.latency_p99_s)},
      {"p999", number_or_null(s.latency_p999_s)}, {"max", number_or_null(s.latency_max_s)},
  };
  doc["response_s"] = {
      {"mean", number_or_null(s.response_mean_s)}, {"p50", number_or_null(s.response_p50_s)},
      {"p90", number_or_null(s.response_p90_s)},   {"p99", number_or_null(s.response_p99_s)},
      {"p999", number_or_null(s.response_p999_s)},
  };
  doc["wait_s"] = {{"mean", number_or_null(s.wait_mean_s)}, {"p99", number_or_null(s.wait_p99_s)}};
  doc["users"] = {{"population", s.user_population},
                  {"active", s.users_active},
                  {"affected", s.users_affected},
                  {"affected_fraction", s.users_affected_fraction}};
  doc["servers"] = {
      {"count", s.server_names.size()},
      {"went_down", s.servers_went_down},
      {"utilization",
       {{"mean", s.utilization_mean}, {"max", s.utilization_max}, {"imbalance", s.imbalance}}},
      {"traffic_imbalance", number_or_null(s.traffic_imbalance)},
  };
  if (s.clock) {
    doc["clock"] = {{"start_epoch_s", s.clock->start_epoch_s},
                    {"zone", s.clock->zone},
                    {"offset_minutes", s.clock->offset_minutes}};
  }
  doc["incident"] = incident_json(s);
  doc["alerts"] = nlohmann::ordered_json::array();
  for (const RunSummary::AlertRuleInfo& rule : s.alert_rules) {
    doc["alerts"].push_back({{"name", rule.name},
                             {"metric", rule.metric},
                             {"column", rule.column.empty() ? nlohmann::ordered_json(nullptr)
                                                            : nlohmann::ordered_json(rule.column)},
                             {"above", rule.above},
                             {"threshold", rule.threshold}});
  }
  const RunStats& e = s.engine;
  doc["engine"] = {
      {"events", e.events},
      {"requests", e.arrivals},
      {"wall_s", e.wall_s},
      {"events_per_s", ratio(static_cast<double>(e.events), e.wall_s)},
      {"requests_per_s", ratio(static_cast<double>(e.arrivals), e.wall_s)},
  };
  return doc;
}

}  // namespace lbsim
