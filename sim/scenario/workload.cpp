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

// ---- workload ----------------------------------------------------------------------------------

std::vector<RateChange> read_profile(const Node& node, const std::string& path,
                                     double base_rate_per_s) {
  expect_list(node, path, "a list of rate changes like {at: 10m, rate: 1800/s}");
  std::vector<RateChange> profile;
  SimTime previous_end_ns = -1;
  const Node* previous_at = nullptr;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    const std::string item_path = child(path, std::to_string(i));
    expect_map(item, item_path, "a rate change like {at: 10m, rate: 1800/s}");
    check_keys(item, item_path, {"at", "rate", "multiplier", "ramp"});
    RateChange change;
    const Node& at = require(item, item_path, "at");
    change.at_ns = read_duration(at, child(item_path, "at"), false);
    const Node* rate = item.find("rate");
    const Node* multiplier = item.find("multiplier");
    if ((rate == nullptr) == (multiplier == nullptr)) {
      fail(item, item_path,
           "expected exactly one of rate or multiplier; got " +
               std::string(rate == nullptr ? "neither" : "both"));
    }
    if (rate != nullptr) {
      change.target_rate_per_s = read_rate(*rate, child(item_path, "rate"), false);
    } else {
      change.target_rate_per_s =
          read_number(*multiplier, child(item_path, "multiplier"), 0.0, true) * base_rate_per_s;
    }
    if (const Node* ramp = item.find("ramp")) {
      change.ramp_ns = read_duration(*ramp, child(item_path, "ramp"), false);
    }
    if (previous_at != nullptr && change.at_ns < previous_end_ns) {
      fail(at, child(item_path, "at"),
           "expected a time at or after the end of the previous change (at " + previous_at->scalar +
               " plus its ramp; changes are sorted and ramps may not "
               "overlap); got " +
               at.describe());
    }
    if (previous_at != nullptr && change.at_ns == profile.back().at_ns) {
      fail(at, child(item_path, "at"),
           "expected a time after the previous change's (" + previous_at->scalar + "); got " +
               at.describe());
    }
    if (change.at_ns > kInt64Max - change.ramp_ns) {
      fail(item, item_path, "expected at + ramp below 292 years");
    }
    previous_end_ns = change.at_ns + change.ramp_ns;
    previous_at = &at;
    profile.push_back(change);
  }
  return profile;
}

KeyList service_keys(DistributionKind kind) {
  switch (kind) {
    case DistributionKind::kExponential:
    case DistributionKind::kDeterministic:
      return {"dist", "mean"};
    case DistributionKind::kUniform:
    case DistributionKind::kLognormal:
    case DistributionKind::kGamma:
      return {"dist", "mean", "cv"};
    case DistributionKind::kBoundedPareto:
      return {"dist", "mean", "alpha", "max"};
    case DistributionKind::kErlang:
      return {"dist", "mean", "k"};
    case DistributionKind::kEmpirical:
      return {"dist", "file", "column", "unit", "mean"};
  }
  return {};
}

std::vector<double> read_empirical_samples(const Node& service, const std::string& path,
                                           const std::string& base_dir, SimTime unit_ns) {
  const Node& file_node = require(service, path, "file");
  const ResolvedFile file = resolve_file(file_node, child(path, "file"), base_dir);
  const Node& column_node = require(service, path, "column");
  const std::string column_name = read_name(column_node, child(path, "column"));
  csv::Reader reader(file.path, file.display, file_node.where, "empirical distribution CSV");
  const int column = reader.column_index(column_name);
  if (column < 0) {
    fail(column_node, child(path, "column"),
         "expected a column of " + file.display + " (" + reader.column_list() + "); got \"" +
             column_name + "\"");
  }
  const auto index = static_cast<std::size_t>(column);
  std::vector<double> samples;
  while (reader.next()) {
    try {
      // value * unit_ns is exact for the usual short decimals, so "5" ms becomes the double
      // nearest 0.005 s.
      samples.push_back(parse_number_at_least(reader.cell(index), 0.0, false) *
                        static_cast<double>(unit_ns) / 1e9);
    } catch (const std::invalid_argument& error) {
      throw ConfigError(reader.location(index), "column \"" + column_name + "\": " + error.what());
    }
  }
  reader.require_rows();
  return samples;
}

