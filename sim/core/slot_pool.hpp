#pragma once
// A slab of objects addressed by 32-bit slot numbers, with a free list. Freed slots are reused
// most-recently-freed first (still warm in cache); the slab only grows, so a steady state never
// allocates. Each object carries a `generation` that release() bumps: events that name a slot
// also carry the generation they saw, and are ignored once it no longer matches (lazy
// cancellation of timers without touching the event queue).
#include <cstdint>
#include <vector>

namespace lbsim {

template <class T>
class SlotPool {
 public:
  void reserve(std::size_t n) {
    items_.reserve(n);
    free_.reserve(n);
  }

  [[nodiscard]] std::uint32_t allocate() {
    if (!free_.empty()) {
      const std::uint32_t slot = free_.back();
      free_.pop_back();
      return slot;
    }
    items_.emplace_back();
    return static_cast<std::uint32_t>(items_.size() - 1);
  }

  void release(std::uint32_t slot) {
    ++items_[slot].generation;
    free_.push_back(slot);
  }

  [[nodiscard]] T& operator[](std::uint32_t slot) { return items_[slot]; }
  [[nodiscard]] const T& operator[](std::uint32_t slot) const { return items_[slot]; }
  [[nodiscard]] std::size_t in_use() const { return items_.size() - free_.size(); }

 private:
  std::vector<T> items_;
  std::vector<std::uint32_t> free_;
};

}  // namespace lbsim
