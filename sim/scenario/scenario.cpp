#include "sim/scenario/scenario.hpp"

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
#include "sim/scenario/trace.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim {
namespace {

using yaml::MapEntry;
using yaml::Node;
using yaml::NodeKind;
using KeyList = std::vector<std::string>;

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kUint32Max = std::numeric_limits<std::uint32_t>::max();

std::string join(const KeyList& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Seconds as the double nearest ns / 1e9 (to_seconds multiplies by 1e-9, which can be one ulp
// off): a config written "20ms" then holds exactly the double 0.02.
double seconds_of(SimTime ns) {
  return static_cast<double>(ns) / 1e9;
}

std::string format_number(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
}

[[noreturn]] void fail(const SourceLocation& where, const std::string& path,
                       const std::string& message) {
  throw ConfigError(where, path.empty() ? message : path + ": " + message);
}

[[noreturn]] void fail(const Node& node, const std::string& path, const std::string& message) {
  fail(node.where, path, message);
}

const Node& expect_map(const Node& node, const std::string& path, std::string_view what) {
  if (node.kind != NodeKind::kMap) {
    fail(node, path, "expected " + std::string(what) + "; got " + node.describe());
  }
  return node;
}

const Node& expect_list(const Node& node, const std::string& path, std::string_view what) {
  if (node.kind != NodeKind::kList) {
    fail(node, path, "expected " + std::string(what) + "; got " + node.describe());
  }
  return node;
}

void check_keys(const Node& map, const std::string& path, const KeyList& allowed,
                const std::string& valid_for = "") {
  for (const MapEntry& entry : map.entries) {
    bool known = false;
    for (const std::string& key : allowed) known = known || key == entry.key;
    if (!known) {
      throw ConfigError(entry.key_where, "unknown key \"" + entry.key + "\"" +
                                             (path.empty() ? "" : " in " + path) + "; valid keys" +
                                             valid_for + ": " + join(allowed));
    }
  }
}

const Node& require(const Node& map, const std::string& path, std::string_view key) {
  const Node* node = map.find(key);
  if (node == nullptr) {
    throw ConfigError(map.where, "missing required key \"" + std::string(key) + "\"" +
                                     (path.empty() ? "" : " in " + path));
  }
  return *node;
}

const SourceLocation& key_location(const Node& map, std::string_view key) {
  for (const MapEntry& entry : map.entries) {
    if (entry.key == key) return entry.key_where;
  }
  return map.where;
}

const std::string& scalar(const Node& node, const std::string& path, std::string_view expected) {
  if (node.kind != NodeKind::kScalar) {
    fail(node, path, "expected " + std::string(expected) + "; got " + node.describe());
  }
  return node.scalar;
}

// Runs `parse` on the node's text; its std::invalid_argument becomes a located ConfigError.
template <class Parse>
auto parse_at(const Node& node, const std::string& path, std::string_view expected, Parse parse) {
  const std::string& text = scalar(node, path, expected);
  try {
    return parse(text);
  } catch (const std::invalid_argument& error) {
    fail(node, path, error.what());
  }
}

std::string read_name(const Node& node, const std::string& path) {
  const std::string& text = scalar(node, path, "a non-empty name");
  if (text.empty()) fail(node, path, "expected a non-empty name; got \"\"");
  return text;
}

SimTime read_duration(const Node& node, const std::string& path, bool positive) {
  const SimTime value = parse_at(node, path, "a duration with a unit, e.g. 250ms",
                                 [](const std::string& text) { return parse_duration(text); });
  if (positive && value <= 0) fail(node, path, "expected a duration > 0; got " + node.describe());
  return value;
}

double read_rate(const Node& node, const std::string& path, bool positive) {
  const double value = parse_at(node, path, "a rate like 900/s",
                                [](const std::string& text) { return parse_rate_per_s(text); });
  if (positive && !(value > 0.0)) fail(node, path, "expected a rate > 0; got " + node.describe());
  return value;
}

double read_number(const Node& node, const std::string& path, double lower, bool inclusive) {
  return parse_at(
      node, path,
      std::string("a finite number ") + (inclusive ? ">= " : "> ") + format_number(lower),
      [&](const std::string& text) { return parse_number_at_least(text, lower, inclusive); });
}

std::int64_t read_integer(const Node& node, const std::string& path, std::int64_t min,
                          std::int64_t max) {
  return parse_at(node, path, "an integer",
                  [&](const std::string& text) { return parse_integer_in(text, min, max); });
}

bool read_bool(const Node& node, const std::string& path) {
  const std::string& text = scalar(node, path, "true or false");
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  fail(node, path, "expected true or false; got " + node.describe());
}

// One of `choices` (exact spelling).
std::string read_choice(const Node& node, const std::string& path, const KeyList& choices) {
  const std::string expected = "one of " + join(choices);
  const std::string& text = scalar(node, path, expected);
  for (const std::string& choice : choices) {
    if (text == choice) return text;
  }
  fail(node, path, "expected " + expected + "; got " + node.describe());
}

// s, ms, us or ns: the units of times stored in CSV files.
SimTime read_csv_time_unit(const Node& node, const std::string& path) {
  const std::string unit = read_choice(node, path, {"s", "ms", "us", "ns"});
  return parse_time_unit_ns(unit);
}

struct ResolvedFile {
  std::string path;     // to open
  std::string display;  // in messages (the same, normalised)
};

ResolvedFile resolve_file(const Node& node, const std::string& path, const std::string& base_dir) {
  const std::string& text = scalar(node, path, "a file path");
  if (text.empty()) fail(node, path, "expected a file path; got \"\"");
  std::filesystem::path file(text);
  if (file.is_relative()) file = std::filesystem::path(base_dir) / file;
  const std::string normal = file.lexically_normal().string();
  return ResolvedFile{normal, normal};
}

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
    if (!spec.user_column.empty()) {
      if (node.find("users") != nullptr) {
        throw ConfigError(key_location(node, "users"),
                          child(path, "users") +
                              ": expected no users with trace.user_column (the trace has " +
                              std::to_string(loaded.user_count) + " distinct users)");
      }
      workload.users = loaded.user_count;
      users_from_trace = true;
    }
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

// A key that needs another key's value: an error at the key naming that value.
void reject_unless(const Node& map, const std::string& path, std::string_view key, bool allowed,
                   const std::string& needed) {
  if (!allowed && map.find(key) != nullptr) {
    throw ConfigError(key_location(map, key),
                      child(path, key) + ": expected no " + std::string(key) + " unless " + needed);
  }
}

// ---- client ------------------------------------------------------------------------------------

std::uint32_t error_kind_bit(ErrorKind kind) {
  return std::uint32_t{1} << static_cast<unsigned>(kind);
}

// Every error kind but kNone, in enum order: what retry_on may name.
KeyList retryable_error_names() {
  KeyList names;
  for (int kind = 1; kind < kErrorKindCount; ++kind) {
    names.emplace_back(error_kind_name(static_cast<ErrorKind>(kind)));
  }
  return names;
}

// 5xx-like answers and connection failures; a timeout is retried only when listed, as Envoy's
// retry_on must name it.
std::uint32_t default_retry_on_mask() {
  return error_kind_bit(ErrorKind::kQueueFull) | error_kind_bit(ErrorKind::kRefused) |
         error_kind_bit(ErrorKind::kCrashLost) | error_kind_bit(ErrorKind::kQueueTimeout);
}

std::uint32_t read_retry_on(const Node& node, const std::string& path) {
  const KeyList names = retryable_error_names();
  const std::string expected = "a list of error kinds (any of " + join(names) + ")";
  expect_list(node, path, expected);
  if (node.items.empty()) {
    fail(node, path,
         "expected " + expected + "; got an empty list (for no retries, set max_attempts: 1)");
  }
  std::uint32_t mask = 0;
  std::map<std::string, SourceLocation, std::less<>> seen;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    const std::string item_path = child(path, std::to_string(i));
    const std::string name = read_choice(item, item_path, names);
    const auto [it, inserted] = seen.try_emplace(name, item.where);
    if (!inserted) {
      fail(item, item_path,
           "duplicate error kind \"" + name + "\" (first at " + it->second.to_string() + ")");
    }
    const auto index = std::find(names.begin(), names.end(), name) - names.begin();
    mask |= error_kind_bit(static_cast<ErrorKind>(index + 1));
  }
  return mask;
}

std::string seconds_text(SimTime ns) {
  return format_number(seconds_of(ns)) + "s";
}

RetryPolicy read_retries(const Node& node, const std::string& path) {
  expect_map(node, path, "a retry policy like {max_attempts: 3, retry_on: [queue_full]}");
  check_keys(node, path,
             {"max_attempts", "retry_on", "backoff", "max_backoff", "jitter", "avoid_previous_host",
              "budget", "budget_min_retries"});
  RetryPolicy policy;
  policy.max_attempts = static_cast<int>(
      read_integer(require(node, path, "max_attempts"), child(path, "max_attempts"), 1, kIntMax));
  policy.retry_on_mask = default_retry_on_mask();
  if (const Node* retry_on = node.find("retry_on")) {
    policy.retry_on_mask = read_retry_on(*retry_on, child(path, "retry_on"));
  }
  const Node* backoff = node.find("backoff");
  if (backoff != nullptr) {
    policy.backoff_base_ns = read_duration(*backoff, child(path, "backoff"), true);
  }
  // Envoy's max_interval defaults to 10 x base_interval (250ms for the default 25ms).
  policy.backoff_max_ns =
      policy.backoff_base_ns > kInt64Max / 10 ? kInt64Max : 10 * policy.backoff_base_ns;
  if (const Node* max_backoff = node.find("max_backoff")) {
    policy.backoff_max_ns = read_duration(*max_backoff, child(path, "max_backoff"), true);
    if (policy.backoff_max_ns < policy.backoff_base_ns) {
      fail(*max_backoff, child(path, "max_backoff"),
           "expected max_backoff >= backoff (" +
               (backoff != nullptr ? backoff->scalar
                                   : seconds_text(policy.backoff_base_ns) + ", the default") +
               "); got " + max_backoff->describe());
    }
  }
  if (const Node* jitter = node.find("jitter")) {
    const std::string name = read_choice(*jitter, child(path, "jitter"), {"none", "full", "equal"});
    policy.jitter = name == "none"   ? BackoffJitter::kNone
                    : name == "full" ? BackoffJitter::kFull
                                     : BackoffJitter::kEqual;
  }
  if (const Node* avoid = node.find("avoid_previous_host")) {
    policy.avoid_previous_host = read_bool(*avoid, child(path, "avoid_previous_host"));
  }
  const Node* budget = node.find("budget");
  reject_unless(node, path, "budget_min_retries", budget != nullptr, "a budget is set");
  if (budget != nullptr) {
    policy.budget_fraction = parse_at(*budget, child(path, "budget"), "a fraction like 20%",
                                      [](const std::string& text) { return parse_fraction(text); });
  }
  if (const Node* min_retries = node.find("budget_min_retries")) {
    policy.budget_min_retries = static_cast<std::uint32_t>(
        read_integer(*min_retries, child(path, "budget_min_retries"), 0, kUint32Max));
  }
  return policy;
}

ClientConfig read_client(const Node& node, const std::string& path) {
  expect_map(node, path, "a map of client keys");
  check_keys(node, path, {"timeout", "deadline", "retries"});
  ClientConfig client;
  if (const Node* timeout = node.find("timeout")) {
    client.timeout_ns = read_duration(*timeout, child(path, "timeout"), true);
  }
  if (const Node* deadline = node.find("deadline")) {
    client.deadline_ns = read_duration(*deadline, child(path, "deadline"), true);
  }
  if (const Node* retries = node.find("retries")) {
    client.retry = read_retries(*retries, child(path, "retries"));
  }
  return client;
}

// ---- balancer ----------------------------------------------------------------------------------

std::string range_text(double min, double max, std::string_view unit) {
  const std::string u(unit);
  if (max >= 1e300) return ">= " + format_number(min) + u;
  if (min <= -1e300) return "<= " + format_number(max) + u;
  return "in [" + format_number(min) + u + ", " + format_number(max) + u + "]";
}

std::int64_t to_int64_bound(double bound) {
  if (bound <= -9.2e18) return std::numeric_limits<std::int64_t>::min();
  if (bound >= 9.2e18) return kInt64Max;
  return static_cast<std::int64_t>(bound);
}

OptionValue read_option(const OptionSpec& spec, const Node& node, const std::string& path) {
  switch (spec.type) {
    case OptionType::kInteger: {
      const std::int64_t min = to_int64_bound(std::ceil(spec.min));
      const std::int64_t max = to_int64_bound(std::floor(spec.max));
      return static_cast<double>(read_integer(node, path, min, max));
    }
    case OptionType::kReal: {
      const std::string expected = "a finite number " + range_text(spec.min, spec.max, "");
      const double value = parse_at(node, path, expected, [&](const std::string& text) {
        const double number = parse_finite_number(text);
        if (number < spec.min || number > spec.max) {
          throw std::invalid_argument("expected " + expected + "; got \"" + text + "\"");
        }
        return number;
      });
      return value;
    }
    case OptionType::kDuration: {
      const double seconds = seconds_of(read_duration(node, path, false));
      if (seconds < spec.min || seconds > spec.max) {
        fail(node, path,
             "expected a duration " + range_text(spec.min, spec.max, "s") + "; got " +
                 node.describe());
      }
      return seconds;
    }
    case OptionType::kChoice:
      return read_choice(node, path, spec.choices);
  }
  return 0.0;
}

SlowStartConfig read_slow_start(const Node& node, const std::string& path) {
  expect_map(node, path, "a slow-start map like {mode: envoy, window: 30s}");
  check_keys(node, path, {"mode", "window", "aggression", "min_weight_percent", "update"});
  SlowStartConfig config;
  const std::string mode =
      read_choice(require(node, path, "mode"), child(path, "mode"), {"envoy", "haproxy"});
  config.mode = mode == "envoy" ? SlowStartMode::kEnvoy : SlowStartMode::kHaproxy;
  config.window_ns = read_duration(require(node, path, "window"), child(path, "window"), true);
  const bool envoy = config.mode == SlowStartMode::kEnvoy;
  reject_unless(node, path, "aggression", envoy, "mode: envoy");
  reject_unless(node, path, "min_weight_percent", envoy, "mode: envoy");
  if (const Node* aggression = node.find("aggression")) {
    config.aggression = read_number(*aggression, child(path, "aggression"), 0.0, false);
  }
  if (const Node* min_weight = node.find("min_weight_percent")) {
    config.min_weight_fraction =
        parse_at(*min_weight, child(path, "min_weight_percent"), "a fraction like 10%",
                 [](const std::string& text) { return parse_fraction(text); });
  }
  if (const Node* update = node.find("update")) {
    config.update_ns = read_duration(*update, child(path, "update"), true);
  }
  return config;
}

// An integer >= 0, or "unlimited" (-1).
std::int64_t read_limit(const Node& node, const std::string& path) {
  const std::string& text = scalar(node, path, "an integer >= 0 or unlimited");
  if (text == "unlimited") return -1;
  return parse_at(node, path, "an integer >= 0 or unlimited", [](const std::string& value) {
    try {
      return parse_integer_in(value, 0, kInt64Max);
    } catch (const std::invalid_argument&) {
      throw std::invalid_argument("expected an integer >= 0 or unlimited; got \"" + value + "\"");
    }
  });
}

double read_fraction(const Node& node, const std::string& path) {
  return parse_at(node, path, "a fraction like 10%",
                  [](const std::string& text) { return parse_fraction(text); });
}

// A map that enables a feature by its presence: `{}` means "on, with every default"; `key:` with
// nothing after it is rejected like any other non-map, with a hint.
const Node& expect_feature_map(const Node& node, const std::string& path, std::string_view what) {
  return expect_map(node, path, std::string(what) + " ({} for the defaults)");
}

HealthCheckConfig read_health_check(const Node& node, const std::string& path) {
  expect_feature_map(node, path, "a map of health-check keys like {interval: 2s, fall: 3}");
  check_keys(node, path, {"interval", "timeout", "rise", "fall", "out_of_band", "probe_demand"});
  HealthCheckConfig config;
  config.enabled = true;
  const Node* interval = node.find("interval");
  if (interval != nullptr) {
    config.interval_ns = read_duration(*interval, child(path, "interval"), true);
  }
  const Node* timeout = node.find("timeout");
  if (timeout != nullptr) {
    config.timeout_ns = read_duration(*timeout, child(path, "timeout"), true);
  }
  // A probe still unanswered when the next one is due would overlap it: timeout <= interval.
  if (config.timeout_ns > config.interval_ns) {
    if (timeout != nullptr) {
      fail(*timeout, child(path, "timeout"),
           "expected timeout <= interval (" +
               (interval != nullptr ? interval->scalar
                                    : seconds_text(config.interval_ns) + ", the default") +
               "); got " + timeout->describe());
    }
    fail(*interval, child(path, "interval"),
         "expected interval >= timeout (" + seconds_text(config.timeout_ns) +
             ", the default; set a shorter timeout); got " + interval->describe());
  }
  if (const Node* rise = node.find("rise")) {
    config.rise = static_cast<int>(read_integer(*rise, child(path, "rise"), 1, kIntMax));
  }
  if (const Node* fall = node.find("fall")) {
    config.fall = static_cast<int>(read_integer(*fall, child(path, "fall"), 1, kIntMax));
  }
  if (const Node* out_of_band = node.find("out_of_band")) {
    config.out_of_band = read_bool(*out_of_band, child(path, "out_of_band"));
  }
  reject_unless(node, path, "probe_demand", !config.out_of_band,
                "out_of_band: false (an out-of-band probe does no work on the server)");
  if (const Node* demand = node.find("probe_demand")) {
    config.probe_demand_s = seconds_of(read_duration(*demand, child(path, "probe_demand"), true));
  }
  return config;
}

OutlierConfig read_outlier_detection(const Node& node, const std::string& path) {
  expect_feature_map(node, path,
                     "a map of outlier-detection keys like {consecutive_errors: 5, "
                     "base_ejection: 30s}");
  check_keys(
      node, path,
      {"consecutive_errors", "interval", "base_ejection", "max_ejection", "max_ejection_percent"});
  OutlierConfig config;
  config.enabled = true;
  if (const Node* errors = node.find("consecutive_errors")) {
    config.consecutive_errors =
        static_cast<int>(read_integer(*errors, child(path, "consecutive_errors"), 1, kIntMax));
  }
  if (const Node* interval = node.find("interval")) {
    config.interval_ns = read_duration(*interval, child(path, "interval"), true);
  }
  const Node* base = node.find("base_ejection");
  if (base != nullptr) {
    config.base_ejection_ns = read_duration(*base, child(path, "base_ejection"), true);
  }
  // Envoy: max_ejection_time defaults to 300s, or to base_ejection_time when that is longer.
  config.max_ejection_ns = std::max(config.max_ejection_ns, config.base_ejection_ns);
  if (const Node* max = node.find("max_ejection")) {
    config.max_ejection_ns = read_duration(*max, child(path, "max_ejection"), true);
    if (config.max_ejection_ns < config.base_ejection_ns) {
      fail(*max, child(path, "max_ejection"),
           "expected max_ejection >= base_ejection (" +
               (base != nullptr ? base->scalar
                                : seconds_text(config.base_ejection_ns) + ", the default") +
               "); got " + max->describe());
    }
  }
  if (const Node* percent = node.find("max_ejection_percent")) {
    config.max_ejection_fraction = read_fraction(*percent, child(path, "max_ejection_percent"));
  }
  return config;
}

CircuitBreakerConfig read_circuit_breakers(const Node& node, const std::string& path) {
  expect_feature_map(node, path, "a map of circuit-breaker limits like {max_requests: 1024}");
  check_keys(node, path, {"max_requests", "max_pending", "max_retries"});
  CircuitBreakerConfig config;
  if (const Node* requests = node.find("max_requests")) {
    config.max_requests = read_limit(*requests, child(path, "max_requests"));
  }
  if (const Node* pending = node.find("max_pending")) {
    config.max_pending = read_limit(*pending, child(path, "max_pending"));
  }
  if (const Node* retries = node.find("max_retries")) {
    config.max_retries = read_limit(*retries, child(path, "max_retries"));
  }
  return config;
}

// The generic (not strategy-specific) balancer keys; the strategy and its options are read
// elsewhere.
void read_balancer_settings(const Node& node, const std::string& path, BalancerConfig& config) {
  if (const Node* instances = node.find("instances")) {
    config.instances =
        static_cast<int>(read_integer(*instances, child(path, "instances"), 1, kIntMax));
  }
  if (const Node* selection = node.find("instance_selection")) {
    config.instance_selection = read_choice(*selection, child(path, "instance_selection"),
                                            {"random", "user_hash"}) == "user_hash"
                                    ? InstanceSelection::kUserHash
                                    : InstanceSelection::kRandom;
  }
  if (const Node* view = node.find("view")) {
    config.view = read_choice(*view, child(path, "view"), {"local", "global"}) == "global"
                      ? LoadView::kGlobal
                      : LoadView::kLocal;
  }
  reject_unless(node, path, "view_refresh", config.view == LoadView::kGlobal, "view: global");
  if (const Node* refresh = node.find("view_refresh")) {
    config.view_refresh_ns = read_duration(*refresh, child(path, "view_refresh"), false);
  }
  if (const Node* unit = node.find("unit")) {
    config.unit = read_choice(*unit, child(path, "unit"), {"request", "connection"}) == "connection"
                      ? BalancingUnit::kConnection
                      : BalancingUnit::kRequest;
  }
  const bool connections = config.unit == BalancingUnit::kConnection;
  reject_unless(node, path, "connection_lifetime", connections, "unit: connection");
  reject_unless(node, path, "reconnect_backoff", connections, "unit: connection");
  if (const Node* lifetime = node.find("connection_lifetime")) {
    config.connection_lifetime_ns =
        read_duration(*lifetime, child(path, "connection_lifetime"), true);
  }
  if (const Node* backoff = node.find("reconnect_backoff")) {
    config.reconnect_backoff_ns = read_duration(*backoff, child(path, "reconnect_backoff"), false);
  }
  if (const Node* timeout = node.find("queue_timeout")) {
    config.queue_timeout_ns = read_duration(*timeout, child(path, "queue_timeout"), true);
  }
  if (const Node* limit = node.find("queue_limit")) {
    config.queue_limit = read_limit(*limit, child(path, "queue_limit"));
  }
  if (const Node* slow_start = node.find("slow_start")) {
    config.slow_start = read_slow_start(*slow_start, child(path, "slow_start"));
  }
  if (const Node* health_check = node.find("health_check")) {
    config.health_check = read_health_check(*health_check, child(path, "health_check"));
  }
  if (const Node* outlier = node.find("outlier_detection")) {
    config.outlier = read_outlier_detection(*outlier, child(path, "outlier_detection"));
  }
  if (const Node* panic = node.find("panic_threshold")) {
    config.panic_threshold = read_fraction(*panic, child(path, "panic_threshold"));
  }
  if (const Node* breakers = node.find("circuit_breakers")) {
    config.circuit_breakers = read_circuit_breakers(*breakers, child(path, "circuit_breakers"));
  }
}

// ---- servers -----------------------------------------------------------------------------------

// `key` needs `partner` in the same map: an error at `key` naming what is missing and why.
void require_partner(const Node& map, const std::string& path, std::string_view key,
                     std::string_view partner, std::string_view why) {
  if (map.find(key) != nullptr && map.find(partner) == nullptr) {
    throw ConfigError(key_location(map, key), child(path, key) + ": expected " +
                                                  std::string(partner) + " with " +
                                                  std::string(key) + " (" + std::string(why) + ")");
  }
}

// `group` holds every other field of the group already: the knee and the crash threshold are
// checked against its workers and queue limit.
OverloadConfig read_overload(const Node& node, const std::string& path,
                             const ServerGroupConfig& group) {
  expect_map(node, path, "a map of overload keys like {knee: 6, slowdown: 0.25}");
  check_keys(node, path, overload_keys());
  require_partner(node, path, "knee", "slowdown",
                  "service slows by slowdown for each busy worker above the knee");
  require_partner(node, path, "slowdown", "knee",
                  "service slows by slowdown for each busy worker above the knee");
  require_partner(node, path, "cold_start", "cold_factor",
                  "service starts cold_factor times slower and recovers over cold_start");
  require_partner(node, path, "cold_factor", "cold_start",
                  "service starts cold_factor times slower and recovers over cold_start");
  reject_unless(node, path, "restart", node.find("crash_queue") != nullptr,
                "crash_queue is set (restart is the down time after a crash)");
  OverloadConfig overload;
  if (const Node* knee = node.find("knee")) {
    const std::string knee_path = child(path, "knee");
    overload.knee = static_cast<std::int32_t>(read_integer(*knee, knee_path, 1, kIntMax));
    if (overload.knee > group.workers) {
      fail(*knee, knee_path,
           "expected knee <= workers (" + std::to_string(group.workers) + " in group \"" +
               group.group + "\": busy workers can never exceed it); got " + knee->describe());
    }
    overload.slowdown =
        read_number(require(node, path, "slowdown"), child(path, "slowdown"), 0.0, false);
  }
  if (const Node* crash_queue = node.find("crash_queue")) {
    const std::string crash_path = child(path, "crash_queue");
    overload.crash_queue = read_integer(*crash_queue, crash_path, 0, kInt64Max);
    if (group.queue_limit != kUnlimitedQueue && overload.crash_queue > group.queue_limit) {
      fail(*crash_queue, crash_path,
           "crash_queue " + std::to_string(overload.crash_queue) +
               " can never be reached: queue_limit is " + std::to_string(group.queue_limit) +
               "; expected crash_queue <= queue_limit");
    }
  }
  if (const Node* restart = node.find("restart")) {
    overload.restart_ns = read_duration(*restart, child(path, "restart"), true);
  }
  if (const Node* cold_start = node.find("cold_start")) {
    overload.cold_start_ns = read_duration(*cold_start, child(path, "cold_start"), true);
    overload.cold_factor =
        read_number(require(node, path, "cold_factor"), child(path, "cold_factor"), 1.0, true);
  }
  if (const Node* queue_timeout = node.find("queue_timeout")) {
    overload.queue_timeout_ns = read_duration(*queue_timeout, child(path, "queue_timeout"), true);
  }
  return overload;
}

std::vector<LocatedServerGroup> read_servers(const Node& node, const std::string& path,
                                             const std::string& base_dir) {
  expect_list(node, path, "a list of server groups like {group: web, count: 10}");
  if (node.items.empty()) fail(node, path, "expected at least one server group; got an empty list");
  std::vector<LocatedServerGroup> fleet;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    const std::string item_path = child(path, std::to_string(i));
    expect_map(item, item_path, "a server group like {group: web, count: 10} or {file: x.csv}");
    if (const Node* file_node = item.find("file")) {
      for (const MapEntry& entry : item.entries) {
        if (entry.key != "file") {
          throw ConfigError(entry.key_where, "unknown key \"" + entry.key + "\" in " + item_path +
                                                 "; an entry with file takes no other keys");
        }
      }
      const ResolvedFile file = resolve_file(*file_node, child(item_path, "file"), base_dir);
      std::vector<LocatedServerGroup> rows =
          load_fleet_csv(file.path, file.display, file_node->where);
      for (LocatedServerGroup& row : rows) fleet.push_back(std::move(row));
      continue;
    }
    KeyList allowed = server_field_names();
    allowed.emplace_back("overload");
    check_keys(item, item_path, allowed);
    LocatedServerGroup located;
    located.where = require(item, item_path, "group").where;
    located.join_at_where = located.where;
    for (const MapEntry& entry : item.entries) {
      if (entry.key == "overload") continue;
      const std::string field_path = child(item_path, entry.key);
      const std::string& text =
          scalar(entry.value, field_path, server_field_expectation(entry.key));
      try {
        set_server_field(located.group, entry.key, text);
      } catch (const std::invalid_argument& error) {
        fail(entry.value, field_path, error.what());
      }
      if (entry.key == "join_at") located.join_at_where = entry.value.where;
    }
    if (const Node* overload = item.find("overload")) {
      located.group.overload =
          read_overload(*overload, child(item_path, "overload"), located.group);
    }
    fleet.push_back(std::move(located));
  }
  std::map<std::string, SourceLocation, std::less<>> seen;
  for (const LocatedServerGroup& located : fleet) {
    const auto [it, inserted] = seen.try_emplace(located.group.group, located.where);
    if (!inserted) {
      throw ConfigError(located.where, "duplicate group \"" + located.group.group +
                                           "\" (first at " + it->second.to_string() +
                                           "); group names must be unique across the fleet");
    }
  }
  return fleet;
}

// ---- top level ---------------------------------------------------------------------------------

// The balancer map's strategy (the default when the map or its key is absent). Checks that the
// balancer is a map.
const StrategyInfo& read_strategy_name(const Node* balancer) {
  const StrategyInfo* strategy = BalancerConfig{}.strategy.info;
  if (balancer != nullptr) {
    expect_map(*balancer, "balancer", "a map of balancer keys");
    if (const Node* name = balancer->find("strategy")) {
      const std::string expected = "a strategy (one of " + strategy_names() + ")";
      const std::string& text = scalar(*name, "balancer.strategy", expected);
      strategy = find_strategy(text);
      if (strategy == nullptr) {
        fail(*name, "balancer.strategy", "expected " + expected + "; got " + name->describe());
      }
    }
  }
  if (strategy == nullptr) {
    throw std::logic_error("the default strategy is not registered");
  }
  return *strategy;
}

// Balancer settings whose meaning depends on the fleet, and what only the strategy itself can
// check (a prime Maglev table, ring size bounds): it is built once here, so such an error names
// the balancer's place in the file instead of surfacing when the run starts.
void check_balancer_against_fleet(const Node& balancer, const StrategyInfo& strategy,
                                  const SimulationConfig& config) {
  bool any_max_connections = false;
  std::vector<std::string> names;
  for (const ServerGroupConfig& group : config.servers) {
    any_max_connections = any_max_connections || group.max_connections > 0;
    for (int i = 0; i < group.count; ++i) {
      names.push_back(group.group + "-" + std::to_string(group.first_index + i));
    }
  }
  if (config.balancer.slow_start.mode != SlowStartMode::kOff) {
    bool any_late = false;
    for (const ServerGroupConfig& group : config.servers)
      any_late = any_late || group.join_at_ns > 0;
    if (!any_late) {
      fail(*balancer.find("slow_start"), "balancer.slow_start",
           "ramps servers that join during the run, and no server group sets join_at; expected "
           "join_at on some group, or no slow_start");
    }
  }
  if (!any_max_connections) {
    for (const char* key : {"queue_timeout", "queue_limit"}) {
      if (const Node* node = balancer.find(key)) {
        fail(*node, child("balancer", key),
             "acts only on the balancer-side queue, which exists when a server group sets "
             "max_connections; expected max_connections on some group, or no " +
                 std::string(key));
      }
    }
    const Node* breakers = balancer.find("circuit_breakers");
    if (const Node* pending = breakers != nullptr ? breakers->find("max_pending") : nullptr) {
      fail(*pending, "balancer.circuit_breakers.max_pending",
           "acts only on the balancer-side queue, which exists when a server group sets "
           "max_connections; expected max_connections on some group, or no max_pending");
    }
  }
  if (any_max_connections && config.balancer.unit == BalancingUnit::kConnection) {
    const Node* unit = balancer.find("unit");
    fail(unit != nullptr ? *unit : balancer, "balancer.unit",
         "max_connections (a per-request connection cap) is not supported with unit: "
         "connection; expected unit: request, or no max_connections");
  }
  const StrategyContext context{config.balancer.strategy.options,
                                static_cast<std::uint32_t>(names.size()),
                                0,
                                config.seed,
                                config.workload.users,
                                names};
  try {
    (void)strategy.make(context);
  } catch (const std::invalid_argument& e) {
    const Node* name = balancer.find("strategy");
    fail(name != nullptr ? *name : balancer, "balancer",
         "strategy " + strategy.name + ": " + e.what());
  }
}

// ---- clock, timeline, alerts, incident ---------------------------------------------------------

ScenarioClock read_clock(const Node& node, const std::string& path) {
  expect_map(node, path, "a clock like {start: \"2024-05-05 08:00\", zone: UTC}");
  check_keys(node, path, {"start", "zone"});
  ScenarioClock clock;
  clock.set = true;
  clock.zone = "UTC";
  if (const Node* zone = node.find("zone")) {
    const std::string& text = scalar(*zone, child(path, "zone"), "a time zone");
    std::string error;
    const auto offset = parse_zone_offset_minutes(text, &error);
    if (!offset) fail(*zone, child(path, "zone"), error);
    clock.zone = text;
    clock.offset_minutes = *offset;
  }
  const Node& start = require(node, path, "start");
  const std::string& text = scalar(start, child(path, "start"), "a date and time");
  std::string error;
  const auto local = parse_local_datetime(text, &error);
  if (!local) fail(start, child(path, "start"), error);
  clock.start_epoch_s = *local - std::int64_t{clock.offset_minutes} * 60;
  return clock;
}

// A point in the run: a duration from its start (`45m`), or a clock time (`08:30`, `2024-05-05
// 08:30`, `10:15 EST`) on the scenario's clock. Must fall inside the run.
SimTime read_run_time(const Node& node, const std::string& path, const SimulationConfig& config) {
  const std::string& text =
      scalar(node, path, "a time from the start of the run (45m) or a clock time (08:30)");
  const SimTime end = config.warmup_ns + config.duration_ns;
  SimTime at = 0;
  if (looks_like_clock_time(text)) {
    if (!config.clock.set) {
      fail(node, path,
           "a clock time needs the scenario's clock (clock: {start: \"2024-05-05 08:00\", zone: "
           "UTC}); expected a time from the start of the run like 45m, or a clock; got " +
               node.describe());
    }
    std::string error;
    const auto time = parse_clock_time(text, &error);
    if (!time) fail(node, path, error);
    const std::int64_t seconds =
        clock_time_to_run_seconds(*time, config.clock.start_epoch_s, config.clock.offset_minutes);
    if (seconds < 0) {
      fail(node, path,
           "expected a time at or after the clock's start (" +
               format_iso8601(config.clock.start_epoch_s, config.clock.offset_minutes) + "); got " +
               node.describe());
    }
    at = seconds > end / kSecond ? end : seconds * kSecond;  // past the end: reported below
  } else {
    at = read_duration(node, path, false);
  }
  if (at >= end) {
    std::string clock_end;
    if (config.clock.set) {
      clock_end = ", " + format_iso8601(config.clock.start_epoch_s + end / kSecond,
                                        config.clock.offset_minutes);
    }
    fail(node, path,
         "expected a time before the end of the run (warmup + duration = " +
             format_number(seconds_of(end)) + "s" + clock_end + "); got " + node.describe());
  }
  return at;
}

// Where the loader keeps what it needs to check actions against each other.
struct TimelineContext {
  SimulationConfig* config = nullptr;
  std::map<std::string, std::uint32_t, std::less<>> server_index;  // name -> index
  std::map<std::string, int, std::less<>> next_index;              // group -> next server number
  std::vector<std::string> server_names;
  std::vector<const StrategyInfo*> strategies;  // every strategy the run can use
  bool any_max_connections = false;
  struct Located {
    const Node* node = nullptr;
    std::string path;
  };
  std::vector<Located> set_weights;  // checked once every strategy is known
};

const KeyList& action_kind_names() {
  static const KeyList names(kActionNames.begin(), kActionNames.end());
  return names;
}

ServerTarget read_target(const Node& item, const std::string& path, TimelineContext& context,
                         bool required) {
  ServerTarget target;
  const Node* servers = item.find("servers");
  const Node* group = item.find("group");
  if (servers != nullptr && group != nullptr) {
    throw ConfigError(key_location(item, "group"), path + ": expected servers or group, not both");
  }
  if (servers != nullptr) {
    const std::string servers_path = child(path, "servers");
    std::vector<const Node*> names;
    if (servers->kind == NodeKind::kList) {
      if (servers->items.empty()) fail(*servers, servers_path, "expected at least one server");
      for (const Node& name : servers->items) names.push_back(&name);
    } else {
      names.push_back(servers);
    }
    for (const Node* name : names) {
      const std::string& text = scalar(*name, servers_path, "a server name like web-0");
      const auto it = context.server_index.find(text);
      if (it == context.server_index.end()) {
        std::string some;
        for (std::size_t i = 0; i < context.server_names.size() && i < 4; ++i) {
          some += (some.empty() ? "" : ", ") + context.server_names[i];
        }
        fail(*name, servers_path,
             "expected a server of the fleet (<group>-<n>: " + some +
                 (context.server_names.size() > 4 ? ", ..." : "") + "); got " + name->describe());
      }
      if (std::find(target.servers.begin(), target.servers.end(), it->second) !=
          target.servers.end()) {
        fail(*name, servers_path, "server " + text + " is named twice");
      }
      target.servers.push_back(it->second);
    }
  } else if (group != nullptr) {
    const std::string& text = scalar(*group, child(path, "group"), "a server group name");
    if (context.next_index.find(text) == context.next_index.end()) {
      std::string groups;
      for (const auto& [name, next] : context.next_index)
        groups += (groups.empty() ? "" : ", ") + name;
      fail(*group, child(path, "group"),
           "expected a server group (" + groups + "); got " + group->describe());
    }
    target.group = text;
  } else if (required) {
    throw ConfigError(item.where, path + ": expected servers (a name or a list) or group");
  }
  return target;
}

// What one action's reader sees: the entry, its path, and the loader's timeline context.
struct ActionReading {
  const Node& item;
  const std::string& path;
  TimelineContext& context;
  const Node& kind_node;

