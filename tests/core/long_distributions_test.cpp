// Statistical checks of sim/core/distributions: sample moments against the exact moments,
// Kolmogorov–Smirnov distance to the exact CDF, and Zipf frequencies against exact probabilities.
//
// Run length: 1e6 draws per check, times LBSIM_TEST_SCALE (the sanitizer pass sets 0.1). Every
// tolerance is a multiple of a standard error computed from the actual number of draws n, so a
// shorter run widens the tolerances by 1/sqrt(scale) automatically and keeps the same false-alarm
// probability. Seeds are fixed, so each check is deterministic; the stated probabilities say how
// unlikely a correct sampler is to fail for a seed picked blindly.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/distributions.hpp"
#include "sim/core/rng.hpp"

// Configs are written with designated initializers; the omitted members take their default
// member initializers. GCC 12 still warns when such an initializer is nested in a braced list.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace lbsim {
namespace {

using Kind = DistributionKind;

double test_scale() {
  const char* text = std::getenv("LBSIM_TEST_SCALE");
  if (text == nullptr) return 1.0;
  char* end = nullptr;
  const double scale = std::strtod(text, &end);
  return end != text && scale > 0.0 ? scale : 1.0;
}

std::size_t scaled_draws(double base) {
  return static_cast<std::size_t>(std::max(10000.0, std::round(base * test_scale())));
}

Rng test_stream(std::uint64_t entity) {
  return Rng(77, 0, StreamPurpose::kService, entity);
}

// Tolerance in standard errors. For a normal estimator P(|Z| > 5) = 5.7e-7 per check; the
// estimators below are means of 1e6 draws with finite fourth moments, close to normal.
constexpr double kStandardErrors = 5.0;

// Kolmogorov–Smirnov critical value at significance 1e-4 from the asymptotic tail
// P(sqrt(n) D > c) ~ 2 exp(-2 c^2): c = sqrt(ln(2 / 1e-4) / 2) = 2.2250. (1.95, sometimes quoted,
// is the value at 1e-3.)
double ks_critical_value(std::size_t n) {
  return std::sqrt(0.5 * std::log(2.0 / 1e-4)) / std::sqrt(static_cast<double>(n));
}

// Bounded Pareto on [L, H]: E[X^m] from the density alpha L^alpha x^(-alpha-1) / (1 - (L/H)^alpha),
// with the log form when m == alpha.
double pareto_raw_moment(double lower, double upper, double alpha, int m) {
  const double norm = alpha * std::pow(lower, alpha) / (1.0 - std::pow(lower / upper, alpha));
  const double dm = static_cast<double>(m);
  if (dm == alpha) return norm * std::log(upper / lower);
  return norm * (std::pow(upper, dm - alpha) - std::pow(lower, dm - alpha)) / (dm - alpha);
}

double pareto_central_fourth(double lower, double upper, double alpha) {
  const double m1 = pareto_raw_moment(lower, upper, alpha, 1);
  const double m2 = pareto_raw_moment(lower, upper, alpha, 2);
  const double m3 = pareto_raw_moment(lower, upper, alpha, 3);
  const double m4 = pareto_raw_moment(lower, upper, alpha, 4);
  return m4 - 4.0 * m1 * m3 + 6.0 * m1 * m1 * m2 - 3.0 * m1 * m1 * m1 * m1;
}

// Regularized lower incomplete gamma P(a, x): power series for x < a + 1, Lentz's continued
// fraction for Q = 1 - P otherwise (Press et al., Numerical Recipes, 3rd ed., section 6.2).
double regularized_lower_gamma(double a, double x) {
  if (x <= 0.0) return 0.0;
  const double log_prefactor = -x + a * std::log(x) - std::lgamma(a);
  constexpr double kEps = 1e-16;
  if (x < a + 1.0) {
    double term = 1.0 / a;
    double sum = term;
    for (double ap = a; std::abs(term) > std::abs(sum) * kEps;) {
      ap += 1.0;
      term *= x / ap;
      sum += term;
    }
    return sum * std::exp(log_prefactor);
  }
  constexpr double kTiny = 1e-300;
  double b = x + 1.0 - a;
  double c = 1.0 / kTiny;
  double d = 1.0 / b;
  double h = d;
  for (int i = 1; i < 10000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) < kEps) break;
  }
  return 1.0 - std::exp(log_prefactor) * h;
}

