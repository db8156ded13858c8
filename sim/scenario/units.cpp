#include "sim/scenario/units.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>

namespace lbsim {
namespace {

std::string quoted(std::string_view text) {
  // Long values are cut so one bad cell cannot flood a message.
  constexpr std::size_t kMaxShown = 60;
  std::string out = "\"";
  out += text.size() > kMaxShown ? std::string(text.substr(0, kMaxShown)) + "..." : text;
  out += '"';
  return out;
}

[[noreturn]] void fail(std::string_view expected, std::string_view text) {
  throw std::invalid_argument("expected " + std::string(expected) + "; got " + quoted(text));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Length of the longest prefix of `text` that matches the number grammar (0 if none).
std::size_t scan_number(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < text.size() && is_digit(text[i])) {
    ++i;
    ++digits;
  }
  if (i < text.size() && text[i] == '.') {
    std::size_t j = i + 1;
    std::size_t fraction_digits = 0;
    while (j < text.size() && is_digit(text[j])) {
      ++j;
      ++fraction_digits;
    }
    if (digits + fraction_digits > 0) {
      i = j;
      digits += fraction_digits;
    }
  }
  if (digits == 0) return 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    std::size_t exponent_digits = 0;
    while (j < text.size() && is_digit(text[j])) {
      ++j;
      ++exponent_digits;
    }
    if (exponent_digits > 0) i = j;
  }
  return i;
}

// "inf", "-.nan", "Infinity", ...: the spellings of non-finite values in YAML and C.
bool looks_non_finite(std::string_view text) {
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) text.remove_prefix(1);
  if (!text.empty() && text[0] == '.') text.remove_prefix(1);
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "inf" || lower == "infinity" || lower == "nan";
}

// Parses a complete match of the number grammar; false on a mismatch or a non-finite result.
bool to_double(std::string_view text, double& value) {
  if (text.empty() || scan_number(text) != text.size()) return false;
  if (text[0] == '+') text.remove_prefix(1);  // from_chars rejects a leading '+'
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && std::isfinite(value);
}

struct UnitEntry {
  std::string_view name;
  SimTime ns;
};

constexpr std::array<UnitEntry, 10> kTimeUnits = {{
    {"ns", kNanosecond},
    {"us", kMicrosecond},
    {"\xC2\xB5s", kMicrosecond},  // U+00B5 MICRO SIGN
    {"\xCE\xBCs", kMicrosecond},  // U+03BC GREEK SMALL LETTER MU
    {"ms", kMillisecond},
    {"s", kSecond},
    {"m", kMinute},
    {"min", kMinute},
    {"h", kHour},
    {"d", 24 * kHour},
}};

constexpr std::string_view kUnitList = "ns, us, ms, s, m, min, h, d";

SimTime find_unit_ns(std::string_view unit) {
  for (const UnitEntry& entry : kTimeUnits) {
    if (entry.name == unit) return entry.ns;
  }
  return 0;
}

}  // namespace

SimTime parse_time_unit_ns(std::string_view unit) {
  const SimTime ns = find_unit_ns(unit);
  if (ns == 0) fail("a time unit (" + std::string(kUnitList) + ")", unit);
  return ns;
}

double parse_finite_number(std::string_view text) {
  double value = 0.0;
  if (!to_double(text, value)) fail("a finite number", text);
  return value;
}

double parse_number_at_least(std::string_view text, double lower, bool inclusive) {
  double value = 0.0;
  const bool ok = to_double(text, value) && (inclusive ? value >= lower : value > lower);
  if (!ok) {
    std::string bound = std::to_string(lower);
    // std::to_string prints 6 decimals; show integers as integers.
    if (lower == std::floor(lower) && std::fabs(lower) < 1e15) {
      bound = std::to_string(static_cast<long long>(lower));
    }
    fail(std::string("a finite number ") + (inclusive ? ">= " : "> ") + bound, text);
  }
  return value;
}

