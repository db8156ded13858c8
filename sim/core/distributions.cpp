#include "sim/core/distributions.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sim/core/text.hpp"

namespace lbsim {
namespace {

constexpr std::array<DistributionKind, 8> kAllKinds = {
    DistributionKind::kExponential, DistributionKind::kDeterministic,
    DistributionKind::kUniform,     DistributionKind::kLognormal,
    DistributionKind::kGamma,       DistributionKind::kBoundedPareto,
    DistributionKind::kErlang,      DistributionKind::kEmpirical,
};

[[noreturn]] void reject(const char* family, const std::string& message) {
  throw std::invalid_argument(std::string(family) + ": " + message);
}

void require_positive_mean(const char* family, double mean_s) {
  if (!std::isfinite(mean_s) || mean_s <= 0.0) {
    reject(family, "mean must be a finite number > 0 (got " + format_significant(mean_s, 10) + ")");
  }
}

// Lognormal and gamma need cv > 0. The outer limits keep cv^2 and 1/cv^2 finite and nonzero;
// no service time is near them.
void require_shape_cv(const char* family, double cv) {
  if (!(cv >= 1e-150 && cv <= 1e150)) {
    reject(family,
           "cv must be > 0 (within [1e-150, 1e150]) (got " + format_significant(cv, 10) + ")");
  }
}

// A standard normal variate by the Marsaglia polar method (Marsaglia & Bray, "A convenient method
// for generating normal variables", SIAM Review 6(3), 1964). The second variate of each pair is
// discarded: sample() is const and keeps no cache, and a cache would make a draw depend on the
// previous caller of the same stream.
double standard_normal(Rng& rng) {
  for (;;) {
    const double u = 2.0 * rng.uniform01() - 1.0;
    const double v = 2.0 * rng.uniform01() - 1.0;
    const double radius_sq = u * u + v * v;
    if (radius_sq < 1.0 && radius_sq > 0.0) {
      return u * std::sqrt(-2.0 * std::log(radius_sq) / radius_sq);
    }
  }
}

// Gamma(shape d + 1/3, scale 1) by Marsaglia & Tsang, "A simple method for generating gamma
// variables", ACM TOMS 26(3), 2000; d = shape - 1/3 and c = 1/sqrt(9 d), shape >= 1.
double standard_gamma(double d, double c, Rng& rng) {
  for (;;) {
    double x = 0.0;
    double v = 0.0;
    do {
      x = standard_normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = rng.uniform_open01();  // (0, 1]: safe under log()
    const double x_sq = x * x;
    // The squeeze accepts ~98% of candidates without a log.
    if (u < 1.0 - 0.0331 * x_sq * x_sq) return d * v;
    if (std::log(u) < 0.5 * x_sq + d * (1.0 - v + std::log(v))) return d * v;
  }
}

// (1 - r^t) / t with r = exp(log_r), continuous at t = 0 where it equals -log_r. expm1 keeps it
// accurate for t near 0, which is where the bounded-Pareto moments have their alpha == 1 and
// alpha == 2 (log-form) limits.
double one_minus_pow_over(double t, double log_r) {
  return t == 0.0 ? -log_r : -std::expm1(t * log_r) / t;
}

// E[X^m] / L^m of the bounded Pareto on [L, H] with tail index alpha, log_r = ln(L/H):
// alpha (1 - r^(alpha-m)) / ((alpha-m) (1 - r^alpha)), with the log form at alpha == m.
double pareto_raw_moment_ratio(double alpha, double m, double log_r) {
  return one_minus_pow_over(alpha - m, log_r) / one_minus_pow_over(alpha, log_r);
}

// The ratio L/H is searched down to exp(kParetoMinLogRatio); below it (L/H < 1e-150) the second
// moment's intermediate terms would overflow a double (2 * 345 < 709 = ln(DBL_MAX)).
constexpr double kParetoMinLogRatio = -345.0;
// H/L when the scenario gives no upper bound.
constexpr double kParetoDefaultRange = 1e6;

// Taylor forms keep the Zipf sampler exact near s == 1, where (x^(1-s) - 1) / (1 - s) and its
// inverse would cancel catastrophically. The switch point 1e-8 is where the cubic Taylor
// remainder (~x^3/4) falls below double rounding.
constexpr double kTaylorThreshold = 1e-8;

// log1p(x) / x, continuous at 0.
double log1p_over(double x) {
  if (std::abs(x) > kTaylorThreshold) return std::log1p(x) / x;
  return 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}

// expm1(x) / x, continuous at 0.
double expm1_over(double x) {
  if (std::abs(x) > kTaylorThreshold) return std::expm1(x) / x;
  return 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

// Uniforms multiplied per logarithm in the Erlang sampler. Each uniform_open01() is >= 2^-53, so
// a product of 16 is >= 2^-848: it never leaves the normal range of a double (2^-1022).
constexpr int kErlangChunk = 16;

}  // namespace

const char* distribution_name(DistributionKind kind) {
  switch (kind) {
    case DistributionKind::kExponential:
      return "exponential";
    case DistributionKind::kDeterministic:
      return "deterministic";
    case DistributionKind::kUniform:
      return "uniform";
    case DistributionKind::kLognormal:
      return "lognormal";
    case DistributionKind::kGamma:
      return "gamma";
    case DistributionKind::kBoundedPareto:
      return "pareto";
    case DistributionKind::kErlang:
      return "erlang";
    case DistributionKind::kEmpirical:
      return "empirical";
  }
  return "unknown";
}

DistributionKind parse_distribution_kind(const std::string& name) {
  for (const DistributionKind kind : kAllKinds) {
    if (name == distribution_name(kind)) return kind;
  }
  std::string valid;
  for (const DistributionKind kind : kAllKinds) {
    if (!valid.empty()) valid += ", ";
    valid += distribution_name(kind);
  }
  throw std::invalid_argument("unknown distribution '" + name + "'; valid: " + valid);
}

void Distribution::init_uniform(const DistributionConfig& config) {
  const char* family = distribution_name(config.kind);
  const double mean = config.mean_s;
  // 1/sqrt(3) computed another way may land an ulp above the constant: allow 1e-12.
  if (std::isnan(config.cv) || config.cv > std::numbers::inv_sqrt3 * (1.0 + 1e-12)) {
    reject(family, "cv must be in [0, 1/sqrt(3) = 0.5773502692] (got " +
                       format_significant(config.cv, 10) + ")");
  }
  // cv < 0 means "not given": the whole interval [0, 2 mean].
  double half_width = config.cv < 0.0 ? mean : std::numbers::sqrt3 * config.cv * mean;
  // At cv ~ 1/sqrt(3) the product may round above the mean: keep the lower end at 0.
  half_width = std::min(half_width, mean);
  mean_ = mean;
  variance_ = half_width * half_width / 3.0;
  p0_ = mean - half_width;
  p1_ = 2.0 * half_width;
}

void Distribution::init_lognormal(const DistributionConfig& config) {
  const char* family = distribution_name(config.kind);
  const double mean = config.mean_s;
  require_shape_cv(family, config.cv);
  const double cv_sq = config.cv * config.cv;
  const double sigma_sq = std::log1p(cv_sq);
  mean_ = mean;
  variance_ = mean * mean * cv_sq;
  p0_ = std::log(mean) - 0.5 * sigma_sq;  // mu
  p1_ = std::sqrt(sigma_sq);              // sigma
}

void Distribution::init_gamma(const DistributionConfig& config) {
  const char* family = distribution_name(config.kind);
  const double mean = config.mean_s;
  require_shape_cv(family, config.cv);
  const double cv_sq = config.cv * config.cv;
  const double shape = 1.0 / cv_sq;
  mean_ = mean;
  variance_ = mean * mean * cv_sq;
  // Marsaglia–Tsang needs shape >= 1; for shape < 1 draw Gamma(shape + 1) and multiply by
  // U^(1/shape) (their section 6).
  const bool boost = shape < 1.0;
  const double core_shape = boost ? shape + 1.0 : shape;
  p0_ = core_shape - 1.0 / 3.0;      // d
  p1_ = 1.0 / std::sqrt(9.0 * p0_);  // c
  p2_ = mean / shape;                // scale
  p3_ = boost ? 1.0 / shape : 0.0;   // boost exponent; 0 = none
}

void Distribution::init_bounded_pareto(const DistributionConfig& config) {
  const char* family = distribution_name(config.kind);
  const double mean = config.mean_s;
  const double alpha = config.alpha;
  if (!std::isfinite(alpha) || alpha <= 0.0) {
    reject(family, "alpha must be a finite number > 0 (got " + format_significant(alpha, 10) + ")");
  }
  if (!std::isfinite(config.max_s) || config.max_s < 0.0) {
    reject(family, "max must be a finite number >= 0, 0 meaning max = 1e6 * min (got " +
                       format_significant(config.max_s, 10) + ")");
  }
  double lower_s = 0.0;
  double upper_s = 0.0;
  double log_ratio = 0.0;  // ln(L / H)
  if (config.max_s == 0.0) {
    log_ratio = -std::log(kParetoDefaultRange);
    lower_s = mean / pareto_raw_moment_ratio(alpha, 1.0, log_ratio);
    upper_s = lower_s * kParetoDefaultRange;
    if (!std::isfinite(upper_s)) {
      reject(family, "mean " + format_significant(mean, 10) + " is too large for max = 1e6 * min");
    }
  } else {
    upper_s = config.max_s;
    if (mean >= upper_s) {
      reject(family, "mean must be < max (got mean " + format_significant(mean, 10) + ", max " +
                         format_significant(upper_s, 10) + ")");
    }
    // mean(L) increases from 0 (L -> 0) to H (L -> H) and L <= mean, so bisect
    // t = ln(L/H) on [kParetoMinLogRatio, ln(mean/H)].
    const double target_ratio = mean / upper_s;
    const auto mean_ratio = [alpha](double t) {
      return std::exp(t) * pareto_raw_moment_ratio(alpha, 1.0, t);
    };
    double t_low = kParetoMinLogRatio;
    double t_high = std::log(target_ratio);
    if (mean_ratio(t_low) > target_ratio) {
      reject(family, "mean " + format_significant(mean, 10) + " is too small for max " +
                         format_significant(upper_s, 10) + " and alpha " +
                         format_significant(alpha, 10) + " (min would be below 1e-150 * max)");
    }
    // A bracket of width 1e-13 in ln L is a relative error below 1e-12 in L.
    for (int i = 0; i < 200 && t_high - t_low > 1e-13; ++i) {
      const double t_mid = 0.5 * (t_low + t_high);
      if (mean_ratio(t_mid) < target_ratio) {
        t_low = t_mid;
      } else {
        t_high = t_mid;
      }
    }
    log_ratio = 0.5 * (t_low + t_high);
    lower_s = upper_s * std::exp(log_ratio);
  }
  const double first = pareto_raw_moment_ratio(alpha, 1.0, log_ratio);
  const double second = pareto_raw_moment_ratio(alpha, 2.0, log_ratio);
  mean_ = mean;
  variance_ = lower_s * lower_s * (second - first * first);
  p0_ = lower_s;                         // L
  p1_ = -std::expm1(alpha * log_ratio);  // 1 - (L/H)^alpha
  p2_ = -1.0 / alpha;
  p3_ = upper_s;  // H
}

void Distribution::init_erlang(const DistributionConfig& config) {
  const char* family = distribution_name(config.kind);
  const double mean = config.mean_s;
  if (config.erlang_k < 1) {
    reject(family, "k must be an integer >= 1 (got " + std::to_string(config.erlang_k) + ")");
  }
  const double stages = static_cast<double>(config.erlang_k);
  mean_ = mean;
  variance_ = mean * mean / stages;
  k_ = config.erlang_k;
  p0_ = mean / stages;  // mean of one stage
}

void Distribution::init_empirical(const DistributionConfig& config) {
  const char* family = distribution_name(config.kind);
  if (!std::isfinite(config.mean_s) || config.mean_s < 0.0) {
    reject(family, "mean must be a finite number >= 0, 0 meaning keep the samples (got " +
                       format_significant(config.mean_s, 10) + ")");
  }
  if (config.samples_s.empty()) reject(family, "samples must hold at least one value");
  double sum = 0.0;
  for (std::size_t i = 0; i < config.samples_s.size(); ++i) {
    const double x = config.samples_s[i];
    if (!std::isfinite(x) || x < 0.0) {
      reject(family, "samples must be finite numbers >= 0 (sample " + std::to_string(i + 1) +
                         " is " + format_significant(x, 10) + ")");
    }
    sum += x;
  }
  if (sum == 0.0) reject(family, "samples must not all be 0");
  if (!std::isfinite(sum)) reject(family, "samples are too large: their sum overflows");
  const double count = static_cast<double>(config.samples_s.size());
  samples_ = config.samples_s;
  if (config.mean_s > 0.0) {
    const double factor = config.mean_s / (sum / count);
    for (double& x : samples_) x *= factor;
  }
  // Population moments of the values actually resampled, two passes for accuracy.
  double scaled_sum = 0.0;
  for (const double x : samples_) scaled_sum += x;
  const double scaled_mean = scaled_sum / count;
  double squares = 0.0;
  for (const double x : samples_) squares += (x - scaled_mean) * (x - scaled_mean);
  mean_ = scaled_mean;
  variance_ = squares / count;
}

Distribution Distribution::make(const DistributionConfig& config) {
  Distribution d;
  d.kind_ = config.kind;
  if (config.kind != DistributionKind::kEmpirical) {
    require_positive_mean(distribution_name(config.kind), config.mean_s);
  }
  const double mean = config.mean_s;
  switch (config.kind) {
    case DistributionKind::kExponential:
      d.mean_ = mean;
      d.variance_ = mean * mean;
      d.p0_ = mean;
      break;
    case DistributionKind::kDeterministic:
      d.mean_ = mean;
      d.variance_ = 0.0;
      d.p0_ = mean;
      break;
    case DistributionKind::kUniform:
      d.init_uniform(config);
      break;
    case DistributionKind::kLognormal:
      d.init_lognormal(config);
      break;
    case DistributionKind::kGamma:
      d.init_gamma(config);
      break;
    case DistributionKind::kBoundedPareto:
      d.init_bounded_pareto(config);
      break;
    case DistributionKind::kErlang:
      d.init_erlang(config);
      break;
    case DistributionKind::kEmpirical:
      d.init_empirical(config);
      break;
  }
  return d;
}

double Distribution::sample(Rng& rng) const {
  switch (kind_) {
    case DistributionKind::kExponential:
      return -p0_ * std::log(rng.uniform_open01());
    case DistributionKind::kDeterministic:
      return p0_;
    case DistributionKind::kUniform:
      return p0_ + p1_ * rng.uniform01();
    case DistributionKind::kLognormal:
      return std::exp(p0_ + p1_ * standard_normal(rng));
    case DistributionKind::kGamma: {
      const double core = standard_gamma(p0_, p1_, rng);
      if (p3_ == 0.0) return p2_ * core;
      return p2_ * core * std::pow(rng.uniform_open01(), p3_);
    }
    case DistributionKind::kBoundedPareto: {
      // Inverse of F(x) = (1 - (L/x)^alpha) / (1 - (L/H)^alpha); rounding may overshoot H.
      const double x = p0_ * std::pow(1.0 - rng.uniform01() * p1_, p2_);
      return std::min(x, p3_);
    }
    case DistributionKind::kErlang: {
      // Sum of k exponentials = -stage_mean * ln(product of k uniforms), one log per chunk.
      double log_sum = 0.0;
      double product = 1.0;
      int in_chunk = 0;
      for (int i = 0; i < k_; ++i) {
        product *= rng.uniform_open01();
        if (++in_chunk == kErlangChunk) {
          log_sum += std::log(product);
          product = 1.0;
          in_chunk = 0;
        }
      }
      return -p0_ * (log_sum + std::log(product));
    }
    case DistributionKind::kEmpirical:
      return samples_[rng.below(samples_.size())];
  }
  return 0.0;
}

// Rejection-inversion, after Apache Commons RNG's RejectionInversionZipfSampler. It uses the hat
// integral H(x) = (x^(1-s) - 1) / (1 - s), which has the limit ln x at s == 1, so one code path
// serves every s > 0 (the paper's ZRI needs s > 1). Ranks are 1-based inside, 0-based outside.
ZipfSampler::ZipfSampler(std::uint64_t n, double s) : n_(n), s_(s) {
  if (n == 0) throw std::invalid_argument("zipf: n must be >= 1 (got 0)");
  if (!std::isfinite(s) || s <= 0.0) {
    throw std::invalid_argument("zipf: exponent must be a finite number > 0 (got " +
                                format_significant(s, 10) + ")");
  }
  h_integral_x1_ = h_integral(1.5) - 1.0;
  h_integral_n_ = h_integral(static_cast<double>(n) + 0.5);
  // Theorem 2 of the paper: k - x <= threshold implies acceptance, which skips most evaluations
  // of h_integral in the loop.
  threshold_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
}

std::uint64_t ZipfSampler::sample(Rng& rng) const {
  const double n_real = static_cast<double>(n_);
  for (;;) {
    // u is uniform on (h_integral_x1_, h_integral_n_].
    const double u = h_integral_n_ + rng.uniform01() * (h_integral_x1_ - h_integral_n_);
    const double x = h_integral_inverse(u);
    const double k_real = std::floor(x + 0.5);
    // Clamp rounding excursions; also keeps the cast defined when n is near 2^64.
    std::uint64_t k = 1;
    if (k_real >= n_real) {
      k = n_;
    } else if (k_real > 1.0) {
      k = static_cast<std::uint64_t>(k_real);
    }
    const double k_as_real = static_cast<double>(k);
    if (k_as_real - x <= threshold_ || u >= h_integral(k_as_real + 0.5) - h(k_as_real)) {
      return k - 1;
    }
  }
}

double ZipfSampler::h(double x) const {
  return std::exp(-s_ * std::log(x));
}

double ZipfSampler::h_integral(double x) const {
  const double log_x = std::log(x);
  return expm1_over((1.0 - s_) * log_x) * log_x;
}

double ZipfSampler::h_integral_inverse(double x) const {
  // t >= -1 in exact arithmetic; rounding can push it just below.
  const double t = std::max(x * (1.0 - s_), -1.0);
  return std::exp(log1p_over(t) * x);
}

}  // namespace lbsim
