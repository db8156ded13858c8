#include "sim/analytic/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

namespace lbsim::analytic {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
constexpr double kLargest = std::numeric_limits<double>::max();

void require_probability(const char* name, double p) {
  if (!(p > 0.0 && p < 1.0)) {
    throw std::invalid_argument(std::string(name) + " must be in (0, 1), got " + std::to_string(p));
  }
}

void require_degrees_of_freedom(double degrees_of_freedom) {
  if (!(degrees_of_freedom > 0.0)) {
    throw std::invalid_argument("degrees_of_freedom must be > 0, got " +
                                std::to_string(degrees_of_freedom));
  }
}

// lgamma_r rather than std::lgamma: glibc's lgamma writes the global `signgam`, a data race when
// replications compute intervals on several threads.
double log_gamma(double x) {
  int sign = 0;
  return ::lgamma_r(x, &sign);
}

// ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b).
double log_beta(double a, double b) {
  return log_gamma(a) + log_gamma(b) - log_gamma(a + b);
}

// ln B(a, 1/2) for the t distribution (a = df / 2). For large a, lgamma(a) - lgamma(a + 1/2)
// cancels: each term is ~a ln a, so the difference would lose ~log10(a ln a) digits. There the
// difference ln Gamma(a + 1/2) - ln Gamma(a) comes from the Stirling series [AS 6.1.41] with its
// leading terms combined exactly: a ln(1 + 1/(2a)) (by log1p) + ln(a) / 2 - 1/2 + s(a + 1/2) -
// s(a), s(z) = 1/(12z) - 1/(360z^3) + 1/(1260z^5) - 1/(1680z^7). For a >= 20 the first omitted
// term, 1/(1188 z^9), is below 2e-15.
double log_beta_half(double a) {
  if (a < 20.0) return log_beta(a, 0.5);
  const auto stirling_tail = [](double z) {
    const double z2 = z * z;
    return (1.0 / 12.0 - (1.0 / 360.0 - (1.0 / 1260.0 - 1.0 / (1680.0 * z2)) / z2) / z2) / z;
  };
  const double log_ratio = a * std::log1p(0.5 / a) + 0.5 * std::log(a) - 0.5 +
                           (stirling_tail(a + 0.5) - stirling_tail(a));
  return 0.5 * std::log(std::numbers::pi) - log_ratio;
}

// The continued fraction for I_x(a, b) [NR 6.4, betacf], by the modified Lentz method [NR 5.2]:
// I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * 1 / (1 + d1 / (1 + d2 / (1 + ...))). It converges
// quickly for x < (a + 1) / (a + b + 2), in O(sqrt(max(a, b))) terms at worst.
double beta_continued_fraction(double a, double b, double x) {
  constexpr double kTiny = std::numeric_limits<double>::min() / kEpsilon;
  constexpr int kMaxTerms = 1'000'000;
  const double qab = a + b;
  const double qap = a + 1.0;
  const double qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::abs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxTerms; ++m) {
    const double md = m;
    const double m2 = 2.0 * md;
    double aa = md * (b - md) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + md) * (qab + md) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::abs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) <= kEpsilon) return h;
  }
  throw std::logic_error("incomplete beta continued fraction did not converge");
}

// I_x(a, b) with x and y = 1 - x given separately (each to full relative precision, with their
// logarithms), so that neither tail loses digits to 1 - x.
double incomplete_beta(double a, double b, double x, double y, double log_x, double log_y,
                       double log_beta_ab) {
  if (x <= 0.0) return 0.0;
  if (y <= 0.0) return 1.0;
  if (x < (a + 1.0) / (a + b + 2.0)) {
    const double front = std::exp(a * log_x + b * log_y - log_beta_ab);
    return front * beta_continued_fraction(a, b, x) / a;
  }
  const double front = std::exp(b * log_y + a * log_x - log_beta_ab);
  return 1.0 - front * beta_continued_fraction(b, a, y) / b;
}

