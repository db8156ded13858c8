#pragma once
// Confidence intervals for replicated simulation output: Student's t quantiles, the t interval of
// a mean, and paired comparisons of several variants run with common random numbers.
//
// Sources:
//   [NR]  W. H. Press et al., "Numerical Recipes", 3rd ed., CUP 2007: section 6.4 (incomplete
//         beta function by its continued fraction, evaluated with the modified Lentz method of
//         section 5.2) and 6.14 (Student's t distribution as an incomplete beta function).
//   [AS]  M. Abramowitz and I. A. Stegun, "Handbook of Mathematical Functions", 1964: 26.7.5
//         (Cornish-Fisher expansion of the t quantile in powers of 1/df), 6.1.41 (Stirling series).
//   [LK]  A. M. Law, "Simulation Modeling and Analysis", 5th ed., McGraw-Hill 2015: 9.4 (t
//         intervals from independent replications) and 10.2 (paired-t comparison of systems; common
//         random numbers make the pairing valid and shrink the difference's variance).
//
// Every function throws std::invalid_argument, naming the parameter, for a probability outside
// (0, 1), a non-positive or NaN number of degrees of freedom, or a confidence outside (0, 1).
#include <Eigen/Dense>
#include <span>
#include <vector>

namespace lbsim::analytic {

// The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b), for a, b > 0 and
// x in [0, 1]. Continued fraction [NR 6.4] with the modified Lentz method, using the symmetry
// I_x(a, b) = 1 - I_{1-x}(b, a) where the fraction converges slowly. Relative error ~1e-14 for
// moderate a and b (ln B(a, b) comes from lgamma, whose absolute error grows with a + b).
[[nodiscard]] double regularized_incomplete_beta(double a, double b, double x);

// P(T <= t) for Student's t with `degrees_of_freedom` > 0 (not necessarily an integer; +infinity
// is the standard normal): 1 - I_{df/(df+t^2)}(df/2, 1/2) / 2 for t >= 0 [NR 6.14], mirrored for
// t < 0. Tail probabilities keep their relative precision (no 1 - p cancellation).
[[nodiscard]] double student_t_cdf(double t, double degrees_of_freedom);

// The standard normal quantile: P(Z <= z) = p, p in (0, 1), to full double precision (a rational
// first guess, P. J. Acklam 2003, refined by Halley steps on std::erfc).
[[nodiscard]] double normal_quantile(double p);

// The t with P(T <= t) = p for Student's t with `degrees_of_freedom` > 0, p in (0, 1). Absolute
// error below 1e-10 * max(1, |t|) (tested against 40-digit values).
// Method: for df <= 1e6, a safeguarded Newton iteration on the exact tail I_x(df/2, 1/2) / 2,
// started from an upper bound given by the tail's power-law asymptote (the tail is convex and
// decreasing for t > 0, so the iteration then approaches the root monotonically from below); for
// df > 1e6 (where the continued fraction would need O(sqrt(df)) terms) the Cornish-Fisher
// expansion [AS 26.7.5] to 1/df^4, whose truncation error there is below 1e-13 for any p a double
// can hold; df = +infinity gives normal_quantile(p).
[[nodiscard]] double student_t_quantile(double p, double degrees_of_freedom);

// A two-sided confidence interval for a mean: [low, high] = mean -+ half_width.
struct Interval {
  double mean = 0.0;
  double half_width = 0.0;
  double low = 0.0;
  double high = 0.0;
  int n = 0;  // number of samples

  // low <= 0 <= high is false: the data reject "the true mean is 0" at this confidence. False
  // when the interval is undefined (NaN).
  [[nodiscard]] bool excludes_zero() const { return low > 0.0 || high < 0.0; }
};

// The t interval of the mean of independent, identically distributed `samples` [LK 9.4]:
// half_width = t_{(1+confidence)/2}(n-1) * s / sqrt(n), with s the sample standard deviation
// (divisor n - 1). With n < 2 the half width, low and high are NaN (the mean is NaN for n = 0).
// A NaN sample makes every field but n NaN. Identical samples give half_width exactly 0.
[[nodiscard]] Interval mean_interval(std::span<const double> samples, double confidence = 0.95);

// Variants compared on one metric over the same replications [LK 10.2]. Row r of the input holds
// replication r of every variant; with common random numbers, row r of every column saw the same
// arrivals and service demands, so the row-wise difference removes their shared noise.
struct PairedComparison {
  double confidence = 0.95;
  int replications = 0;
  // Per variant (column): the t interval of its mean.
  std::vector<Interval> variants;
  // Per variant v: the t interval of the mean of (column v - column 0), row by row. Entry 0 is
  // the baseline against itself: mean 0 and half width 0 exactly (for finite data).
  std::vector<Interval> differences;
};

// `samples` is replications x variants (R x V, V >= 1). Means and centred sums of squares are
// computed column-wise with Eigen; the same rules as mean_interval apply per column (R < 2: NaN
// half widths; NaN samples propagate to their column).
[[nodiscard]] PairedComparison paired_comparison(const Eigen::MatrixXd& samples,
                                                 double confidence = 0.95);

}  // namespace lbsim::analytic
