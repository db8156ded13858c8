#include "sim/metrics/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <cmath>
#include <stdexcept>
#include <string>

namespace lbsim {
namespace {

__extension__ using Uint128 = unsigned __int128;

constexpr int kMinSubBucketBits = 1;
constexpr int kMaxSubBucketBits = 16;

}  // namespace

LatencyHistogram::LatencyHistogram(int sub_bucket_bits) : sub_bucket_bits_(sub_bucket_bits) {
  if (sub_bucket_bits < kMinSubBucketBits || sub_bucket_bits > kMaxSubBucketBits) {
    throw std::invalid_argument(
        "LatencyHistogram: sub_bucket_bits must be in [" + std::to_string(kMinSubBucketBits) +
        ", " + std::to_string(kMaxSubBucketBits) + "], got " + std::to_string(sub_bucket_bits));
  }
  // The largest non-negative int64 has bit width 63, so its shift is 62 - B and its index is below
  // (63 - B) * 2^B + 2^(B+1) = (65 - B) * 2^B.
  counts_.assign(static_cast<std::size_t>(65 - sub_bucket_bits) << sub_bucket_bits, 0);
}

std::size_t LatencyHistogram::bucket_index(std::uint64_t value_ns) const {
  // Values below 2^(B+1) have shift 0 (one bucket per value); each further bit of magnitude
  // doubles the bucket width. OR-ing in the low mask makes the shift 0 without a branch.
  const std::uint64_t linear_mask = (std::uint64_t{2} << sub_bucket_bits_) - 1;
  const int shift =
      static_cast<int>(std::bit_width(value_ns | linear_mask)) - (sub_bucket_bits_ + 1);
  return (static_cast<std::size_t>(shift) << sub_bucket_bits_) +
         static_cast<std::size_t>(value_ns >> shift);
}

double LatencyHistogram::bucket_midpoint_ns(std::size_t index) const {
  // Inverse of bucket_index: index = shift * 2^B + (value >> shift), with value >> shift in
  // [2^B, 2^(B+1)) whenever shift > 0.
  const std::size_t sub_bucket_count = std::size_t{1} << sub_bucket_bits_;
  if (index < 2 * sub_bucket_count) {
    return static_cast<double>(index);
  }
  const int shift = static_cast<int>(index >> sub_bucket_bits_) - 1;
  const std::uint64_t lowest_ns =
      static_cast<std::uint64_t>(index - (static_cast<std::size_t>(shift) << sub_bucket_bits_))
      << shift;
  const std::uint64_t width_ns = std::uint64_t{1} << shift;
  return static_cast<double>(lowest_ns) + 0.5 * static_cast<double>(width_ns - 1);
}

void LatencyHistogram::record(SimTime value_ns) {
  assert(value_ns >= 0);
  const auto value = static_cast<std::uint64_t>(value_ns);
  ++counts_[bucket_index(value)];
  if (count_ == 0) {
    min_ns_ = value_ns;
    max_ns_ = value_ns;
  } else {
    min_ns_ = std::min(min_ns_, value_ns);
    max_ns_ = std::max(max_ns_, value_ns);
  }
  ++count_;
  const std::uint64_t old_low = sum_ns_low_;
  sum_ns_low_ += value;
  sum_ns_high_ += sum_ns_low_ < old_low ? 1 : 0;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.sub_bucket_bits_ != sub_bucket_bits_) {
    throw std::invalid_argument("LatencyHistogram::merge: sub_bucket_bits differ (" +
                                std::to_string(sub_bucket_bits_) + " vs " +
                                std::to_string(other.sub_bucket_bits_) + ")");
  }
  if (other.count_ == 0) {
    return;
  }
  const std::size_t first = bucket_index(static_cast<std::uint64_t>(other.min_ns_));
  const std::size_t last = bucket_index(static_cast<std::uint64_t>(other.max_ns_));
  for (std::size_t i = first; i <= last; ++i) {
    counts_[i] += other.counts_[i];
  }
  if (count_ == 0) {
    min_ns_ = other.min_ns_;
    max_ns_ = other.max_ns_;
  } else {
    min_ns_ = std::min(min_ns_, other.min_ns_);
    max_ns_ = std::max(max_ns_, other.max_ns_);
  }
  count_ += other.count_;
  const std::uint64_t old_low = sum_ns_low_;
  sum_ns_low_ += other.sum_ns_low_;
  sum_ns_high_ += other.sum_ns_high_ + (sum_ns_low_ < old_low ? 1 : 0);
}

