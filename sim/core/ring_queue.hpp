#pragma once
// A FIFO of trivially copyable values in a growable power-of-two ring. Growth doubles the
// capacity (amortised O(1)); in steady state push and pop never allocate.
#include <cassert>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace lbsim {

template <class T>
class RingQueue {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  explicit RingQueue(std::size_t initial_capacity = 8) {
    std::size_t cap = 1;
    while (cap < initial_capacity) cap <<= 1;
    slots_.resize(cap);
  }

  [[nodiscard]] bool empty() const { return size_ == 0; }
  [[nodiscard]] std::size_t size() const { return size_; }

  void push_back(T value) {
    if (size_ == slots_.size()) grow();
    slots_[(head_ + size_) & (slots_.size() - 1)] = value;
    ++size_;
  }

  [[nodiscard]] const T& front() const {
    assert(size_ > 0);
    return slots_[head_];
  }

  T pop_front() {
    assert(size_ > 0);
    T value = slots_[head_];
    head_ = (head_ + 1) & (slots_.size() - 1);
    --size_;
    return value;
  }

  // i-th element from the front (0 = front).
  [[nodiscard]] const T& operator[](std::size_t i) const {
    assert(i < size_);
    return slots_[(head_ + i) & (slots_.size() - 1)];
  }

  void clear() { head_ = size_ = 0; }

 private:
  void grow() {
    std::vector<T> bigger(slots_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = (*this)[i];
    slots_.swap(bigger);
    head_ = 0;
  }

  std::vector<T> slots_;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace lbsim