// sup |F_n - F| over the sorted sample.
double ks_statistic(std::vector<double> draws, const std::function<double(double)>& cdf) {
  std::sort(draws.begin(), draws.end());
  const double n = static_cast<double>(draws.size());
  double distance = 0.0;
  for (std::size_t i = 0; i < draws.size(); ++i) {
    const double f = cdf(draws[i]);
    const double below = static_cast<double>(i) / n;
    const double above = static_cast<double>(i + 1) / n;
    distance = std::max({distance, f - below, above - f});
  }
  return distance;
}

TEST_CASE("test helper: the incomplete gamma matches closed forms") {
  // P(1, x) = 1 - e^-x; P(1/2, x) = erf(sqrt x); P(3, x) = 1 - e^-x (1 + x + x^2/2). Both
  // branches (series below a + 1, continued fraction above) are exercised; 1e-13 absolute is
  // ~1000 ulps, the accumulated rounding of either expansion.
  for (const double x : {0.01, 0.3, 1.0, 2.5, 7.0, 30.0}) {
    CAPTURE(x);
    CHECK(std::abs(regularized_lower_gamma(1.0, x) - -std::expm1(-x)) < 1e-13);
    CHECK(std::abs(regularized_lower_gamma(0.5, x) - std::erf(std::sqrt(x))) < 1e-13);
    CHECK(std::abs(regularized_lower_gamma(3.0, x) -
                   (1.0 - std::exp(-x) * (1.0 + x + 0.5 * x * x))) < 1e-13);
  }
}

