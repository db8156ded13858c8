// Fleet CSV files and the CSV dialect: values, defaults, and each error at its file line and
// 1-based character column.
#include <doctest/doctest.h>

#include <string>

#include "sim/scenario/fleet.hpp"
#include "sim/scenario/scenario.hpp"
#include "test_util.hpp"

namespace lbsim {
namespace {

using test::kDataDir;

std::vector<LocatedServerGroup> fleet(const std::string& name) {
  return load_fleet_csv(kDataDir + "/" + name, name, SourceLocation{"inline.yaml", 7, 12});
}

Scenario load_with_fleet(const std::string& file) {
  return load_scenario(ScenarioText{
      "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
      "10ms}\nservers:\n  - {file: " +
          file + "}\n",
      "inline.yaml", kDataDir});
}

TEST_CASE("a fleet CSV gives one group per row, quoted fields and blank lines allowed") {
  const std::vector<LocatedServerGroup> groups = fleet("fleet_good.csv");
  REQUIRE(groups.size() == 3);
  CHECK(groups[0].group.group == "fast");
  CHECK(groups[0].group.count == 4);
  CHECK(groups[0].group.workers == 8);
  CHECK(groups[0].group.queue_limit == kUnlimitedQueue);
  CHECK(groups[0].group.weight == 2.0);
  CHECK(groups[0].group.speed == 1.5);
  CHECK(groups[0].where.to_string() == "fleet_good.csv:2:1");
  CHECK(groups[1].group.group == "slow, old");
  CHECK(groups[1].group.queue_limit == 50);
  CHECK(groups[1].group.weight == 0.5);
  CHECK(groups[2].group.group == "min-only");
  CHECK(groups[2].group.queue_limit == 0);
  CHECK(groups[2].where.line == 5);  // line 4 is blank and skipped, but still counted
}

TEST_CASE("a fleet CSV loads through a scenario, resolved against the scenario's directory") {
  const Scenario scenario = load_with_fleet("fleet_good.csv");
  REQUIRE(scenario.config.servers.size() == 3);
  CHECK(scenario.config.servers[1].group == "slow, old");
}

TEST_CASE("a bad cell is reported at its line and column, naming the column") {
  CHECK_CONFIG_ERROR(load_with_fleet("fleet_bad_cell.csv"), kDataDir + "/fleet_bad_cell.csv", 4, 12,
                     "column \"workers\": expected an integer >= 1; got \"zero\"");
  // Columns count characters, not bytes: "café,1," is 7 characters (8 bytes).
  CHECK_CONFIG_ERROR(fleet("fleet_bad_utf8.csv"), "fleet_bad_utf8.csv", 2, 8,
                     "column \"workers\": expected an integer >= 1; got \"x\"");
}

TEST_CASE("unknown, duplicate and missing columns") {
  CHECK_CONFIG_ERROR(fleet("fleet_unknown_column.csv"), "fleet_unknown_column.csv", 1, 13,
                     "unknown column \"wieght\", \"spead\"; valid columns: group, count, workers, "
                     "queue_limit, weight, speed, max_connections, join_at");
  CHECK_CONFIG_ERROR(fleet("fleet_duplicate_column.csv"), "fleet_duplicate_column.csv", 1, 13,
                     "duplicate column \"count\" (also column 2)");
  CHECK_CONFIG_ERROR(fleet("fleet_no_group.csv"), "fleet_no_group.csv", 1, 1,
                     "missing required column \"group\"");
}

TEST_CASE("missing, empty and header-only files") {
  CHECK_CONFIG_ERROR(
      load_with_fleet("nope.csv"), "inline.yaml", 7, 12,
      "cannot open fleet CSV \"" + kDataDir + "/nope.csv\": No such file or directory");
  CHECK_CONFIG_ERROR(load_with_fleet("."), "inline.yaml", 7, 12, "is a directory");
  CHECK_CONFIG_ERROR(fleet("fleet_empty.csv"), "fleet_empty.csv", 1, 0,
                     "expected a header row naming the columns; got an empty file");
  CHECK_CONFIG_ERROR(fleet("fleet_header_only.csv"), "fleet_header_only.csv", 1, 0,
                     "expected at least one data row after the header; got none");
}

TEST_CASE("malformed rows") {
  CHECK_CONFIG_ERROR(fleet("fleet_extra_field.csv"), "fleet_extra_field.csv", 2, 7,
                     "expected 2 fields as in the header; got 3");
  CHECK_CONFIG_ERROR(fleet("fleet_unclosed_quote.csv"), "fleet_unclosed_quote.csv", 2, 1,
                     "expected a closing '\"' on the same line");
}

}  // namespace
}  // namespace lbsim