  [[nodiscard]] const Node& need(std::string_view key) const { return require(item, path, key); }
  [[nodiscard]] std::string at(std::string_view key) const { return child(path, key); }
  [[nodiscard]] ServerTarget target(bool required = true) const {
    return read_target(item, path, context, required);
  }
  [[nodiscard]] SimTime optional_duration(std::string_view key, SimTime otherwise) const {
    const Node* node = item.find(key);
    return node != nullptr ? read_duration(*node, at(key), false) : otherwise;
  }
};

// One reader per action (an ActionReader<T> for every alternative of Action: a missing one is a
// compile error). `keys` are the action's own keys beside at/after, action, name, text and
// mitigation; `read` reads them, after the common keys.
template <typename T>
struct ActionReader;

template <>
struct ActionReader<NoteAction> {
  static KeyList keys() { return {}; }
  static NoteAction read(ActionReading&) { return {}; }
};

template <>
struct ActionReader<SetWeightAction> {
  static KeyList keys() { return {"servers", "group", "weight", "weights"}; }
  static SetWeightAction read(ActionReading& r) {
    SetWeightAction action;
    const Node* weights = r.item.find("weights");
    if (weights == nullptr) {
      action.target = r.target();
      action.weight = read_number(r.need("weight"), r.at("weight"), 0.0, false);
      r.context.set_weights.push_back({r.item.find("weight"), r.at("weight")});
      return action;
    }
    // One change setting several servers' weights: {weights: {web-0: 10, web-1: 0.5}}.
    for (const char* key : {"servers", "group", "weight"}) {
      if (r.item.find(key) != nullptr) {
        throw ConfigError(key_location(r.item, key),
                          r.path + ": expected weights (a map of server: weight) or " +
                              "servers/group with weight, not both");
      }
    }
    const std::string weights_path = r.at("weights");
    expect_map(*weights, weights_path, "a map of server: weight like {web-0: 10, web-1: 0.5}");
    if (weights->entries.empty()) fail(*weights, weights_path, "expected at least one server");
    for (const MapEntry& entry : weights->entries) {
      const auto it = r.context.server_index.find(entry.key);
      if (it == r.context.server_index.end()) {
        throw ConfigError(entry.key_where, weights_path + ": expected a server of the fleet " +
                                               "(<group>-<n>); got \"" + entry.key + "\"");
      }
      action.target.servers.push_back(it->second);
      action.weights.push_back(
          read_number(entry.value, child(weights_path, entry.key), 0.0, false));
    }
    r.context.set_weights.push_back({weights, weights_path});
    return action;
  }
};

template <>
struct ActionReader<SetSpeedAction> {
  static KeyList keys() { return {"servers", "group", "speed"}; }
  static SetSpeedAction read(ActionReading& r) {
    SetSpeedAction action;
    action.target = r.target();
    action.speed = read_number(r.need("speed"), r.at("speed"), 0.0, false);
    return action;
  }
};

// The strategy's own options sit beside it, as under balancer:, so every key that is not a
// common one is read as an option of the named strategy.
template <>
struct ActionReader<SetStrategyAction> {
  static KeyList keys() { return {"strategy"}; }
  static constexpr bool kTakesOptions = true;
  static SetStrategyAction read(ActionReading& r, const KeyList& allowed) {
    const SimulationConfig& config = *r.context.config;
    const Node& name = r.need("strategy");
    const std::string expected = "a strategy (one of " + strategy_names() + ")";
    const StrategyInfo* info = find_strategy(scalar(name, r.at("strategy"), expected));
    if (info == nullptr) {
      fail(name, r.at("strategy"), "expected " + expected + "; got " + name.describe());
    }
    Node options;
    options.kind = NodeKind::kMap;
    options.where = r.item.where;
    for (const MapEntry& entry : r.item.entries) {
      const bool known = std::find(allowed.begin(), allowed.end(), entry.key) != allowed.end();
      if (!known) options.entries.push_back(entry);
    }
    KeyList valid = allowed;
    for (const OptionSpec& spec : info->options) valid.push_back(spec.name);
    for (const MapEntry& entry : options.entries) {
      const KeyList& generic = balancer_generic_keys();
      if (std::find(generic.begin(), generic.end(), entry.key) != generic.end()) {
        throw ConfigError(entry.key_where,
                          "balancer key \"" + entry.key + "\" cannot change in " + r.path +
                              "; set_strategy takes the strategy and its options (other settings "
                              "have their own actions)");
      }
      if (std::find(valid.begin(), valid.end(), entry.key) != valid.end()) continue;
      std::string owners;
      for (const StrategyInfo& other : strategy_catalog()) {
        for (const OptionSpec& spec : other.options) {
          if (spec.name == entry.key && other.name != info->name) {
            owners += (owners.empty() ? "" : ", ") + other.name;
          }
        }
      }
      const std::string valid_text = "; valid keys for action set_strategy: " + join(valid);
      if (owners.empty()) {
        throw ConfigError(entry.key_where,
                          "unknown key \"" + entry.key + "\" in " + r.path + valid_text);
      }
      throw ConfigError(entry.key_where, "option \"" + entry.key + "\" belongs to strategy " +
                                             owners + ", not " + info->name + valid_text);
    }
    SetStrategyAction action;
    action.strategy = {info, read_strategy_options(*info, options, r.path)};
    const StrategyContext strategy_context{
        action.strategy.options,
        static_cast<std::uint32_t>(r.context.server_names.size()),
        0,
        config.seed,
        config.workload.users,
        r.context.server_names};
    try {
      (void)info->make(strategy_context);
    } catch (const std::invalid_argument& e) {
      fail(name, r.at("strategy"), "strategy " + info->name + ": " + e.what());
    }
    r.context.strategies.push_back(info);
    return action;
  }
};

template <>
struct ActionReader<SetHealthCheckAction> {
  static KeyList keys() { return {"health_check"}; }
  static SetHealthCheckAction read(ActionReading& r) {
    SetHealthCheckAction action;
    const Node& check = r.need("health_check");
    if (check.kind == NodeKind::kScalar && check.scalar == "off") {
      action.health_check.enabled = false;
    } else if (check.kind == NodeKind::kScalar) {
      fail(check, r.at("health_check"),
           "expected a map of health-check keys ({} for the defaults) or off; got " +
               check.describe());
    } else {
      action.health_check = read_health_check(check, r.at("health_check"));
    }
    return action;
  }
};

template <>
struct ActionReader<SetOutlierDetectionAction> {
  static KeyList keys() { return {"outlier_detection"}; }
  static SetOutlierDetectionAction read(ActionReading& r) {
    SetOutlierDetectionAction action;
    const Node& outlier = r.need("outlier_detection");
    if (outlier.kind == NodeKind::kScalar && outlier.scalar == "off") {
      action.outlier.enabled = false;
    } else if (outlier.kind == NodeKind::kScalar) {
      fail(outlier, r.at("outlier_detection"),
           "expected a map of outlier-detection keys ({} for the defaults) or off; got " +
               outlier.describe());
    } else {
      action.outlier = read_outlier_detection(outlier, r.at("outlier_detection"));
    }
    return action;
  }
};

template <>
struct ActionReader<SetCircuitBreakersAction> {
  static KeyList keys() { return {"circuit_breakers"}; }
  static SetCircuitBreakersAction read(ActionReading& r) {
    SetCircuitBreakersAction action;
    const Node& breakers = r.need("circuit_breakers");
    action.circuit_breakers = read_circuit_breakers(breakers, r.at("circuit_breakers"));
    if (action.circuit_breakers.max_pending >= 0 && !r.context.any_max_connections) {
      fail(*breakers.find("max_pending"), r.at("circuit_breakers.max_pending"),
           "acts only on the balancer-side queue, which exists when a server group sets "
           "max_connections; expected max_connections on some group, or no max_pending");
    }
    return action;
  }
};

template <>
struct ActionReader<SetPanicThresholdAction> {
  static KeyList keys() { return {"panic_threshold"}; }
  static SetPanicThresholdAction read(ActionReading& r) {
    return {read_fraction(r.need("panic_threshold"), r.at("panic_threshold"))};
  }
};

template <>
struct ActionReader<KillAction> {
  static KeyList keys() { return {"servers", "group"}; }
  static KillAction read(ActionReading& r) { return {r.target()}; }
};

template <>
struct ActionReader<StartAction> {
  static KeyList keys() { return {"servers", "group"}; }
  static StartAction read(ActionReading& r) { return {r.target()}; }
};

template <>
struct ActionReader<RemoveServersAction> {
  static KeyList keys() { return {"servers", "group"}; }
  static RemoveServersAction read(ActionReading& r) { return {r.target()}; }
};

template <>
struct ActionReader<RestartAction> {
  static KeyList keys() { return {"servers", "group", "down", "drain"}; }
  static RestartAction read(ActionReading& r) {
    RestartAction action;
    action.target = r.target();
    action.down_ns = r.optional_duration("down", -1);
    action.drain_ns = r.optional_duration("drain", 0);
    return action;
  }
};

template <>
struct ActionReader<PhasedRestartAction> {
  static KeyList keys() { return {"servers", "group", "batch", "every", "down", "drain"}; }
  static PhasedRestartAction read(ActionReading& r) {
    PhasedRestartAction action;
    action.target = r.target();
    action.down_ns = r.optional_duration("down", -1);
    action.drain_ns = r.optional_duration("drain", 0);
    if (const Node* batch = r.item.find("batch")) {
      action.batch = static_cast<int>(read_integer(*batch, r.at("batch"), 1, kIntMax));
    }
    action.every_ns = read_duration(r.need("every"), r.at("every"), true);
    return action;
  }
};

template <>
struct ActionReader<AddServersAction> {
  static KeyList keys() { return {"servers", "group", "count"}; }
  static AddServersAction read(ActionReading& r) {
    AddServersAction action;
    const ServerTarget target = r.target(false);
    action.servers = target.servers;
    const Node* count = r.item.find("count");
    if (count != nullptr && target.group.empty()) {
      throw ConfigError(key_location(r.item, "count"),
                        r.path +
                            ": count adds new servers like those of a group; expected "
                            "group with count (servers: names servers that rejoin)");
    }
    if (target.group.empty()) {
      if (target.servers.empty()) {
        throw ConfigError(r.item.where,
                          r.path +
                              ": expected group with count (new servers) or servers (servers "
                              "that rejoin)");
      }
      return action;
    }
    if (count == nullptr) {
      throw ConfigError(r.item.where,
                        r.path + ": expected count with group (how many servers to add)");
    }
    const auto n = static_cast<int>(read_integer(*count, r.at("count"), 1, 100000));
    // New servers: a copy of the group's first entry, numbered after its last server.
    SimulationConfig& config = *r.context.config;
    const auto model =
        std::find_if(config.servers.begin(), config.servers.end(),
                     [&](const ServerGroupConfig& g) { return g.group == target.group; });
    ServerGroupConfig added = *model;
    added.count = n;
    added.join_at_ns = kTimeNever;
    int& next = r.context.next_index[target.group];
    added.first_index = next;
    next += n;
    action.clone_group = static_cast<std::uint32_t>(config.servers.size());
    config.servers.push_back(added);  // `model` is not used after this
    for (int i = 0; i < n; ++i) {
      const std::string server = added.group + "-" + std::to_string(added.first_index + i);
      r.context.server_index[server] = static_cast<std::uint32_t>(r.context.server_names.size());
      r.context.server_names.push_back(server);
    }
    return action;
  }
};

template <>
struct ActionReader<TrafficAction> {
  static KeyList keys() { return {"rate", "multiplier", "ramp", "for"}; }
  static TrafficAction read(ActionReading& r) {
    const SimulationConfig& config = *r.context.config;
    if (config.workload.arrivals == ArrivalProcess::kTrace) {
      fail(r.kind_node, r.at("action"),
           "a traced workload plays as recorded; traffic actions need poisson or deterministic "
           "arrivals");
    }
    const Node* rate = r.item.find("rate");
    const Node* multiplier = r.item.find("multiplier");
    if ((rate == nullptr) == (multiplier == nullptr)) {
      fail(r.item, r.path,
           "expected exactly one of rate or multiplier; got " +
               std::string(rate == nullptr ? "neither" : "both"));
    }
    TrafficAction action;
    action.rate_per_s = rate != nullptr ? read_rate(*rate, r.at("rate"), false)
                                        : read_number(*multiplier, r.at("multiplier"), 0.0, true) *
                                              config.workload.rate_per_s;
    action.ramp_ns = r.optional_duration("ramp", 0);
    if (const Node* hold = r.item.find("for")) {
      action.hold_ns = read_duration(*hold, r.at("for"), true);
    }
    return action;
  }
};

template <>
struct ActionReader<RollbackAction> {
  static KeyList keys() { return {"to_before"}; }
  static RollbackAction read(ActionReading& r) {
    return {read_name(r.need("to_before"), r.at("to_before"))};
  }
};

template <typename T>
concept TakesOptions = ActionReader<T>::kTakesOptions;

// Reads the action named `kind` with the reader of the alternative that has that name: its keys
// are checked first (a misspelt key is reported before a bad value), then `read_common` reads
// the keys every action has, then the reader the action's own.
template <std::size_t I = 0, typename ReadCommon>
Action read_named_action(std::string_view kind, ActionReading& reading, const KeyList& common,
                         const ReadCommon& read_common) {
  if constexpr (I == std::variant_size_v<Action>) {
    throw std::logic_error("no reader for action " + std::string(kind));
  } else {
    using T = std::variant_alternative_t<I, Action>;
    if (T::kName != kind) return read_named_action<I + 1>(kind, reading, common, read_common);
    KeyList allowed = common;
    const KeyList own = ActionReader<T>::keys();
    allowed.insert(allowed.end(), own.begin(), own.end());
    if constexpr (TakesOptions<T>) {
      T action = ActionReader<T>::read(reading, allowed);
      read_common();
      return action;
    } else {
      check_keys(reading.item, reading.path, allowed, " for action " + std::string(kind));
      read_common();
      return ActionReader<T>::read(reading);
    }
  }
}

// One action, from a timeline entry (`at`) or an alert's on_fire entry (`after`).
ActionConfig read_action(const Node& item, const std::string& path, TimelineContext& context,
                         bool in_alert) {
  const SimulationConfig& config = *context.config;
  expect_map(item, path,
             in_alert ? "an action like {after: 5m, action: rollback, to_before: change}"
                      : "an action like {at: 30m, action: set_weight, servers: web-0, weight: 5}");
  const Node& kind_node = require(item, path, "action");
  const std::string kind = read_choice(kind_node, child(path, "action"), action_kind_names());
  KeyList common = {in_alert ? "after" : "at", "action", "text", "mitigation"};
  if (!in_alert) common.emplace_back("name");
  ActionConfig action;
  const auto read_common = [&] {
    if (in_alert) {
      if (const Node* after = item.find("after")) {
        action.at_ns = read_duration(*after, child(path, "after"), false);
      }
    } else {
      action.at_ns = read_run_time(require(item, path, "at"), child(path, "at"), config);
      if (const Node* name = item.find("name")) action.name = read_name(*name, child(path, "name"));
    }
    if (const Node* text = item.find("text")) {
      action.text = scalar(*text, child(path, "text"), "a text");
    }
    if (kind == NoteAction::kName && action.text.empty()) {
      throw ConfigError(item.find("text") != nullptr ? item.find("text")->where : item.where,
                        path + ": a note needs a non-empty text");
    }
    if (const Node* mitigation = item.find("mitigation")) {
      action.mitigation = read_bool(*mitigation, child(path, "mitigation"));
    }
  };
  ActionReading reading{item, path, context, kind_node};
  action.action = read_named_action(kind, reading, common, read_common);
  return action;
}

AlertMetric read_alert_metric(const Node& node, const std::string& path) {
  KeyList names;
  for (int m = 0; m <= static_cast<int>(AlertMetric::kQueueTotal); ++m) {
    names.emplace_back(alert_metric_name(static_cast<AlertMetric>(m)));
  }
  const std::string text = read_choice(node, path, names);
  for (int m = 0; m <= static_cast<int>(AlertMetric::kQueueTotal); ++m) {
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
      return seconds_of(read_duration(node, path, false));
    case AlertMetric::kOfferedRate:
    case AlertMetric::kRetryRate:
      return read_rate(node, path, false);
    case AlertMetric::kImbalance:
    case AlertMetric::kHealthyServers:
    case AlertMetric::kServersDown:
    case AlertMetric::kQueueTotal:
      return read_number(node, path, 0.0, true);
  }
  return 0.0;
}

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

// Reads clock, timeline, alerts and incident into `config` (its fleet, workload and balancer
// already read). Servers added by add_servers are appended to config.servers.
void read_timeline_and_alerts(const Node& root, SimulationConfig& config) {
  if (const Node* clock = root.find("clock")) config.clock = read_clock(*clock, "clock");
  TimelineContext context;
  context.config = &config;
  for (const ServerGroupConfig& group : config.servers) {
    context.any_max_connections = context.any_max_connections || group.max_connections > 0;
    for (int i = 0; i < group.count; ++i) {
      const std::string name = group.group + "-" + std::to_string(group.first_index + i);
      context.server_index[name] = static_cast<std::uint32_t>(context.server_names.size());
      context.server_names.push_back(name);
    }
    context.next_index[group.group] = group.first_index + group.count;
  }
  context.strategies.push_back(config.balancer.strategy.info);

  std::vector<std::pair<const Node*, std::string>> located;  // (item, path) per action
  if (const Node* timeline = root.find("timeline")) {
    expect_list(*timeline, "timeline", "a list of timeline actions");
    // Actions are read in run order (by time, ties as written), so servers an add_servers
    // creates are numbered in the order they join and can be named by any action that runs
    // after it, wherever it is written.
    std::vector<SimTime> at(timeline->items.size(), 0);
    for (std::size_t i = 0; i < timeline->items.size(); ++i) {
      const Node& item = timeline->items[i];
      const std::string path = child("timeline", std::to_string(i));
      expect_map(item, path,
                 "an action like {at: 30m, action: set_weight, servers: web-0, weight: 5}");
      (void)require(item, path, "action");
      at[i] = read_run_time(require(item, path, "at"), child(path, "at"), config);
    }
    std::vector<std::size_t> read_order(timeline->items.size());
    std::iota(read_order.begin(), read_order.end(), std::size_t{0});
    std::stable_sort(read_order.begin(), read_order.end(),
                     [&](std::size_t a, std::size_t b) { return at[a] < at[b]; });
    config.timeline.resize(timeline->items.size());
    located.resize(timeline->items.size());
    for (const std::size_t i : read_order) {
      const std::string path = child("timeline", std::to_string(i));
      config.timeline[i] = read_action(timeline->items[i], path, context, false);
      located[i] = {&timeline->items[i], path};
    }
    std::map<std::string, SourceLocation, std::less<>> names;
    for (std::size_t i = 0; i < timeline->items.size(); ++i) {
      const std::string& action_name = config.timeline[i].name;
      if (action_name.empty()) continue;
      const Node& name = *timeline->items[i].find("name");
      if (const auto [it, inserted] = names.try_emplace(action_name, name.where); !inserted) {
        fail(name, child(located[i].second, "name"),
             "duplicate action name \"" + action_name + "\" (first at " + it->second.to_string() +
                 ")");
      }
    }
  }
  // Run order: by time, ties as written.
  std::vector<std::size_t> order(config.timeline.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return config.timeline[a].at_ns < config.timeline[b].at_ns;
  });
  // A rollback names an action that runs before it and changes the balancer configuration (what a
  // rollback restores).
  const auto rollback_to = [](const ActionConfig& action) -> const std::string* {
    const auto* rollback = std::get_if<RollbackAction>(&action.action);
    return rollback != nullptr ? &rollback->to_before : nullptr;
  };
  const auto check_configures = [&](const ActionConfig& rollback, const Node& to_before,
                                    const std::string& path) {
    for (const ActionConfig& target : config.timeline) {
      if (target.name != *rollback_to(rollback) || configures_balancer(target.action)) continue;
      fail(to_before, path,
           "a rollback restores the balancer configuration (weights, strategy, health checks, "
           "outlier detection, circuit breakers, panic threshold), and " +
               std::string(action_name(target.action)) +
               " changes none of it; expected the name of such a change; got " +
               to_before.describe());
    }
  };
  for (std::size_t k = 0; k < order.size(); ++k) {
    const ActionConfig& action = config.timeline[order[k]];
    if (rollback_to(action) == nullptr) continue;
    bool earlier = false;
    bool exists = false;
    for (std::size_t j = 0; j < order.size(); ++j) {
      if (config.timeline[order[j]].name != *rollback_to(action)) continue;
      exists = true;
      earlier = earlier || j < k;
    }
    const auto& [item, path] = located[order[k]];
    if (!earlier) {
      fail(*item->find("to_before"), child(path, "to_before"),
           std::string(exists ? "expected a named action that runs before this rollback"
                              : "expected the name of an action in the timeline") +
               "; got " + item->find("to_before")->describe());
    }
    check_configures(action, *item->find("to_before"), child(path, "to_before"));
  }
  if (const Node* alerts = root.find("alerts")) {
    config.alerts = read_alerts(*alerts, "alerts", context);
    for (std::size_t r = 0; r < config.alerts.size(); ++r) {
      for (std::size_t a = 0; a < config.alerts[r].on_fire.size(); ++a) {
        const ActionConfig& action = config.alerts[r].on_fire[a];
        if (rollback_to(action) == nullptr) continue;
        const bool exists =
            std::any_of(config.timeline.begin(), config.timeline.end(),
                        [&](const ActionConfig& t) { return t.name == *rollback_to(action); });
        if (!exists) {
          const Node& item = alerts->items[r].find("on_fire")->items[a];
          fail(*item.find("to_before"),
               "alerts." + std::to_string(r) + ".on_fire." + std::to_string(a) + ".to_before",
               "expected the name of an action in the timeline; got " +
                   item.find("to_before")->describe());
        }
        const Node& item = alerts->items[r].find("on_fire")->items[a];
        check_configures(
            action, *item.find("to_before"),
            "alerts." + std::to_string(r) + ".on_fire." + std::to_string(a) + ".to_before");
      }
    }
  }
  std::vector<ActionConfig> sorted;
  sorted.reserve(order.size());
  for (const std::size_t i : order) sorted.push_back(config.timeline[i]);
  config.timeline = std::move(sorted);

