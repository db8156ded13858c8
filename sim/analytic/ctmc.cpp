#include "sim/analytic/ctmc.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace lbsim::analytic {

Eigen::VectorXd stationary_distribution(const Eigen::MatrixXd& generator) {
  const Eigen::Index n = generator.rows();
  if (n == 0 || generator.cols() != n) {
    throw std::invalid_argument(
        "stationary_distribution: the generator must be square and non-empty, got " +
        std::to_string(generator.rows()) + "x" + std::to_string(generator.cols()));
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    double largest_rate = 0.0;
    for (Eigen::Index j = 0; j < n; ++j) {
      const double rate = generator(i, j);
      if (!std::isfinite(rate) || (i != j && rate < 0.0)) {
        throw std::invalid_argument("stationary_distribution: rate Q(" + std::to_string(i) + ", " +
                                    std::to_string(j) + ") = " + std::to_string(rate) +
                                    " must be finite and, off the diagonal, >= 0");
      }
      largest_rate = std::max(largest_rate, std::abs(rate));
    }
    const double row_sum = generator.row(i).sum();
    if (std::abs(row_sum) > 1e-9 * largest_rate) {
      throw std::invalid_argument("stationary_distribution: row " + std::to_string(i) +
                                  " sums to " + std::to_string(row_sum) + ", not 0");
    }
  }

  // pi Q = 0 is Q^T pi^T = 0; its n equations have rank n - 1 for an irreducible chain, so the
  // last is replaced by the normalisation sum(pi) = 1.
  Eigen::MatrixXd system = generator.transpose();
  system.row(n - 1).setOnes();
  Eigen::VectorXd right_hand_side = Eigen::VectorXd::Zero(n);
  right_hand_side(n - 1) = 1.0;

  const Eigen::FullPivLU<Eigen::MatrixXd> lu(system);
  if (!lu.isInvertible()) {
    throw std::invalid_argument(
        "stationary_distribution: singular system; the chain has more than one closed class "
        "(rank " +
        std::to_string(lu.rank()) + " of " + std::to_string(n) + ")");
  }
  Eigen::VectorXd pi = lu.solve(right_hand_side);
  // Round-off can leave states of probability ~1e-17 slightly negative.
  pi = pi.cwiseMax(0.0);
  return pi / pi.sum();
}

}  // namespace lbsim::analytic
