#pragma once
// Simulated time: a signed count of nanoseconds (DESIGN.md, engine rules). 2^63 ns is ~292
// years, far beyond any run, and integer time makes event order exact and runs reproducible.
#include <cmath>
#include <cstdint>

namespace lbsim {

using SimTime = std::int64_t;

inline constexpr SimTime kNanosecond = 1;
inline constexpr SimTime kMicrosecond = 1'000;
inline constexpr SimTime kMillisecond = 1'000'000;
inline constexpr SimTime kSecond = 1'000'000'000;
inline constexpr SimTime kMinute = 60 * kSecond;
inline constexpr SimTime kHour = 60 * kMinute;
inline constexpr SimTime kTimeNever = INT64_MAX;

// Division (not multiplication by 1e-9, which is inexact) so whole values print as themselves:
// 60 s is 60, not 60.00000000000001.
[[nodiscard]] inline constexpr double to_seconds(SimTime t) {
  return static_cast<double>(t) / 1e9;
}

// Rounds to the nearest nanosecond. Callers guarantee |s| < ~9.2e9 (292 years).
[[nodiscard]] inline SimTime from_seconds(double s) {
  return std::llround(s * 1e9);
}

}  // namespace lbsim
