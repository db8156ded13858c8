#include "sim/analytic/supermarket.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace lbsim::analytic {
namespace {

void require_model(int choices, double load) {
  if (choices < 1) {
    throw std::invalid_argument("supermarket model: choices must be >= 1, got " +
                                std::to_string(choices));
  }
  if (!(load > 0.0 && load < 1.0)) {
    throw std::invalid_argument("supermarket model: load must be in (0, 1), got " +
                                std::to_string(load));
  }
}

}  // namespace

double supermarket_fraction_at_least(int choices, double load, int customers) {
  require_model(choices, load);
  if (customers < 0) {
    throw std::invalid_argument("supermarket model: customers must be >= 0, got " +
                                std::to_string(customers));
  }
  if (choices == 1) {
    return std::pow(load, customers);
  }
  // s_i = rho s_{i-1}^d avoids forming the exponent (d^i - 1) / (d - 1), which overflows.
  double fraction = 1.0;
  for (int i = 1; i <= customers && fraction > 0.0; ++i) {
    fraction = load * std::pow(fraction, choices);
  }
  return fraction;
}

double supermarket_mean_number_per_server(int choices, double load) {
  require_model(choices, load);
  if (choices == 1) {
    return load / (1.0 - load);
  }
  // Terms decay doubly exponentially (s_i <= rho^{d^{i-1}}): a few dozen even at rho = 0.9999.
  double sum = 0.0;
  for (double term = load; term >= 1e-16; term = load * std::pow(term, choices)) {
    sum += term;
  }
  return sum;
}

double supermarket_mean_response_s(int choices, double load, double service_rate_per_s) {
  if (!(std::isfinite(service_rate_per_s) && service_rate_per_s > 0.0)) {
    throw std::invalid_argument(
        "supermarket model: service_rate_per_s must be finite and > 0, got " +
        std::to_string(service_rate_per_s));
  }
  return supermarket_mean_number_per_server(choices, load) / (load * service_rate_per_s);
}

}  // namespace lbsim::analytic
