#pragma once
// A latency histogram with bounded relative error and fixed memory.
//
// Bucket layout (the log-linear idea of Gil Tene's HdrHistogram, reimplemented): with B
// sub-bucket bits, values in [0, 2^(B+1)) get one bucket each (exact); above that, every power of
// two [2^e, 2^(e+1)) is split into 2^B equal sub-buckets of width 2^(e-B). A bucket's width is
// therefore at most 2^-B of its lower bound, so any estimate inside the bucket of the true value
// is within 2^-B relative error of it (0.78% for B = 7); quantiles interpolate inside the bucket.
//
// Memory: (65 - B) * 2^B counters (7424 for B = 7, 58 KiB), allocated once at construction and
// covering every non-negative int64, whatever the count. record() is a few shifts; quantile_s() is
// a scan over the buckets between the smallest and largest value recorded.
#include <cstdint>
#include <vector>

#include "sim/core/time.hpp"

namespace lbsim {

class LatencyHistogram {
 public:
  // sub_bucket_bits B in [1, 16]; throws std::invalid_argument otherwise.
  explicit LatencyHistogram(int sub_bucket_bits = 7);

  // Records one value. Precondition: value_ns >= 0 (asserted in debug builds). O(1).
  void record(SimTime value_ns);

  // Adds every value recorded in `other`, as if recorded here. Throws std::invalid_argument when
  // the two histograms have different sub_bucket_bits (their buckets do not line up).
  void merge(const LatencyHistogram& other);

  // Forgets all values. O(buckets between the smallest and largest value recorded).
  void reset();

  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] int sub_bucket_bits() const { return sub_bucket_bits_; }

  // Exact arithmetic mean in seconds (the sum is kept exactly in 128 bits); 0 when empty.
  [[nodiscard]] double mean_s() const;
  // Exact smallest and largest values recorded, in seconds; 0 when empty.
  [[nodiscard]] double min_s() const;
  [[nodiscard]] double max_s() const;

  // The q-quantile in seconds, nearest-rank definition: the smallest recorded value x such that at
  // least ceil(q * count) values are <= x (rank 1 when q = 0). Reported by linear interpolation
  // inside x's bucket (the bucket's c values spread evenly over it, the k-th at (k - 1/2) / c of
  // its width), clamped to [min, max], so it stays in x's bucket, within relative_error_bound()
  // of x, and moves with the rank instead of sticking to one value per bucket; ranks 1 and count
  // return min_s() and max_s() exactly. 0 when empty. Throws std::invalid_argument unless q is in
  // [0, 1].
  [[nodiscard]] double quantile_s(double q) const;

  // 2^-B: the guaranteed bound on |reported - x| / x for the quantile definition above (a bucket
  // is at most 2^-B of its lower bound wide; up to the double rounding of the final conversion to
  // seconds, about 1e-16 relative).
  [[nodiscard]] double relative_error_bound() const;

 private:
  [[nodiscard]] std::size_t bucket_index(std::uint64_t value_ns) const;
  // Midpoint of the integer values that fall into bucket `index`, and how many there are.
  [[nodiscard]] double bucket_midpoint_ns(std::size_t index) const;
  [[nodiscard]] double bucket_width_ns(std::size_t index) const;

  int sub_bucket_bits_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ns_low_ = 0;   // exact sum of values, as a 128-bit number (low, high) words:
  std::uint64_t sum_ns_high_ = 0;  // 2^64 values of up to 2^63 ns cannot overflow it
  SimTime min_ns_ = 0;
  SimTime max_ns_ = 0;
};

}  // namespace lbsim
