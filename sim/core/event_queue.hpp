#pragma once
// The engine's future-event set: a priority queue of Events ordered by (time, insertion sequence),
// plus FIFO lanes for timers whose deadlines arrive in the order they are scheduled.
//
// Simultaneous events pop in the order they were scheduled (the sequence number is part of the
// key, as the uid is in ns-3's Scheduler::EventKey), so a run is reproducible bit for bit. One
// sequence counter serves the heap and every lane, so ties across them are ordered too.
//
// Scheduler implementations (the Heap parameter of BasicEventQueue; ns-3 style, one conformance
// test in tests/core/event_queue_test.cpp runs against each). n = pending events; a "pop +
// schedule" pair (the hold) costs one sift-down, see BasicEventQueue.
//
//   Scheduler       schedule                pop                     memory
//   BinaryHeap      O(log2 n) worst, O(1)   O(log2 n): 2 compares   24 B/event in one std::vector,
//                   average for random      per level               <= 2x slack after growth
//                   keys (Porter & Simon
//                   1975)
//   QuaternaryHeap  O(log4 n) worst, O(1)   O(log4 n): 4 compares   same; half the levels, so
//                   average                 per level               fewer cache misses when big
//   FIFO lane       O(1)                    O(1) + one head compare 24 B/event in a power-of-two
//                                           per lane on every pop   ring, <= 2x slack
//
// Hold model, ns per pop + schedule (bench/bench_event_queue, Release, g++ 12, AMD EPYC VM, one
// core; P = pending events; best of 5, shared machine so +-10%):
//
//   P                 100    1e3    1e4    1e5    1e6
//   BinaryHeap         31     43     62     96    458
//   QuaternaryHeap     34     45     62     80    285
//   binary / quad    0.93   0.96   0.99   1.19   1.61
//
// QuaternaryHeap is the default: 1-10% slower than BinaryHeap up to 10^4 pending events (2-4 ns a
// hold; repeated runs vary about that much) and 1.2-1.6x faster beyond, where cache misses
// dominate; a run's pending count is not known in advance, so the bounded loss buys the large win.
//
// Neither heap allocates once its capacity is reached (reserve() avoids even the first growths);
// lanes grow by doubling and never shrink, so a steady state allocates nothing.
#include <cassert>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "sim/core/ring_queue.hpp"
#include "sim/core/time.hpp"

namespace lbsim {

struct Event {
  SimTime time = 0;
  std::uint64_t seq_kind = 0;  // (insertion sequence << 8) | kind
  std::uint32_t a = 0;         // payload; meaning set by the model (e.g. request slot)
  std::uint32_t b = 0;         // payload (e.g. generation for lazy cancellation, or server)

  [[nodiscard]] constexpr std::uint8_t kind() const {
    return static_cast<std::uint8_t>(seq_kind & 0xffU);
  }
  [[nodiscard]] constexpr std::uint64_t seq() const { return seq_kind >> 8; }
};
static_assert(sizeof(Event) == 24);
static_assert(std::is_trivially_copyable_v<Event>);

// The queue's order is (time, seq_kind): earlier time first, then earlier insertion. Packed into
// one unsigned 128-bit integer, a comparison is cmp + sbb with no branch: heap sifts compare
// unpredictable keys, and a mispredicted branch costs more than the comparison. (Flipping the
// sign bit maps signed times onto unsigned ones in the same order; it measured a little faster
// than a signed 128-bit key.)
__extension__ using EventOrderKey = unsigned __int128;  // __extension__: GCC/Clang, not ISO C++

[[nodiscard]] constexpr EventOrderKey order_key(const Event& event) {
  const std::uint64_t biased_time =
      static_cast<std::uint64_t>(event.time) ^ (std::uint64_t{1} << 63);
  return (static_cast<EventOrderKey>(biased_time) << 64) | event.seq_kind;
}

// Sequence numbers are unique, so this is a strict total order on the events of one queue.
[[nodiscard]] constexpr bool event_before(const Event& x, const Event& y) {
  return order_key(x) < order_key(y);
}

// What BasicEventQueue needs from a scheduler: a min-priority queue under event_before.
template <class H>
concept EventHeap = requires(H heap, const H const_heap, const Event& event, std::size_t n) {
  heap.push(event);
  heap.pop_min();           // precondition: !empty()
  heap.replace_min(event);  // pop_min() then push(event) in one pass; precondition: !empty()
  { const_heap.min() } -> std::same_as<const Event&>;  // precondition: !empty()
  { const_heap.size() } -> std::same_as<std::size_t>;
  { const_heap.empty() } -> std::same_as<bool>;
  heap.clear();
  heap.reserve(n);
};

// An implicit d-ary min-heap (Johnson, "Priority queues with update and finding minimum spanning
// trees", 1975) in a std::vector: the children of slot i are slots d*i+1 .. d*i+d.
// - Sifting moves a hole and writes the moving event once at the end instead of swapping.
// - The earliest of a family of children is found without branches (for d = 4, a tournament of
//   two pairs): which child wins is a coin flip, so a branch would mispredict about half the
//   time. Measured 10-25% faster than a branchy loop at 10^3..10^4 events.
// - Sifting down prefetches the grandchildren: branch-free code gives the CPU no speculative path
//   to load ahead on, and without the prefetch a 10^6-event heap ran ~1.5x slower.
template <std::size_t Arity>
class DaryHeap {
  static_assert(Arity == 2 || Arity == 4, "only the measured arities are implemented");

