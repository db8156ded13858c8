#pragma once
// The supermarket model: N -> infinity identical FCFS exponential servers of rate mu, Poisson
// arrivals of total rate N lambda, each sent to the shortest of d queues chosen uniformly at
// random ("power of d choices"). Load per server rho = lambda / mu < 1.
//
// Source: M. Mitzenmacher, "The power of two choices in randomized load balancing", IEEE TPDS
// 12(10), 2001 (the fixed point of its mean-field differential equations); N. D. Vvedenskaya, R. L.
// Dobrushin, F. I. Karpelevich, "Queueing system with selection of the shortest of two queues: an
// asymptotic approach", Problems of Information Transmission 32(1), 1996.
//
// In equilibrium the fraction of servers with at least i customers is
//   s_i = rho^{(d^i - 1) / (d - 1)}   (d >= 2),   s_i = rho^i   (d = 1, i.e. M/M/1),
// equivalently s_0 = 1, s_i = rho s_{i-1}^d. The mean number per server is sum_{i>=1} s_i, and by
// Little's law (per-server arrival rate rho mu) the mean response time is that sum / (rho mu).
//
// These are the N -> infinity limits: a finite fleet is close for large N (the error is O(1/N)).
// Every function throws std::invalid_argument unless choices >= 1, 0 < load < 1 and the rates are
// finite and > 0.
namespace lbsim::analytic {

// s_i, the fraction of servers with at least `customers` (i >= 0) customers.
[[nodiscard]] double supermarket_fraction_at_least(int choices, double load, int customers);

// sum_{i>=1} s_i, summed until a term falls below 1e-16 (for d = 1 the geometric series is summed
// in closed form, rho / (1 - rho), since its terms decay slowly near rho = 1).
[[nodiscard]] double supermarket_mean_number_per_server(int choices, double load);

// Mean response time: supermarket_mean_number_per_server / (rho mu), with rho = load.
[[nodiscard]] double supermarket_mean_response_s(int choices, double load,
                                                 double service_rate_per_s);

}  // namespace lbsim::analytic
