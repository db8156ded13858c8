// Conformance tests for the future-event set: every test runs against each scheduler
// implementation (BinaryHeap, QuaternaryHeap), with and without FIFO lanes. Everything here is
// exact (no tolerances): the queue's order is fully determined by (time, insertion sequence).
#include "sim/core/event_queue.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <type_traits>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/core/time.hpp"

#ifndef NDEBUG
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#endif

// Every scheduler implementation; TEST_CASE_TEMPLATE runs a test once per type in this list.
#define LBSIM_ALL_HEAPS BinaryHeap, QuaternaryHeap

namespace lbsim {
namespace {

// What the queue must reproduce for one event. `id` (carried in payload a) is unique per
// schedule call, so comparing ids checks the exact pop order, tie-breaks included.
struct Expected {
  SimTime time;
  std::uint32_t id;
  std::uint8_t kind;
  std::uint32_t b;
};

#ifndef NDEBUG
// Runs `action` in a forked child and reports whether it was killed by SIGABRT (a failed
// assert). The child's output goes to /dev/null so the expected assertion message is not noise.
template <class Action>
bool aborts_in_child(Action action) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const rlimit no_core_dump{0, 0};
    setrlimit(RLIMIT_CORE, &no_core_dump);
    // doctest's crash handler would report the expected abort as a failure of this test case.
    std::signal(SIGABRT, SIG_DFL);
    const int dev_null = open("/dev/null", O_WRONLY);
    if (dev_null >= 0) {
      dup2(dev_null, STDOUT_FILENO);
      dup2(dev_null, STDERR_FILENO);
    }
    action();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}
#endif

TEST_CASE("Event is 24 trivially copyable bytes and decodes kind and sequence") {
  static_assert(sizeof(Event) == 24);
  static_assert(std::is_trivially_copyable_v<Event>);
  const Event event{5, (std::uint64_t{123456789} << 8) | 0xabU, 1, 2};
  CHECK(event.kind() == 0xab);
  CHECK(event.seq() == 123456789);
}

TEST_CASE("event_before orders by time, then by insertion sequence, negative times included") {
  const auto at = [](SimTime t, std::uint64_t seq) { return Event{t, seq << 8, 0, 0}; };
  CHECK(event_before(at(1, 9), at(2, 0)));  // time dominates the sequence
  CHECK_FALSE(event_before(at(2, 0), at(1, 9)));
  CHECK(event_before(at(5, 3), at(5, 4)));  // equal times: earlier insertion first
  CHECK_FALSE(event_before(at(5, 4), at(5, 3)));
  CHECK_FALSE(event_before(at(5, 4), at(5, 4)));  // irreflexive
  // The packed key flips the sign bit of the time; these pin that signed order survives.
  CHECK(event_before(at(-1, 9), at(0, 0)));
  CHECK(event_before(at(INT64_MIN, 9), at(-1, 0)));
  CHECK(event_before(at(-1, 9), at(kTimeNever, 0)));
  CHECK(event_before(at(0, (std::uint64_t{1} << 56) - 1), at(1, 0)));
}

TEST_CASE_TEMPLATE("a new queue is empty", Heap, LBSIM_ALL_HEAPS) {
  BasicEventQueue<Heap> queue;
  CHECK(queue.empty());
  CHECK(queue.size() == 0);
  CHECK(queue.next_time() == kTimeNever);
  CHECK(queue.now() == 0);
  CHECK(queue.scheduled_count() == 0);
  (void)queue.add_lane();
  CHECK(queue.empty());
  CHECK(queue.next_time() == kTimeNever);
}

TEST_CASE_TEMPLATE("events pop in time order and carry their payload", Heap, LBSIM_ALL_HEAPS) {
  BasicEventQueue<Heap> queue;
  // Distinct times in a scrambled order: 37 is coprime with 1000, so i*37 mod 1000 visits every
  // residue once.
  constexpr std::uint32_t kCount = 1000;
  for (std::uint32_t i = 0; i < kCount; ++i) {
    const std::uint32_t t = (i * 37) % kCount;
    queue.schedule(SimTime{t} * kMicrosecond, static_cast<std::uint8_t>(t % 256), t, ~t);
  }
  CHECK(queue.size() == kCount);
  for (std::uint32_t expected = 0; expected < kCount; ++expected) {
    REQUIRE(queue.next_time() == SimTime{expected} * kMicrosecond);
    const Event event = queue.pop();
    CHECK(event.time == SimTime{expected} * kMicrosecond);
    CHECK(event.a == expected);
    CHECK(event.b == ~expected);
    CHECK(event.kind() == expected % 256);
    CHECK(queue.now() == event.time);
  }
  CHECK(queue.empty());
}

TEST_CASE_TEMPLATE("simultaneous events pop in scheduling order", Heap, LBSIM_ALL_HEAPS) {
  BasicEventQueue<Heap> queue;
  // Two interleaved times so that ties have to be resolved inside a heap with other keys around.
  for (std::uint32_t i = 0; i < 200; ++i) queue.schedule(i % 2 == 0 ? 50 : 40, 1, i, 0);
  for (std::uint32_t i = 1; i < 200; i += 2) CHECK(queue.pop().a == i);
  for (std::uint32_t i = 0; i < 200; i += 2) CHECK(queue.pop().a == i);
}

TEST_CASE_TEMPLATE("ties between heap and lane events pop in scheduling order", Heap,
                   LBSIM_ALL_HEAPS) {
  BasicEventQueue<Heap> queue;
  const auto lane_a = queue.add_lane();
  const auto lane_b = queue.add_lane();
  const auto lane_c = queue.add_lane();
  std::uint32_t id = 0;
  for (int round = 0; round < 10; ++round) {
    queue.schedule(100, 1, id++, 0);
    queue.schedule_in_lane(lane_a, 100, 2, id++, 0);
    queue.schedule_in_lane(lane_b, 100, 3, id++, 0);
    queue.schedule_in_lane(lane_a, 100, 2, id++, 0);
    queue.schedule(100, 1, id++, 0);
  }
  queue.schedule_in_lane(lane_c, 99, 4, id++, 0);  // earlier than all: first despite coming last
  CHECK(queue.pop().a == id - 1);
  for (std::uint32_t expected = 0; expected + 1 < id; ++expected) {
    const Event event = queue.pop();
    CHECK(event.a == expected);
    CHECK(event.seq() == expected);  // the sequence counter is shared by heap and lanes
  }
  CHECK(queue.empty());
}

TEST_CASE_TEMPLATE("a lane interleaves with the heap by time", Heap, LBSIM_ALL_HEAPS) {
  BasicEventQueue<Heap> queue;
  const auto timeouts = queue.add_lane();
  // Lane: 10, 20, ..., 100. Heap: 5, 15, ..., 95 scheduled in reverse.
  for (std::uint32_t k = 1; k <= 10; ++k) queue.schedule_in_lane(timeouts, 10 * k, 7, k, 0);
  for (std::uint32_t k = 10; k >= 1; --k) queue.schedule(10 * k - 5, 8, k, 0);
  CHECK(queue.size() == 20);
  SimTime expected_time = 5;
  while (!queue.empty()) {
    CHECK(queue.next_time() == expected_time);
    const Event event = queue.pop();
    CHECK(event.time == expected_time);
    CHECK(event.kind() == (expected_time % 10 == 0 ? 7 : 8));
    expected_time += 5;
  }
  CHECK(expected_time == 105);
}

TEST_CASE_TEMPLATE("a lane keeps FIFO order across ring wrap-around and growth", Heap,
                   LBSIM_ALL_HEAPS) {
  BasicEventQueue<Heap> queue;
  const auto lane = queue.add_lane();
  std::uint32_t next_in = 0;
  std::uint32_t next_out = 0;
  // Keep about 10 pending (so the ring's head wraps many times), then grow to 5000 and drain.
  for (int step = 0; step < 1000; ++step) {
    queue.schedule_in_lane(lane, queue.now() + 10 + next_in, 0, next_in, 0);
    ++next_in;
    if (queue.size() > 10) CHECK(queue.pop().a == next_out++);
  }
  while (next_in < 5000) {
    queue.schedule_in_lane(lane, queue.now() + 10 + next_in, 0, next_in, 0);
    ++next_in;
  }
  CHECK(queue.size() == next_in - next_out);
  while (!queue.empty()) CHECK(queue.pop().a == next_out++);
  CHECK(next_out == 5000);
}

TEST_CASE_TEMPLATE("lane precondition: equal times are accepted, earlier ones are refused", Heap,
                   LBSIM_ALL_HEAPS) {
  BasicEventQueue<Heap> queue;
  const auto lane = queue.add_lane();
  queue.schedule_in_lane(lane, 100, 0, 0, 0);
  queue.schedule_in_lane(lane, 100, 0, 1, 0);  // equal to the last time: within the contract
  CHECK(queue.pop().a == 0);
  CHECK(queue.pop().a == 1);
  queue.schedule_in_lane(lane, 300, 0, 2, 0);
#ifdef NDEBUG
  // Release: an out-of-order lane event goes to the heap, so the pop order is still exact and
  // the lane keeps accepting times from its last accepted one (300).
  queue.schedule_in_lane(lane, 200, 0, 3, 0);
  queue.schedule_in_lane(lane, 300, 0, 4, 0);
  queue.schedule_in_lane(lane, 250, 0, 5, 0);
  CHECK(queue.size() == 4);
  CHECK(queue.pop().a == 3);  // 200
  CHECK(queue.pop().a == 5);  // 250
  CHECK(queue.pop().a == 2);  // 300, scheduled before id 4
  CHECK(queue.pop().a == 4);  // 300
  CHECK(queue.now() == 300);
#else
  // Debug: the violation is an assertion failure.
  CHECK(aborts_in_child([&queue, lane] { queue.schedule_in_lane(lane, 299, 0, 3, 0); }));
  CHECK_FALSE(aborts_in_child([&queue, lane] { queue.schedule_in_lane(lane, 300, 0, 3, 0); }));
#endif
}

#ifndef NDEBUG
TEST_CASE_TEMPLATE("debug builds assert time never goes backwards", Heap, LBSIM_ALL_HEAPS) {
  BasicEventQueue<Heap> queue;
  const auto lane = queue.add_lane();
  queue.schedule(1000, 0, 0, 0);
  (void)queue.pop();
  CHECK(aborts_in_child([&queue] { queue.schedule(999, 0, 0, 0); }));
  CHECK(aborts_in_child([&queue, lane] { queue.schedule_in_lane(lane, 999, 0, 0, 0); }));
  CHECK(aborts_in_child([&queue] { (void)queue.pop(); }));  // empty
  CHECK_FALSE(aborts_in_child([&queue] { queue.schedule(1000, 0, 0, 0); }));
}
#endif

TEST_CASE_TEMPLATE("scheduled_count counts every schedule; clear resets the queue", Heap,
                   LBSIM_ALL_HEAPS) {
  BasicEventQueue<Heap> queue;
  const auto lane = queue.add_lane();
  for (std::uint32_t i = 0; i < 30; ++i) queue.schedule(1000 - i, 0, i, 0);
  for (std::uint32_t i = 0; i < 20; ++i) queue.schedule_in_lane(lane, 2000 + i, 0, i, 0);
  CHECK(queue.scheduled_count() == 50);
  CHECK(queue.size() == 50);
  for (int i = 0; i < 40; ++i) (void)queue.pop();
  CHECK(queue.scheduled_count() == 50);  // popping does not uncount
  CHECK(queue.size() == 10);
  CHECK(queue.now() == 2009);

  queue.clear();
  CHECK(queue.empty());
  CHECK(queue.size() == 0);
  CHECK(queue.next_time() == kTimeNever);
  CHECK(queue.now() == 0);
  CHECK(queue.scheduled_count() == 0);
  // The lane is still registered and its last time was reset: an early time is accepted.
  queue.schedule_in_lane(lane, 5, 2, 77, 0);
  queue.schedule(5, 1, 78, 0);
  const Event first = queue.pop();
  CHECK(first.a == 77);
  CHECK(first.seq() == 0);
  CHECK(queue.pop().a == 78);
  CHECK(queue.scheduled_count() == 2);
}

TEST_CASE_TEMPLATE("payload extremes survive the queue", Heap, LBSIM_ALL_HEAPS) {
  BasicEventQueue<Heap> queue;
  const auto lane = queue.add_lane();
  queue.schedule(kTimeNever - 1, 255, UINT32_MAX, UINT32_MAX);
  queue.schedule_in_lane(lane, 0, 0, 0, 0);
  const Event early = queue.pop();
  CHECK(early.time == 0);
  CHECK(early.kind() == 0);
  const Event late = queue.pop();
  CHECK(late.time == kTimeNever - 1);
  CHECK(late.kind() == 255);
  CHECK(late.a == UINT32_MAX);
  CHECK(late.b == UINT32_MAX);
}

// Randomised differential test against a reference: std::multimap keeps equal keys in insertion
// order (C++11 [associative.reqmts]: insert places the element at the upper bound of its equal
// range), which is exactly the (time, sequence) order the queue promises.
template <class Heap>
void run_differential(std::uint64_t seed, int lane_count) {
  BasicEventQueue<Heap> queue;
  queue.reserve(64);  // deliberately small: the heap must also grow mid-run
  std::vector<typename BasicEventQueue<Heap>::LaneId> lanes;
  // Lane i holds timers of a fixed delay, so its deadlines are nondecreasing, as for a fixed
  // per-attempt timeout. Delay 0 makes every lane event tie with heap events at now().
  const std::vector<SimTime> lane_delay = {0, 3, 7};
  lanes.reserve(static_cast<std::size_t>(lane_count));
  for (int i = 0; i < lane_count; ++i) lanes.push_back(queue.add_lane());

  std::multimap<SimTime, Expected> reference;
  Rng rng(seed, 0, StreamPurpose::kArrivals, 0);
  std::uint32_t next_id = 0;
  constexpr int kOperations = 100'000;
  for (int op = 0; op < kOperations; ++op) {
    // Phases of 4096 operations alternate 60% and 40% schedules: the queue fills to ~1000
    // pending and drains back (to empty 1 to 700 times for the seeds used here), so small and
    // larger heaps, growth, and the empty/non-empty transitions are all exercised.
    const std::uint64_t schedule_percent = (op / 4096) % 2 == 0 ? 60 : 40;
    const bool do_schedule = reference.empty() || rng.below(100) < schedule_percent;
    if (do_schedule) {
      const std::uint32_t id = next_id++;
      const auto kind = static_cast<std::uint8_t>(rng.below(256));
      const auto b = static_cast<std::uint32_t>(rng.next());
      const std::uint64_t target = lanes.empty() ? 0 : rng.below(lanes.size() + 1);
      SimTime t = 0;
      if (target == 0) {
        // Offsets 0..9 from now: many equal times, many ties with lane events.
        t = queue.now() + static_cast<SimTime>(rng.below(10));
        queue.schedule(t, kind, id, b);
      } else {
        const std::size_t lane = target - 1;
        t = queue.now() + lane_delay[lane];
        queue.schedule_in_lane(lanes[lane], t, kind, id, b);
      }
      reference.emplace(t, Expected{t, id, kind, b});
    } else {
      const Expected expected = reference.begin()->second;
      reference.erase(reference.begin());
      const SimTime before = queue.now();
      const Event event = queue.pop();
      REQUIRE(event.a == expected.id);
      REQUIRE(event.time == expected.time);
      REQUIRE(event.kind() == expected.kind);
      REQUIRE(event.b == expected.b);
      REQUIRE(queue.now() == event.time);
      REQUIRE(queue.now() >= before);
    }
    REQUIRE(queue.size() == reference.size());
    REQUIRE(queue.empty() == reference.empty());
    REQUIRE(queue.next_time() == (reference.empty() ? kTimeNever : reference.begin()->first));
  }
  CHECK(queue.scheduled_count() == next_id);
  while (!reference.empty()) {
    REQUIRE(queue.pop().a == reference.begin()->second.id);
    reference.erase(reference.begin());
  }
  CHECK(queue.empty());
}

TEST_CASE_TEMPLATE("differential test against std::multimap, heap only", Heap, LBSIM_ALL_HEAPS) {
  run_differential<Heap>(1, 0);
  run_differential<Heap>(2, 0);
}

TEST_CASE_TEMPLATE("differential test against std::multimap, heap and three lanes", Heap,
                   LBSIM_ALL_HEAPS) {
  run_differential<Heap>(3, 3);
  run_differential<Heap>(4, 3);
}

TEST_CASE("EventQueue is the default scheduler's queue") {
  static_assert(std::is_same_v<EventQueue, BasicEventQueue<DefaultEventHeap>>);
  EventQueue queue;
  queue.schedule(2, 0, 2, 0);
  queue.schedule(1, 0, 1, 0);
  CHECK(queue.pop().a == 1);
  CHECK(queue.pop().a == 2);
}

}  // namespace
}  // namespace lbsim