TEST_CASE("sample mean and variance match the exact moments within 5 standard errors") {
  // The standard error of the sample mean is sigma / sqrt(n); that of the unbiased sample
  // variance is sqrt((mu4 - sigma^4 (n-3)/(n-1)) / n), with mu4 the exact fourth central moment
  // of each family (listed per case). Heavy tails make mu4 large; the cases are chosen so that
  // 5 standard errors stay below ~15% of the variance at n = 1e6, so the check has teeth.
  struct MomentCase {
    std::string label;
    DistributionConfig config;
    double central_fourth;  // exact mu4
  };
  const auto sq = [](double x) { return x * x; };
  const double m = 0.02;
  std::vector<MomentCase> cases;
  cases.push_back({"exponential", {.kind = Kind::kExponential, .mean_s = m}, 9.0 * sq(sq(m))});
  {
    const double half_width = std::sqrt(3.0) * 0.3 * m;  // uniform mu4 = half_width^4 / 5
    cases.push_back({"uniform cv 0.3",
                     {.kind = Kind::kUniform, .mean_s = m, .cv = 0.3},
                     sq(sq(half_width)) / 5.0});
    cases.push_back({"uniform default", {.kind = Kind::kUniform, .mean_s = m}, sq(sq(m)) / 5.0});
  }
  for (const double cv : {0.5, 1.0}) {
    // Lognormal kurtosis w^4 + 2 w^3 + 3 w^2 - 3 with w = exp(sigma^2) = 1 + cv^2.
    const double w = 1.0 + cv * cv;
    const double kurtosis = sq(sq(w)) + 2.0 * w * w * w + 3.0 * w * w - 3.0;
    cases.push_back({"lognormal",
                     {.kind = Kind::kLognormal, .mean_s = m, .cv = cv},
                     sq(sq(m * cv)) * kurtosis});
  }
  for (const double cv : {0.5, 1.0, 2.0}) {
    // Gamma kurtosis 3 + 6 / shape, shape = 1 / cv^2; cv = 2 takes the shape < 1 boost.
    cases.push_back({"gamma",
                     {.kind = Kind::kGamma, .mean_s = m, .cv = cv},
                     sq(sq(m * cv)) * (3.0 + 6.0 * cv * cv)});
  }
  for (const int k : {1, 3, 16, 40}) {
    // Erlang is gamma with integer shape: kurtosis 3 + 6 / k.
    const double variance = m * m / k;
    cases.push_back({"erlang",
                     {.kind = Kind::kErlang, .mean_s = m, .erlang_k = k},
                     variance * variance * (3.0 + 6.0 / k)});
  }
  {
    // alpha 4.5 has a finite fourth moment even untruncated (kurtosis ~150 here).
    const double lower = 0.002;
    const double upper = 1e6 * lower;
    cases.push_back({"pareto alpha 4.5, max 0",
                     {.kind = Kind::kBoundedPareto,
                      .mean_s = pareto_raw_moment(lower, upper, 4.5, 1),
                      .alpha = 4.5},
                     pareto_central_fourth(lower, upper, 4.5)});
  }
  for (const double alpha : {1.0, 1.5, 2.0}) {
    // Heavier tails need a tighter truncation (H = 100 L) to keep mu4 / sigma^4 below ~250.
    const double lower = 0.002;
    const double upper = 100.0 * lower;
    cases.push_back({"pareto H = 100 L",
                     {.kind = Kind::kBoundedPareto,
                      .mean_s = pareto_raw_moment(lower, upper, alpha, 1),
                      .alpha = alpha,
                      .max_s = upper},
                     pareto_central_fourth(lower, upper, alpha)});
  }
  {
    const std::vector<double> values = {0.001, 0.002, 0.0025, 0.004, 0.010, 0.050};
    double raw_mean = 0.0;
    for (const double x : values) raw_mean += x / static_cast<double>(values.size());
    double mu = 0.0;
    for (const double x : values) mu += x * (m / raw_mean) / static_cast<double>(values.size());
    double mu4 = 0.0;
    for (const double x : values) {
      mu4 += sq(sq(x * (m / raw_mean) - mu)) / static_cast<double>(values.size());
    }
    cases.push_back(
        {"empirical rescaled", {.kind = Kind::kEmpirical, .mean_s = m, .samples_s = values}, mu4});
  }

  const std::size_t n = scaled_draws(1e6);
  const double count = static_cast<double>(n);
  std::uint64_t entity = 100;
  for (const MomentCase& c : cases) {
    CAPTURE(c.label);
    CAPTURE(c.config.cv);
    CAPTURE(c.config.alpha);
    CAPTURE(c.config.erlang_k);
    const Distribution d = Distribution::make(c.config);
    Rng rng = test_stream(entity++);
    // Welford's update: numerically stable running mean and sum of squared deviations.
    double running_mean = 0.0;
    double squared_deviations = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const double x = d.sample(rng);
      const double delta = x - running_mean;
      running_mean += delta / static_cast<double>(i + 1);
      squared_deviations += delta * (x - running_mean);
    }
    const double sample_variance = squared_deviations / (count - 1.0);
    const double variance = d.variance();
    const double mean_se = std::sqrt(variance / count);
    const double variance_se =
        std::sqrt((c.central_fourth - variance * variance * (count - 3.0) / (count - 1.0)) / count);
    CAPTURE(sample_variance / variance - 1.0);
    CAPTURE(variance_se / variance);
    CHECK(std::abs(running_mean - d.mean()) <= kStandardErrors * mean_se);
    CHECK(std::abs(sample_variance - variance) <= kStandardErrors * variance_se);
  }
}

