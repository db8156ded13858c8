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

using yaml::MapEntry;
using yaml::Node;

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

}  // namespace
}  // namespace lbsim::loader

namespace lbsim::loader {

using yaml::MapEntry;
using yaml::Node;

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

}  // namespace lbsim::loader