DistributionConfig read_service(const Node& node, const std::string& path,
                                const std::string& base_dir) {
  expect_map(node, path, "a service distribution like {dist: exponential, mean: 10ms}");
  const Node& dist = require(node, path, "dist");
  DistributionConfig config;
  std::string kinds;
  for (auto kind = static_cast<int>(DistributionKind::kExponential);
       kind <= static_cast<int>(DistributionKind::kEmpirical); ++kind) {
    kinds += (kinds.empty() ? "" : ", ") +
             std::string(distribution_name(static_cast<DistributionKind>(kind)));
  }
  const std::string expected = "a distribution (one of " + kinds + ")";
  const std::string& dist_name = scalar(dist, child(path, "dist"), expected);
  try {
    config.kind = parse_distribution_kind(dist_name);
  } catch (const std::invalid_argument&) {
    fail(dist, child(path, "dist"), "expected " + expected + "; got " + dist.describe());
  }
  const KeyList allowed = service_keys(config.kind);
  check_keys(node, path, allowed, std::string(" for dist ") + distribution_name(config.kind));

  const Node* mean = node.find("mean");
  if (config.kind == DistributionKind::kEmpirical) {
    const Node* unit = node.find("unit");
    if (unit == nullptr && mean == nullptr) {
      fail(node, path,
           "expected unit (values are times) or mean (values are relative work) for dist "
           "empirical; got neither");
    }
    // ns per value: 1e9 makes unitless values pass through unchanged.
    const SimTime unit_ns =
        unit == nullptr ? kSecond : read_csv_time_unit(*unit, child(path, "unit"));
    config.samples_s = read_empirical_samples(node, path, base_dir, unit_ns);
    if (mean != nullptr)
      config.mean_s = seconds_of(read_duration(*mean, child(path, "mean"), true));
  } else {
    config.mean_s =
        seconds_of(read_duration(require(node, path, "mean"), child(path, "mean"), true));
  }
  switch (config.kind) {
    case DistributionKind::kLognormal:
    case DistributionKind::kGamma:
      config.cv = read_number(require(node, path, "cv"), child(path, "cv"), 0.0, false);
      break;
    case DistributionKind::kUniform:
      if (const Node* cv = node.find("cv")) {
        config.cv = read_number(*cv, child(path, "cv"), 0.0, true);
      }
      break;
    case DistributionKind::kBoundedPareto:
      config.alpha = read_number(require(node, path, "alpha"), child(path, "alpha"), 0.0, false);
      if (const Node* max = node.find("max")) {
        config.max_s = seconds_of(read_duration(*max, child(path, "max"), true));
      }
      break;
    case DistributionKind::kErlang:
      config.erlang_k =
          static_cast<int>(read_integer(require(node, path, "k"), child(path, "k"), 1, kIntMax));
      break;
    case DistributionKind::kExponential:
    case DistributionKind::kDeterministic:
    case DistributionKind::kEmpirical:
      break;
  }
  try {
    (void)Distribution::make(config);
  } catch (const std::invalid_argument& error) {
    fail(node, path, error.what());
  }
  return config;
}

TraceSpec read_trace_spec(const Node& node, const std::string& path, const std::string& base_dir) {
  expect_map(node, path, "a trace like {file: x.csv, time_column: TIMESTAMP, ...}");
  check_keys(node, path,
             {"file", "time_column", "time_format", "time_unit", "user_column", "work_column",
              "rate", "loop"});
  TraceSpec spec;
  const Node& file_node = require(node, path, "file");
  const ResolvedFile file = resolve_file(file_node, child(path, "file"), base_dir);
  spec.path = file.path;
  spec.display_name = file.display;
  spec.file_where = file_node.where;

  const Node& time_column = require(node, path, "time_column");
  spec.time_column = read_name(time_column, child(path, "time_column"));
  spec.time_column_where = time_column.where;

  const std::string format =
      read_choice(require(node, path, "time_format"), child(path, "time_format"),
                  {"datetime", "timestamp", "gap"});
  spec.time_format = format == "datetime"    ? TraceTimeFormat::kDatetime
                     : format == "timestamp" ? TraceTimeFormat::kTimestamp
                                             : TraceTimeFormat::kGap;
  if (const Node* unit = node.find("time_unit")) {
    if (spec.time_format == TraceTimeFormat::kDatetime) {
      throw ConfigError(key_location(node, "time_unit"),
                        child(path, "time_unit") +
                            ": expected no time_unit with time_format datetime (it applies to "
                            "timestamp and gap)");
    }
    spec.time_unit_ns = read_csv_time_unit(*unit, child(path, "time_unit"));
  }
  if (const Node* user = node.find("user_column")) {
    spec.user_column = read_name(*user, child(path, "user_column"));
    spec.user_column_where = user->where;
  }
  if (const Node* work = node.find("work_column")) {
    spec.work_column = read_name(*work, child(path, "work_column"));
    spec.work_column_where = work->where;
  }
  if (const Node* rate = node.find("rate")) {
    spec.target_rate_per_s = read_rate(*rate, child(path, "rate"), true);
    spec.target_rate_where = rate->where;
  }
  if (const Node* loop = node.find("loop")) spec.loop = read_bool(*loop, child(path, "loop"));
  return spec;
}

}  // namespace
}  // namespace lbsim::loader

