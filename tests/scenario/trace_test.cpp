// Trace replay input: time formats, users, work, compression, looping, errors, and the real Azure
// LLM conversation trace in data/traces (CC-BY 4.0, see its README).
#include "sim/scenario/trace.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "sim/scenario/scenario.hpp"
#include "test_util.hpp"

namespace lbsim {
namespace {

using test::kDataDir;

Scenario load_trace_scenario(const std::string& trace, const std::string& extra = "") {
  return load_scenario(ScenarioText{
      "name: t\nduration: 1m\nworkload:\n  arrivals: trace\n  trace: " + trace +
          "\n  service: {dist: exponential, mean: 10ms}\n" + extra + "servers: [{group: a}]\n",
      "inline.yaml", kDataDir});
}

TEST_CASE("date-times parse exactly to ns since the Unix epoch") {
  CHECK(parse_datetime_ns("1970-01-01 00:00:00") == 0);
  CHECK(parse_datetime_ns("1970-01-02T00:00:01.5Z") == 86'401'500'000'000);
  // 2023-11-16 is day 19677 of the epoch: 19677 * 86400 + 18:15:46 = 1'700'158'546 s.
  CHECK(parse_datetime_ns("2023-11-16 18:15:46.6805900") == 1'700'158'546'680'590'000);
  CHECK(parse_datetime_ns("2024-02-29 00:00:00.123456789") ==
        1'709'164'800'000'000'000 + 123'456'789);
  CHECK(parse_datetime_ns("1969-12-31 23:59:59") == -kSecond);
  for (const char* bad :
       {"2023-13-01 00:00:00", "2023-02-29 00:00:00", "2023-11-16 24:00:00", "2023-11-16 18:60:00",
        "2023-11-16 18:15:46.1234567890", "2023-11-16", "2023-11-16 18:15:46.",
        "2023-11-16 18:15:46+01:00", "2023/11/16 18:15:46", "1650-01-01 00:00:00", ""}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS((void)parse_datetime_ns(bad),
                         doctest::Contains("expected a date-time like 2023-11-16 18:15:46.6805900"),
                         std::invalid_argument);
  }
}

TEST_CASE("decimal times convert exactly to ns") {
  CHECK(parse_decimal_time_ns("1.5", kSecond) == 1'500'000'000);
  CHECK(parse_decimal_time_ns("1700158546.680590", kSecond) == 1'700'158'546'680'590'000);
  CHECK(parse_decimal_time_ns("0.0000000015", kSecond) == 2);  // rounds half away from zero
  CHECK(parse_decimal_time_ns("0.0000000014", kSecond) == 1);
  CHECK(parse_decimal_time_ns("-2.25", kMillisecond) == -2'250'000);
  CHECK(parse_decimal_time_ns("7", kNanosecond) == 7);
  CHECK(parse_decimal_time_ns("1e3", kMillisecond) == kSecond);  // exponent: through double
  CHECK_THROWS_AS((void)parse_decimal_time_ns("abc", kSecond), std::invalid_argument);
  CHECK_THROWS_AS((void)parse_decimal_time_ns("", kSecond), std::invalid_argument);
  CHECK_THROWS_AS((void)parse_decimal_time_ns("99999999999", kSecond), std::invalid_argument);
}

TEST_CASE("timestamps, users and work from a trace") {
  const Scenario scenario = load_trace_scenario(
      "{file: trace_users.csv, time_column: time_ms, time_format: timestamp, time_unit: ms, "
      "user_column: client, work_column: tokens}");
  const WorkloadConfig& w = scenario.config.workload;
  CHECK(w.arrivals == ArrivalProcess::kTrace);
  CHECK(w.rate_per_s == 0.0);
  const TraceArrivals& t = w.trace;
  CHECK(t.source == kDataDir + "/trace_users.csv");
  REQUIRE(t.times_ns.size() == 4);
  CHECK(t.times_ns[0] == 0);  // relative to the first row
  CHECK(t.times_ns[1] == 0);
  CHECK(t.times_ns[2] == 250'500'000);
  CHECK(t.times_ns[3] == 1'000'000'000);
  CHECK(t.loop_period_ns == 0);
  // alice -> 0, 7 -> 1, alice -> 0, 007 is the integer 7 -> 1.
  REQUIRE(t.users.size() == 4);
  CHECK(t.users[0] == 0);
  CHECK(t.users[1] == 1);
  CHECK(t.users[2] == 0);
  CHECK(t.users[3] == 1);
  CHECK(w.users == 2);
  // Work 10, 30, 0, 40 has mean 20: demand = value / 20 * 10 ms. Two roundings per value.
  REQUIRE(t.service_s.size() == 4);
  CHECK(t.service_s[0] == doctest::Approx(0.005).epsilon(1e-15));
  CHECK(t.service_s[1] == doctest::Approx(0.015).epsilon(1e-15));
  CHECK(t.service_s[2] == 0.0);
  CHECK(t.service_s[3] == doctest::Approx(0.020).epsilon(1e-15));
}

TEST_CASE("gaps, compression to a target rate, and looping") {
  // Gaps 5, 0.5, 0, 1.5 s: the first row starts the trace, so times 0, 0.5, 0.5, 2 s.
  const TraceArrivals plain =
      load_trace_scenario("{file: trace_gap.csv, time_column: gap_s, time_format: gap}")
          .config.workload.trace;
  REQUIRE(plain.times_ns.size() == 4);
  CHECK(plain.times_ns[1] == 500'000'000);
  CHECK(plain.times_ns[2] == 500'000'000);
  CHECK(plain.times_ns[3] == 2'000'000'000);
  CHECK(plain.users.empty());
  CHECK(plain.service_s.empty());

  // Observed rate (4 - 1) / 2 s = 1.5/s; to 3/s every gap halves (factor 0.5 is exact). The loop
  // period is the span plus one mean gap: 1 s + 1/3 s, rounded to the ns.
  const TraceArrivals fast = load_trace_scenario(
                                 "{file: trace_gap.csv, time_column: gap_s, time_format: gap, "
                                 "rate: 3/s, loop: true}")
                                 .config.workload.trace;
  CHECK(fast.times_ns[1] == 250'000'000);
  CHECK(fast.times_ns[2] == 250'000'000);
  CHECK(fast.times_ns[3] == 1'000'000'000);
  CHECK(fast.loop_period_ns == 1'333'333'333);
}

TEST_CASE("a decreasing timestamp is an error at its row") {
  CHECK_CONFIG_ERROR(
      load_trace_scenario("{file: trace_decreasing.csv, time_column: TIMESTAMP, time_format: "
                          "datetime}"),
      kDataDir + "/trace_decreasing.csv", 4, 1,
      "column \"TIMESTAMP\": expected a time >= the previous row's (\"2023-11-16 18:15:47\"");
  CHECK_CONFIG_ERROR(
      load_trace_scenario("{file: trace_negative_gap.csv, time_column: gap_s, time_format: gap}"),
      kDataDir + "/trace_negative_gap.csv", 3, 1, "expected a gap >= 0");
}

TEST_CASE("trace configuration errors") {
  CHECK_CONFIG_ERROR(
      load_trace_scenario("{file: trace_gap.csv, time_column: when, time_format: gap}"),
      "inline.yaml", 5, 45,
      "workload.trace.time_column: expected a time column of " + kDataDir +
          "/trace_gap.csv (gap_s); got \"when\"");
  CHECK_CONFIG_ERROR(
      load_trace_scenario("{file: trace_gap.csv, time_column: gap_s, time_format: datetime, "
                          "time_unit: ms}"),
      "inline.yaml", 5, 75, "expected no time_unit with time_format datetime");
  CHECK_CONFIG_ERROR(
      load_trace_scenario("{file: trace_one_row.csv, time_column: t, time_format: timestamp}"),
      kDataDir + "/trace_one_row.csv", 0, 0, "expected a trace of at least 2 rows; got 1");
  CHECK_CONFIG_ERROR(
      load_trace_scenario("{file: trace_users.csv, time_column: time_ms, time_format: timestamp, "
                          "time_unit: ms, user_column: client}",
                          "  users: 10\n"),
      "inline.yaml", 7, 3, "expected no users with trace.user_column (the trace has 2 distinct");
  CHECK_CONFIG_ERROR(
      load_trace_scenario("{file: trace_gap.csv, time_column: gap_s, time_format: gap}",
                          "  rate: 5/s\n"),
      "inline.yaml", 7, 3, "expected no rate or profile with arrivals: trace");
  CHECK_CONFIG_ERROR(
      load_trace_scenario("{file: trace_zero_work.csv, time_column: t, time_format: timestamp, "
                          "work_column: w}"),
      "inline.yaml", 5, 91,
      "workload.trace.work_column: expected a column whose values have a finite mean > 0");
  CHECK_CONFIG_ERROR(load_trace_scenario("{file: nope.csv, time_column: t, time_format: gap}"),
                     "inline.yaml", 5, 17, "cannot open trace");
}

TEST_CASE("the Azure LLM conversation trace loads, compresses and scales work") {
  const std::string file = std::string(LBSIM_SOURCE_DIR) + "/data/traces/azure-llm-conv-2023.csv";
  const std::string spec =
      "{file: " + file +
      ", time_column: TIMESTAMP, time_format: datetime, work_column: " + "GeneratedTokens";
  const TraceArrivals recorded = load_trace_scenario(spec + "}").config.workload.trace;
  // 19,366 rows after the header (the file has no final newline: `wc -l` shows 19,366).
  REQUIRE(recorded.times_ns.size() == 19'366);
  // First row 18:15:46.6805900, last 19:14:08.4025270: 58 min 21.7219370 s.
  const SimTime span_ns = recorded.times_ns.back();
  CHECK(span_ns == 3'501'721'937'000);
  const double observed_rate_per_s = 19'365.0 / to_seconds(span_ns);
  CHECK(observed_rate_per_s == doctest::Approx(5.53).epsilon(0.001));  // README: mean 5.5/s

  // Work scaling: the mean demand is service.mean (10 ms). Summing 19,366 doubles loses at most
  // ~n * 2^-53 = 2e-12 relative; 1e-9 leaves room.
  double sum_s = 0.0;
  for (double s : recorded.service_s) sum_s += s;
  CHECK(sum_s / 19'366.0 == doctest::Approx(0.01).epsilon(1e-9));

  // To 55/s: 10 x the rate up to the recorded 5.53/s, so the span shrinks by 55 / 5.53 ~ 9.95.
  // The span becomes (rows - 1) / 55 s exactly up to rounding: one llround (0.5 ns) plus
  // double error in the factor (~1e-16 x 3.5e12 ns); 2 ns bounds both.
  const TraceArrivals compressed =
      load_trace_scenario(spec + ", rate: 55/s}").config.workload.trace;
  REQUIRE(compressed.times_ns.size() == 19'366);
  const double compressed_span_ns = static_cast<double>(compressed.times_ns.back());
  CHECK(std::fabs(compressed_span_ns - 19'365.0 / 55.0 * 1e9) <= 2.0);
  CHECK(static_cast<double>(span_ns) / compressed_span_ns ==
        doctest::Approx(55.0 / observed_rate_per_s).epsilon(1e-9));
  CHECK(static_cast<double>(span_ns) / compressed_span_ns > 9.9);
  CHECK(static_cast<double>(span_ns) / compressed_span_ns < 10.1);
  bool nondecreasing = true;
  for (std::size_t i = 1; i < compressed.times_ns.size(); ++i) {
    nondecreasing = nondecreasing && compressed.times_ns[i] >= compressed.times_ns[i - 1];
  }
  CHECK(nondecreasing);
}

}  // namespace
}  // namespace lbsim
