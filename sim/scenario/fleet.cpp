#include "sim/scenario/fleet.hpp"

#include <limits>
#include <stdexcept>

#include "sim/scenario/csv_reader.hpp"
#include "sim/scenario/units.hpp"

namespace lbsim {

const std::vector<std::string>& server_field_names() {
  static const std::vector<std::string> names = {
      "group", "count", "workers", "queue_limit", "weight", "speed", "max_connections", "join_at",
      "down"};
  return names;
}

const std::vector<std::string>& overload_keys() {
  static const std::vector<std::string> keys = {
      "knee", "slowdown", "crash_queue", "restart", "cold_start", "cold_factor", "queue_timeout"};
  return keys;
}

std::string server_field_expectation(std::string_view field) {
  if (field == "group") return "a non-empty group name";
  if (field == "count" || field == "workers") return "an integer >= 1";
  if (field == "queue_limit") return "an integer >= 0 or unlimited";
  if (field == "max_connections") return "an integer >= 0";
  if (field == "join_at") return "a duration with a unit, e.g. 5m";
  if (field == "down") return "true or false";
  return "a finite number > 0";
}

void set_server_field(ServerGroupConfig& group, std::string_view field, std::string_view text) {
  constexpr std::int64_t kIntMax = std::numeric_limits<int>::max();
  if (field == "group") {
    if (text.empty()) throw std::invalid_argument("expected a non-empty group name; got \"\"");
    group.group = std::string(text);
  } else if (field == "count") {
    group.count = static_cast<int>(parse_integer_in(text, 1, kIntMax));
  } else if (field == "workers") {
    group.workers = static_cast<int>(parse_integer_in(text, 1, kIntMax));
  } else if (field == "queue_limit") {
    if (text == "unlimited") {
      group.queue_limit = kUnlimitedQueue;
    } else {
      try {
        group.queue_limit = parse_integer_in(text, 0, std::numeric_limits<std::int64_t>::max());
      } catch (const std::invalid_argument&) {
        throw std::invalid_argument("expected an integer >= 0 or unlimited; got \"" +
                                    std::string(text) + "\"");
      }
    }
  } else if (field == "weight") {
    group.weight = parse_number_at_least(text, 0.0, false);
  } else if (field == "speed") {
    group.speed = parse_number_at_least(text, 0.0, false);
  } else if (field == "max_connections") {
    group.max_connections = static_cast<std::uint32_t>(
        parse_integer_in(text, 0, std::numeric_limits<std::uint32_t>::max()));
  } else if (field == "join_at") {
    group.join_at_ns = parse_duration(text);
  } else {
    if (field != "down") {
      throw std::logic_error("set_server_field: unknown field " + std::string(field));
    }
    if (text != "true" && text != "false") {
      throw std::invalid_argument("expected true or false; got \"" + std::string(text) + "\"");
    }
    group.down = text == "true";
  }
}

std::vector<LocatedServerGroup> load_fleet_csv(const std::string& path,
                                               const std::string& display_name,
                                               const SourceLocation& referenced_from) {
  csv::Reader reader(path, display_name, referenced_from, "fleet CSV");
  const std::vector<std::string>& fields = server_field_names();
  std::string valid;
  for (const std::string& field : fields) valid += (valid.empty() ? "" : ", ") + field;

  // Every unknown column is named at once: a misspelt header usually has company.
  std::string unknown;
  int first_unknown = -1;
  bool overload_column = false;
  for (std::size_t i = 0; i < reader.header().size(); ++i) {
    const std::string& name = reader.header()[i];
    bool known = false;
    for (const std::string& field : fields) known = known || name == field;
    if (!known) {
      unknown += (unknown.empty() ? "\"" : ", \"") + name + "\"";
      if (first_unknown < 0) first_unknown = static_cast<int>(i);
      for (const std::string& key : overload_keys())
        overload_column = overload_column || name == key;
      overload_column = overload_column || name.starts_with("overload");
    }
  }
  if (first_unknown >= 0) {
    std::string keys;
    for (const std::string& key : overload_keys()) keys += (keys.empty() ? "" : ", ") + key;
    throw ConfigError(reader.header_location(static_cast<std::size_t>(first_unknown)),
                      "unknown column " + unknown + "; valid columns: " + valid +
                          (overload_column ? "; overload settings (" + keys +
                                                 ") can be set only in the scenario YAML, in a "
                                                 "server group's overload map"
                                           : std::string()));
  }
  const int group_column = reader.column_index("group");
  if (group_column < 0) {
    throw ConfigError(reader.header_location(0),
                      "missing required column \"group\"; columns: " + reader.column_list());
  }

  std::vector<LocatedServerGroup> groups;
  while (reader.next()) {
    LocatedServerGroup row;
    row.where = reader.location(static_cast<std::size_t>(group_column));
    row.join_at_where = row.where;
    for (std::size_t i = 0; i < reader.header().size(); ++i) {
      try {
        set_server_field(row.group, reader.header()[i], reader.cell(i));
        if (reader.header()[i] == "join_at") row.join_at_where = reader.location(i);
      } catch (const std::invalid_argument& error) {
        throw ConfigError(reader.location(i),
                          "column \"" + reader.header()[i] + "\": " + error.what());
      }
    }
    groups.push_back(std::move(row));
  }
  reader.require_rows();
  return groups;
}

}  // namespace lbsim