// P(T > t) for t >= 0: I_{df/(df+t^2)}(df/2, 1/2) / 2, with x and 1 - x formed from r^2 = t^2/df
// without cancellation (x = 1/(1+r^2), 1 - x = r^2/(1+r^2)), and their logarithms by log1p, also
// where r^2 overflows.
double t_upper_tail(double t, double degrees_of_freedom, double log_beta_ab) {
  const double a = 0.5 * degrees_of_freedom;
  const double r = t / std::sqrt(degrees_of_freedom);
  double log_x = 0.0;
  double log_y = 0.0;
  if (r > 1e150) {
    log_x = -2.0 * std::log(r);
    log_y = -std::exp(log_x);  // -log1p(1/r^2) = -1/r^2 to double precision
  } else {
    const double r2 = r * r;
    log_x = -std::log1p(r2);
    log_y = r2 > 0.0 ? std::log(r2) - std::log1p(r2) : -std::numeric_limits<double>::infinity();
  }
  return 0.5 * incomplete_beta(a, 0.5, std::exp(log_x), std::exp(log_y), log_x, log_y, log_beta_ab);
}

// The t density: (1 + t^2/df)^(-(df+1)/2) / (sqrt(df) B(df/2, 1/2)).
double t_density(double t, double degrees_of_freedom, double log_beta_ab) {
  const double r = t / std::sqrt(degrees_of_freedom);
  const double log_kernel =
      r > 1e150 ? -2.0 * std::log(r) : -std::log1p(r * r);  // ln(1 + r^2), also past overflow
  return std::exp(0.5 * (degrees_of_freedom + 1.0) * log_kernel -
                  0.5 * std::log(degrees_of_freedom) - log_beta_ab);
}

