#include "sim/scenario/clock.hpp"

#include <array>
#include <vector>

namespace lbsim {
namespace {

constexpr std::int64_t kSecondsPerDay = 86'400;
constexpr std::int32_t kMaxOffsetMinutes = 14 * 60;

constexpr std::string_view kZoneExpected =
    "a time zone (UTC, GMT, Z, EST, EDT, CST, CDT, MST, MDT, PST, PDT, BST, CET, CEST, EET, EEST, "
    "IST, JST, AEST, or an offset like +05:30 or UTC-5)";
constexpr std::string_view kDatetimeExpected =
    "a local date and time like 2024-05-05 08:30 or 2024-05-05T08:30:15";
constexpr std::string_view kClockTimeExpected =
    "a clock time like 08:30, 8:30 PM or 2024-05-30 10:15, optionally followed by a time zone";

struct NamedZone {
  std::string_view lower_name;
  std::int32_t offset_minutes;
};

constexpr std::array<NamedZone, 19> kNamedZones = {{
    {"utc", 0},    {"gmt", 0},    {"z", 0},      {"est", -300}, {"edt", -240},
    {"cst", -360}, {"cdt", -300}, {"mst", -420}, {"mdt", -360}, {"pst", -480},
    {"pdt", -420}, {"bst", 60},   {"cet", 60},   {"cest", 120}, {"eet", 120},
    {"eest", 180}, {"ist", 330},  {"jst", 540},  {"aest", 600},
}};

std::string quoted(std::string_view text) {
  // Long values are cut so one bad value cannot flood a message.
  constexpr std::size_t kMaxShown = 60;
  std::string out = "\"";
  out += text.size() > kMaxShown ? std::string(text.substr(0, kMaxShown)) + "..." : text;
  out += '"';
  return out;
}

// Stores `expected <what>; got "<text>"` in *error (if given); converts to any empty optional.
std::nullopt_t fail(std::string* error, std::string_view expected, std::string_view text) {
  if (error != nullptr) *error = "expected " + std::string(expected) + "; got " + quoted(text);
  return std::nullopt;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool all_digits(std::string_view text) {
  for (const char c : text) {
    if (!is_digit(c)) return false;
  }
  return !text.empty();
}

// Value of a string of decimal digits (the caller checked all_digits and a small length).
std::int64_t digits_value(std::string_view digits) {
  std::int64_t value = 0;
  for (const char c : digits) value = value * 10 + (c - '0');
  return value;
}

char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool is_leap_year(std::int64_t year) {
  return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
}

std::int64_t days_in_month(std::int64_t year, std::int64_t month) {
  constexpr std::array<std::int64_t, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap_year(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Days since 1970-01-01 of a proleptic Gregorian date. Howard Hinnant, "chrono-Compatible
// Low-Level Date Algorithms", days_from_civil
// (http://howardhinnant.github.io/date_algorithms.html).
constexpr std::int64_t days_from_civil(std::int64_t year, std::int64_t month, std::int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;  // [0, 399]
  const std::int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;  // [0, 146096]
  return era * 146'097 + day_of_era - 719'468;
}

struct CivilDate {
  std::int64_t year;
  std::int64_t month;
  std::int64_t day;
};

// The inverse: civil_from_days, same source.
constexpr CivilDate civil_from_days(std::int64_t days) {
  days += 719'468;
  const std::int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
  const std::int64_t day_of_era = days - era * 146'097;  // [0, 146096]
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // [0, 365]
  const std::int64_t month_from_march = (5 * day_of_year + 2) / 153;           // [0, 11]
  const std::int64_t day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
  const std::int64_t month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

static_assert(days_from_civil(1970, 1, 1) == 0);
static_assert(days_from_civil(2000, 3, 1) == 11'017);
static_assert(civil_from_days(11'016).day == 29);

// "YYYY-MM-DD" (exactly) as days since 1970-01-01; `whole` is quoted in messages.
std::optional<std::int64_t> parse_date(std::string_view date, std::string_view whole,
                                       std::string_view expected, std::string* error) {
  if (date.size() != 10 || !all_digits(date.substr(0, 4)) || date[4] != '-' ||
      !all_digits(date.substr(5, 2)) || date[7] != '-' || !all_digits(date.substr(8, 2))) {
    return fail(error, expected, whole);
  }
  const std::int64_t year = digits_value(date.substr(0, 4));
  const std::int64_t month = digits_value(date.substr(5, 2));
  const std::int64_t day = digits_value(date.substr(8, 2));
  if (month < 1 || month > 12) return fail(error, "a month 01-12", whole);
  const std::int64_t last_day = days_in_month(year, month);
  if (day < 1 || day > last_day) {
    return fail(
        error,
        "a day 01-" + std::to_string(last_day) + " in month " + std::string(date.substr(0, 7)),
        whole);
  }
  return days_from_civil(year, month, day);
}

struct TimeOfDay {
  std::int64_t hour;  // not yet range-checked: 0-23, or 1-12 with AM/PM
  std::int64_t minute;
  std::int64_t second;
  std::size_t length;  // characters consumed
};

// "H:MM" or "HH:MM", optionally ":SS", at the start of `text`; the shape only.
std::optional<TimeOfDay> scan_time_of_day(std::string_view text) {
  std::size_t hour_digits = 0;
  while (hour_digits < text.size() && hour_digits < 2 && is_digit(text[hour_digits])) {
    ++hour_digits;
  }
  if (hour_digits == 0 || text.size() < hour_digits + 3 || text[hour_digits] != ':' ||
      !all_digits(text.substr(hour_digits + 1, 2))) {
    return std::nullopt;
  }
  TimeOfDay time{digits_value(text.substr(0, hour_digits)),
                 digits_value(text.substr(hour_digits + 1, 2)), 0, hour_digits + 3};
  if (text.size() >= time.length + 3 && text[time.length] == ':' &&
      all_digits(text.substr(time.length + 1, 2))) {
    time.second = digits_value(text.substr(time.length + 1, 2));
    time.length += 3;
  }
  return time;
}

// Minute and second ranges; the hour is checked by the caller (its range depends on AM/PM).
bool minute_and_second_valid(const TimeOfDay& time, std::string_view whole, std::string* error) {
  if (time.minute > 59) {
    fail(error, "minutes 00-59", whole);
    return false;
  }
  if (time.second > 59) {
    fail(error, "seconds 00-59", whole);
    return false;
  }
  return true;
}

enum class Meridiem { kAm, kPm };

std::optional<Meridiem> parse_meridiem(std::string_view text) {
  const std::string lower = ascii_lower(text);
  if (lower == "am") return Meridiem::kAm;
  if (lower == "pm") return Meridiem::kPm;
  return std::nullopt;
}

std::vector<std::string_view> split_on_spaces(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    const std::size_t begin = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > begin) tokens.push_back(text.substr(begin, i - begin));
  }
  return tokens;
}

bool starts_like_date(std::string_view token) {
  return token.size() >= 5 && all_digits(token.substr(0, 4)) && token[4] == '-';
}

bool is_date_time_separator(char c) {
  return c == 'T' || c == 't';
}

std::string two_digits(std::int64_t value) {
  std::string digits = std::to_string(value);
  return digits.size() < 2 ? "0" + digits : digits;
}

}  // namespace

std::optional<std::int32_t> parse_zone_offset_minutes(std::string_view text, std::string* error) {
  if (text.find('/') != std::string_view::npos) {
    return fail(error,
                "a fixed offset like UTC-5 or -05:00 or an abbreviation like EST: IANA zone names "
                "such as America/New_York are not supported (no time zone database), and a fixed "
                "offset does not follow daylight saving time",
                text);
  }
  const std::string lower = ascii_lower(text);
  for (const NamedZone& zone : kNamedZones) {
    if (lower == zone.lower_name) return zone.offset_minutes;
  }
  std::string_view offset = text;
  if (lower.rfind("utc", 0) == 0 || lower.rfind("gmt", 0) == 0) offset.remove_prefix(3);
  if (offset.empty() || (offset[0] != '+' && offset[0] != '-')) {
    return fail(error, kZoneExpected, text);
  }
  const bool west = offset[0] == '-';
  offset.remove_prefix(1);
  std::string_view hours_text;
  std::string_view minutes_text;
  const std::size_t colon = offset.find(':');
  if (colon == 1 || colon == 2) {
    hours_text = offset.substr(0, colon);
    minutes_text = offset.substr(colon + 1);
    if (minutes_text.size() != 2) return fail(error, kZoneExpected, text);
  } else if (colon != std::string_view::npos) {
    return fail(error, kZoneExpected, text);
  } else if (offset.size() == 4) {
    hours_text = offset.substr(0, 2);
    minutes_text = offset.substr(2);
  } else if (offset.size() == 1 || offset.size() == 2) {
    hours_text = offset;
  } else {
    return fail(error, kZoneExpected, text);
  }
  if (!all_digits(hours_text) || (!minutes_text.empty() && !all_digits(minutes_text))) {
    return fail(error, kZoneExpected, text);
  }
  const std::int64_t minutes = minutes_text.empty() ? 0 : digits_value(minutes_text);
  if (minutes > 59) return fail(error, "offset minutes 00-59", text);
  const std::int64_t total_minutes = digits_value(hours_text) * 60 + minutes;
  if (total_minutes > kMaxOffsetMinutes) {
    return fail(error, "a UTC offset within -14:00..+14:00", text);
  }
  return static_cast<std::int32_t>(west ? -total_minutes : total_minutes);
}

std::optional<std::int64_t> parse_local_datetime(std::string_view text, std::string* error) {
  if (text.size() < 11 || (text[10] != ' ' && !is_date_time_separator(text[10]))) {
    return fail(error, kDatetimeExpected, text);
  }
  const std::optional<std::int64_t> days =
      parse_date(text.substr(0, 10), text, kDatetimeExpected, error);
  if (!days) return std::nullopt;
  const std::string_view time_text = text.substr(11);
  const std::optional<TimeOfDay> time = scan_time_of_day(time_text);
  if (!time) return fail(error, kDatetimeExpected, text);
  if (time->length != time_text.size()) {
    return fail(error, std::string(kDatetimeExpected) + " with nothing after the time (no zone)",
                text);
  }
  if (time->hour > 23) return fail(error, "an hour 0-23", text);
  if (!minute_and_second_valid(*time, text, error)) return std::nullopt;
  return *days * kSecondsPerDay + time->hour * 3600 + time->minute * 60 + time->second;
}

std::optional<ClockTime> parse_clock_time(std::string_view text, std::string* error) {
  const std::vector<std::string_view> tokens = split_on_spaces(text);
  if (tokens.empty()) return fail(error, kClockTimeExpected, text);

  ClockTime result;
  std::int64_t days = 0;
  bool iso_form = false;  // "2024-05-30T10:15[:SS][zone]": 24-hour, zone may be attached
  std::string_view time_token = tokens[0];
  std::size_t next = 1;
  if (starts_like_date(tokens[0])) {
    result.has_date = true;
    if (tokens[0].size() > 11 && is_date_time_separator(tokens[0][10])) {
      iso_form = true;
      time_token = tokens[0].substr(11);
    } else if (tokens[0].size() == 10) {
      if (tokens.size() < 2)
        return fail(error, "a time after the date, like 2024-05-30 10:15", text);
      time_token = tokens[1];
      next = 2;
    } else {
      return fail(error, kClockTimeExpected, text);
    }
    const std::optional<std::int64_t> parsed_days =
        parse_date(tokens[0].substr(0, 10), text, kClockTimeExpected, error);
    if (!parsed_days) return std::nullopt;
    days = *parsed_days;
  }

  const std::optional<TimeOfDay> time = scan_time_of_day(time_token);
  if (!time) return fail(error, kClockTimeExpected, text);
  std::optional<Meridiem> meridiem;
  const std::string_view attached = time_token.substr(time->length);
  if (!attached.empty()) {
    if (iso_form &&
        (attached[0] == '+' || attached[0] == '-' || attached[0] == 'Z' || attached[0] == 'z')) {
      result.zone_offset_minutes = parse_zone_offset_minutes(attached, error);
      if (!result.zone_offset_minutes) return std::nullopt;
    } else if (!iso_form) {
      meridiem = parse_meridiem(attached);
      if (!meridiem) return fail(error, kClockTimeExpected, text);
    } else {
      return fail(error, kClockTimeExpected, text);
    }
  }
  if (next < tokens.size() && parse_meridiem(tokens[next])) {
    if (iso_form) return fail(error, "a 24-hour time (no AM or PM) in an ISO 8601 date-time", text);
    if (meridiem) return fail(error, "at most one AM or PM", text);
    meridiem = parse_meridiem(tokens[next]);
    ++next;
  }

  std::int64_t hour = time->hour;
  if (meridiem) {
    if (hour < 1 || hour > 12) return fail(error, "an hour 1-12 with AM or PM", text);
    // 12 AM is midnight and 12 PM is noon.
    hour = hour % 12 + (*meridiem == Meridiem::kPm ? 12 : 0);
  } else if (hour > 23) {
    return fail(error, "an hour 0-23", text);
  }
  if (!minute_and_second_valid(*time, text, error)) return std::nullopt;
  const std::int64_t second_of_day = hour * 3600 + time->minute * 60 + time->second;
  result.local_s = days * kSecondsPerDay + second_of_day;

  if (next < tokens.size()) {
    if (parse_meridiem(tokens[next])) return fail(error, "at most one AM or PM", text);
    if (result.zone_offset_minutes) return fail(error, "at most one time zone", text);
    result.zone_offset_minutes = parse_zone_offset_minutes(tokens[next], error);
    if (!result.zone_offset_minutes) return std::nullopt;
    ++next;
  }
  if (next < tokens.size()) return fail(error, "nothing after the time zone", text);
  return result;
}

bool looks_like_clock_time(std::string_view text) {
  return text.find(':') != std::string_view::npos;
}

std::int64_t clock_time_to_run_seconds(const ClockTime& time, std::int64_t start_epoch_s,
                                       std::int32_t offset_minutes) {
  const std::int64_t zone_offset_s =
      std::int64_t{time.zone_offset_minutes.value_or(offset_minutes)} * 60;
  if (time.has_date) return time.local_s - zone_offset_s - start_epoch_s;
  // The start as a time of day on the clock of the time's own zone; the first occurrence of
  // `time` at or after it is at most one day later.
  const std::int64_t start_local_s = start_epoch_s + zone_offset_s;
  const std::int64_t start_second_of_day =
      start_local_s - floor_div(start_local_s, kSecondsPerDay) * kSecondsPerDay;
  const std::int64_t ahead_s = time.local_s - start_second_of_day;
  return ahead_s < 0 ? ahead_s + kSecondsPerDay : ahead_s;
}

std::string format_iso8601(std::int64_t epoch_s, std::int32_t offset_minutes) {
  const std::int64_t local_s = epoch_s + std::int64_t{offset_minutes} * 60;
  const std::int64_t days = floor_div(local_s, kSecondsPerDay);
  const std::int64_t second_of_day = local_s - days * kSecondsPerDay;
  const CivilDate date = civil_from_days(days);

  std::string out;
  std::string year = std::to_string(date.year < 0 ? -date.year : date.year);
  if (year.size() < 4) year.insert(0, 4 - year.size(), '0');
  if (date.year < 0) out += '-';
  out += year;
  out += '-' + two_digits(date.month) + '-' + two_digits(date.day);
  out += 'T' + two_digits(second_of_day / 3600) + ':' + two_digits(second_of_day / 60 % 60) + ':' +
         two_digits(second_of_day % 60);
  const std::int64_t offset_abs =
      offset_minutes < 0 ? -std::int64_t{offset_minutes} : std::int64_t{offset_minutes};
  out += offset_minutes < 0 ? '-' : '+';
  out += two_digits(offset_abs / 60) + ':' + two_digits(offset_abs % 60);
  return out;
}

}  // namespace lbsim
