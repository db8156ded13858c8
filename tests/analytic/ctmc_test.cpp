// The generic CTMC solver against chains with known stationary distributions, and against the
// M/M/c/K product form (two independent methods: dense LU on the generator vs birth-death ratios).
#include "sim/analytic/ctmc.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "sim/analytic/queueing.hpp"

namespace lbsim::analytic {
namespace {

// Generator of the M/M/c/K birth-death chain, built here independently of the library: births at
// rate lambda below K, deaths at rate min(n, c) mu.
Eigen::MatrixXd mmck_generator(int servers, int capacity, double arrival_rate_per_s,
                               double service_rate_per_s) {
  const Eigen::Index size = capacity + 1;
  Eigen::MatrixXd generator = Eigen::MatrixXd::Zero(size, size);
  for (Eigen::Index n = 0; n < size; ++n) {
    if (n < capacity) generator(n, n + 1) = arrival_rate_per_s;
    if (n > 0) {
      generator(n, n - 1) =
          static_cast<double>(std::min<Eigen::Index>(n, servers)) * service_rate_per_s;
    }
    generator(n, n) = -generator.row(n).sum();
  }
  return generator;
}

TEST_CASE("two-state chain: pi = (b, a) / (a + b)") {
  Eigen::MatrixXd generator(2, 2);
  generator << -3.0, 3.0, 1.0, -1.0;
  const Eigen::VectorXd pi = stationary_distribution(generator);
  CHECK(std::abs(pi(0) - 0.25) < 1e-15);
  CHECK(std::abs(pi(1) - 0.75) < 1e-15);
}

TEST_CASE("a cycle that is not a birth-death chain") {
  // 0 -> 1 at rate 1, 1 -> 2 at rate 2, 2 -> 0 at rate 3: flow balance around the cycle gives
  // pi_i proportional to 1 / (rate out of i): (6, 3, 2) / 11.
  Eigen::MatrixXd generator(3, 3);
  generator << -1.0, 1.0, 0.0, 0.0, -2.0, 2.0, 3.0, 0.0, -3.0;
  const Eigen::VectorXd pi = stationary_distribution(generator);
  CHECK(std::abs(pi(0) - 6.0 / 11.0) < 1e-15);
  CHECK(std::abs(pi(1) - 3.0 / 11.0) < 1e-15);
  CHECK(std::abs(pi(2) - 2.0 / 11.0) < 1e-15);
  // A single state is trivially stationary.
  CHECK(stationary_distribution(Eigen::MatrixXd::Zero(1, 1))(0) == 1.0);
}

TEST_CASE("the CTMC solver agrees with the M/M/c/K product form to 1e-10") {
  // The brief's 1e-10 absolute per state; both methods are backward stable, so for these small,
  // well-scaled chains the actual gap is ~1e-15.
  struct Case {
    int servers;
    int capacity;
    double load;  // lambda / (c mu)
  };
  for (const Case& c : {Case{1, 10, 0.5}, Case{3, 20, 0.9}, Case{5, 30, 1.3}, Case{8, 8, 2.0},
                        Case{16, 60, 0.97}}) {
    CAPTURE(c.servers);
    CAPTURE(c.capacity);
    CAPTURE(c.load);
    const double service_rate = 2.5;
    const double arrival_rate = c.load * c.servers * service_rate;
    const MmckResult product_form = mmck(c.servers, c.capacity, arrival_rate, service_rate);
    const Eigen::VectorXd pi =
        stationary_distribution(mmck_generator(c.servers, c.capacity, arrival_rate, service_rate));
    REQUIRE(pi.size() == c.capacity + 1);
    double mean_number = 0.0;
    for (Eigen::Index n = 0; n < pi.size(); ++n) {
      CHECK(std::abs(pi(n) - product_form.state_probabilities[static_cast<std::size_t>(n)]) <
            1e-10);
      mean_number += static_cast<double>(n) * pi(n);
    }
    CHECK(std::abs(mean_number - product_form.mean_number_in_system) <
          1e-10 * product_form.mean_number_in_system);
  }
}

TEST_CASE("transient states get probability 0 when the closed class is unique") {
  // 0 -> 1 only; 1 <-> 2. State 0 is transient; {1, 2} is the closed class with pi = (0, 2, 1)/3.
  Eigen::MatrixXd generator(3, 3);
  generator << -1.0, 1.0, 0.0, 0.0, -1.0, 1.0, 0.0, 2.0, -2.0;
  const Eigen::VectorXd pi = stationary_distribution(generator);
  CHECK(std::abs(pi(0)) < 1e-15);
  CHECK(std::abs(pi(1) - 2.0 / 3.0) < 1e-15);
  CHECK(std::abs(pi(2) - 1.0 / 3.0) < 1e-15);
}

TEST_CASE("invalid generators throw") {
  CHECK_THROWS_AS((void)stationary_distribution(Eigen::MatrixXd(0, 0)), std::invalid_argument);
  CHECK_THROWS_AS((void)stationary_distribution(Eigen::MatrixXd::Zero(2, 3)),
                  std::invalid_argument);
  Eigen::MatrixXd negative_rate(2, 2);
  negative_rate << 1.0, -1.0, 1.0, -1.0;
  CHECK_THROWS_AS((void)stationary_distribution(negative_rate), std::invalid_argument);
  Eigen::MatrixXd nonzero_row_sum(2, 2);
  nonzero_row_sum << -1.0, 2.0, 1.0, -1.0;
  CHECK_THROWS_AS((void)stationary_distribution(nonzero_row_sum), std::invalid_argument);
  Eigen::MatrixXd not_finite(2, 2);
  not_finite << -1.0, 1.0, std::numeric_limits<double>::infinity(), -1.0;
  CHECK_THROWS_AS((void)stationary_distribution(not_finite), std::invalid_argument);
  // Two closed classes {0, 1} and {2, 3}: every mixture is stationary, so there is no unique
  // answer.
  Eigen::MatrixXd two_classes(4, 4);
  two_classes << -1.0, 1.0, 0.0, 0.0, 1.0, -1.0, 0.0, 0.0, 0.0, 0.0, -2.0, 2.0, 0.0, 0.0, 3.0, -3.0;
  CHECK_THROWS_AS((void)stationary_distribution(two_classes), std::invalid_argument);
}

}  // namespace
}  // namespace lbsim::analytic
