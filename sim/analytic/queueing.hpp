#pragma once
// Closed-form results for classical queues, used to cross-check the simulator and to give a first
// estimate before running it. Rates are per second, times in seconds. All queues are FCFS with a
// Poisson arrival stream unless the name says otherwise.
//
// Sources:
//   [K]  L. Kleinrock, "Queueing Systems, Volume 1: Theory", Wiley 1975.
//   [HB] M. Harchol-Balter, "Performance Modeling and Design of Computer Systems", CUP 2013.
//
// Every function throws std::invalid_argument, with a message naming the parameter, when an input
// is not finite, a rate is not > 0, a count is out of range, or the queue is unstable (load >= 1
// where the queue has infinite capacity).
#include <vector>

namespace lbsim::analytic {

// ---- M/M/1 ([K] ch. 3 for the state distribution, ch. 5 for the waiting-time distribution).
// rho = lambda / mu < 1.

// Wq = rho / (mu - lambda).
[[nodiscard]] double mm1_mean_wait_s(double arrival_rate_per_s, double service_rate_per_s);
// T = 1 / (mu - lambda).
[[nodiscard]] double mm1_mean_response_s(double arrival_rate_per_s, double service_rate_per_s);
// P(Wq > t) = rho e^{-(mu - lambda) t}, t >= 0.
[[nodiscard]] double mm1_wait_exceeds_probability(double arrival_rate_per_s,
                                                  double service_rate_per_s, double t_s);
// P(T > t) = e^{-(mu - lambda) t}, t >= 0: the response time is exponential.
[[nodiscard]] double mm1_response_exceeds_probability(double arrival_rate_per_s,
                                                      double service_rate_per_s, double t_s);

// ---- Erlang B and C ([K] ch. 3: M/M/m/m and M/M/m; [HB] ch. 14). offered_load a = lambda / mu
// (Erlangs).

// Blocking probability of M/M/c/c, any a >= 0, servers >= 1. Recurrence
// B(0) = 1, B(n) = a B(n-1) / (n + a B(n-1)): every term is in [0, 1], so it neither overflows
// nor loses precision, and costs O(c) (fine for c up to 10^6).
[[nodiscard]] double erlang_b(int servers, double offered_load);
// Probability that an arrival waits in M/M/c, a < c:
// C = B / (1 - (a/c)(1 - B)) (the standard relation between Erlang B and C, [HB] ch. 14).
[[nodiscard]] double erlang_c(int servers, double offered_load);
// M/M/c: Wq = C / (c mu - lambda).
[[nodiscard]] double mmc_mean_wait_s(int servers, double arrival_rate_per_s,
                                     double service_rate_per_s);
// M/M/c: T = Wq + 1 / mu.
[[nodiscard]] double mmc_mean_response_s(int servers, double arrival_rate_per_s,
                                         double service_rate_per_s);
// M/M/c: P(Wq > t) = C e^{-(c mu - lambda) t}, t >= 0: given a wait, it is exponential of rate
// c mu - lambda.
[[nodiscard]] double mmc_wait_exceeds_probability(int servers, double arrival_rate_per_s,
                                                  double service_rate_per_s, double t_s);
// M/M/c FCFS: P(T > t) for the response T = Wq + S, S ~ Exp(mu) independent of Wq. With
// theta = c mu - lambda: P(T > t) = (1 - C) e^{-mu t} + C (theta e^{-mu t} - mu e^{-theta t}) /
// (theta - mu), and C (1 + mu t) e^{-mu t} for the second term when theta = mu (the sum of two
// exponentials of rates theta and mu). c = 1 gives M/M/1's e^{-(mu - lambda) t}.
[[nodiscard]] double mmc_response_exceeds_probability(int servers, double arrival_rate_per_s,
                                                      double service_rate_per_s, double t_s);
// The p-quantile of that response time, p in (0, 1): the t with P(T > t) = 1 - p, by bisection
// to a relative 1e-12 (P(T > t) decreases in t).
[[nodiscard]] double mmc_response_quantile_s(int servers, double arrival_rate_per_s,
                                             double service_rate_per_s, double p);

// ---- M/M/c/K: c servers, at most K customers in the system (queue capacity K - c); arrivals that
// find K present are lost. Stable for any load. Birth-death product form ([K] ch. 3): p_n
// proportional to a^n / n! for n <= c and a^c / c! (a/c)^{n-c} for c < n <= K.
struct MmckResult {
  std::vector<double> state_probabilities;  // p_0 .. p_K
  double blocking_probability = 0.0;        // p_K: fraction of arrivals lost (PASTA)
  double admitted_rate_per_s = 0.0;         // lambda (1 - p_K)
  double mean_number_in_system = 0.0;       // L = sum n p_n
  double mean_number_waiting = 0.0;         // Lq = sum (n - c)^+ p_n
  double mean_response_s = 0.0;             // of admitted customers: L / (lambda (1 - p_K))
  double mean_wait_s = 0.0;                 // of admitted customers: Lq / (lambda (1 - p_K))
};
// servers >= 1, capacity >= servers. The weights are computed outward from the most likely state,
// so none exceeds 1 and large K or heavy overload cannot overflow.
[[nodiscard]] MmckResult mmck(int servers, int capacity, double arrival_rate_per_s,
                              double service_rate_per_s);

// ---- M/G/1, Pollaczek-Khinchine mean-value formula ([K] ch. 5; [HB] ch. 23).
// Service time S has mean m and squared coefficient of variation scv = Var(S) / m^2 >= 0, so
// E[S^2] = m^2 (1 + scv); rho = lambda m < 1.
// Wq = lambda E[S^2] / (2 (1 - rho)) = rho m (1 + scv) / (2 (1 - rho)).
[[nodiscard]] double mg1_mean_wait_s(double arrival_rate_per_s, double mean_service_s,
                                     double service_scv);
// T = Wq + m.
[[nodiscard]] double mg1_mean_response_s(double arrival_rate_per_s, double mean_service_s,
                                         double service_scv);
// M/D/1: the scv = 0 case, Wq = rho m / (2 (1 - rho)).
[[nodiscard]] double md1_mean_wait_s(double arrival_rate_per_s, double service_s);

// ---- GI/M/1 with Erlang-k interarrival times (E_k/M/1) ([K] ch. 6 for G/M/1, ch. 4 for E_r/M/1).
// Interarrival times: the sum of k exponential stages of rate k lambda (mean 1 / lambda). With
// A*(s) the interarrival Laplace transform, sigma is the root in (0, 1) of sigma = A*(mu
// (1-sigma)), here sigma = (k lambda / (k lambda + mu (1 - sigma)))^k, which exists iff rho =
// lambda / mu < 1. The number found by an arrival is geometric: P(wait) = sigma, and the wait given
// a wait is exponential of rate mu (1 - sigma).
//
// Solved by bisection on 1 - sigma, to an absolute error below 1e-14 in sigma (relative error below
// 1e-13 in 1 - sigma, which is what Wq and T depend on).
[[nodiscard]] double ekm1_sigma(int stages, double arrival_rate_per_s, double service_rate_per_s);
// Wq = sigma / (mu (1 - sigma)).
[[nodiscard]] double ekm1_mean_wait_s(int stages, double arrival_rate_per_s,
                                      double service_rate_per_s);
// T = 1 / (mu (1 - sigma)).
[[nodiscard]] double ekm1_mean_response_s(int stages, double arrival_rate_per_s,
                                          double service_rate_per_s);
// P(Wq > t) = sigma e^{-mu (1 - sigma) t}, t >= 0 ([K] ch. 6).
[[nodiscard]] double ekm1_wait_exceeds_probability(int stages, double arrival_rate_per_s,
                                                   double service_rate_per_s, double t_s);

// D/M/1, the k -> infinity limit of E_k/M/1: sigma is the root in (0, 1) of
// sigma = e^{-mu (1 - sigma) / lambda} ([K] ch. 6, deterministic interarrivals).
[[nodiscard]] double dm1_sigma(double arrival_rate_per_s, double service_rate_per_s);
// Wq = sigma / (mu (1 - sigma)).
[[nodiscard]] double dm1_mean_wait_s(double arrival_rate_per_s, double service_rate_per_s);

// Round robin of a Poisson stream of total rate Lambda over `servers` identical exponential
// servers of rate mu (single queue per server): each server sees every servers-th arrival, i.e.
// Erlang-servers interarrivals of rate Lambda / servers, so this is
// ekm1_mean_response_s(servers, Lambda / servers, mu). Requires Lambda < servers * mu.
[[nodiscard]] double round_robin_mean_response_s(int servers, double total_arrival_rate_per_s,
                                                 double service_rate_per_s);

}  // namespace lbsim::analytic
