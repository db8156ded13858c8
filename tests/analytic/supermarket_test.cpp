// The supermarket (power-of-d-choices) mean-field formulas against direct summation of the closed
// form, M/M/1, and the fixed-point equations they come from.
#include "sim/analytic/supermarket.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "sim/analytic/queueing.hpp"

namespace lbsim::analytic {
namespace {

bool close_relative(double actual, double expected, double tolerance) {
  return std::abs(actual - expected) <= tolerance * std::abs(expected);
}

// sum_{i>=1} rho^{(d^i - 1)/(d - 1)} evaluated from the exponent directly (not by the library's
// recurrence), in long double, over i = 1..40: for d >= 2 the terms past i = 30 are below
// rho^{2^29}, zero in long double for every rho <= 0.999.
long double direct_mean_number(int choices, long double rho) {
  long double sum = 0.0L;
  for (int i = 1; i <= 40; ++i) {
    const long double exponent = (std::pow(static_cast<long double>(choices), i) - 1.0L) /
                                 static_cast<long double>(choices - 1);
    sum += std::pow(rho, exponent);
  }
  return sum;
}

TEST_CASE("d = 1 is M/M/1") {
  for (const double rho : {0.1, 0.5, 0.9, 0.999}) {
    CAPTURE(rho);
    const double service_rate = 4.0;
    CHECK(close_relative(supermarket_mean_response_s(1, rho, service_rate),
                         mm1_mean_response_s(rho * service_rate, service_rate), 1e-13));
    for (const int i : {0, 1, 2, 7, 50}) {
      CHECK(close_relative(supermarket_fraction_at_least(1, rho, i), std::pow(rho, i), 1e-15));
    }
  }
}

TEST_CASE("d = 2, rho = 0.9: mean response 2.6141 / mu") {
  // Direct summation: s_1..s_6 = 0.9, 0.9^3, 0.9^7, 0.9^15, 0.9^31, 0.9^63, ... sum to 2.35265,
  // so T = 2.35265 / 0.9 = 2.61406 in units of 1/mu (the d = 2, lambda = 0.9 prediction of
  // Mitzenmacher 2001). Against M/M/1's 10 / mu this is the "exponential improvement".
  const double expected = static_cast<double>(direct_mean_number(2, 0.9L) / 0.9L);
  CHECK(close_relative(supermarket_mean_response_s(2, 0.9, 1.0), expected, 1e-14));
  CHECK(std::abs(supermarket_mean_response_s(2, 0.9, 1.0) - 2.61406) < 1e-5);
  // Units: with mu = 50 per second the time is 2.61406 / 50 s.
  CHECK(close_relative(supermarket_mean_response_s(2, 0.9, 50.0), expected / 50.0, 1e-14));
}

TEST_CASE("general d and rho match direct summation of the closed form") {
  // Double-precision pow of the closed form vs the library's recurrence s_i = rho s_{i-1}^d:
  // each s_i carries a relative error of ~i * d * 1e-16, so 1e-13 relative on the sum.
  for (const int d : {2, 3, 5, 10}) {
    for (const double rho : {0.3, 0.7, 0.95, 0.999}) {
      CAPTURE(d);
      CAPTURE(rho);
      CHECK(close_relative(supermarket_mean_number_per_server(d, rho),
                           static_cast<double>(direct_mean_number(d, rho)), 1e-13));
      for (const int i : {0, 1, 2, 3, 4}) {
        const double exponent = (std::pow(d, i) - 1.0) / (d - 1);
        CHECK(close_relative(supermarket_fraction_at_least(d, rho, i), std::pow(rho, exponent),
                             1e-13));
      }
    }
  }
}

TEST_CASE("the tail fractions are the fixed point of the mean-field equations") {
  // The mean-field equations of Mitzenmacher 2001, ds_i/dt = lambda (s_{i-1}^d - s_i^d)
  // - mu (s_i - s_{i+1}) for i >= 1 (here mu = 1, lambda = rho), must have zero drift at the
  // fixed point. Terms are <= 1, so the residual is a few ulps.
  for (const int d : {2, 3}) {
    const double rho = 0.85;
    for (int i = 1; i <= 8; ++i) {
      const double previous = supermarket_fraction_at_least(d, rho, i - 1);
      const double current = supermarket_fraction_at_least(d, rho, i);
      const double next = supermarket_fraction_at_least(d, rho, i + 1);
      const double drift = rho * (std::pow(previous, d) - std::pow(current, d)) - (current - next);
      CAPTURE(d);
      CAPTURE(i);
      CHECK(std::abs(drift) < 1e-15);
    }
  }
}

TEST_CASE("more choices never hurt, and the gain shrinks after d = 2") {
  const double rho = 0.95;
  const double d1 = supermarket_mean_response_s(1, rho, 1.0);
  const double d2 = supermarket_mean_response_s(2, rho, 1.0);
  const double d3 = supermarket_mean_response_s(3, rho, 1.0);
  CHECK(d2 < d1);
  CHECK(d3 < d2);
  CHECK(d1 - d2 > 10.0 * (d2 - d3));
  // Deep in the tail the fraction underflows to exactly 0 without looping forever.
  CHECK(supermarket_fraction_at_least(2, 0.5, 2'000'000'000) == 0.0);
}

TEST_CASE("invalid inputs throw") {
  CHECK_THROWS_AS((void)supermarket_mean_number_per_server(0, 0.5), std::invalid_argument);
  CHECK_THROWS_AS((void)supermarket_mean_number_per_server(2, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)supermarket_mean_number_per_server(2, 0.0), std::invalid_argument);
  CHECK_THROWS_AS((void)supermarket_mean_number_per_server(2, std::nan("")), std::invalid_argument);
  CHECK_THROWS_AS((void)supermarket_mean_response_s(2, 0.5, 0.0), std::invalid_argument);
  CHECK_THROWS_AS((void)supermarket_mean_response_s(2, 0.5, -1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)supermarket_fraction_at_least(2, 0.5, -1), std::invalid_argument);
}

}  // namespace
}  // namespace lbsim::analytic
