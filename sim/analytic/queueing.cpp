#include "sim/analytic/queueing.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace lbsim::analytic {
namespace {

void require_rate(const char* name, double rate_per_s) {
  if (!(std::isfinite(rate_per_s) && rate_per_s > 0.0)) {
    throw std::invalid_argument(std::string(name) + " must be finite and > 0, got " +
                                std::to_string(rate_per_s));
  }
}

void require_stable(double load) {
  if (!(load < 1.0)) {
    throw std::invalid_argument("unstable queue: load rho = " + std::to_string(load) +
                                " must be < 1");
  }
}

void require_time(double t_s) {
  if (!(std::isfinite(t_s) && t_s >= 0.0)) {
    throw std::invalid_argument("t_s must be finite and >= 0, got " + std::to_string(t_s));
  }
}

void require_at_least(const char* name, int value, int minimum) {
  if (value < minimum) {
    throw std::invalid_argument(std::string(name) + " must be >= " + std::to_string(minimum) +
                                ", got " + std::to_string(value));
  }
}

// Validates an M/M/1-type queue and returns rho = lambda / mu.
double stable_load(double arrival_rate_per_s, double service_rate_per_s) {
  require_rate("arrival_rate_per_s", arrival_rate_per_s);
  require_rate("service_rate_per_s", service_rate_per_s);
  const double load = arrival_rate_per_s / service_rate_per_s;
  require_stable(load);
  return load;
}

// Validates an M/M/c queue and returns the Erlang C probability of waiting.
double mmc_wait_probability(int servers, double arrival_rate_per_s, double service_rate_per_s) {
  require_at_least("servers", servers, 1);
  require_rate("arrival_rate_per_s", arrival_rate_per_s);
  require_rate("service_rate_per_s", service_rate_per_s);
  return erlang_c(servers, arrival_rate_per_s / service_rate_per_s);
}

// For a GI/M/1 queue, finds u = 1 - sigma in (0, 1) where excess(u) changes sign from negative
// (just above the trivial root u = 0) to positive (at u = 1). Bisection rather than the textbook
// fixed-point iteration sigma <- A*(mu (1 - sigma)): the latter converges at rate A*'(...) -> 1 as
// rho -> 1, bisection always in ~50 steps. Working in u keeps 1 - sigma, which Wq and T divide by,
// to relative precision.
template <typename Excess>
double gim1_one_minus_sigma(Excess excess) {
  double below = 0.0;  // excess <= 0 here
  double above = 1.0;  // excess > 0 here
  for (int iteration = 0; iteration < 2000 && above - below > 1e-14 * above; ++iteration) {
    const double middle = 0.5 * (below + above);
    if (middle <= below || middle >= above) {
      break;
    }
    (excess(middle) > 0.0 ? above : below) = middle;
  }
  return 0.5 * (below + above);
}

double ekm1_one_minus_sigma(int stages, double arrival_rate_per_s, double service_rate_per_s) {
  require_at_least("stages", stages, 1);
  const double load = stable_load(arrival_rate_per_s, service_rate_per_s);
  const double k = stages;
  // sigma = (1 + u / (k rho))^{-k} with sigma = 1 - u, i.e. u + expm1(-k log1p(u / (k rho))) = 0;
  // expm1/log1p keep both terms accurate when u is small.
  return gim1_one_minus_sigma(
      [&](double u) { return u + std::expm1(-k * std::log1p(u / (k * load))); });
}

double dm1_one_minus_sigma(double arrival_rate_per_s, double service_rate_per_s) {
  const double load = stable_load(arrival_rate_per_s, service_rate_per_s);
  // sigma = e^{-u / rho} with sigma = 1 - u.
  return gim1_one_minus_sigma([&](double u) { return u + std::expm1(-u / load); });
}

}  // namespace

double mm1_mean_wait_s(double arrival_rate_per_s, double service_rate_per_s) {
  const double load = stable_load(arrival_rate_per_s, service_rate_per_s);
  return load / (service_rate_per_s - arrival_rate_per_s);
}

double mm1_mean_response_s(double arrival_rate_per_s, double service_rate_per_s) {
  stable_load(arrival_rate_per_s, service_rate_per_s);
  return 1.0 / (service_rate_per_s - arrival_rate_per_s);
}

double mm1_wait_exceeds_probability(double arrival_rate_per_s, double service_rate_per_s,
                                    double t_s) {
  const double load = stable_load(arrival_rate_per_s, service_rate_per_s);
  require_time(t_s);
  return load * std::exp(-(service_rate_per_s - arrival_rate_per_s) * t_s);
}