std::int64_t parse_integer_in(std::string_view text, std::int64_t min, std::int64_t max) {
  // Bounds at or past the int32 range are "no bound" to a reader: name them only when hit.
  constexpr std::int64_t kUnbounded = std::numeric_limits<std::int32_t>::max();
  const auto range = [&](bool show_all) {
    const bool show_min = show_all || min > -kUnbounded;
    const bool show_max = show_all || max < kUnbounded;
    if (show_min && show_max) {
      return " in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
    }
    if (show_min) return " >= " + std::to_string(min);
    if (show_max) return " <= " + std::to_string(max);
    return std::string();
  };
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  // After stripping one '+', "+-5" would reach from_chars as "-5": a '-' must start the text.
  const bool well_formed =
      !digits.empty() &&
      (is_digit(digits[0]) || (digits[0] == '-' && digits.data() == text.data())) &&
      error == std::errc() && end == digits.data() + digits.size();
  if (!well_formed) fail("an integer" + range(false), text);
  if (value < min || value > max) {
    const bool huge = (value < min && min <= -kUnbounded) || (value > max && max >= kUnbounded);
    fail("an integer" + range(huge), text);
  }
  return value;
}

std::uint64_t parse_unsigned64(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || !is_digit(digits[0]) || error != std::errc() ||
      end != digits.data() + digits.size()) {
    fail("an integer in [0, 2^64)", text);
  }
  return value;
}

SimTime parse_duration(std::string_view text) {
  // One or more <number><unit> parts, units from larger to smaller: "250ms", "1.5m", "1h30m".
  double total_ns = 0.0;
  SimTime previous_unit_ns = 0;
  std::string_view rest = text;
  do {
    const std::size_t number_length = scan_number(rest);
    const std::string_view number = rest.substr(0, number_length);
    const std::string_view after = rest.substr(number_length);
    if (number_length == 0) {
      if (looks_non_finite(text)) fail("a finite duration with a unit, e.g. 250ms", text);
      fail("a duration with a unit, e.g. 250ms", text);
    }
    std::size_t unit_length = 0;
    while (unit_length < after.size() &&
           std::isdigit(static_cast<unsigned char>(after[unit_length])) == 0 &&
           after[unit_length] != '.' && after[unit_length] != '+' && after[unit_length] != '-') {
      ++unit_length;
    }
    const std::string_view unit = after.substr(0, unit_length);
    if (unit.empty()) fail("a duration with a unit, e.g. 250ms", text);
    if (std::isspace(static_cast<unsigned char>(unit[0])) != 0) {
      fail("a duration with its unit right after the number, e.g. 250ms", text);
    }
    const SimTime unit_ns = find_unit_ns(unit);
    if (unit_ns == 0) {
      fail("a duration with a unit (" + std::string(kUnitList) + "), e.g. 250ms", text);
    }
    if (previous_unit_ns != 0 && unit_ns >= previous_unit_ns) {
      fail("a duration whose parts go from larger to smaller units, e.g. 1h30m", text);
    }
    double value = 0.0;
    if (!to_double(number, value)) fail("a finite duration", text);
    if (value < 0.0) fail("a duration >= 0", text);
    total_ns += value * static_cast<double>(unit_ns);
    // 2^63 ns is about 292 years; SimTime cannot hold more.
    if (!(total_ns < 9.2e18)) fail("a duration below 292 years", text);
    previous_unit_ns = unit_ns;
    rest = after.substr(unit_length);
  } while (!rest.empty());
  return std::llround(total_ns);
}

double parse_rate_per_s(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) fail("a rate like 900/s", text);
  const std::string_view number = text.substr(0, slash);
  const std::string_view unit = text.substr(slash + 1);
  const SimTime unit_ns = find_unit_ns(unit);
  if (unit_ns == 0) fail("a rate like 900/s (per " + std::string(kUnitList) + ")", text);
  double value = 0.0;
  if (!to_double(number, value)) {
    if (looks_non_finite(number) || (!number.empty() && scan_number(number) == number.size())) {
      fail("a finite rate like 900/s", text);
    }
    fail("a rate like 900/s", text);
  }
  if (value < 0.0) fail("a rate >= 0", text);
  // One division of (usually exact) values, so "10/h" is exactly the double nearest 10/3600.
  const double per_s = value * static_cast<double>(kSecond) / static_cast<double>(unit_ns);
  if (!std::isfinite(per_s)) fail("a finite rate like 900/s", text);
  return per_s;
}

double parse_fraction(std::string_view text) {
  constexpr std::string_view kExpected = "a fraction in [0, 1], e.g. 30% or 0.3";
  double value = 0.0;
  if (!text.empty() && text.back() == '%') {
    if (!to_double(text.substr(0, text.size() - 1), value)) fail(kExpected, text);
    value /= 100.0;
  } else if (!to_double(text, value)) {
    fail(kExpected, text);
  }
  if (value < 0.0 || value > 1.0) fail(kExpected, text);
  return value;
}

}  // namespace lbsim
