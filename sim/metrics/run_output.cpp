#include "sim/metrics/run_output.hpp"

#include <unistd.h>

#include <fstream>
#include <system_error>

#include "sim/metrics/csv_format.hpp"

namespace lbsim {

namespace fs = std::filesystem;

namespace {

// JSON numbers: NaN has no JSON form, so "no value" is null.
nlohmann::ordered_json number_or_null(double value) {
  if (std::isnan(value) || std::isinf(value)) return nullptr;
  return value;
}

double ratio(double num, double den) {
  return den > 0.0 ? num / den : 0.0;
}

// ".<name>.<tag>-<pid>": a hidden sibling used while writing or replacing. Built by append rather
// than operator+ to sidestep a GCC 12 -Wrestrict false positive.
std::string sibling_name(const fs::path& target, const char* tag) {
  std::string name(1, '.');
  name.append(target.filename().string()).append(".").append(tag).append("-");
  name.append(std::to_string(::getpid()));
  return name;
}

nlohmann::ordered_json seconds_or_null(SimTime t) {
  if (t < 0) return nullptr;
  return to_seconds(t);
}

nlohmann::ordered_json since_or_null(SimTime t, SimTime start) {
  if (t < 0) return nullptr;
  return to_seconds(t - start);
}

constexpr double kOverloadedUtilization = 0.9;
constexpr double kUnderusedShare = 0.5;

// summary.json's incident section; null without an incident start.
nlohmann::ordered_json make_incident(const SimulationConfig& config, const Recorder& recorder) {
  const IncidentSummary* incident = recorder.incident();
  if (incident == nullptr) return nullptr;
  const SimTime start = incident->start;
  nlohmann::ordered_json cascade = nlohmann::ordered_json::array();
  for (const CascadeStep& step : incident->cascade) {
    cascade.push_back({{"t_s", to_seconds(step.time)},
                       {"server", recorder.setup().servers[step.server].name},
                       {"cause", step.cause}});
  }
  // The "some servers overloaded while others idle" of a postmortem, over the incident window:
  // overloaded = crashed from overload, or busy 90% of the time or more; underused = not
  // overloaded and busy at most half the fleet's mean.
  nlohmann::ordered_json overloaded = nlohmann::ordered_json::array();
  nlohmann::ordered_json underused = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < incident->utilization.size(); ++i) {
    const double u = incident->utilization[i];
    const std::string& name = recorder.setup().servers[i].name;
    if (incident->crashed[i] != 0 || u >= kOverloadedUtilization) {
      overloaded.push_back(name);
    } else if (!std::isnan(u) && u <= kUnderusedShare * incident->utilization_mean) {
      underused.push_back(name);
    }
  }
  const nlohmann::ordered_json servers = {
      {"utilization_mean", number_or_null(incident->utilization_mean)},
      {"overloaded", overloaded},
      {"underused", underused},
  };
  nlohmann::ordered_json budget = nullptr;
  const IncidentConfig& slo = config.incident;
  if (slo.slo > 0.0) {
    // The budget of a whole SLO period at the run's mean offered rate; the incident's failures
    // spend it.
    const double rate =
        ratio(static_cast<double>(recorder.totals().offered), to_seconds(config.duration_ns));
    const double allowed = (1.0 - slo.slo) * rate * to_seconds(slo.slo_period_ns);
    budget = {{"slo", slo.slo},
              {"period_s", to_seconds(slo.slo_period_ns)},
              {"allowed_failures", allowed},
              {"failed", incident->failed},
              {"burned_fraction",
               number_or_null(allowed > 0.0 ? static_cast<double>(incident->failed) / allowed
                                            : kNoValue)}};
  }
  const SimTime end =
      incident->recovered >= 0 ? incident->recovered : config.warmup_ns + config.duration_ns;
  return {
      {"start_s", to_seconds(start)},
      {"end_s", to_seconds(end)},
      {"detected_s", seconds_or_null(incident->detected)},
      {"mitigated_s", seconds_or_null(incident->mitigated)},
      {"recovered_s", seconds_or_null(incident->recovered)},
      {"time_to_detect_s", since_or_null(incident->detected, start)},
      {"time_to_mitigate_s", since_or_null(incident->mitigated, start)},
      {"time_to_recover_s", since_or_null(incident->recovered, start)},
      {"degraded", incident->degraded},
      {"recovery_error_rate", incident->recovery_error_rate},
      {"peak_error_rate", incident->peak_error_rate},
      {"peak_at_s", seconds_or_null(incident->peak_at)},
      {"requests",
       {{"offered", incident->offered},
        {"failed", incident->failed},
        {"error_rate",
         ratio(static_cast<double>(incident->failed), static_cast<double>(incident->offered))}}},
      {"users",
       {{"active", incident->users_active},
        {"affected", incident->users_affected},
        {"affected_fraction", ratio(static_cast<double>(incident->users_affected),
                                    static_cast<double>(incident->users_active))}}},
      {"error_budget", budget},
      {"alerts_fired", incident->alerts_fired},
      {"servers_crashed", incident->servers_crashed},
      {"crashes", incident->crashes},
      {"servers_killed", incident->servers_killed},
      {"servers_ejected", incident->servers_ejected},
      {"ejections", incident->ejections},
      {"max_fleet_down_fraction", incident->max_fleet_down_fraction},
      {"max_fleet_down_at_s", seconds_or_null(incident->max_fleet_down_at)},
      {"cascade", cascade},
      {"servers", servers},
  };
}

}  // namespace