double mm1_response_exceeds_probability(double arrival_rate_per_s, double service_rate_per_s,
                                        double t_s) {
  stable_load(arrival_rate_per_s, service_rate_per_s);
  require_time(t_s);
  return std::exp(-(service_rate_per_s - arrival_rate_per_s) * t_s);
}

double erlang_b(int servers, double offered_load) {
  require_at_least("servers", servers, 1);
  if (!(std::isfinite(offered_load) && offered_load >= 0.0)) {
    throw std::invalid_argument("offered_load must be finite and >= 0, got " +
                                std::to_string(offered_load));
  }
  double blocking = 1.0;
  for (int n = 1; n <= servers; ++n) {
    blocking = offered_load * blocking / (n + offered_load * blocking);
  }
  return blocking;
}

double erlang_c(int servers, double offered_load) {
  const double blocking = erlang_b(servers, offered_load);
  const double utilisation = offered_load / servers;
  require_stable(utilisation);
  return blocking / (1.0 - utilisation * (1.0 - blocking));
}

double mmc_mean_wait_s(int servers, double arrival_rate_per_s, double service_rate_per_s) {
  const double wait_probability =
      mmc_wait_probability(servers, arrival_rate_per_s, service_rate_per_s);
  return wait_probability / (servers * service_rate_per_s - arrival_rate_per_s);
}

double mmc_mean_response_s(int servers, double arrival_rate_per_s, double service_rate_per_s) {
  return mmc_mean_wait_s(servers, arrival_rate_per_s, service_rate_per_s) +
         1.0 / service_rate_per_s;
}

double mmc_wait_exceeds_probability(int servers, double arrival_rate_per_s,
                                    double service_rate_per_s, double t_s) {
  const double wait_probability =
      mmc_wait_probability(servers, arrival_rate_per_s, service_rate_per_s);
  require_time(t_s);
  return wait_probability * std::exp(-(servers * service_rate_per_s - arrival_rate_per_s) * t_s);
}

double mmc_response_exceeds_probability(int servers, double arrival_rate_per_s,
                                        double service_rate_per_s, double t_s) {
  const double wait_probability =
      mmc_wait_probability(servers, arrival_rate_per_s, service_rate_per_s);
  require_time(t_s);
  const double mu = service_rate_per_s;
  const double theta = servers * mu - arrival_rate_per_s;
  const double no_wait = std::exp(-mu * t_s);
  // Exp(theta) + Exp(mu) exceeds t. Near theta == mu the general form cancels: use the Erlang-2
  // limit within a relative 1e-9.
  const double waited = std::abs(theta - mu) <= 1e-9 * mu
                            ? (1.0 + mu * t_s) * no_wait
                            : (theta * no_wait - mu * std::exp(-theta * t_s)) / (theta - mu);
  return (1.0 - wait_probability) * no_wait + wait_probability * waited;
}

double mmc_response_quantile_s(int servers, double arrival_rate_per_s, double service_rate_per_s,
                               double p) {
  if (!(p > 0.0 && p < 1.0)) throw std::invalid_argument("p must be in (0, 1)");
  const double tail = 1.0 - p;
  double low = 0.0;
  double high = 1.0 / service_rate_per_s;
  while (mmc_response_exceeds_probability(servers, arrival_rate_per_s, service_rate_per_s, high) >
         tail) {
    low = high;
    high *= 2.0;
  }
  while (high - low > 1e-12 * high) {
    const double mid = 0.5 * (low + high);
    if (mmc_response_exceeds_probability(servers, arrival_rate_per_s, service_rate_per_s, mid) >
        tail) {
      low = mid;
    } else {
      high = mid;
    }
  }
  return 0.5 * (low + high);
}

