#pragma once
// Random number streams. One seed per run; every purpose and entity (arrivals, service demands,
// each balancer instance's choices, ...) draws from its own stream, derived by hashing
// (seed, replication, purpose, entity) with SplitMix64. Changing the strategy therefore cannot
// change the arrival sequence or the service demands: compared runs share common random numbers.
//
// Generator: xoshiro256++ (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
// 2021): 256-bit state, period 2^256-1, passes BigCrush, ~1 ns per draw. Streams derived from
// distinct hashed seeds are independent for practical purposes (the seeding recommendation of the
// authors: SplitMix64 output to fill the state).
#include <cstdint>

namespace lbsim {

// The purposes a stream can serve. Values are part of the reproducibility contract: renumbering
// one changes every run's random numbers, so append only.
enum class StreamPurpose : std::uint64_t {
  kArrivals = 1,
  kUsers = 2,
  kService = 3,
  kBalancer = 4,
  kRetryJitter = 5,
  kFailures = 6,
  kHealth = 7,
  kInstance = 8,  // which balancer instance a request reaches
  kClasses = 9,   // which request class a request belongs to
};

[[nodiscard]] inline constexpr std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Rng {
  __extension__ typedef unsigned __int128 Uint128;  // GCC/Clang extension; pedantic-clean

 public:
  using result_type = std::uint64_t;

  // A stream for (seed, replication, purpose, entity). Distinct tuples give unrelated streams.
  Rng(std::uint64_t seed, std::uint64_t replication, StreamPurpose purpose, std::uint64_t entity) {
    std::uint64_t h = seed;
    h = splitmix64(h) ^ replication;
    h = splitmix64(h) ^ static_cast<std::uint64_t>(purpose);
    h = splitmix64(h) ^ entity;
    std::uint64_t sm = splitmix64(h);
    for (auto& w : s_) w = splitmix64(sm);
  }
  explicit Rng(std::uint64_t seed) : Rng(seed, 0, StreamPurpose::kArrivals, 0) {}

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return UINT64_MAX; }

  result_type operator()() { return next(); }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform on [0, 1), 53 random bits.
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform on (0, 1]: safe under log().
  double uniform_open01() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }

  // Uniform integer in [0, n), n > 0, unbiased (Lemire, "Fast random integer generation in an
  // interval", 2019).
  std::uint64_t below(std::uint64_t n) {
    Uint128 m = static_cast<Uint128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<Uint128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4]{};
};

}  // namespace lbsim