 public:
  void reserve(std::size_t n) { events_.reserve(n); }
  [[nodiscard]] bool empty() const { return events_.empty(); }
  [[nodiscard]] std::size_t size() const { return events_.size(); }
  void clear() { events_.clear(); }

  [[nodiscard]] const Event& min() const {
    assert(!events_.empty());
    return events_.front();
  }

  void push(const Event& event) {
    events_.push_back(event);  // makes room; sift_up writes the event into its final slot
    sift_up(events_.size() - 1, event);
  }

  void pop_min() {
    assert(!events_.empty());
    const Event last = events_.back();
    events_.pop_back();
    if (!events_.empty()) sift_down_from_root(last);
  }

  void replace_min(const Event& event) {
    assert(!events_.empty());
    sift_down_from_root(event);
  }

 private:
  void sift_up(std::size_t hole, const Event& event) {
    Event* const slots = events_.data();
    const EventOrderKey key = order_key(event);
    while (hole > 0) {
      const std::size_t parent = (hole - 1) / Arity;
      if (!(key < order_key(slots[parent]))) break;
      slots[hole] = slots[parent];
      hole = parent;
    }
    slots[hole] = event;
  }

  // Places `event` through the hole at the root (whose old content is discarded).
  void sift_down_from_root(const Event& event) {
    Event* const slots = events_.data();
    const std::size_t n = events_.size();
    std::size_t hole = 0;
    for (;;) {
      const std::size_t first_child = Arity * hole + 1;
      if (first_child >= n) break;
      prefetch_children_of(first_child, slots, n);
      const std::size_t best = first_child + Arity <= n
                                   ? earliest_of_full_family(first_child, slots)
                                   : earliest_of_partial_family(first_child, slots, n);
      if (!event_before(slots[best], event)) break;
      slots[hole] = slots[best];
      hole = best;
    }
    slots[hole] = event;
  }

  // The slot after `slot` if it holds the earlier event, else `slot`: an add, no branch.
  [[nodiscard]] static std::size_t earlier_of_pair(const Event* slots, std::size_t slot) {
    return slot + static_cast<std::size_t>(event_before(slots[slot + 1], slots[slot]));
  }

  // `y` if it holds the earlier event, else `x`, by arithmetic: GCC turns some ternaries into
  // branches, and this condition is a coin flip.
  [[nodiscard]] static std::size_t earlier(const Event* slots, std::size_t x, std::size_t y) {
    const std::size_t mask =
        std::size_t{0} - static_cast<std::size_t>(event_before(slots[y], slots[x]));
    return x ^ ((x ^ y) & mask);
  }

  [[nodiscard]] static std::size_t earliest_of_full_family(std::size_t first, const Event* slots) {
    if constexpr (Arity == 2) {
      return earlier_of_pair(slots, first);
    } else {
      return earlier(slots, earlier_of_pair(slots, first), earlier_of_pair(slots, first + 2));
    }
  }