  // Weights change something only under a strategy that reads them.
  const bool weighted =
      std::any_of(context.strategies.begin(), context.strategies.end(),
                  [](const StrategyInfo* s) { return s->weighted && !s->static_weights; });
  if (!weighted && !context.set_weights.empty()) {
    std::string which;
    for (const StrategyInfo& info : strategy_catalog()) {
      if (info.weighted && !info.static_weights) which += (which.empty() ? "" : ", ") + info.name;
    }
    const auto& first = context.set_weights.front();
    fail(*first.node, first.path,
         "strategy " + config.balancer.strategy.name() +
             " does not apply weight changes during a run (it ignores weights, or reads them only "
             "when it builds its map), so this changes nothing; expected a strategy that does (" +
             which + ") in balancer.strategy or a set_strategy action");
  }

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
  if (config.incident.start_ns < 0) {
    for (const ActionConfig& action : config.timeline) {
      if (!holds<NoteAction>(action)) {
        config.incident.start_ns = action.at_ns;
        break;
      }
    }
  }
}

SimulationConfig read_simulation(const Node& root, const std::string& base_dir,
                                 bool strategy_from_variant = false) {
  const KeyList top_keys = {"name",     "seed",   "duration", "warmup",  "window",
                            "workload", "client", "balancer", "servers", "clock",
                            "timeline", "alerts", "incident", "what_ifs"};
  expect_map(root, "", "a map of scenario keys (" + join(top_keys) + ")");
  check_keys(root, "", top_keys);
  SimulationConfig config;
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

  config.workload = read_workload(require(root, "", "workload"), "workload", base_dir);

  if (const Node* client = root.find("client")) config.client = read_client(*client, "client");

  const Node* balancer = root.find("balancer");
  const StrategyInfo* strategy = &read_strategy_name(balancer);
  config.balancer.strategy.info = strategy;
  if (balancer != nullptr) {
    config.balancer.strategy.options = read_strategy_options(*strategy, *balancer, "balancer");
    read_balancer_settings(*balancer, "balancer", config.balancer);
  } else {
    config.balancer.strategy.options = read_strategy_options(*strategy, Node{}, "balancer");
  }

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
  // Before the balancer's checks against the fleet: add_servers adds to it.
  read_timeline_and_alerts(root, config);
  if (balancer != nullptr) {
    check_balancer_against_fleet(*balancer, *strategy, config);
    // A global view only changes strategies that read server load. In a compare variant the
    // view comes from the base scenario and simply does not apply to a load-blind variant.
    const Node* view = balancer->find("view");
    if (view != nullptr && config.balancer.view == LoadView::kGlobal && !strategy->load_aware &&
        !strategy_from_variant) {
      std::string aware;
      for (const StrategyInfo& info : strategy_catalog()) {
        if (info.load_aware) aware += (aware.empty() ? "" : ", ") + info.name;
      }
      fail(*view, "balancer.view",
           "a global view changes only strategies that read server load (" + aware +
               "); strategy " + strategy->name + " does not, so expected view: local");
    }
  }

  return config;
}

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

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

