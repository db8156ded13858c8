// Closed forms against exact values, against each other where one model reduces to another, and
// against independent direct evaluations (long double sums written differently from the library).
// Tolerances are a small multiple of double rounding unless stated: the functions are a handful
// of floating-point operations or a well-conditioned recurrence.
#include "sim/analytic/queueing.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <tuple>

namespace lbsim::analytic {
namespace {

bool close_relative(double actual, double expected, double tolerance) {
  return std::abs(actual - expected) <= tolerance * std::abs(expected);
}

// Erlang B and C by the textbook sums, in log space and long double: term_n = a^n / n!,
// B = term_c / sum_{n<=c} term_n, C = term_c c/(c-a) / (sum_{n<c} term_n + term_c c/(c-a)).
struct DirectErlang {
  long double blocking;
  long double wait_probability;
};
DirectErlang direct_erlang(int servers, long double offered_load) {
  long double largest_log = 0.0L;
  for (int n = 0; n <= servers; ++n) {
    largest_log = std::max(largest_log, n * std::log(offered_load) - std::lgamma(n + 1.0L));
  }
  long double below_c = 0.0L;
  for (int n = 0; n < servers; ++n) {
    below_c += std::exp(n * std::log(offered_load) - std::lgamma(n + 1.0L) - largest_log);
  }
  const long double term_c =
      std::exp(servers * std::log(offered_load) - std::lgamma(servers + 1.0L) - largest_log);
  const long double queued = term_c * servers / (servers - offered_load);
  return {term_c / (below_c + term_c), queued / (below_c + queued)};
}

TEST_CASE("M/M/1 at rho = 0.5 (lambda 1, mu 2)") {
  // Wq = rho / (mu - lambda) = 0.5, T = 1 / (mu - lambda) = 1, P(Wq > t) = 0.5 e^{-t}.
  CHECK(close_relative(mm1_mean_wait_s(1.0, 2.0), 0.5, 1e-15));
  CHECK(close_relative(mm1_mean_response_s(1.0, 2.0), 1.0, 1e-15));
  CHECK(close_relative(mm1_wait_exceeds_probability(1.0, 2.0, 0.0), 0.5, 1e-15));
  CHECK(close_relative(mm1_wait_exceeds_probability(1.0, 2.0, 3.0), 0.5 * std::exp(-3.0), 1e-15));
  CHECK(close_relative(mm1_response_exceeds_probability(1.0, 2.0, 3.0), std::exp(-3.0), 1e-15));
}

TEST_CASE("Erlang C(c = 2, a = 1) = 1/3 and Erlang B(2, 1) = 1/5") {
  // B(2, 1) = (1/2) / (1 + 1 + 1/2) = 1/5; C = B / (1 - (1/2)(4/5)) = 1/3.
  CHECK(close_relative(erlang_b(2, 1.0), 0.2, 1e-15));
  CHECK(close_relative(erlang_c(2, 1.0), 1.0 / 3.0, 1e-15));
  // M/M/2 with lambda 1, mu 1: Wq = C / (2 - 1) = 1/3, T = 4/3.
  CHECK(close_relative(mmc_mean_wait_s(2, 1.0, 1.0), 1.0 / 3.0, 1e-15));
  CHECK(close_relative(mmc_mean_response_s(2, 1.0, 1.0), 4.0 / 3.0, 1e-15));
  CHECK(
      close_relative(mmc_wait_exceeds_probability(2, 1.0, 1.0, 2.0), std::exp(-2.0) / 3.0, 1e-15));
}

TEST_CASE("Erlang B matches the traffic tables at 1% blocking") {
  // Standard Erlang B traffic tables give the offered load at 1% blocking as 1.361 E for 5
  // circuits, 4.461 E for 10 and 12.031 E for 20. The table rounds the load to 1e-3 E; |dB/da| ~ B
  // (c/a - 1 + B) <= 0.03 here, so B is within 3e-5 of 1%.
  CHECK(std::abs(erlang_b(5, 1.361) - 0.01) < 3e-5);
  CHECK(std::abs(erlang_b(10, 4.461) - 0.01) < 3e-5);
  CHECK(std::abs(erlang_b(20, 12.031) - 0.01) < 3e-5);
}

TEST_CASE("Erlang B and C match the direct sums, up to 10^4 servers") {
  // The direct sums lose ~|log term| * 1e-19 to lgamma/exp rounding (log terms reach ~1e5 at
  // c = 10^4): 1e-12 relative covers that; the recurrence itself is accurate to ~c * 1e-16.
  struct Case {
    int servers;
    double offered_load;
    double tolerance;
  };
  for (const Case& c :
       {Case{1, 0.5, 1e-13}, Case{3, 2.5, 1e-13}, Case{10, 5.0, 1e-13}, Case{50, 45.0, 1e-12},
        Case{400, 390.0, 1e-11}, Case{10'000, 9'900.0, 1e-9}}) {
    CAPTURE(c.servers);
    const DirectErlang direct = direct_erlang(c.servers, c.offered_load);
    CHECK(close_relative(erlang_b(c.servers, c.offered_load), static_cast<double>(direct.blocking),
                         c.tolerance));
    CHECK(close_relative(erlang_c(c.servers, c.offered_load),
                         static_cast<double>(direct.wait_probability), c.tolerance));
  }
  // Halfin-Whitt regime (Halfin & Whitt, Oper. Res. 29(3), 1981), a = c - beta sqrt(c) with
  // beta = 1: C tends to 1 / (1 + beta Phi(beta) / phi(beta)) = 0.2234 as c -> infinity. The
  // correction is O(1/sqrt(c)); the tolerance is one such unit, 0.01 (observed gap 6e-4).
  const double phi_ratio =
      0.5 * std::erfc(-1.0 / std::sqrt(2.0)) / (std::exp(-0.5) / std::sqrt(2.0 * std::numbers::pi));
  CHECK(std::abs(erlang_c(10'000, 9'900.0) - 1.0 / (1.0 + phi_ratio)) < 0.01);
}

TEST_CASE("M/M/c/K with c = 1 equals the M/M/1/K closed form") {
  // P_K = (1 - rho) rho^K / (1 - rho^{K+1}); L = rho/(1-rho) - (K+1) rho^{K+1} / (1 - rho^{K+1});
  // at rho = 1 every state has probability 1/(K+1) and L = K/2.
  for (const double rho : {0.3, 0.9, 1.5, 4.0}) {
    for (const int capacity : {1, 5, 40}) {
      CAPTURE(rho);
      CAPTURE(capacity);
      const MmckResult result = mmck(1, capacity, rho, 1.0);
      const double power_k1 = std::pow(rho, capacity + 1);
      const double blocking = (1.0 - rho) * std::pow(rho, capacity) / (1.0 - power_k1);
      const double number = rho / (1.0 - rho) - (capacity + 1) * power_k1 / (1.0 - power_k1);
      CHECK(close_relative(result.blocking_probability, blocking, 1e-12));
      CHECK(close_relative(result.mean_number_in_system, number, 1e-12));
      // Little's law on the admitted stream; with one server Lq = L - (1 - p_0).
      CHECK(close_relative(result.mean_response_s, number / (rho * (1.0 - blocking)), 1e-12));
      // Relative to L: with K = 1 the expected Lq is 0 up to the subtraction's rounding.
      CHECK(std::abs(result.mean_number_waiting -
                     (number - (1.0 - result.state_probabilities[0]))) <= 1e-12 * number);
    }
  }
  const MmckResult balanced = mmck(1, 9, 2.0, 2.0);
  for (const double p : balanced.state_probabilities) CHECK(close_relative(p, 0.1, 1e-14));
  CHECK(close_relative(balanced.mean_number_in_system, 4.5, 1e-14));
}

TEST_CASE("M/M/c/c is the Erlang loss system") {
  for (const int servers : {1, 4, 30}) {
    CAPTURE(servers);
    const MmckResult result = mmck(servers, servers, 0.8 * servers, 1.0);
    CHECK(close_relative(result.blocking_probability, erlang_b(servers, 0.8 * servers), 1e-13));
    CHECK(result.mean_number_waiting == 0.0);
    CHECK(close_relative(result.mean_response_s, 1.0, 1e-13));
  }
}

TEST_CASE("M/M/c/K tends to M/M/c (Erlang C) as K grows") {
  // With K = c + 3000 the truncated mass is (a/c)^3000 <= 0.9^3000 ~ 1e-137: no visible error.
  for (const int servers : {1, 4, 25}) {
    const double arrival_rate = 0.9 * servers;
    const double service_rate = 1.0;
    const MmckResult result = mmck(servers, servers + 3000, arrival_rate, service_rate);
    double waiting_probability = 0.0;  // P(n >= c): by PASTA, the probability an arrival waits
    for (std::size_t n = static_cast<std::size_t>(servers); n < result.state_probabilities.size();
         ++n) {
      waiting_probability += result.state_probabilities[n];
    }
    CAPTURE(servers);
    CHECK(
        close_relative(waiting_probability, erlang_c(servers, arrival_rate / service_rate), 1e-12));
    CHECK(close_relative(result.mean_wait_s, mmc_mean_wait_s(servers, arrival_rate, service_rate),
                         1e-12));
    CHECK(close_relative(result.mean_response_s,
                         mmc_mean_response_s(servers, arrival_rate, service_rate), 1e-12));
    CHECK(result.blocking_probability < 1e-100);
  }
}

TEST_CASE("M/M/c/K in heavy overload and with huge K does not overflow") {
  // rho = 2 with one server: as K -> infinity, p_K -> 1 - 1/rho = 0.5 (geometric from the top).
  const MmckResult single = mmck(1, 100'000, 2.0, 1.0);
  CHECK(close_relative(single.blocking_probability, 0.5, 1e-12));
  CHECK(close_relative(single.admitted_rate_per_s, 1.0, 1e-12));
  // 1000 servers at offered load 1500: the 1000 servers are always busy to within 1e-12, so the
  // admitted rate equals the service capacity mu c = 1000 (flow balance).
  const MmckResult many = mmck(1000, 2000, 1500.0, 1.0);
  CHECK(close_relative(many.admitted_rate_per_s, 1000.0, 1e-9));
  double total = 0.0;
  for (const double p : many.state_probabilities) {
    CHECK(std::isfinite(p));
    total += p;
  }
  CHECK(close_relative(total, 1.0, 1e-12));
}

TEST_CASE("Pollaczek-Khinchine: scv = 1 is M/M/1, scv = 0 (M/D/1) waits half as long") {
  for (const double rho : {0.1, 0.5, 0.95}) {
    const double service_s = 0.02;
    const double arrival_rate = rho / service_s;
    CHECK(close_relative(mg1_mean_wait_s(arrival_rate, service_s, 1.0),
                         mm1_mean_wait_s(arrival_rate, 1.0 / service_s), 1e-13));
    CHECK(close_relative(mg1_mean_response_s(arrival_rate, service_s, 1.0),
                         mm1_mean_response_s(arrival_rate, 1.0 / service_s), 1e-13));
    CHECK(close_relative(md1_mean_wait_s(arrival_rate, service_s),
                         0.5 * mm1_mean_wait_s(arrival_rate, 1.0 / service_s), 1e-13));
  }
  // Lognormal-like service, scv = 9, rho = 0.8, m = 1: Wq = 0.8 * 1 * 10 / (2 * 0.2) = 20.
  CHECK(close_relative(mg1_mean_wait_s(0.8, 1.0, 9.0), 20.0, 1e-14));
}

TEST_CASE("E_1/M/1 is M/M/1: sigma = rho") {
  for (const double rho : {0.05, 0.5, 0.9, 0.999}) {
    CAPTURE(rho);
    CHECK(std::abs(ekm1_sigma(1, rho, 1.0) - rho) < 1e-14);
    // 1 - sigma is found to 1e-14 relative, so Wq and T are exact to ~1e-13 even at rho = 0.999.
    CHECK(close_relative(ekm1_mean_wait_s(1, rho, 1.0), mm1_mean_wait_s(rho, 1.0), 1e-12));
    CHECK(close_relative(ekm1_mean_response_s(1, rho, 1.0), mm1_mean_response_s(rho, 1.0), 1e-12));
    CHECK(close_relative(ekm1_wait_exceeds_probability(1, rho, 1.0, 2.0),
                         mm1_wait_exceeds_probability(rho, 1.0, 2.0), 1e-12));
  }
}

TEST_CASE("E_2/M/1 matches its closed-form root") {
  // With k = 2 the fixed-point equation reduces (after removing the trivial root sigma = 1) to a
  // quadratic whose root in (0, 1) is sigma = (1 + 4 rho - sqrt(1 + 8 rho)) / 2.
  for (const double rho : {0.2, 0.5, 0.8, 0.99}) {
    CAPTURE(rho);
    const double sigma = (1.0 + 4.0 * rho - std::sqrt(1.0 + 8.0 * rho)) / 2.0;
    CHECK(std::abs(ekm1_sigma(2, 3.0 * rho, 3.0) - sigma) < 1e-14);
  }
  // rho = 1/2: sigma = (3 - sqrt(5)) / 2 = 0.381966...
  CHECK(std::abs(ekm1_sigma(2, 0.5, 1.0) - (3.0 - std::sqrt(5.0)) / 2.0) < 1e-14);
}

TEST_CASE("E_k/M/1 waits decrease with k towards D/M/1") {
  const double rho = 0.8;
  double previous_wait_s = std::numeric_limits<double>::infinity();
  for (const int k : {1, 2, 3, 5, 10, 100, 1000}) {
    const double wait_s = ekm1_mean_wait_s(k, rho, 1.0);
    CAPTURE(k);
    CHECK(wait_s < previous_wait_s);
    CHECK(wait_s > dm1_mean_wait_s(rho, 1.0));
    previous_wait_s = wait_s;
  }
  // Erlang-k interarrivals converge to deterministic ones; the mean wait converges at rate O(1/k)
  // (the interarrival variance is 1/(k lambda^2)): 1e-3 relative at k = 10^4 leaves a margin of
  // ~7 over the observed gap (1.35e-4).
  CHECK(close_relative(ekm1_mean_wait_s(10'000, rho, 1.0), dm1_mean_wait_s(rho, 1.0), 1e-3));
}

TEST_CASE("D/M/1 sigma satisfies its equation and matches an independent solution") {
  for (const double rho : {0.1, 0.5, 0.9, 0.999}) {
    const double sigma = dm1_sigma(rho, 1.0);
    CAPTURE(rho);
    CHECK(sigma > 0.0);
    CHECK(sigma < 1.0);
    CHECK(std::abs(sigma - std::exp(-(1.0 - sigma) / rho)) < 1e-14);
  }
  // rho = 0.5: sigma = -rho W0(-e^{-1/rho} / rho) = 0.2031878699799799, here from 10^4 steps of
  // the plain fixed-point iteration sigma <- e^{-2 (1 - sigma)} (contraction factor
  // sigma / rho = 0.41, so fully converged), a method independent of the library's bisection.
  CHECK(std::abs(dm1_sigma(0.5, 1.0) - 0.2031878699799799) < 1e-14);
}

TEST_CASE("round robin over k exponential servers is E_k/M/1 at rate Lambda / k") {
  // One server: round robin is just M/M/1.
  CHECK(close_relative(round_robin_mean_response_s(1, 0.7, 1.0), mm1_mean_response_s(0.7, 1.0),
                       1e-12));
  CHECK(close_relative(round_robin_mean_response_s(8, 6.4, 1.0), ekm1_mean_response_s(8, 0.8, 1.0),
                       1e-15));
  // Better than random assignment (M/M/1 per server), worse than deterministic arrivals.
  CHECK(round_robin_mean_response_s(8, 6.4, 1.0) < mm1_mean_response_s(0.8, 1.0));
  CHECK(round_robin_mean_response_s(8, 6.4, 1.0) > dm1_mean_wait_s(0.8, 1.0) + 1.0);
}

TEST_CASE("invalid or unstable inputs throw") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK_THROWS_AS((void)mm1_mean_wait_s(1.0, 1.0), std::invalid_argument);  // rho = 1
  CHECK_THROWS_AS((void)mm1_mean_response_s(2.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)mm1_mean_wait_s(-1.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)mm1_mean_wait_s(0.5, 0.0), std::invalid_argument);
  CHECK_THROWS_AS((void)mm1_mean_wait_s(nan, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)mm1_mean_wait_s(0.5, inf), std::invalid_argument);
  CHECK_THROWS_AS((void)mm1_wait_exceeds_probability(0.5, 1.0, -1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)mm1_response_exceeds_probability(0.5, 1.0, nan), std::invalid_argument);

  CHECK_THROWS_AS((void)erlang_b(0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)erlang_b(3, -0.1), std::invalid_argument);
  CHECK_THROWS_AS((void)erlang_c(2, 2.0), std::invalid_argument);  // a = c
  CHECK_THROWS_AS((void)mmc_mean_wait_s(4, 4.5, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)mmc_mean_response_s(0, 0.5, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)mmc_wait_exceeds_probability(2, 1.0, 1.0, -0.5), std::invalid_argument);

  CHECK_THROWS_AS((void)mmck(0, 5, 1.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)mmck(3, 2, 1.0, 1.0), std::invalid_argument);  // K < c
  CHECK_THROWS_AS((void)mmck(1, 5, 0.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)mmck(1, 5, 1.0, nan), std::invalid_argument);

  CHECK_THROWS_AS((void)mg1_mean_wait_s(1.0, 1.0, 1.0), std::invalid_argument);  // rho = 1
  CHECK_THROWS_AS((void)mg1_mean_wait_s(0.5, 1.0, -0.1), std::invalid_argument);
  CHECK_THROWS_AS((void)mg1_mean_wait_s(0.5, 0.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)md1_mean_wait_s(2.0, 0.5), std::invalid_argument);

  CHECK_THROWS_AS((void)ekm1_sigma(0, 0.5, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)ekm1_mean_wait_s(3, 1.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)ekm1_wait_exceeds_probability(3, 0.5, 1.0, -1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)dm1_sigma(1.2, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)round_robin_mean_response_s(4, 4.0, 1.0), std::invalid_argument);
  CHECK_THROWS_AS((void)round_robin_mean_response_s(0, 0.5, 1.0), std::invalid_argument);
}

}  // namespace
}  // namespace lbsim::analytic

namespace lbsim::analytic {

TEST_CASE("M/M/c response-time tail: M/M/1 at c = 1, the Erlang-2 case, and its mean") {
  // c = 1: P(T > t) = e^{-(mu - lambda) t}; its 99th percentile is ln(100) / (mu - lambda).
  CHECK(mmc_response_exceeds_probability(1, 1.0, 2.0, 1.5) ==
        doctest::Approx(std::exp(-1.5)).epsilon(1e-12));
  CHECK(mmc_response_quantile_s(1, 1.0, 2.0, 0.99) ==
        doctest::Approx(std::log(100.0)).epsilon(1e-10));
  // c = 2, lambda = mu = 1: C = 1/3 and theta = c mu - lambda = mu, the Erlang-2 branch:
  // P(T > t) = (2/3) e^{-t} + (1/3)(1 + t) e^{-t}; at t = 1, (4/3) e^{-1}.
  CHECK(mmc_response_exceeds_probability(2, 1.0, 1.0, 1.0) ==
        doctest::Approx(4.0 / 3.0 * std::exp(-1.0)).epsilon(1e-12));
  // The tail integrates to the mean response (T >= 0): trapezoid rule with a fine step over
  // [0, 60 / min(mu, theta)], where the tail is below e^{-60}. Step 1e-4 of the time scale: the
  // rule's error is O(h^2) ~ 1e-8 relative.
  for (const auto& [c, lambda, mu] :
       {std::tuple{4, 3.2, 1.0}, std::tuple{10, 9.0, 1.0}, std::tuple{3, 1.0, 2.0}}) {
    CAPTURE(c);
    const double theta = c * mu - lambda;
    const double end = 60.0 / std::min(mu, theta);
    const double h = 1e-4 / std::max(mu, theta);
    double integral = 0.0;
    double previous = 1.0;
    for (double t = h; t <= end; t += h) {
      const double next = mmc_response_exceeds_probability(c, lambda, mu, t);
      integral += 0.5 * (previous + next) * h;
      previous = next;
    }
    CHECK(integral == doctest::Approx(mmc_mean_response_s(c, lambda, mu)).epsilon(1e-6));
    // The quantile inverts the tail.
    const double p99 = mmc_response_quantile_s(c, lambda, mu, 0.99);
    CHECK(mmc_response_exceeds_probability(c, lambda, mu, p99) ==
          doctest::Approx(0.01).epsilon(1e-9));
  }
}

}  // namespace lbsim::analytic
