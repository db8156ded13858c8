#pragma once
// The scenario's wall clock (`clock: {start: "2024-05-05 08:00", zone: GMT}`) and timeline
// actions dated by clock time (`at: "08:30"`) instead of a duration from the run start.
//
// Errors: the parsers never throw for bad input. They return std::nullopt and, when `error` is not
// null, store a plain message of the form `expected <what>; got "<text>"` in *error (callers add
// the location and raise ConfigError). On success *error is left untouched.
//
// Time zones are fixed offsets only: g++ 12's library has no time zone database, so IANA names
// ("America/New_York") are rejected with a message suggesting a fixed offset, and abbreviations
// never switch between standard and daylight time (EST is always UTC-5, EDT always UTC-4).
// Offsets follow ISO 8601: "UTC-5" is five hours behind UTC (not the inverted POSIX TZ "EST5").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lbsim {

// Minutes east of UTC for a zone, case-insensitive:
// - "UTC", "GMT", "Z" -> 0;
// - abbreviations EST -300, EDT -240, CST -360, CDT -300, MST -420, MDT -360, PST -480,
//   PDT -420, BST +60, CET +60, CEST +120, EET +120, EEST +180, IST +330 (India), JST +540,
//   AEST +600;
// - an offset "+H", "+HH", "+H:MM", "+HH:MM" or "+HHMM" (sign required, '-' likewise), alone or
//   directly after "UTC" or "GMT": "+05:30", "-0500", "+5", "UTC+2", "GMT-03:30".
// Minutes must be 00-59 and the offset within -14:00..+14:00. No surrounding whitespace.
[[nodiscard]] std::optional<std::int32_t> parse_zone_offset_minutes(std::string_view text,
                                                                    std::string* error);

// A local date and time "YYYY-MM-DD H:MM", with ' ' or 'T' between date and time, optional
// ":SS", and the hour written with one or two digits: "2024-05-05 08:30", "2024-05-05T08:30",
// "2024-05-05 08:30:15". Validated: year 0000-9999, month 01-12, day within the month (Gregorian
// leap years), hour 0-23, minute 00-59, second 00-59 (no leap seconds). Nothing may follow (no
// zone: see parse_clock_time).
// Returns the seconds since 1970-01-01 00:00 of that LOCAL date-time taken as if it were UTC; the
// caller subtracts the zone offset (offset_minutes * 60) to get UTC epoch seconds.
[[nodiscard]] std::optional<std::int64_t> parse_local_datetime(std::string_view text,
                                                               std::string* error);

// A clock time as written in a timeline.
struct ClockTime {
  bool has_date = false;
  std::int64_t local_s = 0;  // has_date: as parse_local_datetime; else seconds since local midnight
  std::optional<std::int32_t> zone_offset_minutes;  // a zone written after the time, if any
};

// A clock time, tokens separated by spaces:
// - a time of day "08:30", "8:30", "08:30:15"; or 12-hour with AM/PM (any case) as the next token
//   or attached: "8:30 AM", "12:45 pm", "1:00PM" (hour 1-12; 12 AM = 00:xx, 12 PM = 12:xx);
// - or a date and such a time: "2024-05-30 10:15", "2024-05-30 1:15 PM";
// - or an ISO 8601 date-time "2024-05-30T10:15[:SS]", which may end in a zone directly
//   ("...T10:15:00Z", "...T10:15:00+02:00", so format_iso8601's output parses back);
// each optionally followed by a space and a zone as in parse_zone_offset_minutes:
// "10:15 EST", "2024-05-30 10:15 UTC-5".
[[nodiscard]] std::optional<ClockTime> parse_clock_time(std::string_view text, std::string* error);

// True if `text` is meant as a clock time rather than a duration such as "45m" or "1h30m":
// it contains ':' (durations never do). A date alone ("2024-05-30") is therefore not a clock time.
[[nodiscard]] bool looks_like_clock_time(std::string_view text);

// Seconds from the run's start to `time`. start_epoch_s: UTC epoch seconds at run time 0;
// offset_minutes: the scenario zone's offset, used when `time` has no zone of its own.
// A time of day means its first occurrence at or after the start, read on the clock of its own
// zone: the result is in [0, 86400) ("00:10" after a 23:50 start is 1200 s). A full date-time is
// exact and may lie before the start: the result is then negative (the caller rejects it).
[[nodiscard]] std::int64_t clock_time_to_run_seconds(const ClockTime& time,
                                                     std::int64_t start_epoch_s,
                                                     std::int32_t offset_minutes);

// UTC epoch seconds shown on the clock of a zone offset_minutes east of UTC, as ISO 8601 with the
// offset: format_iso8601(1714897800, 0) == "2024-05-05T08:30:00+00:00",
// format_iso8601(1714897800, 330) == "2024-05-05T14:00:00+05:30". Years outside 0000-9999 are
// printed with as many digits as they need (and a '-' before year 0).
[[nodiscard]] std::string format_iso8601(std::int64_t epoch_s, std::int32_t offset_minutes);

}  // namespace lbsim