MmckResult mmck(int servers, int capacity, double arrival_rate_per_s, double service_rate_per_s) {
  require_at_least("servers", servers, 1);
  require_at_least("capacity", capacity, servers);
  require_rate("arrival_rate_per_s", arrival_rate_per_s);
  require_rate("service_rate_per_s", service_rate_per_s);
  const double offered_load = arrival_rate_per_s / service_rate_per_s;

  // p_n / p_{n-1} = a / min(n, c) is >= 1 up to the most likely state and < 1 after it, so
  // weights relative to that state are all in (0, 1]: no overflow for any K or load (tiny tail
  // states may underflow to 0, which is below double resolution anyway).
  const auto size = static_cast<std::size_t>(capacity) + 1;
  const int most_likely = offered_load >= servers
                              ? capacity
                              : std::min(capacity, static_cast<int>(std::floor(offered_load)));
  std::vector<double> weights(size, 0.0);
  weights[static_cast<std::size_t>(most_likely)] = 1.0;
  for (int n = most_likely; n >= 1; --n) {
    const auto i = static_cast<std::size_t>(n);
    weights[i - 1] = weights[i] * std::min(n, servers) / offered_load;
  }
  for (int n = most_likely + 1; n <= capacity; ++n) {
    const auto i = static_cast<std::size_t>(n);
    weights[i] = weights[i - 1] * offered_load / std::min(n, servers);
  }
  double total = 0.0;
  for (const double w : weights) {
    total += w;
  }

  MmckResult result;
  result.state_probabilities.resize(size);
  double admitted_fraction = 0.0;  // sum of p_n for n < K: accurate even when p_K is near 1
  for (std::size_t i = 0; i < size; ++i) {
    const double p = weights[i] / total;
    result.state_probabilities[i] = p;
    const auto n = static_cast<double>(i);
    result.mean_number_in_system += n * p;
    result.mean_number_waiting += std::max(0.0, n - servers) * p;
    if (i + 1 < size) {
      admitted_fraction += p;
    }
  }
  result.blocking_probability = result.state_probabilities.back();
  result.admitted_rate_per_s = arrival_rate_per_s * admitted_fraction;
  result.mean_response_s = result.mean_number_in_system / result.admitted_rate_per_s;
  result.mean_wait_s = result.mean_number_waiting / result.admitted_rate_per_s;
  return result;
}

double mg1_mean_wait_s(double arrival_rate_per_s, double mean_service_s, double service_scv) {
  require_rate("arrival_rate_per_s", arrival_rate_per_s);
  if (!(std::isfinite(mean_service_s) && mean_service_s > 0.0)) {
    throw std::invalid_argument("mean_service_s must be finite and > 0, got " +
                                std::to_string(mean_service_s));
  }
  if (!(std::isfinite(service_scv) && service_scv >= 0.0)) {
    throw std::invalid_argument("service_scv must be finite and >= 0, got " +
                                std::to_string(service_scv));
  }
  const double load = arrival_rate_per_s * mean_service_s;
  require_stable(load);
  return load * mean_service_s * (1.0 + service_scv) / (2.0 * (1.0 - load));
}

double mg1_mean_response_s(double arrival_rate_per_s, double mean_service_s, double service_scv) {
  return mg1_mean_wait_s(arrival_rate_per_s, mean_service_s, service_scv) + mean_service_s;
}

double md1_mean_wait_s(double arrival_rate_per_s, double service_s) {
  return mg1_mean_wait_s(arrival_rate_per_s, service_s, 0.0);
}

double ekm1_sigma(int stages, double arrival_rate_per_s, double service_rate_per_s) {
  return 1.0 - ekm1_one_minus_sigma(stages, arrival_rate_per_s, service_rate_per_s);
}

double ekm1_mean_wait_s(int stages, double arrival_rate_per_s, double service_rate_per_s) {
  const double u = ekm1_one_minus_sigma(stages, arrival_rate_per_s, service_rate_per_s);
  return (1.0 - u) / (service_rate_per_s * u);
}

double ekm1_mean_response_s(int stages, double arrival_rate_per_s, double service_rate_per_s) {
  const double u = ekm1_one_minus_sigma(stages, arrival_rate_per_s, service_rate_per_s);
  return 1.0 / (service_rate_per_s * u);
}

double ekm1_wait_exceeds_probability(int stages, double arrival_rate_per_s,
                                     double service_rate_per_s, double t_s) {
  const double u = ekm1_one_minus_sigma(stages, arrival_rate_per_s, service_rate_per_s);
  require_time(t_s);
  return (1.0 - u) * std::exp(-service_rate_per_s * u * t_s);
}

double dm1_sigma(double arrival_rate_per_s, double service_rate_per_s) {
  return 1.0 - dm1_one_minus_sigma(arrival_rate_per_s, service_rate_per_s);
}

double dm1_mean_wait_s(double arrival_rate_per_s, double service_rate_per_s) {
  const double u = dm1_one_minus_sigma(arrival_rate_per_s, service_rate_per_s);
  return (1.0 - u) / (service_rate_per_s * u);
}

double round_robin_mean_response_s(int servers, double total_arrival_rate_per_s,
                                   double service_rate_per_s) {
  require_at_least("servers", servers, 1);
  require_rate("total_arrival_rate_per_s", total_arrival_rate_per_s);
  return ekm1_mean_response_s(servers, total_arrival_rate_per_s / servers, service_rate_per_s);
}

}  // namespace lbsim::analytic