void LatencyHistogram::reset() {
  if (count_ == 0) {
    return;
  }
  const auto first = static_cast<std::ptrdiff_t>(bucket_index(static_cast<std::uint64_t>(min_ns_)));
  const auto last = static_cast<std::ptrdiff_t>(bucket_index(static_cast<std::uint64_t>(max_ns_)));
  std::fill(counts_.begin() + first, counts_.begin() + last + 1, std::uint64_t{0});
  count_ = 0;
  sum_ns_low_ = 0;
  sum_ns_high_ = 0;
  min_ns_ = 0;
  max_ns_ = 0;
}

double LatencyHistogram::mean_s() const {
  if (count_ == 0) {
    return 0.0;
  }
  // Integer quotient and remainder keep the result exact up to the final rounding.
  const Uint128 sum = (static_cast<Uint128>(sum_ns_high_) << 64) | sum_ns_low_;
  const auto quotient = static_cast<std::uint64_t>(sum / count_);
  const auto remainder = static_cast<std::uint64_t>(sum % count_);
  const long double mean_ns =
      static_cast<long double>(quotient) +
      static_cast<long double>(remainder) / static_cast<long double>(count_);
  return static_cast<double>(mean_ns / 1e9L);
}

double LatencyHistogram::min_s() const {
  return to_seconds(min_ns_);
}

double LatencyHistogram::max_s() const {
  return to_seconds(max_ns_);
}

double LatencyHistogram::quantile_s(double q) const {
  if (!(q >= 0.0 && q <= 1.0)) {
    throw std::invalid_argument("LatencyHistogram::quantile_s: q must be in [0, 1], got " +
                                std::to_string(q));
  }
  if (count_ == 0) {
    return 0.0;
  }
  const double rank_real = std::ceil(q * static_cast<double>(count_));
  const std::uint64_t rank =
      rank_real < 1.0 ? 1 : std::min(count_, static_cast<std::uint64_t>(rank_real));
  if (rank == 1) {
    return min_s();
  }
  if (rank == count_) {
    return max_s();
  }
  const std::size_t first = bucket_index(static_cast<std::uint64_t>(min_ns_));
  const std::size_t last = bucket_index(static_cast<std::uint64_t>(max_ns_));
  std::uint64_t below = 0;
  std::size_t index = first;
  for (; index < last; ++index) {
    if (below + counts_[index] >= rank) {
      break;
    }
    below += counts_[index];
  }
  // Interpolated within the bucket: its c values are taken as spread evenly over its integer
  // values [low, low + width - 1], the k-th of them at (k - 1/2) / c of the way. A quantile then
  // moves with the ranks inside a bucket instead of sticking to its midpoint, so replications
  // that land in one bucket still differ (issue 11: no interval narrower than the resolution).
  const double width = bucket_width_ns(index);
  const double low = bucket_midpoint_ns(index) - 0.5 * (width - 1.0);
  const auto in_bucket = static_cast<double>(counts_[index]);
  const double k = static_cast<double>(rank - below);
  const double estimate_ns = std::clamp(low + (width - 1.0) * (k - 0.5) / in_bucket,
                                        static_cast<double>(min_ns_), static_cast<double>(max_ns_));
  return estimate_ns / 1e9;  // as to_seconds(): division keeps whole values exact
}

double LatencyHistogram::relative_error_bound() const {
  return std::ldexp(1.0, -sub_bucket_bits_);
}

double LatencyHistogram::bucket_width_ns(std::size_t index) const {
  const std::size_t sub_bucket_count = std::size_t{1} << sub_bucket_bits_;
  if (index < 2 * sub_bucket_count) return 1.0;
  return std::ldexp(1.0, static_cast<int>(index >> sub_bucket_bits_) - 1);
}

}  // namespace lbsim