TEST_CASE("Kolmogorov–Smirnov distance to the exact CDF is below the 1e-4 critical value") {
  struct ShapeCase {
    std::string label;
    DistributionConfig config;
    std::function<double(double)> cdf;
  };
  std::vector<ShapeCase> cases;
  cases.push_back({"exponential", {.kind = Kind::kExponential, .mean_s = 2.0}, [](double x) {
                     return -std::expm1(-x / 2.0);
                   }});
  {
    const double low = 1.0 - std::sqrt(3.0) * 0.3;
    const double width = 2.0 * std::sqrt(3.0) * 0.3;
    cases.push_back({"uniform cv 0.3",
                     {.kind = Kind::kUniform, .mean_s = 1.0, .cv = 0.3},
                     [low, width](double x) { return std::clamp((x - low) / width, 0.0, 1.0); }});
  }
  {
    const double sigma_sq = std::log(1.0 + 4.0);  // cv = 2
    const double mu = std::log(0.5) - 0.5 * sigma_sq;
    const double sigma = std::sqrt(sigma_sq);
    cases.push_back({"lognormal cv 2",
                     {.kind = Kind::kLognormal, .mean_s = 0.5, .cv = 2.0},
                     [mu, sigma](double x) {
                       return 0.5 * std::erfc(-(std::log(x) - mu) / (sigma * std::sqrt(2.0)));
                     }});
  }
  for (const double cv : {2.0, 0.5}) {
    const double shape = 1.0 / (cv * cv);
    const double scale = 3.0 / shape;
    cases.push_back(
        {"gamma", {.kind = Kind::kGamma, .mean_s = 3.0, .cv = cv}, [shape, scale](double x) {
           return regularized_lower_gamma(shape, x / scale);
         }});
  }
  {
    // Given L and H, the mean comes from the textbook formula; the sampler must find L itself.
    const double lower = 1.0;
    const double upper = 100.0;
    const double alpha = 1.5;
    cases.push_back({"pareto alpha 1.5, H = 100 L",
                     {.kind = Kind::kBoundedPareto,
                      .mean_s = pareto_raw_moment(lower, upper, alpha, 1),
                      .alpha = alpha,
                      .max_s = upper},
                     [=](double x) {
                       return (1.0 - std::pow(lower / x, alpha)) /
                              (1.0 - std::pow(lower / upper, alpha));
                     }});
  }
  {
    const double lower = 0.5;
    const double upper = 1e6 * lower;
    cases.push_back({"pareto alpha 1, max 0",
                     {.kind = Kind::kBoundedPareto,
                      .mean_s = pareto_raw_moment(lower, upper, 1.0, 1),
                      .alpha = 1.0},
                     [=](double x) { return (1.0 - lower / x) / (1.0 - lower / upper); }});
  }
  for (const int k : {3, 16, 40}) {
    // Erlang CDF 1 - e^(-y) sum_{j<k} y^j / j!, y = x / stage mean (written independently of
    // the gamma series above).
    const double stage_mean = 1.0 / k;
    cases.push_back({"erlang",
                     {.kind = Kind::kErlang, .mean_s = 1.0, .erlang_k = k},
                     [k, stage_mean](double x) {
                       const double y = x / stage_mean;
                       double term = std::exp(-y);
                       double sum = term;
                       for (int j = 1; j < k; ++j) {
                         term *= y / j;
                         sum += term;
                       }
                       return 1.0 - sum;
                     }});
  }

  const std::size_t n = scaled_draws(1e6);
  const double critical = ks_critical_value(n);
  std::uint64_t entity = 200;
  for (const ShapeCase& c : cases) {
    CAPTURE(c.label);
    CAPTURE(c.config.erlang_k);
    const Distribution d = Distribution::make(c.config);
    Rng rng = test_stream(entity++);
    std::vector<double> draws(n);
    for (double& x : draws) x = d.sample(rng);
    const double distance = ks_statistic(std::move(draws), c.cdf);
    CAPTURE(distance * std::sqrt(static_cast<double>(n)));
    CHECK(distance < critical);
  }
}