// z with P(Z > z) = q for q in (0, 1/2]: z >= 0.
double normal_upper_quantile(double q) {
  // Acklam's rational approximation (relative error 1.15e-9) for the lower tail at q.
  static constexpr double kA[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                  -2.759285104469687e+02, 1.383577518672690e+02,
                                  -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double kB[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                  -1.556989798598866e+02, 6.680131188771972e+01,
                                  -1.328068155288572e+01};
  static constexpr double kC[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                  -2.400758277161838e+00, -2.549732539343734e+00,
                                  4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double kD[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                  2.445134137142996e+00, 3.754408661907416e+00};
  double lower = 0.0;  // the lower-tail quantile at q, <= 0
  if (q < 0.02425) {
    const double s = std::sqrt(-2.0 * std::log(q));
    lower = (((((kC[0] * s + kC[1]) * s + kC[2]) * s + kC[3]) * s + kC[4]) * s + kC[5]) /
            ((((kD[0] * s + kD[1]) * s + kD[2]) * s + kD[3]) * s + 1.0);
  } else {
    const double s = q - 0.5;
    const double r = s * s;
    lower = (((((kA[0] * r + kA[1]) * r + kA[2]) * r + kA[3]) * r + kA[4]) * r + kA[5]) * s /
            (((((kB[0] * r + kB[1]) * r + kB[2]) * r + kB[3]) * r + kB[4]) * r + 1.0);
  }
  double z = -lower;
  // Halley steps on g(z) = erfc(z / sqrt 2) / 2 - q, g' = -phi(z), g'' = z phi(z); cubic
  // convergence, so two or three steps reach double precision from 1e-9.
  for (int step = 0; step < 6; ++step) {
    const double error = 0.5 * std::erfc(z / std::numbers::sqrt2) - q;
    const double phi = std::exp(-0.5 * z * z) / std::sqrt(2.0 * std::numbers::pi);
    if (!(phi > 0.0)) break;
    const double u = error / phi;  // the Newton step
    const double next = z + u / (1.0 + 0.5 * z * u);
    const bool settled = std::abs(next - z) <= 2.0 * kEpsilon * std::abs(next);
    z = next;
    if (settled) break;
  }
  return z;
}

// t >= 0 with P(T > t) = q, q in (0, 1/2), for df <= 1e6.
double t_upper_quantile_exact(double q, double degrees_of_freedom) {
  const double log_beta_ab = log_beta_half(0.5 * degrees_of_freedom);
  // Upper bound: the density is below its power-law asymptote df^(df/2) t^-(df+1) / B, so the
  // tail is below df^(df/2 - 1) t^-df / B, which equals q at t_bound.
  const double log_bound = ((0.5 * degrees_of_freedom - 1.0) * std::log(degrees_of_freedom) -
                            log_beta_ab - std::log(q)) /
                           degrees_of_freedom;
  double hi = log_bound < std::log(kLargest) ? std::exp(log_bound) : kLargest;
  if (hi == kLargest && t_upper_tail(hi, degrees_of_freedom, log_beta_ab) > q) {
    return std::numeric_limits<double>::infinity();  // beyond the largest double
  }
  double lo = 0.0;
  // Start from the Cornish-Fisher guess when it is inside the bracket (good for large df), else
  // from the bound (good for heavy tails).
  const double z = normal_upper_quantile(q);
  const double guess = z + (z * z * z + z) / (4.0 * degrees_of_freedom);
  double t = guess > lo && guess < hi ? guess : hi;
  for (int iteration = 0; iteration < 2000; ++iteration) {
    const double tail = t_upper_tail(t, degrees_of_freedom, log_beta_ab);
    if (tail == q) return t;
    if (tail > q) {
      lo = t;
    } else {
      hi = t;
    }
    // Newton on the tail (slope -density). The tail is convex and decreasing on t > 0, so after
    // at most one step from the right every step approaches the root from the left; a step
    // outside (lo, hi), or a vanishing density, falls back to bisection (geometric when the
    // bracket spans orders of magnitude).
    const double density = t_density(t, degrees_of_freedom, log_beta_ab);
    double next = density > 0.0 ? t + (tail - q) / density : kNaN;
    if (!(next > lo && next < hi)) {
      next = (lo > 0.0 && hi > 4.0 * lo) ? std::sqrt(lo) * std::sqrt(hi)
             : (lo == 0.0 && hi > 4.0)   ? std::min(0.25 * hi, std::max(1.0, 2.0 * t))
                                         : 0.5 * (lo + hi);
    }
    if (std::abs(next - t) <= 4.0 * kEpsilon * next || hi - lo <= 4.0 * kEpsilon * hi) {
      return next;
    }
    t = next;
  }
  throw std::logic_error("student_t_quantile did not converge");
}

// Cornish-Fisher expansion [AS 26.7.5] of the t quantile around the normal quantile z.
double t_quantile_expansion(double z, double degrees_of_freedom) {
  const double z2 = z * z;
  const double g1 = (z2 + 1.0) * z / 4.0;
  const double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
  const double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
  const double g4 =
      ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
  const double v = degrees_of_freedom;
  return z + (g1 + (g2 + (g3 + g4 / v) / v) / v) / v;
}

// The interval of one column given its t quantile (shared by every column of a comparison).
Interval column_interval(const Eigen::Ref<const Eigen::VectorXd>& column, double t_quantile) {
  Interval interval;
  interval.n = static_cast<int>(column.size());
  if (interval.n == 0) {
    interval.mean = interval.half_width = interval.low = interval.high = kNaN;
    return interval;
  }
  // Equal samples: the mean is that value and the spread exactly 0 (a computed sum / n could be
  // one rounding away and leave a spurious positive variance).
  const bool all_equal = (column.array() == column(0)).all();
  const double mean = all_equal ? column(0) : column.mean();
  interval.mean = mean;
  if (interval.n < 2 || std::isnan(mean)) {
    interval.half_width = interval.low = interval.high = kNaN;
    return interval;
  }
  const double variance =
      all_equal ? 0.0
                : (column.array() - mean).square().sum() / static_cast<double>(interval.n - 1);
  interval.half_width = t_quantile * std::sqrt(variance / static_cast<double>(interval.n));
  interval.low = mean - interval.half_width;
  interval.high = mean + interval.half_width;
  return interval;
}

double interval_t_quantile(int n, double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0)) {
    throw std::invalid_argument("confidence must be in (0, 1), got " + std::to_string(confidence));
  }
  return n >= 2 ? student_t_quantile(0.5 + 0.5 * confidence, n - 1.0) : kNaN;
}

}  // namespace

