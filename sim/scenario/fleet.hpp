#pragma once
// Server groups, from YAML entries or from fleet CSV files (one group per row). Both go through
// set_server_field, so a value means the same in either place.
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/error.hpp"
#include "sim/model/config.hpp"

namespace lbsim {

// The fields of a server group, in the order of the CSV columns: group, count, workers,
// queue_limit, weight, speed, max_connections, join_at.
[[nodiscard]] const std::vector<std::string>& server_field_names();

// The keys of a server group's `overload` map in YAML: knee, slowdown, crash_queue, restart,
// cold_start, cold_factor, queue_timeout. Overload settings exist only in YAML; a fleet CSV
// column with one of these names (or "overload...") is an unknown column whose message says so.
[[nodiscard]] const std::vector<std::string>& overload_keys();

// Sets one field from its text: group (non-empty), count and workers (integers >= 1),
// queue_limit (integer >= 0 or "unlimited"), weight and speed (finite numbers > 0),
// max_connections (integer in [0, 2^32), 0 = unlimited), join_at (a duration >= 0; the bound by
// the run's length is checked by the scenario loader, which knows it).
// Throws std::invalid_argument ("expected ...; got ...") for a bad value, std::logic_error for a
// field name not in server_field_names().
void set_server_field(ServerGroupConfig& group, std::string_view field, std::string_view text);

// "an integer >= 1" etc.: what a field's value must be, for messages about a non-scalar value.
[[nodiscard]] std::string server_field_expectation(std::string_view field);

struct LocatedServerGroup {
  ServerGroupConfig group;
  SourceLocation where;          // where its `group` name is written ("duplicate group" messages)
  SourceLocation join_at_where;  // where join_at is written (default: `where`)
};

// Reads a fleet CSV: a header naming some of server_field_names() (group required, the others
// default as in ServerGroupConfig), then one group per row. Opens `path`; names `display_name`
// in locations; reports a missing file at `referenced_from`. Throws ConfigError for an unknown or
// duplicate column, a missing group column, an empty file, a header without rows, and each bad
// cell (at its line and column; the message names the column).
[[nodiscard]] std::vector<LocatedServerGroup> load_fleet_csv(const std::string& path,
                                                             const std::string& display_name,
                                                             const SourceLocation& referenced_from);

}  // namespace lbsim
