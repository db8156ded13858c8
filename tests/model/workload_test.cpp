// Arrival processes: the rate profile's integral and inverse, deterministic spacing, Poisson
// counts under a profile, trace replay with looping.
#include "sim/model/workload.hpp"

#include <doctest/doctest.h>

#include <cmath>

#include "tests/model/harness.hpp"

namespace lbsim::test {

namespace {
WorkloadConfig workload_with(ArrivalProcess process, double rate, std::vector<RateChange> profile) {
  WorkloadConfig w;
  w.arrivals = process;
  w.rate_per_s = rate;
  w.profile = std::move(profile);
  w.service = exponential_s(0.01);
  return w;
}

std::uint64_t count_arrivals(ArrivalSource& source, double from_s, double to_s) {
  std::uint64_t n = 0;
  for (;;) {
    const Arrival a = source.next();
    if (a.time == kTimeNever || to_seconds(a.time) >= to_s) break;
    if (to_seconds(a.time) >= from_s) ++n;
  }
  return n;
}
}  // namespace

TEST_CASE("rate profile: steps and ramps integrate exactly and invert consistently") {
  // 100/s until 10 s, step to 300/s, ramp from 300 to 100 over [20 s, 30 s], then 100/s.
  const RateProfile profile(100.0, {{10 * kSecond, 0, 300.0}, {20 * kSecond, 10 * kSecond, 100.0}});
  CHECK(profile.rate_at(5.0) == doctest::Approx(100.0));
  CHECK(profile.rate_at(15.0) == doctest::Approx(300.0));
  CHECK(profile.rate_at(25.0) == doctest::Approx(200.0));
  CHECK(profile.rate_at(100.0) == doctest::Approx(100.0));
  // Exact areas: 10*100 + 10*300 + (300+100)/2*10 + 10*100.
  CHECK(profile.integral(0.0, 10.0) == doctest::Approx(1000.0));
  CHECK(profile.integral(0.0, 20.0) == doctest::Approx(4000.0));
  CHECK(profile.integral(20.0, 30.0) == doctest::Approx(2000.0));
  CHECK(profile.integral(0.0, 40.0) == doctest::Approx(7000.0));
  // advance() inverts integral() anywhere, including inside the ramp.
  for (const double from : {0.0, 3.3, 10.0, 19.9, 22.5, 29.0, 35.0}) {
    for (const double amount : {0.5, 17.0, 950.0, 3000.0}) {
      const double t = profile.advance(from, amount);
      CHECK(profile.integral(from, t) == doctest::Approx(amount).epsilon(1e-9));
    }
  }
  // A rate that drops to zero for good ends the arrivals.
  const RateProfile off(100.0, {{1 * kSecond, 0, 0.0}});
  CHECK(std::isinf(off.advance(0.5, 100.0)));
}

TEST_CASE("deterministic arrivals are evenly spaced at 1/rate") {
  WorkloadConfig w = workload_with(ArrivalProcess::kDeterministic, 250.0, {});
  ArrivalSource source(w, 1, 0);
  for (int i = 1; i <= 1000; ++i) CHECK(source.next().time == from_seconds(i / 250.0));
}

TEST_CASE("deterministic arrivals under a profile: one arrival per unit of cumulative rate") {
  WorkloadConfig w = workload_with(ArrivalProcess::kDeterministic, 100.0,
                                   {{10 * kSecond, 0, 300.0}, {20 * kSecond, 10 * kSecond, 100.0}});
  ArrivalSource source(w, 1, 0);
  // Arrivals at cumulative rate 1, 2, ...: exactly floor(7000) - well, 7000 in [0, 40 s] up to
  // rounding at the end point (the 7000th lands on 40 s within a nanosecond).
  const auto n = count_arrivals(source, 0.0, 40.0 + 1e-6);
  CHECK(n == 7000);
}

TEST_CASE("Poisson arrivals under a profile: counts match the integrated rate") {
  // The count over [20 s, 30 s] (the ramp) is Poisson with mean 2000, sd 44.7; over 20
  // independent replications the average count has sd 10: assert within 4 sd (40).
  WorkloadConfig w = workload_with(ArrivalProcess::kPoisson, 100.0,
                                   {{10 * kSecond, 0, 300.0}, {20 * kSecond, 10 * kSecond, 100.0}});
  double total = 0.0;
  for (std::uint64_t r = 0; r < 20; ++r) {
    ArrivalSource source(w, 99, r);
    total += static_cast<double>(count_arrivals(source, 20.0, 30.0));
  }
  CHECK(std::abs(total / 20.0 - 2000.0) <= 40.0);
}

TEST_CASE("trace arrivals replay the given times, then loop with the period") {
  WorkloadConfig w = workload_with(ArrivalProcess::kTrace, 0.0, {});
  w.trace.times_ns = {0, 5 * kMillisecond, 7 * kMillisecond};
  w.trace.loop_period_ns = 10 * kMillisecond;
  ArrivalSource source(w, 1, 0);
  const SimTime expected[] = {0, 5, 7, 10, 15, 17, 20};
  for (const SimTime ms : expected) {
    const Arrival a = source.next();
    CHECK(a.time == ms * kMillisecond);
    CHECK(a.trace_row == (ms % 10 == 0 ? 0 : (ms % 10 == 5 ? 1 : 2)));
  }
  w.trace.loop_period_ns = 0;
  ArrivalSource once(w, 1, 0);
  for (int i = 0; i < 3; ++i) CHECK(once.next().time != kTimeNever);
  CHECK(once.next().time == kTimeNever);
}

TEST_CASE("client timeout: the client gives up, the server still does the work") {
  // One worker, deterministic 100 ms service, timeout 150 ms, arrivals every 60 ms: a queue grows
  // (rho = 1.67), so later requests time out while still queued; the server keeps serving them.
  DistributionConfig d;
  d.kind = DistributionKind::kDeterministic;
  d.mean_s = 0.100;
  auto c = fleet_config(1.0 / 0.060, d, 1, 1, kUnlimitedQueue, 0.0, 30.0);
  c.workload.arrivals = ArrivalProcess::kDeterministic;
  c.client.timeout_ns = 150 * kMillisecond;
  const auto out = run_config(c);
  const auto timeouts = out.totals.by_error[static_cast<int>(ErrorKind::kTimeout)];
  CHECK(timeouts > 0);
  CHECK(out.totals.failed == timeouts);
  // The server works flat out: utilisation 1 (after the first arrival at 60 ms), and it serves
  // 10/s, so it finishes ~299 services in 30 s of which most are for clients that left.
  CHECK(out.totals.utilization[0] == doctest::Approx(1.0).epsilon(0.01));
  CHECK(out.totals.completed + out.totals.wasted == doctest::Approx(299).epsilon(0.01));
  CHECK(out.totals.wasted > out.totals.completed);
  // Every completed response took at most the timeout.
  CHECK(out.latency_mean_s <= 0.150);
}

}  // namespace lbsim::test
