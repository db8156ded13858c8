// Scenario wall clock: zones, local date-times, timeline clock times, conversion to run time and
// ISO 8601 output. Everything here is integer arithmetic, so every check is exact. Known epoch
// values were computed independently with Python's datetime (UTC).
#include "sim/scenario/clock.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace lbsim {
namespace {

constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 86'400;

bool mentions(const std::string& message, const std::string& part) {
  return message.find(part) != std::string::npos;
}

// The message for a rejected input, or "(accepted)".
std::string zone_error(const std::string& text) {
  std::string error;
  return parse_zone_offset_minutes(text, &error) ? "(accepted)" : error;
}

std::string datetime_error(const std::string& text) {
  std::string error;
  return parse_local_datetime(text, &error) ? "(accepted)" : error;
}

std::string clock_time_error(const std::string& text) {
  std::string error;
  return parse_clock_time(text, &error) ? "(accepted)" : error;
}

std::int64_t local_datetime(const std::string& text) {
  std::string error;
  const std::optional<std::int64_t> seconds = parse_local_datetime(text, &error);
  INFO(text, ": ", error);
  REQUIRE(seconds.has_value());
  return *seconds;
}

ClockTime clock_time(const std::string& text) {
  std::string error;
  const std::optional<ClockTime> time = parse_clock_time(text, &error);
  INFO(text, ": ", error);
  REQUIRE(time.has_value());
  return *time;
}

// Seconds since local midnight of a time of day (fails the test on a date or a zone).
std::int64_t time_of_day_s(const std::string& text) {
  const ClockTime time = clock_time(text);
  INFO(text);
  CHECK_FALSE(time.has_date);
  CHECK_FALSE(time.zone_offset_minutes.has_value());
  return time.local_s;
}

TEST_CASE("clock: local date-times at known epochs") {
  CHECK(local_datetime("1970-01-01 00:00") == 0);
  CHECK(local_datetime("1969-12-31 23:59:59") == -1);
  CHECK(local_datetime("2024-05-05 08:30") == 1'714'897'800);
  CHECK(local_datetime("2024-05-05T08:30") == 1'714'897'800);
  CHECK(local_datetime("2024-05-05t08:30") == 1'714'897'800);
  CHECK(local_datetime("2024-05-05 8:30") == 1'714'897'800);
  CHECK(local_datetime("2024-05-05 08:30:15") == 1'714'897'815);
  CHECK(local_datetime("2024-02-29 00:00") == 1'709'164'800);  // leap day (divisible by 4)
  CHECK(local_datetime("2024-03-01 00:00") == 1'709'164'800 + kDay);
  CHECK(local_datetime("2000-02-29 00:00") == 951'782'400);  // leap: divisible by 400
  CHECK(local_datetime("2024-12-31 23:59:59") == 1'735'689'599);
}

TEST_CASE("clock: impossible dates and times are rejected with the reason") {
  CHECK(mentions(datetime_error("2023-02-29 00:00"), "expected a day 01-28 in month 2023-02"));
  // 1900 is divisible by 100 but not by 400: not a leap year.
  CHECK(mentions(datetime_error("1900-02-29 00:00"), "expected a day 01-28 in month 1900-02"));
  CHECK(mentions(datetime_error("2024-04-31 00:00"), "expected a day 01-30"));
  CHECK(mentions(datetime_error("2024-01-00 00:00"), "expected a day 01-31"));
  CHECK(mentions(datetime_error("2024-13-01 00:00"), "expected a month 01-12"));
  CHECK(mentions(datetime_error("2024-00-01 00:00"), "expected a month 01-12"));
  CHECK(mentions(datetime_error("2024-05-05 24:00"), "expected an hour 0-23"));
  CHECK(mentions(datetime_error("2024-05-05 08:60"), "expected minutes 00-59"));
  CHECK(mentions(datetime_error("2024-05-05 08:30:60"), "expected seconds 00-59"));
  CHECK(mentions(datetime_error("2024-05-05 08:30 UTC"), "nothing after the time"));
  for (const char* text :
       {"", "2024-05-05", "2024-5-5 08:30", "24-05-05 08:30", "2024-05-05  08:30",
        "2024-05-05 0830", "2024-05-05 08:3", "2024-05-05 08:30:1", "2024/05/05 08:30",
        " 2024-05-05 08:30", "2024-05-05 08:30:15.5"}) {
    INFO(text);
    CHECK(mentions(datetime_error(text), "expected a local date and time like 2024-05-05 08:30"));
  }
  // The error pointer is optional.
  CHECK_FALSE(parse_local_datetime("2023-02-29 00:00", nullptr).has_value());
}

TEST_CASE("clock: every day 1900-2100 formats back to itself, one day apart") {
  // An independent round trip of days_from_civil through civil_from_days over 73,414 consecutive
  // days, including the non-leap 1900 and 2100 and the leap 2000.
  std::int64_t previous_s = local_datetime("1899-12-31 00:00");
  int days_checked = 0;
  for (int year = 1900; year <= 2100; ++year) {
    for (int month = 1; month <= 12; ++month) {
      for (int day = 1; day <= 31; ++day) {
        std::array<char, 32> buffer{};
        std::snprintf(buffer.data(), buffer.size(), "%04d-%02d-%02d 00:00", year, month, day);
        const std::string text(buffer.data());
        const std::optional<std::int64_t> seconds = parse_local_datetime(text, nullptr);
        const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        const int month_days = month == 2 ? (leap ? 29 : 28)
                               : (month == 4 || month == 6 || month == 9 || month == 11) ? 30
                                                                                         : 31;
        if (day > month_days) {
          CHECK_FALSE(seconds.has_value());
          continue;
        }
        REQUIRE(seconds.has_value());
        ++days_checked;
        if (*seconds != previous_s + kDay) FAIL_CHECK(text, " is not one day after the previous");
        const std::string iso = format_iso8601(*seconds, 0);
        if (iso.substr(0, 10) != text.substr(0, 10)) {
          FAIL_CHECK(text, " formats as ", iso);
        }
        previous_s = *seconds;
      }
    }
  }
  CHECK(days_checked == 73'414);
}

TEST_CASE("clock: zone names and offsets") {
  CHECK(parse_zone_offset_minutes("UTC", nullptr) == 0);
  CHECK(parse_zone_offset_minutes("GMT", nullptr) == 0);
  CHECK(parse_zone_offset_minutes("Z", nullptr) == 0);
  CHECK(parse_zone_offset_minutes("z", nullptr) == 0);
  CHECK(parse_zone_offset_minutes("EST", nullptr) == -300);
  CHECK(parse_zone_offset_minutes("est", nullptr) == -300);
  CHECK(parse_zone_offset_minutes("EDT", nullptr) == -240);
  CHECK(parse_zone_offset_minutes("CST", nullptr) == -360);
  CHECK(parse_zone_offset_minutes("CDT", nullptr) == -300);
  CHECK(parse_zone_offset_minutes("MST", nullptr) == -420);
  CHECK(parse_zone_offset_minutes("MDT", nullptr) == -360);
  CHECK(parse_zone_offset_minutes("PST", nullptr) == -480);
  CHECK(parse_zone_offset_minutes("Pdt", nullptr) == -420);
  CHECK(parse_zone_offset_minutes("BST", nullptr) == 60);
  CHECK(parse_zone_offset_minutes("CET", nullptr) == 60);
  CHECK(parse_zone_offset_minutes("CEST", nullptr) == 120);
  CHECK(parse_zone_offset_minutes("EET", nullptr) == 120);
  CHECK(parse_zone_offset_minutes("EEST", nullptr) == 180);
  CHECK(parse_zone_offset_minutes("IST", nullptr) == 330);
  CHECK(parse_zone_offset_minutes("JST", nullptr) == 540);
  CHECK(parse_zone_offset_minutes("AEST", nullptr) == 600);

  CHECK(parse_zone_offset_minutes("+05:30", nullptr) == 330);
  CHECK(parse_zone_offset_minutes("+0530", nullptr) == 330);
  CHECK(parse_zone_offset_minutes("-0500", nullptr) == -300);
  CHECK(parse_zone_offset_minutes("-05", nullptr) == -300);
  CHECK(parse_zone_offset_minutes("+5", nullptr) == 300);
  CHECK(parse_zone_offset_minutes("-3:30", nullptr) == -210);
  CHECK(parse_zone_offset_minutes("+00:00", nullptr) == 0);
  CHECK(parse_zone_offset_minutes("UTC+2", nullptr) == 120);
  CHECK(parse_zone_offset_minutes("UTC-5", nullptr) == -300);
  CHECK(parse_zone_offset_minutes("utc-5", nullptr) == -300);
  CHECK(parse_zone_offset_minutes("GMT-03:30", nullptr) == -210);
  CHECK(parse_zone_offset_minutes("UTC+0545", nullptr) == 345);
  CHECK(parse_zone_offset_minutes("+14:00", nullptr) == 840);  // the bounds are inclusive
  CHECK(parse_zone_offset_minutes("-14:00", nullptr) == -840);
}

TEST_CASE("clock: bad zones are rejected with what was expected") {
  const std::string iana = zone_error("America/New_York");
  CHECK(mentions(iana, "IANA zone names"));
  CHECK(mentions(iana, "not supported"));
  CHECK(mentions(iana, "fixed offset like UTC-5 or -05:00"));
  CHECK(mentions(iana, "got \"America/New_York\""));

  CHECK(mentions(zone_error("+15:00"), "expected a UTC offset within -14:00..+14:00"));
  CHECK(mentions(zone_error("-14:01"), "expected a UTC offset within -14:00..+14:00"));
  CHECK(mentions(zone_error("UTC+15"), "expected a UTC offset within -14:00..+14:00"));
  CHECK(mentions(zone_error("+05:60"), "expected offset minutes 00-59"));

  const std::string full_list =
      "expected a time zone (UTC, GMT, Z, EST, EDT, CST, CDT, MST, MDT, PST, PDT, BST, CET, CEST, "
      "EET, EEST, IST, JST, AEST, or an offset like +05:30 or UTC-5)";
  CHECK(zone_error("XYZ") == full_list + "; got \"XYZ\"");
  for (const char* text : {"", "5", "0530", "UTC5", "UTC+", "+", "+123", "+05:3", "+05:300",
                           "+5:30:00", "+05-30", "+a", " UTC", "UTC ", "utc+-5", "UTC+02:00Z"}) {
    INFO('"', text, '"');
    CHECK(mentions(zone_error(text), full_list));
  }
}

TEST_CASE("clock: times of day, 24-hour and 12-hour") {
  CHECK(time_of_day_s("00:00") == 0);
  CHECK(time_of_day_s("08:30") == 8 * kHour + 30 * 60);
  CHECK(time_of_day_s("8:30") == 8 * kHour + 30 * 60);
  CHECK(time_of_day_s("08:30:15") == 8 * kHour + 30 * 60 + 15);
  CHECK(time_of_day_s("23:59:59") == kDay - 1);
  // 12 AM is midnight, 12 PM is noon.
  CHECK(time_of_day_s("12:00 AM") == 0);
  CHECK(time_of_day_s("12:59 am") == 59 * 60);
  CHECK(time_of_day_s("12:30 PM") == 45'000);
  CHECK(time_of_day_s("12:45 pm") == 45'900);
  CHECK(time_of_day_s("1:00 PM") == 13 * kHour);
  CHECK(time_of_day_s("1:00PM") == 13 * kHour);
  CHECK(time_of_day_s("8:30 AM") == 8 * kHour + 30 * 60);
  CHECK(time_of_day_s("11:59:59 PM") == kDay - 1);
  CHECK(time_of_day_s("  8:30   pm ") == 20 * kHour + 30 * 60);  // extra spaces are harmless
}

TEST_CASE("clock: clock times with dates and zones") {
  const ClockTime eastern = clock_time("10:15 EST");
  CHECK_FALSE(eastern.has_date);
  CHECK(eastern.local_s == 10 * kHour + 15 * 60);
  CHECK(eastern.zone_offset_minutes == -300);

  const ClockTime pm_with_zone = clock_time("1:15 PM UTC+2");
  CHECK(pm_with_zone.local_s == 13 * kHour + 15 * 60);
  CHECK(pm_with_zone.zone_offset_minutes == 120);

  const ClockTime dated = clock_time("2024-05-30 10:15 UTC-5");
  CHECK(dated.has_date);
  CHECK(dated.local_s == 1'717'064'100);  // 2024-05-30 10:15 taken as UTC
  CHECK(dated.zone_offset_minutes == -300);

  const ClockTime dated_no_zone = clock_time("2024-05-30 10:15");
  CHECK(dated_no_zone.has_date);
  CHECK(dated_no_zone.local_s == 1'717'064'100);
  CHECK_FALSE(dated_no_zone.zone_offset_minutes.has_value());

  CHECK(clock_time("2024-05-30 1:15 pm").local_s == 1'717'064'100 + 3 * kHour);
  CHECK(clock_time("2024-05-30T10:15").local_s == 1'717'064'100);
  CHECK(clock_time("2024-05-30T10:15:00Z").zone_offset_minutes == 0);
  CHECK(clock_time("2024-05-30T10:15:00+05:30").zone_offset_minutes == 330);
  CHECK(clock_time("2024-05-30T10:15:00-0300").zone_offset_minutes == -180);
  CHECK(clock_time("2024-05-30T10:15 JST").zone_offset_minutes == 540);
}

TEST_CASE("clock: malformed clock times are rejected with a message") {
  CHECK(mentions(clock_time_error("25:00"), "expected an hour 0-23"));
  CHECK(mentions(clock_time_error("8:60"), "expected minutes 00-59"));
  CHECK(mentions(clock_time_error("8:30:60"), "expected seconds 00-59"));
  CHECK(mentions(clock_time_error("08:30 XYZ"), "expected a time zone (UTC, GMT, Z, EST"));
  CHECK(mentions(clock_time_error("2024-13-01 00:00"), "expected a month 01-12"));
  CHECK(mentions(clock_time_error("2023-02-29 00:00"), "expected a day 01-28"));
  CHECK(mentions(clock_time_error(""), "expected a clock time like 08:30"));
  CHECK(mentions(clock_time_error("8:30 AM PM"), "expected at most one AM or PM"));
  CHECK(mentions(clock_time_error("8:30am PM"), "expected at most one AM or PM"));
  CHECK(mentions(clock_time_error("13:00 PM"), "expected an hour 1-12 with AM or PM"));
  CHECK(mentions(clock_time_error("0:30 AM"), "expected an hour 1-12 with AM or PM"));
  CHECK(mentions(clock_time_error("10:15 America/New_York"), "IANA zone names"));
  CHECK(mentions(clock_time_error("10:15 UTC EST"), "expected nothing after the time zone"));
  CHECK(mentions(clock_time_error("2024-05-30T10:15Z UTC"), "expected at most one time zone"));
  CHECK(mentions(clock_time_error("2024-05-30T10:15 PM"), "no AM or PM"));
  CHECK(mentions(clock_time_error("2024-05-30"), "expected a time after the date"));
  for (const char* text : {"   ", "8", "830", "8:3", "123:00", "08:30x", "08:30Z", "08h30",
                           "2024-05-30T", "2024-05-30x10:15", "2024-05-30 10:15x",
                           "2024-05-30T10:15 :00", "-08:30", "8:30:15.5", "EST 10:15"}) {
    INFO('"', text, '"');
    const std::string error = clock_time_error(text);
    CHECK(error != "(accepted)");
    CHECK(mentions(error, "expected "));
  }
}

TEST_CASE("clock: a time of day is its first occurrence at or after the start") {
  const std::int64_t start_2350_s = local_datetime("2024-05-05 23:50");  // GMT
  CHECK(clock_time_to_run_seconds(clock_time("00:10"), start_2350_s, 0) == 1200);
  CHECK(clock_time_to_run_seconds(clock_time("23:50"), start_2350_s, 0) == 0);
  CHECK(clock_time_to_run_seconds(clock_time("23:49:59"), start_2350_s, 0) == kDay - 1);

  // Scenario clock GMT, start 2024-05-30 14:00 UTC; "10:15 EST" is 15:15 UTC.
  const std::int64_t start_1400_utc_s = local_datetime("2024-05-30 14:00");
  CHECK(start_1400_utc_s == 1'717'077'600);
  CHECK(clock_time_to_run_seconds(clock_time("10:15 EST"), start_1400_utc_s, 0) == 4500);
  CHECK(clock_time_to_run_seconds(clock_time("15:15"), start_1400_utc_s, 0) == 4500);
  // The same start on a scenario clock of UTC+2 (16:00 local): a bare 15:15 is tomorrow's.
  CHECK(clock_time_to_run_seconds(clock_time("15:15"), start_1400_utc_s, 120) == kDay - 45 * 60);
  CHECK(clock_time_to_run_seconds(clock_time("4:30 PM"), start_1400_utc_s, 120) == 30 * 60);
  // A zone of its own overrides the scenario zone: 15:15 GMT is 1 h 15 min after 14:00 UTC.
  CHECK(clock_time_to_run_seconds(clock_time("15:15 GMT"), start_1400_utc_s, 120) == 4500);

  // A start before the epoch still wraps correctly (floor, not truncation, of negative seconds).
  const std::int64_t start_1969_s = local_datetime("1969-12-31 23:00");
  CHECK(clock_time_to_run_seconds(clock_time("00:30"), start_1969_s, 0) == 90 * 60);
}

TEST_CASE("clock: a full date-time is exact and may lie before the start") {
  // Scenario clock EST, start 2024-05-30 08:00 EST = 13:00 UTC.
  const std::int32_t est_minutes = -300;
  const std::int64_t start_s = local_datetime("2024-05-30 08:00") - est_minutes * 60;
  CHECK(clock_time_to_run_seconds(clock_time("2024-05-30 09:30"), start_s, est_minutes) == 5400);
  CHECK(clock_time_to_run_seconds(clock_time("2024-05-31 08:00"), start_s, est_minutes) == kDay);
  CHECK(clock_time_to_run_seconds(clock_time("2024-05-30 07:59"), start_s, est_minutes) == -60);
  CHECK(clock_time_to_run_seconds(clock_time("2024-05-29 08:00"), start_s, est_minutes) == -kDay);
  // With its own zone: 13:00 UTC is the start itself.
  CHECK(clock_time_to_run_seconds(clock_time("2024-05-30 13:00 UTC"), start_s, est_minutes) == 0);
  CHECK(clock_time_to_run_seconds(clock_time("2024-05-30T14:00:00+01:00"), start_s, est_minutes) ==
        0);
}

TEST_CASE("clock: format_iso8601 and its round trip") {
  CHECK(format_iso8601(0, 0) == "1970-01-01T00:00:00+00:00");
  CHECK(format_iso8601(-1, 0) == "1969-12-31T23:59:59+00:00");
  CHECK(format_iso8601(1'714'897'800, 0) == "2024-05-05T08:30:00+00:00");
  CHECK(format_iso8601(1'714'897'800, 330) == "2024-05-05T14:00:00+05:30");
  CHECK(format_iso8601(1'714'897'800, -300) == "2024-05-05T03:30:00-05:00");
  CHECK(format_iso8601(1'714'897'800, -570) == "2024-05-04T23:00:00-09:30");  // crosses midnight
  CHECK(format_iso8601(951'782'400 + 45'296, 0) == "2000-02-29T12:34:56+00:00");

  // Formatted output parses back (as a clock time with its zone) to the same instant, for zones
  // on both sides of UTC; the run start is arbitrary.
  const std::int64_t start_s = 1'700'000'000;
  for (const std::int32_t offset_minutes : {0, 330, -300, 840, -840, -210}) {
    for (const std::int64_t epoch_s : {std::int64_t{1'714'897'815}, std::int64_t{951'868'799},
                                       std::int64_t{-86'401}, std::int64_t{4'102'444'800}}) {
      const std::string iso = format_iso8601(epoch_s, offset_minutes);
      INFO(iso);
      const ClockTime parsed = clock_time(iso);
      CHECK(parsed.zone_offset_minutes == offset_minutes);
      CHECK(clock_time_to_run_seconds(parsed, start_s, 0) == epoch_s - start_s);
    }
  }
}

TEST_CASE("clock: looks_like_clock_time tells clock times from durations") {
  CHECK(looks_like_clock_time("08:30"));
  CHECK(looks_like_clock_time("8:30 PM"));
  CHECK(looks_like_clock_time("2024-05-30 10:15 EST"));
  CHECK_FALSE(looks_like_clock_time("45m"));
  CHECK_FALSE(looks_like_clock_time("1h30m"));
  CHECK_FALSE(looks_like_clock_time("2024-05-30"));
  CHECK_FALSE(looks_like_clock_time(""));
}

}  // namespace
}  // namespace lbsim
