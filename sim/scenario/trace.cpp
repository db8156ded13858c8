#include "sim/scenario/trace.hpp"

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "sim/scenario/csv_reader.hpp"
#include "sim/scenario/units.hpp"

namespace lbsim {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Reads exactly `count` digits at `pos` as a number; false if any is not a digit.
bool read_digits(std::string_view text, std::size_t pos, std::size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!is_digit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

[[noreturn]] void bad_datetime(std::string_view text) {
  throw std::invalid_argument(
      "expected a date-time like 2023-11-16 18:15:46.6805900 (UTC); got \"" + std::string(text) +
      "\"");
}

int column_of(const csv::Reader& reader, const TraceSpec& spec, const std::string& name,
              std::string_view key, const SourceLocation& where, std::string_view what) {
  const int index = reader.column_index(name);
  if (index < 0) {
    throw ConfigError(where, spec.yaml_path + "." + std::string(key) + ": expected a " +
                                 std::string(what) + " column of " + reader.display_name() + " (" +
                                 reader.column_list() + "); got \"" + name + "\"");
  }
  return index;
}

}  // namespace

std::int64_t parse_datetime_ns(std::string_view text) {
  std::string_view s = text;
  if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const bool shape_ok = s.size() >= 19 && read_digits(s, 0, 4, year) && s[4] == '-' &&
                        read_digits(s, 5, 2, month) && s[7] == '-' && read_digits(s, 8, 2, day) &&
                        (s[10] == ' ' || s[10] == 'T') && read_digits(s, 11, 2, hour) &&
                        s[13] == ':' && read_digits(s, 14, 2, minute) && s[16] == ':' &&
                        read_digits(s, 17, 2, second);
  if (!shape_ok) bad_datetime(text);
  std::int64_t fraction_ns = 0;
  if (s.size() > 19) {
    const std::size_t digits = s.size() - 20;
    if (s[19] != '.' || digits == 0 || digits > 9) bad_datetime(text);
    int digit = 0;
    for (std::size_t i = 0; i < 9; ++i) {
      fraction_ns *= 10;
      if (i < digits) {
        if (!read_digits(s, 20 + i, 1, digit)) bad_datetime(text);
        fraction_ns += digit;
      }
    }
  }
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  // The SimTime range (int64 ns) covers 1678-2262; keep clear of its edges.
  if (!date.ok() || year < 1700 || year > 2200 || hour > 23 || minute > 59 || second > 59) {
    bad_datetime(text);
  }
  const std::int64_t days = std::chrono::sys_days{date}.time_since_epoch().count();
  const std::int64_t seconds =
      days * 86400 + std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second;
  return seconds * kSecond + fraction_ns;
}

std::int64_t parse_decimal_time_ns(std::string_view text, SimTime unit_ns) {
  int unit_digits = 0;  // unit_ns == 10^unit_digits
  for (SimTime u = unit_ns; u > 1; u /= 10) ++unit_digits;
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  const std::size_t dot = s.find('.');
  const std::string_view whole = s.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  bool exact_form = !whole.empty() || !fraction.empty();
  for (char c : whole) exact_form = exact_form && is_digit(c);
  for (char c : fraction) exact_form = exact_form && is_digit(c);
  if (!exact_form) {
    // Exponent forms ("1.7e9"): through double, exact to about 16 significant digits.
    const double value = parse_finite_number(text) * static_cast<double>(unit_ns);
    if (!(std::fabs(value) < 9.2e18)) {
      throw std::invalid_argument("expected a time below 292 years; got \"" + std::string(text) +
                                  "\"");
    }
    return std::llround(value);
  }
  // Exact: the first unit_digits fraction digits are whole nanoseconds, the next one rounds.
  std::int64_t ns = 0;
  // One unit of headroom for the fraction and its rounding.
  const std::int64_t max_whole = std::numeric_limits<std::int64_t>::max() / unit_ns - 1;
  for (char c : whole) {
    const int digit = c - '0';
    if (ns > (max_whole - digit) / 10) {
      throw std::invalid_argument("expected a time below 292 years; got \"" + std::string(text) +
                                  "\"");
    }
    ns = ns * 10 + digit;
  }
  ns *= unit_ns;
  std::int64_t fraction_ns = 0;
  for (int i = 0; i < unit_digits; ++i) {
    fraction_ns =
        fraction_ns * 10 + (static_cast<std::size_t>(i) < fraction.size() ? fraction[i] - '0' : 0);
  }
  if (static_cast<std::size_t>(unit_digits) < fraction.size() && fraction[unit_digits] >= '5') {
    ++fraction_ns;
  }
  ns += fraction_ns;
  return negative ? -ns : ns;
}

namespace {

// One row's time, from the start of the file (the first row's time is subtracted later).
std::int64_t row_time_ns(const TraceSpec& spec, const csv::Reader& reader, std::size_t column,
                         std::int64_t previous_ns) {
  const std::string& text = reader.cell(column);
  try {
    switch (spec.time_format) {
      case TraceTimeFormat::kDatetime:
        return parse_datetime_ns(text);
      case TraceTimeFormat::kTimestamp:
        return parse_decimal_time_ns(text, spec.time_unit_ns);
      case TraceTimeFormat::kGap: {
        const std::int64_t gap_ns = parse_decimal_time_ns(text, spec.time_unit_ns);
        if (gap_ns < 0) {
          throw std::invalid_argument("expected a gap >= 0 (times must be nondecreasing); got \"" +
                                      text + "\"");
        }
        if (gap_ns > std::numeric_limits<std::int64_t>::max() - previous_ns) {
          throw std::invalid_argument("expected a trace shorter than 292 years; got \"" + text +
                                      "\" after " + std::to_string(reader.rows_read()) + " rows");
        }
        // The first row's gap has no previous row to count from: it starts the trace.
        return reader.rows_read() == 1 ? 0 : previous_ns + gap_ns;
      }
    }
  } catch (const std::invalid_argument& error) {
    throw ConfigError(reader.location(column),
                      "column \"" + spec.time_column + "\": " + error.what());
  }
  return 0;
}

// Integer-valued ids compare as numbers ("007" is user 7); anything else as a string.
std::string user_key(const std::string& user) {
  try {
    return "#" + std::to_string(parse_integer_in(user, std::numeric_limits<std::int64_t>::min(),
                                                 std::numeric_limits<std::int64_t>::max()));
  } catch (const std::invalid_argument&) {
    return "$" + user;
  }
}

// Checks the trace's length and span, then rescales it to the target rate and sets its loop.
void shape_trace(const TraceSpec& spec, LoadedTrace& loaded) {
  TraceArrivals& trace = loaded.arrivals;
  const std::size_t rows = trace.times_ns.size();
  loaded.rows = rows;
  const SourceLocation file_start{spec.display_name, 0, 0};
  if (rows < 2) {
    throw ConfigError(file_start,
                      "expected a trace of at least 2 rows; got " + std::to_string(rows));
  }
  const SimTime span_ns = trace.times_ns.back();
  loaded.recorded_span_ns = span_ns;
  if (span_ns <= 0) {
    throw ConfigError(file_start, "expected a trace spanning a positive time; all " +
                                      std::to_string(rows) + " rows are at the same time");
  }
  if (spec.target_rate_per_s > 0.0) {
    const double observed_rate_per_s = static_cast<double>(rows - 1) / to_seconds(span_ns);
    const double factor = observed_rate_per_s / spec.target_rate_per_s;
    if (!(static_cast<double>(span_ns) * factor < 9.2e18)) {
      throw ConfigError(
          spec.target_rate_where,
          spec.yaml_path +
              ".rate: expected a rate that keeps the trace shorter than 292 years; got " +
              std::to_string(spec.target_rate_per_s) + "/s");
    }
    // Scaling each time from the start (not each gap) keeps rounding from accumulating.
    for (SimTime& t : trace.times_ns) t = std::llround(static_cast<double>(t) * factor);
  }
  if (spec.loop) {
    const SimTime span = trace.times_ns.back();
    trace.loop_period_ns =
        span + std::llround(static_cast<double>(span) / static_cast<double>(rows - 1));
  }
}

// Each request's service time: its work over the mean work, times the service mean.
void scale_work(const TraceSpec& spec, const std::vector<double>& work, TraceArrivals& trace) {
  double sum = 0.0;
  for (double w : work) sum += w;
  const double mean = sum / static_cast<double>(work.size());
  if (!(mean > 0.0) || !std::isfinite(mean)) {
    throw ConfigError(spec.work_column_where,
                      spec.yaml_path +
                          ".work_column: expected a column whose values have a "
                          "finite mean > 0; got a mean of " +
                          std::to_string(mean) + " in column \"" + spec.work_column + "\"");
  }
  trace.service_s.reserve(work.size());
  for (double w : work) trace.service_s.push_back(w / mean * spec.service_mean_s);
}

}  // namespace

LoadedTrace load_trace(const TraceSpec& spec) {
  csv::Reader reader(spec.path, spec.display_name, spec.file_where, "trace");
  const auto time_column = static_cast<std::size_t>(
      column_of(reader, spec, spec.time_column, "time_column", spec.time_column_where, "time"));
  const int user_column = spec.user_column.empty()
                              ? -1
                              : column_of(reader, spec, spec.user_column, "user_column",
                                          spec.user_column_where, "user");
  const int work_column = spec.work_column.empty()
                              ? -1
                              : column_of(reader, spec, spec.work_column, "work_column",
                                          spec.work_column_where, "work");

  LoadedTrace loaded;
  TraceArrivals& trace = loaded.arrivals;
  trace.source = spec.display_name;
  std::unordered_map<std::string, std::uint64_t> user_ids;
  std::vector<double> work;
  std::int64_t first_ns = 0;
  std::int64_t previous_ns = 0;
  std::string previous_text;
  while (reader.next()) {
    const std::string& text = reader.cell(time_column);
    const std::int64_t time_ns = row_time_ns(spec, reader, time_column, previous_ns);
    if (reader.rows_read() == 1) {
      first_ns = time_ns;
    } else if (time_ns < previous_ns) {
      throw ConfigError(reader.location(time_column),
                        "column \"" + spec.time_column +
                            "\": expected a time >= the previous row's (\"" + previous_text +
                            "\"; times must be nondecreasing); got \"" + text + "\"");
    }
    previous_ns = time_ns;
    previous_text = text;
    trace.times_ns.push_back(time_ns - first_ns);

    if (user_column >= 0) {
      const auto column = static_cast<std::size_t>(user_column);
      const std::string& user = reader.cell(column);
      if (user.empty()) {
        throw ConfigError(reader.location(column),
                          "column \"" + spec.user_column + "\": expected a user id; got \"\"");
      }
      const auto [it, inserted] = user_ids.try_emplace(user_key(user), user_ids.size());
      trace.users.push_back(it->second);
    }
    if (work_column >= 0) {
      const auto column = static_cast<std::size_t>(work_column);
      try {
        work.push_back(parse_number_at_least(reader.cell(column), 0.0, true));
      } catch (const std::invalid_argument& error) {
        throw ConfigError(reader.location(column),
                          "column \"" + spec.work_column + "\": " + error.what());
      }
    }
  }
  reader.require_rows();
  shape_trace(spec, loaded);
  if (user_column >= 0) loaded.user_count = user_ids.size();
  if (work_column >= 0) scale_work(spec, work, trace);
  return loaded;
}

}  // namespace lbsim