namespace lbsim::loader {

using yaml::Node;

namespace {

// arrivals: trace. Returns whether the trace names its users (workload.users is then theirs).
bool read_trace_arrivals(const Node& node, const std::string& path, const std::string& base_dir,
                         WorkloadConfig& workload) {
  for (const char* key : {"rate", "profile"}) {
    if (node.find(key) != nullptr) {
      throw ConfigError(key_location(node, key),
                        child(path, key) +
                            ": expected no rate or profile with arrivals: trace (use trace.rate "
                            "to compress the trace to a rate)");
    }
  }
  TraceSpec spec = read_trace_spec(require(node, path, "trace"), child(path, "trace"), base_dir);
  spec.service_mean_s = Distribution::make(workload.service).mean();
  LoadedTrace loaded = load_trace(spec);
  workload.trace = std::move(loaded.arrivals);
  if (spec.user_column.empty()) return false;
  if (node.find("users") != nullptr) {
    throw ConfigError(key_location(node, "users"),
                      child(path, "users") +
                          ": expected no users with trace.user_column (the trace has " +
                          std::to_string(loaded.user_count) + " distinct users)");
  }
  workload.users = loaded.user_count;
  return true;
}

}  // namespace

WorkloadConfig read_workload(const Node& node, const std::string& path,
                             const std::string& base_dir) {
  expect_map(node, path, "a map of workload keys");
  check_keys(node, path,
             {"arrivals", "rate", "profile", "trace", "users", "user_distribution", "zipf_exponent",
              "service"});
  WorkloadConfig workload;
  std::string arrivals = "poisson";
  if (const Node* arrivals_node = node.find("arrivals")) {
    arrivals =
        read_choice(*arrivals_node, child(path, "arrivals"), {"poisson", "deterministic", "trace"});
  }
  workload.arrivals = arrivals == "poisson"         ? ArrivalProcess::kPoisson
                      : arrivals == "deterministic" ? ArrivalProcess::kDeterministic
                                                    : ArrivalProcess::kTrace;
  const bool is_trace = workload.arrivals == ArrivalProcess::kTrace;

  // The service distribution comes first: trace work values are scaled to its mean.
  workload.service = read_service(require(node, path, "service"), child(path, "service"), base_dir);

  bool users_from_trace = false;
  if (is_trace) {
    users_from_trace = read_trace_arrivals(node, path, base_dir, workload);
  } else {
    if (node.find("trace") != nullptr) {
      throw ConfigError(key_location(node, "trace"),
                        child(path, "trace") + ": expected no trace unless arrivals: trace; got " +
                            "arrivals: " + arrivals);
    }
    workload.rate_per_s = read_rate(require(node, path, "rate"), child(path, "rate"), true);
    if (const Node* profile = node.find("profile")) {
      workload.profile = read_profile(*profile, child(path, "profile"), workload.rate_per_s);
    }
  }

  if (!users_from_trace) {
    workload.users = 1000;
    if (const Node* users = node.find("users")) {
      workload.users =
          static_cast<std::uint64_t>(read_integer(*users, child(path, "users"), 1, kInt64Max));
    }
  }
  std::string user_distribution = "uniform";
  if (const Node* distribution = node.find("user_distribution")) {
    user_distribution =
        read_choice(*distribution, child(path, "user_distribution"), {"uniform", "zipf"});
  }
  workload.user_distribution =
      user_distribution == "zipf" ? UserDistribution::kZipf : UserDistribution::kUniform;
  workload.zipf_exponent = 1.0;
  if (const Node* exponent = node.find("zipf_exponent")) {
    if (workload.user_distribution != UserDistribution::kZipf) {
      throw ConfigError(key_location(node, "zipf_exponent"),
                        child(path, "zipf_exponent") +
                            ": expected no zipf_exponent unless user_distribution: zipf");
    }
    workload.zipf_exponent = read_number(*exponent, child(path, "zipf_exponent"), 0.0, false);
  }
  return workload;
}

}  // namespace lbsim::loader