SourceLocation variant_location(std::string_view text) {
  return SourceLocation{"--strategies " + std::string(text), 0, 0};
}

// Replaces the balancer's strategy and strategy options in `root` by the variant's; every node it
// puts in is located at the variant. The base strategy's options are validated first (a typo in
// them would otherwise vanish with them). A root that is not a map is left for read_simulation
// to report.
void apply_variant(Node& root, const StrategyVariant& variant) {
  if (root.kind != NodeKind::kMap) return;
  const SourceLocation where = variant_location(variant.text);
  Node* balancer = root.find("balancer");
  if (balancer != nullptr && balancer->kind != NodeKind::kNull) {
    (void)read_strategy_options(read_strategy_name(balancer), *balancer, "balancer");
  }
  if (balancer == nullptr) {
    root.entries.push_back(MapEntry{"balancer", where, Node{}});
    balancer = &root.entries.back().value;
  }
  if (balancer->kind == NodeKind::kNull) {
    balancer->kind = NodeKind::kMap;
    balancer->where = where;
  }
  const KeyList& generic = balancer_generic_keys();
  std::erase_if(balancer->entries, [&](const MapEntry& entry) {
    return entry.key == "strategy" ||
           std::find(generic.begin(), generic.end(), entry.key) == generic.end();
  });
  const auto scalar_at = [&](const std::string& text) {
    Node node;
    node.kind = NodeKind::kScalar;
    node.scalar = text;
    node.where = where;
    return node;
  };
  balancer->entries.push_back(MapEntry{"strategy", where, scalar_at(variant.strategy)});
  for (const auto& [key, value] : variant.options) {
    balancer->entries.push_back(MapEntry{key, where, scalar_at(value)});
  }
}

