#include "sim/scenario/read_helpers.hpp"

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
#include "sim/core/text.hpp"
#include "sim/model/observer.hpp"
#include "sim/scenario/clock.hpp"
#include "sim/scenario/csv_reader.hpp"
#include "sim/scenario/fleet.hpp"
#include "sim/scenario/trace.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::loader {

using yaml::MapEntry;
using yaml::Node;
using yaml::NodeKind;

std::string join(const KeyList& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

double seconds_of(SimTime ns) {
  return static_cast<double>(ns) / 1e9;
}

std::string format_number(double value) {
  return format_significant(value, 15);
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
                const std::string& valid_for) {
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

std::string read_choice(const Node& node, const std::string& path, const KeyList& choices) {
  const std::string expected = "one of " + join(choices);
  const std::string& text = scalar(node, path, expected);
  for (const std::string& choice : choices) {
    if (text == choice) return text;
  }
  fail(node, path, "expected " + expected + "; got " + node.describe());
}

SimTime read_csv_time_unit(const Node& node, const std::string& path) {
  const std::string unit = read_choice(node, path, {"s", "ms", "us", "ns"});
  return parse_time_unit_ns(unit);
}

ResolvedFile resolve_file(const Node& node, const std::string& path, const std::string& base_dir) {
  const std::string& text = scalar(node, path, "a file path");
  if (text.empty()) fail(node, path, "expected a file path; got \"\"");
  std::filesystem::path file(text);
  if (file.is_relative()) file = std::filesystem::path(base_dir) / file;
  const std::string normal = file.lexically_normal().string();
  return ResolvedFile{normal, normal};
}

void reject_unless(const Node& map, const std::string& path, std::string_view key, bool allowed,
                   const std::string& needed) {
  if (!allowed && map.find(key) != nullptr) {
    throw ConfigError(key_location(map, key),
                      child(path, key) + ": expected no " + std::string(key) + " unless " + needed);
  }
}

std::string seconds_text(SimTime ns) {
  return format_number(seconds_of(ns)) + "s";
}

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

const Node& expect_feature_map(const Node& node, const std::string& path, std::string_view what) {
  return expect_map(node, path, std::string(what) + " ({} for the defaults)");
}

// `key` needs `partner` in the same map: an error at `key` naming what is missing and why.
void require_partner(const Node& map, const std::string& path, std::string_view key,
                     std::string_view partner, std::string_view why) {
  if (map.find(key) != nullptr && map.find(partner) == nullptr) {
    throw ConfigError(key_location(map, key), child(path, key) + ": expected " +
                                                  std::string(partner) + " with " +
                                                  std::string(key) + " (" + std::string(why) + ")");
  }
}

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

}  // namespace lbsim::loader
