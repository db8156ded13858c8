#pragma once
// Stationary distribution of a finite continuous-time Markov chain, for models with no closed form
// (and to cross-check the ones that have one).
#include <Eigen/Dense>

namespace lbsim::analytic {

// The stationary distribution pi of the chain with generator Q: pi Q = 0, sum(pi) = 1.
// Q is n x n (n >= 1) with Q(i, j) >= 0 the rate from state i to state j (i != j) and rows summing
// to 0 (|row sum| <= 1e-9 * the largest |rate| in the row). The stationary distribution must be
// unique, i.e. the chain has exactly one closed class of states (true of every irreducible chain;
// transient states then get probability 0).
//
// Method: solve Q^T pi^T = 0 with its last equation replaced by sum(pi) = 1 (the n balance
// equations have rank n - 1, so one is redundant), by dense LU with full pivoting: O(n^3), meant
// for chains of up to a few thousand states. Entries are clamped at 0 against round-off.
//
// Throws std::invalid_argument if Q is not square, is empty, has a negative off-diagonal rate or
// a row not summing to 0, or if the system is singular (more than one closed class, so no unique
// answer). The modified system is non-singular exactly when rank(Q) = n - 1, i.e. when the
// stationary distribution is unique.
[[nodiscard]] Eigen::VectorXd stationary_distribution(const Eigen::MatrixXd& generator);

}  // namespace lbsim::analytic