std::string directory_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(".") : parent.string();
}

}  // namespace

const std::vector<std::string>& balancer_generic_keys() {
  static const std::vector<std::string> keys = {"strategy",
                                                "instances",
                                                "instance_selection",
                                                "view",
                                                "view_refresh",
                                                "unit",
                                                "connection_lifetime",
                                                "reconnect_backoff",
                                                "queue_timeout",
                                                "queue_limit",
                                                "slow_start",
                                                "health_check",
                                                "outlier_detection",
                                                "panic_threshold",
                                                "circuit_breakers"};
  return keys;
}

StrategyOptions read_strategy_options(const StrategyInfo& info, const yaml::Node& balancer,
                                      const std::string& path) {
  const KeyList& generic = balancer_generic_keys();
  KeyList valid = generic;
  for (const OptionSpec& spec : info.options) {
    if (std::find(generic.begin(), generic.end(), spec.name) != generic.end()) {
      throw std::logic_error("strategy " + info.name + " declares option \"" + spec.name +
                             "\", which is a generic balancer key");
    }
    valid.push_back(spec.name);
  }
  for (const MapEntry& entry : balancer.entries) {
    bool known = false;
    for (const std::string& key : valid) known = known || key == entry.key;
    if (known) continue;
    std::string owners;
    for (const StrategyInfo& other : strategy_catalog()) {
      for (const OptionSpec& spec : other.options) {
        if (spec.name == entry.key && other.name != info.name) {
          owners += (owners.empty() ? "" : ", ") + other.name;
        }
      }
    }
    const std::string valid_text = "; valid keys for strategy " + info.name + ": " + join(valid);
    if (owners.empty()) {
      throw ConfigError(entry.key_where,
                        "unknown key \"" + entry.key + "\" in " + path + valid_text);
    }
    throw ConfigError(entry.key_where, "option \"" + entry.key + "\" belongs to strategy " +
                                           owners + ", not " + info.name + valid_text);
  }
  StrategyOptions options;
  for (const OptionSpec& spec : info.options) {
    const Node* node = balancer.find(spec.name);
    options[spec.name] =
        node == nullptr ? spec.default_value : read_option(spec, *node, child(path, spec.name));
  }
  return options;
}