  [[nodiscard]] static std::size_t earliest_of_partial_family(std::size_t first, const Event* slots,
                                                              std::size_t n) {
    std::size_t best = first;
    for (std::size_t child = first + 1; child < n; ++child) best = earlier(slots, best, child);
    return best;
  }

  // The children of slots first .. first+Arity-1 are one contiguous run of Arity^2 events. Only
  // whole runs are prefetched (a fixed, unrolled count: a variable trip count would add a
  // mispredicted loop exit per level); a partial run is the bottom of the heap anyway.
  static void prefetch_children_of(std::size_t first, const Event* slots, std::size_t n) {
    constexpr std::size_t kRunBytes = Arity * Arity * sizeof(Event);
    constexpr std::size_t kCacheLine = 64;
    const std::size_t begin = Arity * first + 1;
    if (begin + Arity * Arity > n) return;
    const char* const bytes = reinterpret_cast<const char*>(slots + begin);
    for (std::size_t offset = 0; offset < kRunBytes; offset += kCacheLine) {
      __builtin_prefetch(bytes + offset);
    }
    __builtin_prefetch(bytes + kRunBytes - 1);
  }

  std::vector<Event> events_;
};

using BinaryHeap = DaryHeap<2>;
using QuaternaryHeap = DaryHeap<4>;
static_assert(EventHeap<BinaryHeap>);
static_assert(EventHeap<QuaternaryHeap>);

// Chosen by bench_event_queue (see the table at the top of this file).
using DefaultEventHeap = QuaternaryHeap;

// The future-event set of one simulation. Not thread-safe, not even for concurrent const calls
// (they may finish a deferred removal, see below); each Simulation owns one.
//
// Contracts common to every member: times are never earlier than now(), so now() never goes
// backwards (asserted in debug builds). Cancellation is lazy: the model ignores stale events
// (e.g. by a generation number in the payload), so nothing is ever removed except by pop().
//
// Why pop() leaves its event in the heap: when the popped event came from the heap, its slot
// (the root) is only marked taken; the next schedule() overwrites it with one sift-down
// (replace_min) instead of a sift-down to remove plus a sift-up to insert. Most handlers in a
// discrete-event loop schedule at least one event, so this is the common path: a hold measured
// 15-30% faster at 10^2..10^4 pending events. Every other member first completes the removal.
template <EventHeap Heap>
class BasicEventQueue {
 public:
  using LaneId = std::uint32_t;

  // Pre-sizes the heap for n pending events so that growth never allocates mid-run.
  void reserve(std::size_t n) { heap_.reserve(n); }

  // Schedules an event at time t. Precondition: t >= now().
  void schedule(SimTime t, std::uint8_t kind, std::uint32_t a, std::uint32_t b) {
    assert(t >= now_ && "event scheduled in the past");
    push_to_heap(make_event(t, kind, a, b));
  }

  // Registers a FIFO lane: for timers whose deadlines are nondecreasing in the order they are
  // scheduled (e.g. a fixed per-attempt timeout: deadline = now + constant), scheduled and popped
  // in O(1). pop() checks every lane head, so keep the number of lanes to a handful.
  [[nodiscard]] LaneId add_lane() {
    lanes_.emplace_back();
    return static_cast<LaneId>(lanes_.size() - 1);
  }

  // Schedules an event at time t in `lane`. Preconditions: lane was returned by add_lane(),
  // t >= now(), and t >= every time previously scheduled in this lane. The last one is asserted
  // in debug builds; in release builds a violating event goes to the heap instead, so the pop
  // order stays correct.
  void schedule_in_lane(LaneId lane, SimTime t, std::uint8_t kind, std::uint32_t a,
                        std::uint32_t b) {
    assert(lane < lanes_.size() && "unknown lane");
    assert(t >= lanes_[lane].last_time && "lane times must be nondecreasing");
    schedule_preferring_lane(lane, t, kind, a, b);
  }