TEST_CASE("Zipf frequencies of the first ranks match the exact probabilities (n = 1000)") {
  // Each frequency is a mean of n Bernoulli(p) indicators: standard error sqrt(p (1-p) / n).
  // The mean rank has standard error sqrt(Var(rank) / n), Var from the exact probabilities.
  constexpr std::uint64_t kRanks = 1000;
  constexpr std::size_t kCheckedRanks = 10;
  const std::size_t n = scaled_draws(1e6);
  const double count = static_cast<double>(n);
  std::uint64_t entity = 300;
  for (const double s : {0.5, 1.0, 1.2}) {
    CAPTURE(s);
    std::vector<double> probability(kRanks);
    double normaliser = 0.0;
    for (std::uint64_t i = 0; i < kRanks; ++i) {
      probability[i] = std::pow(static_cast<double>(i + 1), -s);
      normaliser += probability[i];
    }
    double mean_rank = 0.0;
    double second_moment = 0.0;
    for (std::uint64_t i = 0; i < kRanks; ++i) {
      probability[i] /= normaliser;
      mean_rank += static_cast<double>(i) * probability[i];
      second_moment += static_cast<double>(i) * static_cast<double>(i) * probability[i];
    }
    const ZipfSampler zipf(kRanks, s);
    Rng rng = test_stream(entity++);
    std::vector<double> hits(kCheckedRanks + 1, 0.0);  // last slot: all ranks >= kCheckedRanks
    double rank_sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t rank = zipf.sample(rng);
      REQUIRE(rank < kRanks);
      hits[std::min<std::uint64_t>(rank, kCheckedRanks)] += 1.0;
      rank_sum += static_cast<double>(rank);
    }
    double tail_probability = 1.0;
    for (std::size_t i = 0; i < kCheckedRanks; ++i) {
      CAPTURE(i);
      const double p = probability[i];
      tail_probability -= p;
      CHECK(std::abs(hits[i] / count - p) <= kStandardErrors * std::sqrt(p * (1.0 - p) / count));
    }
    const double q = tail_probability;
    CHECK(std::abs(hits[kCheckedRanks] / count - q) <=
          kStandardErrors * std::sqrt(q * (1.0 - q) / count));
    const double rank_variance = second_moment - mean_rank * mean_rank;
    CHECK(std::abs(rank_sum / count - mean_rank) <=
          kStandardErrors * std::sqrt(rank_variance / count));
  }
}

TEST_CASE("Zipf with n = 1e9 puts the right mass in the upper half of the ranks") {
  // P(rank >= n/2) = (H(n) - H(n/2)) / H(n), H(N) = sum_{k<=N} k^-s, by Euler–Maclaurin:
  // s = 1/2: H(N) = 2 sqrt(N) + zeta(1/2) + 1 / (2 sqrt(N)) + O(N^-1.5), zeta(1/2) = -1.4603545;
  // s = 1: H(N) = ln N + gamma + 1 / (2N) + O(N^-2), gamma = 0.5772157.
  // The truncation error is < 1e-12, far below the binomial standard error sqrt(q (1-q) / n).
  constexpr std::uint64_t kRanks = 1'000'000'000;
  const double big = static_cast<double>(kRanks);
  const double half = big / 2.0;
  const auto harmonic_half = [](double size) {
    return 2.0 * std::sqrt(size) - 1.4603545088095868 + 0.5 / std::sqrt(size);
  };
  const auto harmonic_one = [](double size) {
    return std::log(size) + 0.5772156649015329 + 0.5 / size;
  };
  struct TailCase {
    double s;
    double upper_half_probability;
  };
  const TailCase cases[] = {
      {0.5, (harmonic_half(big) - harmonic_half(half)) / harmonic_half(big)},
      {1.0, (harmonic_one(big) - harmonic_one(half)) / harmonic_one(big)},
  };
  const std::size_t n = scaled_draws(1e6);
  const double count = static_cast<double>(n);
  std::uint64_t entity = 400;
  for (const TailCase& c : cases) {
    CAPTURE(c.s);
    const ZipfSampler zipf(kRanks, c.s);
    Rng rng = test_stream(entity++);
    double upper_half = 0.0;
    double first_rank = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint64_t rank = zipf.sample(rng);
      REQUIRE(rank < kRanks);
      if (rank >= kRanks / 2) upper_half += 1.0;
      if (rank == 0) first_rank += 1.0;
    }
    const double q = c.upper_half_probability;
    CHECK(std::abs(upper_half / count - q) <= kStandardErrors * std::sqrt(q * (1.0 - q) / count));
    // And the head: P(rank 0) = 1 / H(n) = 0.047 for s = 1. (For s = 1/2 it is 1.6e-5: ~16
    // hits in 1e6 draws, too few for a check that could fail.)
    if (c.s == 1.0) {
      const double p0 = 1.0 / harmonic_one(big);
      CHECK(std::abs(first_rank / count - p0) <=
            kStandardErrors * std::sqrt(p0 * (1.0 - p0) / count));
    }
  }
}

}  // namespace
}  // namespace lbsim