nlohmann::ordered_json make_summary(const SimulationConfig& config, const Recorder& recorder,
                                    const RunStats& stats) {
  const Totals& totals = recorder.totals();
  const LatencyHistogram& latency = recorder.latency();
  const double measured_s = to_seconds(config.duration_ns);
  const bool any_latency = latency.count() > 0;
  const auto q = [&](double p) {
    return number_or_null(any_latency ? latency.quantile_s(p) : kNoValue);
  };

  nlohmann::ordered_json by_error = nlohmann::ordered_json::object();
  for (int k = 1; k < kErrorKindCount; ++k) {
    by_error[std::string(error_kind_name(static_cast<ErrorKind>(k)))] = totals.by_error[k];
  }
  double util_sum = 0.0;
  double util_max = 0.0;
  std::size_t members = 0;  // servers in the fleet for part of the measured period
  for (const double u : totals.utilization) {
    if (std::isnan(u)) continue;
    ++members;
    util_sum += u;
    util_max = std::max(util_max, u);
  }
  const double util_mean = ratio(util_sum, static_cast<double>(members));
  const auto finished = static_cast<double>(totals.completed + totals.failed);

  nlohmann::ordered_json doc;
  doc["scenario"] = config.name;
  doc["seed"] = config.seed;
  doc["replication"] = config.replication;
  doc["strategy"] = config.balancer.strategy.name();
  doc["duration_s"] = measured_s;
  doc["warmup_s"] = to_seconds(config.warmup_ns);
  doc["window_s"] = to_seconds(config.window_ns);
  doc["requests"] = {
      {"offered", totals.offered},
      {"completed", totals.completed},
      {"failed", totals.failed},
      {"unfinished", totals.offered - totals.completed - totals.failed},
      {"wasted_services", totals.wasted},
      {"retries", totals.retries},
      {"attempts", totals.offered + totals.retries},
      {"by_error", by_error},
  };
  doc["error_rate"] = ratio(static_cast<double>(totals.failed), finished);
  doc["offered_rate_per_s"] = ratio(static_cast<double>(totals.offered), measured_s);
  doc["throughput_per_s"] = ratio(static_cast<double>(totals.completed), measured_s);
  doc["latency_s"] = {
      {"mean", number_or_null(any_latency ? latency.mean_s() : kNoValue)},
      {"p50", q(0.50)},
      {"p90", q(0.90)},
      {"p99", q(0.99)},
      {"p999", q(0.999)},
      {"max", number_or_null(any_latency ? latency.max_s() : kNoValue)},
  };
  const LatencyHistogram& wait = recorder.wait();
  const bool any_wait = wait.count() > 0;
  doc["wait_s"] = {
      {"mean", number_or_null(any_wait ? wait.mean_s() : kNoValue)},
      {"p99", number_or_null(any_wait ? wait.quantile_s(0.99) : kNoValue)},
  };
  doc["users"] = {
      {"population", recorder.setup().user_population},
      {"active", totals.users_active},
      {"affected", totals.users_affected},
      {"affected_fraction",
       ratio(static_cast<double>(totals.users_affected), static_cast<double>(totals.users_active))},
  };
  doc["servers"] = {
      {"count", totals.utilization.size()},
      {"went_down", totals.crashes},
      {"utilization",
       {{"mean", util_mean}, {"max", util_max}, {"imbalance", ratio(util_max, util_mean)}}},
  };
  if (config.clock.set) {
    doc["clock"] = {{"start_epoch_s", config.clock.start_epoch_s},
                    {"zone", config.clock.zone},
                    {"offset_minutes", config.clock.offset_minutes}};
  }
  doc["incident"] = make_incident(config, recorder);
  doc["engine"] = {
      {"events", stats.events},
      {"requests", stats.arrivals},
      {"wall_s", stats.wall_s},
      {"events_per_s", ratio(static_cast<double>(stats.events), stats.wall_s)},
      {"requests_per_s", ratio(static_cast<double>(stats.arrivals), stats.wall_s)},
  };
  return doc;
}