namespace {

struct LocatedWhatIf {
  WhatIf what_if;
  const Node* node = nullptr;
};

std::vector<LocatedWhatIf> read_what_ifs(const Node& root) {
  std::vector<LocatedWhatIf> all;
  const Node* list = root.find("what_ifs");
  if (list == nullptr) return all;
  expect_list(*list, "what_ifs",
              "a list of what-ifs like {name: auto_rollback, set: [\"key.path=value\"]}");
  std::map<std::string, SourceLocation, std::less<>> seen;
  for (std::size_t i = 0; i < list->items.size(); ++i) {
    const Node& item = list->items[i];
    const std::string path = child("what_ifs", std::to_string(i));
    expect_map(item, path, "a what-if like {name: no_change, skip: [lb_change]}");
    check_keys(item, path, {"name", "text", "set", "skip"});
    LocatedWhatIf located;
    located.node = &item;
    WhatIf& what_if = located.what_if;
    const Node& name = require(item, path, "name");
    what_if.name = read_name(name, child(path, "name"));
    if (const auto [it, inserted] = seen.try_emplace(what_if.name, name.where); !inserted) {
      fail(name, child(path, "name"),
           "duplicate what-if name \"" + what_if.name + "\" (first at " + it->second.to_string() +
               ")");
    }
    if (const Node* text = item.find("text")) {
      what_if.text = scalar(*text, child(path, "text"), "a text");
    }
    for (const char* key : {"set", "skip"}) {
      const Node* values = item.find(key);
      if (values == nullptr) continue;
      const std::string values_path = child(path, key);
      expect_list(*values, values_path,
                  std::string(key) == "set"
                      ? "a list of overrides like \"balancer.strategy=random\""
                      : "a list of timeline action names");
      for (std::size_t k = 0; k < values->items.size(); ++k) {
        const std::string& text =
            scalar(values->items[k], child(values_path, std::to_string(k)), "a text");
        (std::string(key) == "set" ? what_if.set : what_if.skip).push_back(text);
      }
    }
    if (what_if.set.empty() && what_if.skip.empty()) {
      fail(item, path, "expected set (overrides) or skip (actions that never happen)");
    }
    all.push_back(std::move(located));
  }
  return all;
}

bool is_named_or_rollback_to(const Node& action, const std::vector<std::string>& names) {
  for (const char* key : {"name", "to_before"}) {
    const Node* value = action.find(key);
    if (value == nullptr || value->kind != NodeKind::kScalar) continue;
    if (std::find(names.begin(), names.end(), value->scalar) != names.end()) return true;
  }
  return false;
}

// Applies a what-if to the YAML tree. Errors in its overrides are located at its entry.
void apply_what_if(Node& root, const LocatedWhatIf& located) {
  const WhatIf& what_if = located.what_if;
  const Node* set = located.node->find("set");
  for (std::size_t k = 0; k < what_if.set.size(); ++k) {
    try {
      yaml::apply_override(root, what_if.set[k]);
    } catch (const ConfigError& error) {
      throw ConfigError(set->items[k].where, "what-if " + what_if.name + ": " + error.message());
    }
  }
  if (what_if.skip.empty()) return;
  const Node* skip = located.node->find("skip");
  Node* timeline = root.find("timeline");
  for (std::size_t k = 0; k < what_if.skip.size(); ++k) {
    bool found = false;
    if (timeline != nullptr) {
      for (const Node& action : timeline->items) {
        const Node* name = action.find("name");
        found = found || (name != nullptr && name->scalar == what_if.skip[k]);
      }
    }
    if (!found) {
      fail(skip->items[k], "what_ifs skip",
           "expected the name of a timeline action; got " + skip->items[k].describe());
    }
  }
  auto& items = timeline->items;
  items.erase(std::remove_if(items.begin(), items.end(),
                             [&](const Node& action) {
                               return is_named_or_rollback_to(action, what_if.skip);
                             }),
              items.end());
  if (Node* alerts = root.find("alerts"); alerts != nullptr && alerts->kind == NodeKind::kList) {
    for (Node& rule : alerts->items) {
      Node* on_fire = rule.find("on_fire");
      if (on_fire == nullptr || on_fire->kind != NodeKind::kList) continue;
      auto& fired = on_fire->items;
      fired.erase(std::remove_if(fired.begin(), fired.end(),
                                 [&](const Node& action) {
                                   return is_named_or_rollback_to(action, what_if.skip);
                                 }),
                  fired.end());
    }
  }
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
    scenario.applied_what_if = *what_if_name;
  }
  scenario.config = read_simulation(root, base_dir);
  return scenario;
}

}  // namespace

