#pragma once
// The scenario loader's shared readers: located errors, key checks, and scalar readers
// (durations, rates, numbers, choices, files) that every section reader uses. Internal to
// sim/scenario; the public interface is scenario.hpp.
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/core/time.hpp"
#include "sim/model/config.hpp"
#include "sim/scenario/units.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::loader {

using yaml::MapEntry;
using yaml::Node;
using yaml::NodeKind;
using KeyList = std::vector<std::string>;

constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

constexpr std::int64_t kUint32Max = std::numeric_limits<std::uint32_t>::max();

std::string join(const KeyList& names);

std::string child(const std::string& path, std::string_view key);

// Seconds as the double nearest ns / 1e9 (to_seconds multiplies by 1e-9, which can be one ulp
// off): a config written "20ms" then holds exactly the double 0.02.
double seconds_of(SimTime ns);

// Numbers in messages: 15 significant digits (format_significant), so "0.1" reads back as 0.1.
std::string format_number(double value);

[[noreturn]] void fail(const SourceLocation& where, const std::string& path,
                       const std::string& message);

[[noreturn]] void fail(const Node& node, const std::string& path, const std::string& message);

const Node& expect_map(const Node& node, const std::string& path, std::string_view what);

const Node& expect_list(const Node& node, const std::string& path, std::string_view what);

void check_keys(const Node& map, const std::string& path, const KeyList& allowed,
                const std::string& valid_for = "");

const Node& require(const Node& map, const std::string& path, std::string_view key);

const SourceLocation& key_location(const Node& map, std::string_view key);

const std::string& scalar(const Node& node, const std::string& path, std::string_view expected);

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

std::string read_name(const Node& node, const std::string& path);

SimTime read_duration(const Node& node, const std::string& path, bool positive);

double read_rate(const Node& node, const std::string& path, bool positive);

double read_number(const Node& node, const std::string& path, double lower, bool inclusive);

std::int64_t read_integer(const Node& node, const std::string& path, std::int64_t min,
                          std::int64_t max);

bool read_bool(const Node& node, const std::string& path);

// One of `choices` (exact spelling).
std::string read_choice(const Node& node, const std::string& path, const KeyList& choices);

// s, ms, us or ns: the units of times stored in CSV files.
SimTime read_csv_time_unit(const Node& node, const std::string& path);

struct ResolvedFile {
  std::string path;     // to open
  std::string display;  // in messages (the same, normalised)
};

ResolvedFile resolve_file(const Node& node, const std::string& path, const std::string& base_dir);

// A key that needs another key's value: an error at the key naming that value.
void reject_unless(const Node& map, const std::string& path, std::string_view key, bool allowed,
                   const std::string& needed);

std::string seconds_text(SimTime ns);

// ---- balancer ----------------------------------------------------------------------------------

std::string range_text(double min, double max, std::string_view unit);

std::int64_t to_int64_bound(double bound);

// An integer >= 0, or "unlimited" (-1).
std::int64_t read_limit(const Node& node, const std::string& path);

double read_fraction(const Node& node, const std::string& path);

// A map that enables a feature by its presence: `{}` means "on, with every default"; `key:` with
// nothing after it is rejected like any other non-map, with a hint.
const Node& expect_feature_map(const Node& node, const std::string& path, std::string_view what);

// ---- servers -----------------------------------------------------------------------------------

// `key` needs `partner` in the same map: an error at `key` naming what is missing and why.
void require_partner(const Node& map, const std::string& path, std::string_view key,
                     std::string_view partner, std::string_view why);

// A point in the run: a duration from its start (`45m`), or a clock time (`08:30`, `2024-05-05
// 08:30`, `10:15 EST`) on the scenario's clock. Must fall inside the run.
SimTime read_run_time(const Node& node, const std::string& path, const SimulationConfig& config);

}  // namespace lbsim::loader
