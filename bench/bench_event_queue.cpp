// The classic hold model (Jones, "An empirical comparison of priority-queue and event-set
// implementations", CACM 1986): keep P events pending; each hold pops the earliest and schedules
// a new one at the popped time plus an Exp(1) increment. Reports ns per hold (one pop + one
// schedule through BasicEventQueue) for BinaryHeap and QuaternaryHeap side by side, measured in
// alternation in the same run so that machine noise hits both alike.
//
// Usage: bench_event_queue [--quick]   (--quick: 10x fewer holds)
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "sim/core/event_queue.hpp"
#include "sim/core/rng.hpp"
#include "sim/core/time.hpp"

namespace {

using lbsim::BasicEventQueue;
using lbsim::BinaryHeap;
using lbsim::Event;
using lbsim::QuaternaryHeap;
using lbsim::SimTime;

// Increments are drawn up front so that the RNG and log() are not measured. 2^16 of them
// (512 KiB) stay cache-resident and are read sequentially; reusing them cyclically does not
// change the cost of a heap operation.
constexpr std::size_t kIncrementCount = std::size_t{1} << 16;
constexpr std::size_t kIncrementMask = kIncrementCount - 1;
// Mean increment 1 s, so equal times (which would need a tie-break comparison) are rare.
constexpr double kMeanIncrementNs = 1e9;
constexpr int kRepetitions = 5;

std::vector<SimTime> exponential_increments() {
  lbsim::Rng rng(20240601, 0, lbsim::StreamPurpose::kArrivals, 0);
  std::vector<SimTime> increments(kIncrementCount);
  for (SimTime& increment : increments) {
    increment = std::llround(-std::log(rng.uniform_open01()) * kMeanIncrementNs);
  }
  return increments;
}

template <class Heap>
class HoldModel {
 public:
  HoldModel(std::size_t pending, const std::vector<SimTime>& increments) : increments_(increments) {
    queue_.reserve(pending + 1);
    for (std::size_t i = 0; i < pending; ++i) {
      queue_.schedule(next_increment(), 0, static_cast<std::uint32_t>(i), 0);
    }
  }

  // Runs `holds` holds and returns the wall time in ns.
  double run(std::uint64_t holds) {
    const auto start = std::chrono::steady_clock::now();
    for (std::uint64_t i = 0; i < holds; ++i) {
      const Event event = queue_.pop();
      checksum_ += event.a;
      queue_.schedule(event.time + next_increment(), event.kind(), event.a, event.b);
    }
    const auto stop = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::nano>(stop - start).count();
  }

  [[nodiscard]] std::uint64_t checksum() const { return checksum_ + queue_.scheduled_count(); }

 private:
  SimTime next_increment() { return increments_[cursor_++ & kIncrementMask]; }

  BasicEventQueue<Heap> queue_;
  const std::vector<SimTime>& increments_;
  std::size_t cursor_ = 0;
  std::uint64_t checksum_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else {
      std::fprintf(stderr, "usage: %s [--quick]\n", argv[0]);
      return 2;
    }
  }
#ifndef NDEBUG
  std::printf("WARNING: assertions are on (not a Release build); timings are not representative\n");
#endif
  const double seconds_per_size = quick ? 0.03 : 0.3;  // per heap, all repetitions together
  const std::vector<SimTime> increments = exponential_increments();
  const std::array<std::size_t, 5> sizes = {100, 1'000, 10'000, 100'000, 1'000'000};

  std::printf("Hold model: ns per hold (pop + schedule), P pending events, Exp increments.\n");
  std::printf("Best of %d alternating repetitions; ratio > 1 means QuaternaryHeap is faster.\n\n",
              kRepetitions);
  std::printf("%10s %12s %12s %15s %10s\n", "P", "holds", "BinaryHeap", "QuaternaryHeap",
              "bin/quad");
  std::uint64_t checksum = 0;
  for (const std::size_t pending : sizes) {
    HoldModel<BinaryHeap> binary(pending, increments);
    HoldModel<QuaternaryHeap> quaternary(pending, increments);

    // Warm-up: reach the steady-state shape of the hold model and fault in the pages. Then time
    // a short run of the binary heap to size the timed repetitions.
    const auto warmup_holds = static_cast<std::uint64_t>(
        static_cast<double>(std::max<std::size_t>(pending, 100'000)) * (quick ? 0.1 : 1.0));
    binary.run(warmup_holds);
    quaternary.run(warmup_holds);
    constexpr std::uint64_t kCalibrationHolds = 20'000;
    const double calibration_ns_per_hold =
        binary.run(kCalibrationHolds) / static_cast<double>(kCalibrationHolds);
    const auto holds_per_repetition = static_cast<std::uint64_t>(
        seconds_per_size * 1e9 / kRepetitions / std::max(calibration_ns_per_hold, 1.0));

    double best_binary_ns = 1e300;
    double best_quaternary_ns = 1e300;
    for (int repetition = 0; repetition < kRepetitions; ++repetition) {
      best_binary_ns = std::min(best_binary_ns, binary.run(holds_per_repetition));
      best_quaternary_ns = std::min(best_quaternary_ns, quaternary.run(holds_per_repetition));
    }
    const double binary_ns = best_binary_ns / static_cast<double>(holds_per_repetition);
    const double quaternary_ns = best_quaternary_ns / static_cast<double>(holds_per_repetition);
    std::printf("%10zu %12llu %12.1f %15.1f %10.2f\n", pending,
                static_cast<unsigned long long>(holds_per_repetition), binary_ns, quaternary_ns,
                binary_ns / quaternary_ns);
    std::fflush(stdout);
    checksum += binary.checksum() + quaternary.checksum();
  }
  std::printf("\n(checksum %llu)\n", static_cast<unsigned long long>(checksum));
  return 0;
}