Scenario load_scenario_text(const std::string& yaml, const std::string& display_name,
                            const std::string& base_dir,
                            const std::vector<std::string>& overrides) {
  return load_with_what_if(yaml, display_name, base_dir, overrides, nullptr);
}

Scenario load_scenario_what_if_text(const std::string& yaml, const std::string& display_name,
                                    const std::string& base_dir,
                                    const std::vector<std::string>& overrides,
                                    const std::string& what_if) {
  return load_with_what_if(yaml, display_name, base_dir, overrides, &what_if);
}

Scenario load_scenario_what_if(const std::string& path, const std::vector<std::string>& overrides,
                               const std::string& what_if) {
  return load_scenario_what_if_text(read_scenario_file(path), path, directory_of(path), overrides,
                                    what_if);
}

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides) {
  return load_scenario_text(read_scenario_file(path), path, directory_of(path), overrides);
}

std::vector<std::string> split_strategy_list(std::string_view list) {
  const SourceLocation where{"--strategies " + std::string(list), 0, 0};
  std::vector<std::string> variants;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = list.find(',', start);
    const std::string_view entry =
        trim(list.substr(start, comma == std::string_view::npos ? list.npos : comma - start));
    if (entry.empty()) {
      throw ConfigError(where,
                        "expected a comma-separated list of strategies like "
                        "round_robin,least_request:choices=3; got an empty entry");
    }
    variants.emplace_back(entry);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return variants;
}

