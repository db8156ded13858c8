#pragma once
// Service-time (and other positive-value) distributions. A DistributionConfig is plain data filled
// by the scenario loader; Distribution::make validates it and precomputes the sampler's
// parameters once, so sample() does no allocation and no branching on strings.
//
// Every family is parameterised by its mean (DESIGN.md); families with a shape take it as the
// coefficient of variation `cv` (lognormal, gamma, uniform), `alpha` (bounded Pareto) or the
// stage count `k` (Erlang). Values are in seconds.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/rng.hpp"

namespace lbsim {

enum class DistributionKind {
  kExponential,
  kDeterministic,
  kUniform,
  kLognormal,
  kGamma,
  kBoundedPareto,
  kErlang,
  kEmpirical,
};

// Names as written in scenario files: exponential, deterministic, uniform, lognormal, gamma,
// pareto, erlang, empirical.
[[nodiscard]] const char* distribution_name(DistributionKind kind);
// Throws std::invalid_argument listing the valid names.
[[nodiscard]] DistributionKind parse_distribution_kind(const std::string& name);

struct DistributionConfig {
  DistributionKind kind = DistributionKind::kExponential;
  double mean_s = 0.0;            // required, > 0 (for empirical: rescale target, 0 = keep samples)
  double cv = -1.0;               // lognormal, gamma: > 0 required; uniform: in [0, 1/sqrt(3)],
                                  //   default 1/sqrt(3) (i.e. uniform on [0, 2*mean])
  double alpha = 0.0;             // bounded Pareto: > 0, != 1 handled too
  double max_s = 0.0;             // bounded Pareto upper bound H; 0 = H/L = 1e6
  int erlang_k = 0;               // Erlang: stages >= 1
  std::vector<double> samples_s;  // empirical: observed values (> 0), at least one
};

class Distribution {
 public:
  // Throws std::invalid_argument with a plain message "<family>: <parameter> must be <range>
  // (got <value>)"; non-finite values are invalid. Fields that the family does not use are
  // ignored (the scenario loader rejects keys that do not belong to the family).
  // Bounded Pareto: with max_s > 0 the lower bound L is solved from mean and H to 1e-12
  // relative; mean_s >= max_s, or an L below 1e-150 * H, is rejected.
  [[nodiscard]] static Distribution make(const DistributionConfig& config);

  // One draw, in seconds, >= 0. The same stream state gives the same value bit for bit.
  // Deterministic draws no random numbers; Erlang costs O(k) uniforms; lognormal and gamma use
  // rejection, so they draw a variable number of uniforms.
  [[nodiscard]] double sample(Rng& rng) const;

  [[nodiscard]] DistributionKind kind() const { return kind_; }
  // Exact moments of the sampled distribution: the configured mean (empirical: the mean of the
  // rescaled samples) and the closed-form (empirical: population) variance.
  [[nodiscard]] double mean() const { return mean_; }
  [[nodiscard]] double variance() const { return variance_; }
  // Squared coefficient of variation: variance / mean^2 (used by Pollaczek–Khinchine).
  [[nodiscard]] double scv() const { return variance_ / (mean_ * mean_); }

 private:
  // Parameters of each family that needs more than its mean (make() checks the mean first).
  void init_uniform(const DistributionConfig& config);
  void init_lognormal(const DistributionConfig& config);
  void init_gamma(const DistributionConfig& config);
  void init_bounded_pareto(const DistributionConfig& config);
  void init_erlang(const DistributionConfig& config);
  void init_empirical(const DistributionConfig& config);

  DistributionKind kind_ = DistributionKind::kExponential;
  double mean_ = 0.0;
  double variance_ = 0.0;
  // Sampler parameters; meaning depends on kind_.
  double p0_ = 0.0, p1_ = 0.0, p2_ = 0.0, p3_ = 0.0;
  int k_ = 0;
  std::vector<double> samples_;
};

// Zipf-distributed ranks on {0, ..., n-1}: P(rank = i) proportional to 1 / (i+1)^s, s > 0.
// Rejection-inversion sampling (Hörmann & Derflinger, "Rejection-inversion to generate variates
// from monotone discrete distributions", 1996): O(1) expected time and O(1) memory for any n.
class ZipfSampler {
 public:
  ZipfSampler(std::uint64_t n, double s);  // throws std::invalid_argument if n == 0 or s <= 0
  [[nodiscard]] std::uint64_t sample(Rng& rng) const;
  [[nodiscard]] std::uint64_t n() const { return n_; }
  [[nodiscard]] double exponent() const { return s_; }

 private:
  [[nodiscard]] double h(double x) const;
  [[nodiscard]] double h_integral(double x) const;
  [[nodiscard]] double h_integral_inverse(double x) const;
  std::uint64_t n_;
  double s_;
  double h_integral_x1_ = 0.0, h_integral_n_ = 0.0, threshold_ = 0.0;
};

}  // namespace lbsim