  // As schedule_in_lane, for a lane whose delays can change mid-run (a timeout reconfigured by
  // the timeline): an event earlier than the lane's last one goes to the heap, by design.
  void schedule_preferring_lane(LaneId lane, SimTime t, std::uint8_t kind, std::uint32_t a,
                                std::uint32_t b) {
    assert(lane < lanes_.size() && "unknown lane");
    assert(t >= now_ && "event scheduled in the past");
    Lane& target = lanes_[lane];
    if (t < target.last_time) [[unlikely]] {
      push_to_heap(make_event(t, kind, a, b));
      return;
    }
    target.last_time = t;
    target.events.push_back(make_event(t, kind, a, b));
  }

  [[nodiscard]] bool empty() const {
    if (heap_.size() != (heap_min_taken_ ? 1U : 0U)) return false;
    for (const Lane& lane : lanes_) {
      if (!lane.events.empty()) return false;
    }
    return true;
  }

  // Pending events, heap and lanes together.
  [[nodiscard]] std::size_t size() const {
    std::size_t total = heap_.size() - (heap_min_taken_ ? 1U : 0U);
    for (const Lane& lane : lanes_) total += lane.events.size();
    return total;
  }

  // Time of the next event to pop; kTimeNever when empty.
  [[nodiscard]] SimTime next_time() const {
    complete_heap_pop();
    SimTime next = heap_.empty() ? kTimeNever : heap_.min().time;
    for (const Lane& lane : lanes_) {
      if (!lane.events.empty() && lane.events.front().time < next) next = lane.events.front().time;
    }
    return next;
  }

  // Removes and returns the smallest event by (time, seq) across the heap and every lane head,
  // and advances now() to its time. Precondition: !empty().
  Event pop() {
    assert(!empty() && "pop() on an empty event queue");
    complete_heap_pop();
    Lane* best_lane = nullptr;  // null: the heap's minimum is the earliest
    for (Lane& lane : lanes_) {
      if (lane.events.empty()) continue;
      const Event& head = lane.events.front();
      const bool earliest = best_lane != nullptr ? event_before(head, best_lane->events.front())
                                                 : heap_.empty() || event_before(head, heap_.min());
      if (earliest) best_lane = &lane;
    }
    Event event;
    if (best_lane != nullptr) {
      event = best_lane->events.pop_front();
    } else {
      event = heap_.min();
      heap_min_taken_ = true;
    }
    assert(event.time >= now_ && "simulated time went backwards");
    now_ = event.time;
    return event;
  }

  // Time of the last popped event; 0 before the first pop and after clear().
  [[nodiscard]] SimTime now() const { return now_; }

  // Events scheduled since construction or the last clear(), heap and lanes together.
  [[nodiscard]] std::uint64_t scheduled_count() const { return next_seq_; }

  // Back to the state of a new queue (no events, now() == 0, scheduled_count() == 0), except that
  // lanes stay registered (empty, so their LaneIds remain valid) and capacity is kept.
  void clear() {
    heap_.clear();
    heap_min_taken_ = false;
    for (Lane& lane : lanes_) {
      lane.events.clear();
      lane.last_time = 0;
    }
    now_ = 0;
    next_seq_ = 0;
  }

 private:
  struct Lane {
    RingQueue<Event> events{16};  // nondecreasing times; a power-of-two ring, grows by doubling
    SimTime last_time = 0;        // latest time scheduled in this lane; the FIFO order relies on it
  };

  [[nodiscard]] Event make_event(SimTime t, std::uint8_t kind, std::uint32_t a, std::uint32_t b) {
    assert(next_seq_ < (std::uint64_t{1} << 56) && "sequence number overflow");
    return Event{t, (next_seq_++ << 8) | kind, a, b};
  }

  void push_to_heap(const Event& event) {
    if (heap_min_taken_) {
      heap_.replace_min(event);
      heap_min_taken_ = false;
    } else {
      heap_.push(event);
    }
  }

  // Logically const: the taken root is no longer part of the queue's contents.
  void complete_heap_pop() const {
    if (heap_min_taken_) {
      heap_.pop_min();
      heap_min_taken_ = false;
    }
  }

  mutable Heap heap_;
  mutable bool heap_min_taken_ = false;  // the heap's root was returned by pop() and is stale
  std::vector<Lane> lanes_;
  SimTime now_ = 0;
  std::uint64_t next_seq_ = 0;
};

using EventQueue = BasicEventQueue<DefaultEventHeap>;

}  // namespace lbsim