StrategyVariant parse_strategy_variant(std::string_view text) {
  StrategyVariant variant;
  variant.text = std::string(text);
  const SourceLocation where = variant_location(text);
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t colon = text.find(':', start);
    parts.push_back(
        text.substr(start, colon == std::string_view::npos ? text.npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.front().empty()) {
    throw ConfigError(where,
                      "expected a strategy name, optionally with options like "
                      "least_request:choices=3; got \"" +
                          variant.text + "\"");
  }
  const StrategyInfo* info = find_strategy(parts.front());
  if (info == nullptr) {
    throw ConfigError(where, "unknown strategy \"" + std::string(parts.front()) +
                                 "\"; expected one of " + strategy_names());
  }
  variant.strategy = info->name;
  KeyList declared;
  for (const OptionSpec& spec : info->options) declared.push_back(spec.name);
  const std::string declared_text =
      declared.empty() ? "strategy " + info->name + " takes no options"
                       : "options of strategy " + info->name + ": " + join(declared);
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::size_t equals = parts[i].find('=');
    const std::string_view key = parts[i].substr(0, equals);
    if (equals == std::string_view::npos || key.empty() || equals + 1 == parts[i].size()) {
      throw ConfigError(where, "expected option=value after \":\"; got \"" + std::string(parts[i]) +
                                   "\" (" + declared_text + ")");
    }
    if (std::find(declared.begin(), declared.end(), key) == declared.end()) {
      throw ConfigError(where, "unknown option \"" + std::string(key) + "\"; " + declared_text);
    }
    for (const auto& [given, value] : variant.options) {
      if (given == key) {
        throw ConfigError(where, "option \"" + std::string(key) + "\" given twice");
      }
    }
    variant.options.emplace_back(std::string(key), std::string(parts[i].substr(equals + 1)));
  }
  return variant;
}

Scenario load_scenario_variant_text(const std::string& yaml, const std::string& display_name,
                                    const std::string& base_dir,
                                    const std::vector<std::string>& overrides,
                                    std::string_view variant_text) {
  const StrategyVariant variant = parse_strategy_variant(variant_text);
  Node root = yaml::parse(yaml, display_name);
  for (const std::string& assignment : overrides) yaml::apply_override(root, assignment);
  apply_variant(root, variant);
  Scenario scenario;
  scenario.path = display_name;
  scenario.base_dir = base_dir;
  scenario.config = read_simulation(root, base_dir, true);
  return scenario;
}

Scenario load_scenario_variant(const std::string& path, const std::vector<std::string>& overrides,
                               std::string_view variant_text) {
  // The variant is checked before the file is read: a bad --strategies entry is reported as such
  // even when the file has problems of its own.
  (void)parse_strategy_variant(variant_text);
  return load_scenario_variant_text(read_scenario_file(path), path, directory_of(path), overrides,
                                    variant_text);
}

}  // namespace lbsim
