// Student's t quantiles and CDF, the incomplete beta function, t intervals and paired comparisons
// against exact values. Reference values are (a) the 10-decimal table values of the brief,
// (b) closed forms (df = 1, 2, 4), or (c) 40-digit values from mpmath 1.2.1 (betainc, bisected to
// 1e-40 on the exact tail), evaluated at the same binary doubles the tests pass in.
// The quantile contract is an absolute error below 1e-10 * max(1, |t|); the CDF and incomplete
// beta, a handful of well-conditioned operations plus a converged continued fraction, are checked
// to 1e-13 relative.
#include "sim/analytic/statistics.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <vector>

namespace lbsim::analytic {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The quantile contract: |actual - expected| <= 1e-10 * max(1, |expected|).
bool quantile_close(double actual, double expected) {
  return std::abs(actual - expected) <= 1e-10 * std::max(1.0, std::abs(expected));
}

bool relative_close(double actual, double expected, double tolerance) {
  return std::abs(actual - expected) <= tolerance * std::abs(expected);
}

TEST_CASE("t quantiles match the table values to 1e-10") {
  // Table values are rounded to 10 decimals (error <= 5e-11), so 1e-10 leaves 5e-11 for ours.
  CHECK(std::abs(student_t_quantile(0.975, 1) - 12.7062047362) <= 1e-10);
  CHECK(std::abs(student_t_quantile(0.975, 4) - 2.7764451052) <= 1e-10);
  CHECK(std::abs(student_t_quantile(0.975, 9) - 2.2621571628) <= 1e-10);
  CHECK(std::abs(student_t_quantile(0.975, 29) - 2.0452296421) <= 1e-10);
  // The normal limit: for df = 1e12 the t quantile is above z by g1/df = 2.4e-12 only.
  CHECK(std::abs(student_t_quantile(0.975, 1e12) - 1.9599639845) <= 1e-10);
  CHECK(std::abs(student_t_quantile(0.975, std::numeric_limits<double>::infinity()) -
                 1.9599639845) <= 1e-10);
  // Symmetry (0.125 = 1 - 0.875 exactly in binary) and the median.
  CHECK(student_t_quantile(0.125, 9) == -student_t_quantile(0.875, 9));
  CHECK(student_t_quantile(0.5, 3) == 0.0);
}

TEST_CASE("t quantiles match 40-digit values, including fractional df, far tails and huge df") {
  struct Case {
    double df, p, t;
  };
  const Case cases[] = {
      {3, 0.975, 3.1824463052837084359},
      {4, 0.975, 2.7764451051977934898},
      {9, 0.975, 2.2621571627982049992},
      {2.5, 0.95, 2.5582186141359354586},
      {0.5, 0.75, 1.5537739740300373073},
      {0.3, 0.999, 300718580.87909624283},  // heavy tail: t ~ 3e8
      {7, 1e-15, -279.12799927928001304},   // far lower tail
      {100, 0.9995, 3.3904913111642636132},
      {1e5, 0.975, 1.9599877075346092587},  // large df on the exact path
      {5e5, 1 - 1e-12, 7.0346644784093985284},
      {1e6, 1 - 1e-12, 7.0345756932732172896},  // the last df on the exact path
      {1e8, 0.975, 1.9599640082627664408},      // the expansion
      {1e12, 0.975, 1.9599639845424261268},
  };
  for (const Case& c : cases) {
    INFO("df " << c.df << ", p " << c.p);
    CHECK(quantile_close(student_t_quantile(c.p, c.df), c.t));
  }
}

TEST_CASE("t quantiles match the closed forms for df = 1, 2 and 4 across p") {
  for (const double p : {1e-6, 0.001, 0.01, 0.1, 0.3, 0.45, 0.6, 0.9, 0.99, 0.999, 1 - 1e-6}) {
    INFO("p " << p);
    // df = 1 (Cauchy): tan(pi (p - 1/2)). p - 1/2 is exact, but near pi/2 tan turns the rounding
    // of the angle (~1e-16) into a relative error of ~1e-16 x |t|: 1.5e-11 at p = 1e-6 (checked
    // against 40 digits), still inside the tolerance.
    CHECK(quantile_close(student_t_quantile(p, 1), std::tan(std::numbers::pi * (p - 0.5))));
    // df = 2: F(t) = 1/2 + t / (2 sqrt(2 + t^2)), so t = (2p - 1) / sqrt(2 p (1 - p)).
    CHECK(quantile_close(student_t_quantile(p, 2), (2 * p - 1) / std::sqrt(2 * p * (1 - p))));
    // df = 4: with a = 4p(1-p) and q = cos(arccos(sqrt(a)) / 3) / sqrt(a),
    // t = sign(p - 1/2) 2 sqrt(q - 1) (the cubic for F(t) = p solved by its trigonometric root).
    const double a = 4 * p * (1 - p);
    const double q = std::cos(std::acos(std::sqrt(a)) / 3) / std::sqrt(a);
    const double t4 = (p < 0.5 ? -2.0 : 2.0) * std::sqrt(q - 1);
    CHECK(quantile_close(student_t_quantile(p, 4), t4));
  }
}

TEST_CASE("the exact path and the expansion agree where they meet (df = 1e6)") {
  // Between df = 1e6 and df = 1e6 (1 + 1e-9) the true quantile moves by ~g1 / df^2 * 1e-3, below
  // 1e-14, so the two methods must agree to the contract's tolerance.
  for (const double p : {0.6, 0.975, 0.999999, 1 - 1e-15}) {
    INFO("p " << p);
    CHECK(quantile_close(student_t_quantile(p, 1e6), student_t_quantile(p, 1e6 * (1 + 1e-9))));
  }
}

TEST_CASE("the CDF inverts the quantile and matches 40-digit values") {
  CHECK(relative_close(student_t_cdf(2.0, 5), 0.94903026058507082188, 1e-13));
  CHECK(relative_close(student_t_cdf(-3.5, 2.5), 0.026172773480160168617, 1e-13));
  CHECK(relative_close(student_t_cdf(40.0, 1), 0.99204391008797418668, 1e-13));
  CHECK(relative_close(student_t_cdf(0.1, 30), 0.53949519410486442414, 1e-13));
  // A tail probability keeps its relative precision.
  CHECK(relative_close(student_t_cdf(-8.0, 10), 5.887471394833079891e-6, 1e-13));
  CHECK(student_t_cdf(0.0, 7) == 0.5);
  for (const double df : {0.7, 3.0, 40.0, 1e4}) {
    for (const double p : {0.01, 0.2, 0.7, 0.995}) {
      INFO("df " << df << ", p " << p);
      CHECK(relative_close(student_t_cdf(student_t_quantile(p, df), df), p, 1e-12));
    }
  }
}

TEST_CASE("the regularized incomplete beta function matches 40-digit values") {
  CHECK(relative_close(regularized_incomplete_beta(2, 3, 0.4), 0.52480000000000003837, 1e-14));
  CHECK(relative_close(regularized_incomplete_beta(0.5, 0.5, 0.1), 0.20483276469913345754, 1e-14));
  CHECK(relative_close(regularized_incomplete_beta(10, 0.5, 0.95), 0.31715157546554505738, 1e-14));
  // a + b = 500: ln B from lgamma has absolute error ~1e-13 here, hence the looser bound.
  CHECK(relative_close(regularized_incomplete_beta(200, 300, 0.41), 0.67762816477217894864, 1e-12));
  CHECK(regularized_incomplete_beta(2, 3, 0.0) == 0.0);
  CHECK(regularized_incomplete_beta(2, 3, 1.0) == 1.0);
}

TEST_CASE("the normal quantile is exact to double precision") {
  // 40-digit values of sqrt(2) erfinv(2p - 1).
  CHECK(relative_close(normal_quantile(0.975), 1.9599639845400538556, 1e-15));
  CHECK(relative_close(normal_quantile(0.3), -0.52440051270804081597, 1e-15));
  CHECK(relative_close(normal_quantile(1e-10), -6.3613409024040561991, 1e-15));
  CHECK(relative_close(normal_quantile(0.02425), -1.9729610513118848376, 1e-15));
  CHECK(normal_quantile(0.5) == 0.0);
}

TEST_CASE("bad arguments are rejected") {
  CHECK_THROWS_AS((void)student_t_quantile(0.0, 3), std::invalid_argument);
  CHECK_THROWS_AS((void)student_t_quantile(1.0, 3), std::invalid_argument);
  CHECK_THROWS_AS((void)student_t_quantile(kNaN, 3), std::invalid_argument);
  CHECK_THROWS_AS((void)student_t_quantile(0.9, 0), std::invalid_argument);
  CHECK_THROWS_AS((void)student_t_quantile(0.9, kNaN), std::invalid_argument);
  CHECK_THROWS_AS((void)student_t_cdf(1.0, -1), std::invalid_argument);
  CHECK_THROWS_AS((void)regularized_incomplete_beta(0, 1, 0.5), std::invalid_argument);
  CHECK_THROWS_AS((void)regularized_incomplete_beta(1, 1, 1.5), std::invalid_argument);
  const std::vector<double> samples = {1, 2};
  CHECK_THROWS_AS((void)mean_interval(samples, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)mean_interval(samples, 0.0), std::invalid_argument);
}

TEST_CASE("mean_interval: hand-computed t intervals") {
  // {1, 2, 3, 4, 5}: mean 3, s^2 = 10/4, s/sqrt(5) = sqrt(1/2);
  // half width = t_{0.975}(4) sqrt(1/2) = 1.9632431614775570839.
  const std::vector<double> samples = {1, 2, 3, 4, 5};
  const Interval interval = mean_interval(samples);
  CHECK(interval.n == 5);
  CHECK(interval.mean == 3.0);
  CHECK(relative_close(interval.half_width, 1.9632431614775570839, 1e-12));
  CHECK(interval.low == 3.0 - interval.half_width);
  CHECK(interval.high == 3.0 + interval.half_width);
  CHECK(interval.excludes_zero());
  // 90%: t_{0.95}(4) sqrt(1/2) = 1.507443319062322703.
  CHECK(relative_close(mean_interval(samples, 0.90).half_width, 1.507443319062322703, 1e-12));
  // Shifted to straddle 0: {-2, ..., 2}.
  const std::vector<double> centred = {-2, -1, 0, 1, 2};
  CHECK(!mean_interval(centred).excludes_zero());
}

TEST_CASE("mean_interval: equal samples, too few samples, NaN") {
  // 0.1 three times: a summed mean would be 0.10000000000000002 and leave a spurious variance.
  const std::vector<double> equal = {0.1, 0.1, 0.1};
  const Interval same = mean_interval(equal);
  CHECK(same.mean == 0.1);
  CHECK(same.half_width == 0.0);
  CHECK(same.low == 0.1);
  CHECK(same.high == 0.1);

  const std::vector<double> one = {4.0};
  const Interval single = mean_interval(one);
  CHECK(single.n == 1);
  CHECK(single.mean == 4.0);
  CHECK(std::isnan(single.half_width));
  CHECK(std::isnan(single.low));
  CHECK(!single.excludes_zero());

  const Interval none = mean_interval(std::vector<double>{});
  CHECK(none.n == 0);
  CHECK(std::isnan(none.mean));

  const std::vector<double> with_nan = {1.0, kNaN, 2.0};
  const Interval broken = mean_interval(with_nan);
  CHECK(std::isnan(broken.mean));
  CHECK(std::isnan(broken.half_width));
}

TEST_CASE("paired_comparison: hand-computed variant and difference intervals") {
  // 4 replications x 3 variants. Column 1 - column 0 = {1, 2, 1, 2}: mean 1.5, s^2 = 1/3,
  // s/sqrt(4) = sqrt(1/12); half width = t_{0.975}(3) sqrt(1/12) = 0.91869311551853950021.
  // Column 2 equals column 0.
  Eigen::MatrixXd samples(4, 3);
  samples << 10, 11, 10,  //
      12, 14, 12,         //
      11, 12, 11,         //
      13, 15, 13;
  const PairedComparison comparison = paired_comparison(samples);
  CHECK(comparison.replications == 4);
  CHECK(comparison.confidence == 0.95);
  REQUIRE(comparison.variants.size() == 3);
  REQUIRE(comparison.differences.size() == 3);

  // Column 0: mean 11.5, s^2 = 5/3, s/sqrt(4) = sqrt(5/12); t_{0.975}(3) = 3.1824463052837084359.
  CHECK(comparison.variants[0].mean == 11.5);
  CHECK(relative_close(comparison.variants[0].half_width,
                       3.1824463052837084359 * std::sqrt(5.0 / 12.0), 1e-12));
  CHECK(comparison.variants[1].mean == 13.0);

  // The baseline against itself, and the identical column 2: exactly 0, half width exactly 0.
  for (const std::size_t v : {std::size_t{0}, std::size_t{2}}) {
    CHECK(comparison.differences[v].mean == 0.0);
    CHECK(comparison.differences[v].half_width == 0.0);
    CHECK(comparison.differences[v].low == 0.0);
    CHECK(comparison.differences[v].high == 0.0);
    CHECK(!comparison.differences[v].excludes_zero());
  }
  const Interval& difference = comparison.differences[1];
  CHECK(difference.mean == 1.5);
  CHECK(relative_close(difference.half_width, 0.91869311551853950021, 1e-12));
  CHECK(difference.excludes_zero());
  // Pairing is what makes it significant: the unpaired intervals of columns 0 and 1 overlap.
  CHECK(comparison.variants[0].high > comparison.variants[1].low);
}

TEST_CASE("paired_comparison: one replication gives NaN half widths, no columns is an error") {
  Eigen::MatrixXd one_row(1, 2);
  one_row << 1.0, 2.0;
  const PairedComparison comparison = paired_comparison(one_row);
  CHECK(comparison.differences[1].mean == 1.0);
  CHECK(std::isnan(comparison.differences[1].half_width));
  CHECK_THROWS_AS((void)paired_comparison(Eigen::MatrixXd(3, 0)), std::invalid_argument);
}

}  // namespace
}  // namespace lbsim::analytic