double regularized_incomplete_beta(double a, double b, double x) {
  if (!(a > 0.0) || !(b > 0.0) || !std::isfinite(a) || !std::isfinite(b)) {
    throw std::invalid_argument("a and b must be finite and > 0");
  }
  if (!(x >= 0.0 && x <= 1.0)) {
    throw std::invalid_argument("x must be in [0, 1], got " + std::to_string(x));
  }
  const double y = 1.0 - x;
  return incomplete_beta(a, b, x, y, std::log(x), std::log1p(-x), log_beta(a, b));
}

double student_t_cdf(double t, double degrees_of_freedom) {
  require_degrees_of_freedom(degrees_of_freedom);
  if (std::isnan(t)) return kNaN;
  if (std::isinf(degrees_of_freedom)) return 0.5 * std::erfc(-t / std::numbers::sqrt2);
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  const double tail =
      t_upper_tail(std::abs(t), degrees_of_freedom, log_beta_half(0.5 * degrees_of_freedom));
  return t >= 0.0 ? 1.0 - tail : tail;
}

double normal_quantile(double p) {
  require_probability("p", p);
  if (p == 0.5) return 0.0;
  // Work in the smaller tail: 1 - p is exact for p >= 1/2 (Sterbenz), p itself below.
  return p > 0.5 ? normal_upper_quantile(1.0 - p) : -normal_upper_quantile(p);
}

double student_t_quantile(double p, double degrees_of_freedom) {
  require_probability("p", p);
  require_degrees_of_freedom(degrees_of_freedom);
  if (p == 0.5) return 0.0;
  const double q = p > 0.5 ? 1.0 - p : p;
  double t = 0.0;
  if (std::isinf(degrees_of_freedom)) {
    t = normal_upper_quantile(q);
  } else if (degrees_of_freedom > 1e6) {
    t = t_quantile_expansion(normal_upper_quantile(q), degrees_of_freedom);
  } else {
    t = t_upper_quantile_exact(q, degrees_of_freedom);
  }
  return p > 0.5 ? t : -t;
}

Interval mean_interval(std::span<const double> samples, double confidence) {
  const int n = static_cast<int>(samples.size());
  const double t_quantile = interval_t_quantile(n, confidence);
  const Eigen::Map<const Eigen::VectorXd> column(samples.data(),
                                                 static_cast<Eigen::Index>(samples.size()));
  return column_interval(column, t_quantile);
}

PairedComparison paired_comparison(const Eigen::MatrixXd& samples, double confidence) {
  if (samples.cols() < 1) throw std::invalid_argument("samples must have at least one column");
  PairedComparison result;
  result.confidence = confidence;
  result.replications = static_cast<int>(samples.rows());
  const double t_quantile = interval_t_quantile(result.replications, confidence);
  // Row-wise differences from the baseline column; column 0 becomes exactly 0 (x - x).
  const Eigen::MatrixXd differences = samples.colwise() - samples.col(0);
  for (Eigen::Index v = 0; v < samples.cols(); ++v) {
    result.variants.push_back(column_interval(samples.col(v), t_quantile));
    result.differences.push_back(column_interval(differences.col(v), t_quantile));
  }
  return result;
}

}  // namespace lbsim::analytic
