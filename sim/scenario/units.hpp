#pragma once
// Quantities with units as written in scenario files and on the command line (DESIGN.md,
// "Scenario files"): durations "250ms", rates "900/s", fractions "30%". Also the plain numbers
// the scenario schema and its CSV files use, with one strict grammar everywhere.
//
// Every parser throws std::invalid_argument with a plain message of the form
// `expected <what>; got "<text>"`; callers add the location.
//
// Number grammar (all parsers): [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
// No surrounding or inner whitespace, no hex, no "inf"/"nan" (a non-finite value is reported as
// such), no digit separators.
#include <cstdint>
#include <string_view>

#include "sim/core/time.hpp"

namespace lbsim {

// A non-negative duration with a unit directly after the number: ns, us, µs (U+00B5 or U+03BC),
// ms, s, m or min, h, d. "1.5m" = 90 s; several parts from larger to smaller units add up:
// "1h30m" = 5400 s, "8h35m", "2m30.5s". The result is rounded to the nearest nanosecond.
// "5" (no unit), "5 s" (space before the unit), "30m1h" and "1h1h" (units not decreasing) are
// errors.
[[nodiscard]] SimTime parse_duration(std::string_view text);

// A non-negative rate "<number>/<unit>" with the duration units above ("900/s", "54000/min",
// "3/ms", "10/h"); returns events per second.
[[nodiscard]] double parse_rate_per_s(std::string_view text);

// A fraction in [0, 1], as a percentage ("30%" -> 0.3) or a plain number ("0.3").
[[nodiscard]] double parse_fraction(std::string_view text);

// Nanoseconds in one `unit` (one of the duration units above); throws std::invalid_argument
// listing the valid units.
[[nodiscard]] SimTime parse_time_unit_ns(std::string_view unit);

// A finite number matching the grammar above (any sign).
[[nodiscard]] double parse_finite_number(std::string_view text);

// A finite number with value >= lower (inclusive) or > lower (exclusive). The message names the
// bound, e.g. `expected a finite number > 0; got "-1"`.
[[nodiscard]] double parse_number_at_least(std::string_view text, double lower, bool inclusive);

// A decimal integer ([+-]?digits) in [min, max]. The message names the range, e.g.
// `expected an integer >= 1; got "zero"`.
[[nodiscard]] std::int64_t parse_integer_in(std::string_view text, std::int64_t min,
                                            std::int64_t max);

// A decimal integer in [0, 2^64).
[[nodiscard]] std::uint64_t parse_unsigned64(std::string_view text);

}  // namespace lbsim