void write_timeseries_csv(std::ostream& out, const Recorder& recorder) {
  out << "t_s,warmup,offered,completed,failed,error_rate";
  for (int k = 1; k < kErrorKindCount; ++k)
    out << ',' << error_kind_name(static_cast<ErrorKind>(k));
  out << ",mean_s,p50_s,p90_s,p99_s,utilization_mean,utilization_max,queue_total_mean,wasted,"
         "retries,servers_down,members,healthy,imbalance\n";
  const SimTime warmup = recorder.setup().warmup_ns;
  for (const WindowRow& row : recorder.windows()) {
    out << format_number(to_seconds(row.start)) << ',' << (row.start < warmup ? 1 : 0) << ','
        << row.offered << ',' << row.completed << ',' << row.failed << ','
        << format_number(row.error_rate());
    for (int k = 1; k < kErrorKindCount; ++k) out << ',' << row.by_error[k];
    out << ',' << format_number(row.mean_s) << ',' << format_number(row.p50_s) << ','
        << format_number(row.p90_s) << ',' << format_number(row.p99_s) << ','
        << format_number(row.utilization_mean) << ',' << format_number(row.utilization_max) << ','
        << format_number(row.queue_total_mean) << ',' << row.wasted << ',' << row.retries << ','
        << row.servers_down << ',' << row.members << ',' << row.healthy << ','
        << format_number(row.imbalance) << '\n';
  }
}

void write_events_csv(std::ostream& out, const Recorder& recorder) {
  out << "t_s,kind,subject,detail\n";
  for (const LogRow& row : recorder.log()) {
    out << format_number(to_seconds(row.time)) << ',' << csv_field(row.kind) << ','
        << csv_field(row.subject) << ',' << csv_field(row.detail) << '\n';
  }
}

void write_json(std::ostream& out, const nlohmann::ordered_json& document) {
  out << document.dump(2) << '\n';
}

void RunDirectory::check_target(const fs::path& target, bool force) {
  std::error_code ec;
  if (!fs::exists(target, ec)) return;
  if (!fs::is_directory(target, ec)) {
    throw OutputError("output path " + target.string() + " exists and is not a directory");
  }
  if (!force && !fs::is_empty(target, ec)) {
    throw OutputError("output directory " + target.string() +
                      " exists and is not empty; choose another --out or pass --force");
  }
}

RunDirectory::RunDirectory(fs::path target, bool force)
    : target_(std::move(target)), force_(force) {
  check_target(target_, force_);
  if (target_.filename().empty()) target_ = target_.parent_path();
  const fs::path parent = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw OutputError("cannot create " + parent.string() + ": " + ec.message());
  temp_ = parent / sibling_name(target_, "tmp");
  fs::remove_all(temp_, ec);
  fs::create_directory(temp_, ec);
  if (ec) throw OutputError("cannot create " + temp_.string() + ": " + ec.message());
}

RunDirectory::~RunDirectory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

fs::path RunDirectory::file(const std::string& name) const {
  return temp_ / name;
}

void RunDirectory::commit() {
  std::error_code ec;
  fs::path old;
  if (fs::exists(target_, ec)) {
    check_target(target_, force_);  // it may have appeared while we ran
    old = target_.parent_path() / sibling_name(target_, "old");
    fs::remove_all(old, ec);
    fs::rename(target_, old, ec);
    if (ec) throw OutputError("cannot replace " + target_.string() + ": " + ec.message());
  }
  fs::rename(temp_, target_, ec);
  if (ec) {
    if (!old.empty()) fs::rename(old, target_, ec);
    throw OutputError("cannot move the run into " + target_.string() + ": " + ec.message());
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace lbsim
