// End-to-end checks of the engine against exact queueing results.
//
// Method, for every test here: R = 10 independent replications (different replication numbers,
// so every random stream differs), each started empty and measured after a warmup of many
// relaxation times; the estimate is the mean over replications and its standard error (SE) comes
// from their spread. Each assertion is |estimate - exact| <= 4 SE. With 9 degrees of freedom,
// P(|t| > 4) ~= 0.3%, so an unbiased engine passes with probability 99.7% for a fresh seed; the
// seeds are fixed, so the outcome is deterministic. Each test also asserts SE < 2.5% of the exact
// value (scaled by 1/sqrt(LBSIM_TEST_SCALE)), so the check is sharp: a 10% bias cannot hide in a
// wide interval. Warmup bias: runs start empty; the warmup (>= 100 relaxation times, 1/(mu (1 -
// sqrt(rho))^2) for M/M/1) makes it negligible against the SE.
#include <doctest/doctest.h>

#include "sim/analytic/queueing.hpp"
#include "tests/model/harness.hpp"

namespace lbsim::test {
namespace {

constexpr int kReplications = 10;

double sharpness_limit() {
  return 0.025 / std::sqrt(test_scale());
}

void check_estimate(const Estimate& e, double exact, const char* what) {
  INFO(what << ": estimate " << e.mean << " +- " << e.standard_error << " (SE), exact " << exact);
  CHECK(std::abs(e.mean - exact) <= 4.0 * e.standard_error);
  CHECK(e.standard_error <= sharpness_limit() * exact);
}

SimulationConfig with_replication(SimulationConfig c, std::uint64_t r) {
  c.replication = r;
  return c;
}

}  // namespace

TEST_CASE("M/M/1: mean response and mean wait match 1/(mu-lambda) and rho/(mu-lambda)") {
  // lambda = 80/s, mu = 100/s, rho = 0.8; relaxation time ~0.9 s; 100 s warmup.
  const double lambda = 80.0, mean_service = 0.010;
  const auto base = fleet_config(lambda, exponential_s(mean_service), 1, 1, kUnlimitedQueue, 100.0,
                                 2000.0 * test_scale());
  std::vector<RunOutput> runs;
  for (int r = 0; r < kReplications; ++r) runs.push_back(run_config(with_replication(base, r)));
  const auto response = replicate(kReplications, [&](auto r) { return runs[r].latency_mean_s; });
  const auto wait = replicate(kReplications, [&](auto r) { return runs[r].wait_mean_s; });
  check_estimate(response, analytic::mm1_mean_response_s(lambda, 1 / mean_service), "M/M/1 T");
  check_estimate(wait, analytic::mm1_mean_wait_s(lambda, 1 / mean_service), "M/M/1 Wq");
}

TEST_CASE("M/M/c: Erlang C waiting probability and mean wait (one server, 4 workers)") {
  const double lambda = 320.0, mean_service = 0.010;  // a = 3.2, rho = 0.8
  const auto base = fleet_config(lambda, exponential_s(mean_service), 1, 4, kUnlimitedQueue, 50.0,
                                 600.0 * test_scale());
  std::vector<RunOutput> runs;
  for (int r = 0; r < kReplications; ++r) runs.push_back(run_config(with_replication(base, r)));
  const auto p_wait = replicate(kReplications, [&](auto r) {
    return static_cast<double>(runs[r].totals.waited) /
           static_cast<double>(runs[r].totals.completed);
  });
  const auto wait = replicate(kReplications, [&](auto r) { return runs[r].wait_mean_s; });
  check_estimate(p_wait, analytic::erlang_c(4, lambda * mean_service), "Erlang C");
  check_estimate(wait, analytic::mmc_mean_wait_s(4, lambda, 1 / mean_service), "M/M/4 Wq");
}

TEST_CASE("M/M/c/K: blocking probability and response of admitted requests") {
  // c = 2 workers, K = 5 in the system (queue_limit 3), offered load a = 2 (rho = 1): a quarter
  // of arrivals or so are blocked, reported as queue_full.
  const double lambda = 200.0, mean_service = 0.010;
  const auto base =
      fleet_config(lambda, exponential_s(mean_service), 1, 2, 3, 10.0, 300.0 * test_scale());
  std::vector<RunOutput> runs;
  for (int r = 0; r < kReplications; ++r) runs.push_back(run_config(with_replication(base, r)));
  const auto exact = analytic::mmck(2, 5, lambda, 1 / mean_service);
  const auto blocked = replicate(kReplications, [&](auto r) {
    const auto& t = runs[r].totals;
    CHECK(t.failed == t.by_error[static_cast<int>(ErrorKind::kQueueFull)]);
    return static_cast<double>(t.failed) / static_cast<double>(t.offered);
  });
  const auto response = replicate(kReplications, [&](auto r) { return runs[r].latency_mean_s; });
  check_estimate(blocked, exact.blocking_probability, "M/M/2/5 blocking");
  check_estimate(response, exact.mean_response_s, "M/M/2/5 T");
}

TEST_CASE("M/D/1 and M/G/1: Pollaczek-Khinchine mean wait") {
  SUBCASE("deterministic service, rho = 0.8") {
    DistributionConfig d;
    d.kind = DistributionKind::kDeterministic;
    d.mean_s = 0.010;
    const auto base = fleet_config(80.0, d, 1, 1, kUnlimitedQueue, 100.0, 2000.0 * test_scale());
    const auto wait = replicate(
        kReplications, [&](auto r) { return run_config(with_replication(base, r)).wait_mean_s; });
    check_estimate(wait, analytic::md1_mean_wait_s(80.0, 0.010), "M/D/1 Wq");
  }
  SUBCASE("lognormal service with cv 1.5, rho = 0.7") {
    DistributionConfig d;
    d.kind = DistributionKind::kLognormal;
    d.mean_s = 0.010;
    d.cv = 1.5;
    // A heavier tail makes the wait estimator noisier: 4000 s per replication.
    const auto base = fleet_config(70.0, d, 1, 1, kUnlimitedQueue, 100.0, 4000.0 * test_scale());
    const auto wait = replicate(
        kReplications, [&](auto r) { return run_config(with_replication(base, r)).wait_mean_s; });
    check_estimate(wait, analytic::mg1_mean_wait_s(70.0, 0.010, 1.5 * 1.5), "M/G/1 Wq");
  }
}

TEST_CASE("random dispatch to N servers behaves as N independent M/M/1 queues") {
  // Poisson splitting: each of 10 servers sees a Poisson stream of 70/s; mu = 100/s.
  const auto base = fleet_config(700.0, exponential_s(0.010), 10, 1, kUnlimitedQueue, 50.0,
                                 400.0 * test_scale(), "random");
  std::vector<RunOutput> runs;
  for (int r = 0; r < kReplications; ++r) runs.push_back(run_config(with_replication(base, r)));
  const auto response = replicate(kReplications, [&](auto r) { return runs[r].latency_mean_s; });
  check_estimate(response, analytic::mm1_mean_response_s(70.0, 100.0), "random N x M/M/1 T");
  // Utilisation per server: rho = 0.7 for every server.
  for (std::size_t s = 0; s < 10; ++s) {
    const auto util =
        replicate(kReplications, [&](auto r) { return runs[r].totals.utilization[s]; });
    check_estimate(util, 0.7, "per-server utilisation");
  }
}

}  // namespace lbsim::test
