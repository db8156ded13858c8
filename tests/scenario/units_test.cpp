// Unit parsers: every unit, fractions, and the malformed forms we reject. All results compare
// exactly: each value is an integer number of ns, or a correctly rounded double product/quotient.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "sim/scenario/scenario.hpp"

namespace lbsim {
namespace {

std::string error_of_duration(const std::string& text) {
  try {
    (void)parse_duration(text);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "(no error)";
}

std::string error_of_rate(const std::string& text) {
  try {
    (void)parse_rate_per_s(text);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "(no error)";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST_CASE("parse_duration accepts every unit") {
  CHECK(parse_duration("1ns") == 1);
  CHECK(parse_duration("1us") == 1'000);
  CHECK(parse_duration("1\xC2\xB5s") == 1'000);  // U+00B5 MICRO SIGN
  CHECK(parse_duration("1\xCE\xBCs") == 1'000);  // U+03BC GREEK SMALL LETTER MU
  CHECK(parse_duration("250ms") == 250 * kMillisecond);
  CHECK(parse_duration("5s") == 5 * kSecond);
  CHECK(parse_duration("90s") == 90 * kSecond);
  CHECK(parse_duration("1.5m") == 90 * kSecond);
  CHECK(parse_duration("2min") == 2 * kMinute);
  CHECK(parse_duration("2h") == 2 * kHour);
  CHECK(parse_duration("1d") == 24 * kHour);
  CHECK(parse_duration("0s") == 0);
  CHECK(parse_duration("0.5ms") == 500'000);
  CHECK(parse_duration(".5s") == 500 * kMillisecond);
  CHECK(parse_duration("1e3ms") == kSecond);
  CHECK(parse_duration("+5s") == 5 * kSecond);
  CHECK(parse_duration("0.1s") == 100 * kMillisecond);  // 0.1 * 1e9 rounds to the integer
  CHECK(parse_duration("1.4ns") == 1);                  // rounded to the nearest ns
  CHECK(parse_duration("100000d") == 100'000 * 24 * kHour);
}

TEST_CASE("parse_duration adds parts from larger to smaller units") {
  CHECK(parse_duration("1h30m") == 90 * kMinute);
  CHECK(parse_duration("8h35m") == 8 * kHour + 35 * kMinute);
  CHECK(parse_duration("2m30.5s") == 150'500 * kMillisecond);
  CHECK(parse_duration("1d2h3m4s5ms6us7ns") ==
        24 * kHour + 2 * kHour + 3 * kMinute + 4 * kSecond + 5 * kMillisecond + 6'000 + 7);
  CHECK(parse_duration("1min30s") == 90 * kSecond);
  CHECK(contains(error_of_duration("30m1h"), "from larger to smaller units, e.g. 1h30m"));
  CHECK(contains(error_of_duration("1h1h"), "from larger to smaller units"));
  CHECK(contains(error_of_duration("1m1min"), "from larger to smaller units"));  // same unit
  CHECK(contains(error_of_duration("1h30"), "expected a duration with a unit, e.g. 250ms"));
  CHECK(contains(error_of_duration("1h 30m"), "expected a duration with a unit"));
  CHECK(contains(error_of_duration("1h-30m"), "expected a duration >= 0"));
}

TEST_CASE("parse_duration rejects numbers without units, spaces, negatives, non-finite, garbage") {
  CHECK(contains(error_of_duration("5"), "expected a duration with a unit, e.g. 250ms; got \"5\""));
  CHECK(contains(error_of_duration(""), "expected a duration with a unit"));
  CHECK(contains(error_of_duration("5 s"), "unit right after the number"));
  CHECK(contains(error_of_duration(" 5s"), "expected a duration with a unit"));
  CHECK(contains(error_of_duration("5s "), "expected a duration with a unit (ns, us"));
  CHECK(contains(error_of_duration("-5s"), "expected a duration >= 0; got \"-5s\""));
  CHECK(contains(error_of_duration("nan"), "finite"));
  CHECK(contains(error_of_duration("inf"), "finite"));
  CHECK(contains(error_of_duration(".inf"), "finite"));
  CHECK(contains(error_of_duration("1e400s"), "finite"));
  CHECK(contains(error_of_duration("5x"), "(ns, us, ms, s, m, min, h, d)"));
  CHECK(contains(error_of_duration("5ss"), "expected a duration with a unit"));
  CHECK(contains(error_of_duration("5S"), "expected a duration with a unit"));  // case matters
  CHECK(contains(error_of_duration("s"), "expected a duration with a unit"));
  CHECK(contains(error_of_duration("0x10s"), "expected a duration with a unit"));
  CHECK(contains(error_of_duration("1,5s"), "expected a duration with a unit"));
  CHECK(contains(error_of_duration("1e8d"), "below 292 years"));
}

TEST_CASE("parse_rate_per_s accepts every unit") {
  CHECK(parse_rate_per_s("900/s") == 900.0);
  CHECK(parse_rate_per_s("54000/min") == 900.0);
  CHECK(parse_rate_per_s("54000/m") == 900.0);
  CHECK(parse_rate_per_s("3/ms") == 3000.0);
  CHECK(parse_rate_per_s("1/us") == 1e6);
  CHECK(parse_rate_per_s("2/ns") == 2e9);
  CHECK(parse_rate_per_s("3600/h") == 1.0);
  CHECK(parse_rate_per_s("10/h") ==
        10.0 / 3600.0);  // 1e10 / 3.6e12: one correctly rounded division
  CHECK(parse_rate_per_s("86400/d") == 1.0);
  CHECK(parse_rate_per_s("0.5/s") == 0.5);
  CHECK(parse_rate_per_s("0/s") == 0.0);
}

TEST_CASE("parse_rate_per_s rejects bare numbers, bad units, negatives, non-finite") {
  CHECK(contains(error_of_rate("900"), "expected a rate like 900/s; got \"900\""));
  CHECK(contains(error_of_rate("900/"), "expected a rate like 900/s"));
  CHECK(contains(error_of_rate("/s"), "expected a rate like 900/s"));
  CHECK(contains(error_of_rate("900/sec"), "expected a rate like 900/s"));
  CHECK(contains(error_of_rate("900 /s"), "expected a rate like 900/s"));
  CHECK(contains(error_of_rate("-1/s"), "expected a rate >= 0"));
  CHECK(contains(error_of_rate("inf/s"), "finite"));
  CHECK(contains(error_of_rate(".nan/s"), "finite"));
  CHECK(contains(error_of_rate("1e400/s"), "finite"));
  CHECK(contains(error_of_rate("1e300/ns"), "finite"));  // 1e309 per second overflows
}

TEST_CASE("parse_fraction takes percentages and plain fractions in [0, 1]") {
  CHECK(parse_fraction("30%") == 0.3);  // 30 / 100 is correctly rounded to the double 0.3
  CHECK(parse_fraction("0.3") == 0.3);
  CHECK(parse_fraction("0%") == 0.0);
  CHECK(parse_fraction("100%") == 1.0);
  CHECK(parse_fraction("1") == 1.0);
  CHECK(parse_fraction("12.5%") == 0.125);
  for (const char* bad : {"150%", "-1%", "1.5", "-0.1", "abc", "%", "nan%", "30 %", "", "inf"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS((void)parse_fraction(bad),
                         doctest::Contains("expected a fraction in [0, 1], e.g. 30% or 0.3"),
                         std::invalid_argument);
  }
}

TEST_CASE("integers and numbers follow one strict grammar") {
  CHECK(parse_integer_in("42", 1, 100) == 42);
  CHECK(parse_integer_in("+7", 1, 100) == 7);
  CHECK(parse_integer_in("-3", -5, 5) == -3);
  CHECK_THROWS_WITH((void)parse_integer_in("zero", 1, std::numeric_limits<std::int64_t>::max()),
                    "expected an integer >= 1; got \"zero\"");
  CHECK_THROWS_WITH((void)parse_integer_in("101", 1, 100),
                    "expected an integer in [1, 100]; got \"101\"");
  for (const char* bad : {"1.0", "1e3", "", " 1", "+-1", "--1", "0x10", "99999999999999999999"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS((void)parse_integer_in(bad, -1000, 1000), std::invalid_argument);
  }
  CHECK(parse_unsigned64("0") == 0);
  CHECK(parse_unsigned64("18446744073709551615") == UINT64_MAX);
  CHECK_THROWS_WITH((void)parse_unsigned64("18446744073709551616"),
                    "expected an integer in [0, 2^64); got \"18446744073709551616\"");
  CHECK_THROWS_AS((void)parse_unsigned64("-1"), std::invalid_argument);

  CHECK(parse_finite_number("-2.5e-3") == -2.5e-3);
  CHECK(parse_number_at_least("0", 0.0, true) == 0.0);
  CHECK_THROWS_WITH((void)parse_number_at_least("0", 0.0, false),
                    "expected a finite number > 0; got \"0\"");
  CHECK_THROWS_WITH((void)parse_number_at_least(".inf", 0.0, false),
                    "expected a finite number > 0; got \".inf\"");
  CHECK_THROWS_AS((void)parse_finite_number("nan"), std::invalid_argument);
  CHECK_THROWS_AS((void)parse_finite_number("1e999"), std::invalid_argument);
  CHECK(parse_finite_number("1.") == 1.0);  // YAML reads "1." as a float too
}

TEST_CASE("time units for CSV columns") {
  CHECK(parse_time_unit_ns("s") == kSecond);
  CHECK(parse_time_unit_ns("us") == kMicrosecond);
  CHECK_THROWS_WITH((void)parse_time_unit_ns("sec"),
                    "expected a time unit (ns, us, ms, s, m, min, h, d); got \"sec\"");
}

}  // namespace
}  // namespace lbsim
