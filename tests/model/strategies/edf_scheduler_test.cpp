// EdfScheduler against Envoy's own scheduler tests (test/common/upstream/edf_scheduler_test.cc).
#include "sim/model/strategies/edf_scheduler.hpp"

#include <doctest/doctest.h>

#include <array>
#include <numeric>
#include <string>
#include <vector>

#include "tests/model/strategies/fixture.hpp"

namespace lbsim {
namespace {

std::vector<std::uint32_t> iota_servers(std::uint32_t n) {
  std::vector<std::uint32_t> servers(n);
  std::iota(servers.begin(), servers.end(), 0U);
  return servers;
}

TEST_CASE("an empty scheduler picks nothing") {
  EdfScheduler scheduler;
  CHECK(scheduler.empty());
  CHECK(scheduler.pick_and_add([](std::uint32_t) { return 1.0; }) == UINT32_MAX);
  scheduler.build(
      {}, [](std::uint32_t) { return 1.0; }, 123);
  CHECK(scheduler.empty());
}

TEST_CASE("equal weights give plain round robin in insertion order (Envoy Unweighted)") {
  EdfScheduler scheduler;
  constexpr std::uint32_t kEntries = 128;
  for (std::uint32_t i = 0; i < kEntries; ++i) scheduler.add(i, 1.0);
  for (int round = 0; round < 128; ++round) {
    for (std::uint32_t i = 0; i < kEntries; ++i) {
      REQUIRE(scheduler.peek() == i);
      REQUIRE(scheduler.pick_and_add([](std::uint32_t) { return 1.0; }) == i);
    }
  }
}

TEST_CASE("distinct weights are picked in proportion over one cycle (Envoy Weighted)") {
  // Weights 1..128: after sum(w) = 8256 picks every entry has been picked exactly w times, because
  // the deadlines k / w of entry w up to time 1 are exactly w many.
  EdfScheduler scheduler;
  constexpr std::uint32_t kEntries = 128;
  for (std::uint32_t i = 0; i < kEntries; ++i) scheduler.add(i, i + 1.0);
  std::vector<int> counts(kEntries, 0);
  for (std::uint32_t p = 0; p < kEntries * (kEntries + 1) / 2; ++p) {
    ++counts[scheduler.pick_and_add([](std::uint32_t s) { return s + 1.0; })];
  }
  for (std::uint32_t i = 0; i < kEntries; ++i) CHECK(counts[i] == static_cast<int>(i + 1));
}

TEST_CASE("weights 5,1,1 built with no pre-picks give the cycle a a a a b c a, exactly") {
  // Exact EDF: a's deadlines 0.2 .. 1.0 (minus the build epsilon), b and c at 1 - 1e-13 in
  // insertion order, then a at ~1.0; every later cycle repeats it.
  const std::array<double, 3> weights{5, 1, 1};
  auto weight_of = [&](std::uint32_t s) { return weights[s]; };
  EdfScheduler scheduler;
  const std::vector<std::uint32_t> servers = iota_servers(3);
  scheduler.build(servers, weight_of, 0);
  std::string sequence;
  for (int i = 0; i < 7 * 50; ++i) {
    sequence += static_cast<char>('a' + scheduler.pick_and_add(weight_of));
  }
  for (int cycle = 0; cycle < 50; ++cycle) {
    INFO("cycle " << cycle);
    CHECK(sequence.substr(static_cast<std::size_t>(cycle) * 7, 7) == "aaaabca");
  }
}

TEST_CASE("build with P picks continues exactly like adding and then picking P times") {
  // Envoy SchedulerWithSomePicksEqualToEmptyWithAddedEntries: distinct weights in [0.01, 100.5],
  // so no ties; the next 2000 picks of both schedulers must agree.
  constexpr std::uint32_t kEntries = 128;
  std::vector<double> weights(kEntries);
  for (std::uint32_t i = 0; i < kEntries; ++i) weights[i] = (100.5 - 0.01) / kEntries * i + 0.01;
  auto weight_of = [&](std::uint32_t s) { return weights[s]; };
  const std::vector<std::uint32_t> servers = iota_servers(kEntries);
  for (const std::uint32_t picks : {0U, 5U, 140U, 501U, 123456U}) {
    INFO("picks " << picks);
    EdfScheduler stepped;
    for (const std::uint32_t s : servers) stepped.add(s, weights[s]);
    for (std::uint32_t p = 0; p < picks; ++p) (void)stepped.pick_and_add(weight_of);
    EdfScheduler built;
    built.build(servers, weight_of, picks);
    CHECK(built.size() == kEntries);
    int mismatches = 0;
    for (int p = 0; p < 2000; ++p) {
      mismatches += stepped.pick_and_add(weight_of) != built.pick_and_add(weight_of) ? 1 : 0;
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("a random number of pre-picks makes the first pick follow the weights") {
  // Envoy SchedulerWithRandomPicksFirstPickDistribution: the (P+1)-th pick for P uniform on a
  // range much longer than a cycle lands on entry i with probability w_i / W. 100k schedulers;
  // tolerance five binomial standard errors (at most 0.0069 for p = 0.25 .. 0.75).
  const std::vector<std::vector<double>> weight_sets{{25, 75}, {1, 99}, {50, 50}, {1, 20, 79}};
  Rng rng(7, 0, StreamPurpose::kBalancer, 99);
  constexpr int kSchedulers = 100000;
  for (const std::vector<double>& weights : weight_sets) {
    auto weight_of = [&](std::uint32_t s) { return weights[s]; };
    const auto servers = iota_servers(static_cast<std::uint32_t>(weights.size()));
    std::vector<int> first(weights.size(), 0);
    EdfScheduler scheduler;
    for (int i = 0; i < kSchedulers; ++i) {
      scheduler.build(servers, weight_of, static_cast<std::uint32_t>(rng.next()));
      ++first[scheduler.pick_and_add(weight_of)];
    }
    for (std::size_t s = 0; s < weights.size(); ++s) {
      const double p = weights[s] / 100.0;
      INFO("weights " << weights.size() << " entry " << s);
      CHECK(std::abs(first[s] / static_cast<double>(kSchedulers) - p) <=
            test::five_se(p, kSchedulers) + 1e-9);
    }
  }
}

TEST_CASE("a weight change is applied when the entry is next re-queued (lazy)") {
  // Weights 1 and 4 keep every deadline an exact binary fraction. Picks: 1 at .25, .5, .75, then
  // 0 at 1.0 (FIFO before 1's 1.0), then 1. Entry 0 then becomes weight 4, but its queued deadline
  // (2.0) stands: 1 runs alone at 1.25, 1.5, 1.75 before 0 at 2.0; only after that re-queue do
  // both run at rate 4 and alternate.
  std::array<double, 2> weights{1, 4};
  auto weight_of = [&](std::uint32_t s) { return weights[s]; };
  EdfScheduler scheduler;
  scheduler.add(0, weights[0]);
  scheduler.add(1, weights[1]);
  std::string sequence;
  for (int i = 0; i < 5; ++i)
    sequence += static_cast<char>('0' + scheduler.pick_and_add(weight_of));
  CHECK(sequence == "11101");
  weights[0] = 4;
  sequence.clear();
  for (int i = 0; i < 8; ++i)
    sequence += static_cast<char>('0' + scheduler.pick_and_add(weight_of));
  CHECK(sequence == "11101010");
}

}  // namespace
}  // namespace lbsim
