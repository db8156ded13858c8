#pragma once
// Arrivals replayed from a CSV trace (workload.arrivals: trace): parsing of its time column,
// user and work columns, time compression to a target rate, and looping.
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/core/error.hpp"
#include "sim/core/time.hpp"
#include "sim/model/config.hpp"

namespace lbsim {

enum class TraceTimeFormat {
  kDatetime,   // "2023-11-16 18:15:46.6805900" (UTC; 'T' allowed for ' ', a final 'Z' allowed)
  kTimestamp,  // a number of time units since any fixed origin
  kGap,        // a number of time units since the previous row
};

struct TraceSpec {
  std::string yaml_path = "workload.trace";  // prefixes messages about the spec's own keys
  std::string path;                          // as opened
  std::string display_name;                  // in locations and TraceArrivals::source
  SourceLocation file_where;                 // where the scenario names the file
  std::string time_column;
  SourceLocation time_column_where;
  TraceTimeFormat time_format = TraceTimeFormat::kDatetime;
  SimTime time_unit_ns = kSecond;  // kTimestamp, kGap: 1 ns, 1 us, 1 ms or 1 s
  std::string user_column;         // empty: none
  SourceLocation user_column_where;
  std::string work_column;  // empty: none
  SourceLocation work_column_where;
  double target_rate_per_s = 0.0;  // > 0: compress/stretch time to this mean rate; 0: as recorded
  SourceLocation target_rate_where;
  bool loop = false;
  double service_mean_s = 0.0;  // the mean demand work values are scaled to (work_column only)
};

struct LoadedTrace {
  TraceArrivals arrivals;
  std::uint64_t user_count = 0;  // distinct users (user_column), else 0
  std::uint64_t rows = 0;
  SimTime recorded_span_ns = 0;  // last minus first time, before compression
};

// Reads the trace. Times become relative to the first row (first arrival at 0) and must be
// nondecreasing (a decreasing time is an error at that row's cell). At least 2 rows spanning a
// positive time. With a target rate every gap is multiplied by (observed rate / target rate),
// where observed rate = (rows - 1) / span. With loop, the period is the (compressed) span plus
// one mean gap. User values (integers, or any other string) become users 0..U-1 in order of first
// sight. Work values (finite, >= 0, mean > 0) give service_s = value / mean(value) *
// service_mean_s. Throws ConfigError.
[[nodiscard]] LoadedTrace load_trace(const TraceSpec& spec);

// Nanoseconds since 1970-01-01 00:00:00 UTC of "YYYY-MM-DD HH:MM:SS[.fraction]" (fraction up to
// 9 digits, 'T' instead of the space and a final 'Z' allowed; years 1700-2200). Throws
// std::invalid_argument.
[[nodiscard]] std::int64_t parse_datetime_ns(std::string_view text);

// A decimal number of `unit_ns` units (unit_ns a power of 10 <= 1e9) converted exactly to ns,
// rounded half away from zero past the nanosecond. Throws std::invalid_argument.
[[nodiscard]] std::int64_t parse_decimal_time_ns(std::string_view text, SimTime unit_ns);

}  // namespace lbsim
