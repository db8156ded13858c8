#pragma once
// Where requests come from: arrival times (Poisson or deterministic under a piecewise-linear rate
// profile, or replayed from a trace) and which user sends each one.
#include <cstdint>
#include <optional>
#include <vector>

#include "sim/core/distributions.hpp"
#include "sim/core/rng.hpp"
#include "sim/core/time.hpp"
#include "sim/model/config.hpp"

namespace lbsim {

// The offered rate as a function of time: piecewise linear, built from the base rate and the
// profile's steps and ramps; constant after the last change.
class RateProfile {
 public:
  RateProfile(double base_rate_per_s, const std::vector<RateChange>& changes);

  [[nodiscard]] double rate_at(double t_s) const;
  // Expected arrivals in [from_s, to_s]: the integral of the rate.
  [[nodiscard]] double integral(double from_s, double to_s) const;
  // The smallest t >= from_s with integral(from_s, t) == amount; +inf if the rate runs out.
  // Used to generate a nonhomogeneous Poisson process by inversion of its cumulative rate
  // (Çinlar 1975): unit-rate Poisson epochs mapped through the inverse cumulative intensity.
  [[nodiscard]] double advance(double from_s, double amount) const;

 private:
  struct Segment {
    double t0_s, t1_s;    // [t0, t1); t1 = +inf for the last
    double rate0, slope;  // rate(t) = rate0 + slope * (t - t0), per s and per s^2
  };
  [[nodiscard]] std::size_t segment_index(double t_s) const;
  std::vector<Segment> segments_;
};

// The next arrival of one request.
struct Arrival {
  SimTime time = kTimeNever;
  std::int64_t trace_row = -1;  // >= 0 when replayed from a trace
};

class ArrivalSource {
 public:
  ArrivalSource(const WorkloadConfig& workload, std::uint64_t seed, std::uint64_t replication);

  // The next arrival after the previous one; time == kTimeNever once arrivals end.
  [[nodiscard]] Arrival next();

  // The offered rate at `now`, per second (Poisson and deterministic arrivals).
  [[nodiscard]] double rate_at(SimTime now) const;
  // A timeline traffic change: from `now` the rate moves to `change.target_rate_per_s`, at once
  // or linearly over change.ramp_ns; a ramp in progress is cut at `now`, and the new ramp is cut
  // at the next profile point, which then applies as written. The pending arrival (the last one
  // next() returned, at or after `now`) moves to where the new rate puts it: its unit-rate epoch
  // is kept and mapped through the new cumulative rate, which is exact for Poisson and
  // deterministic arrivals (time-change theorem). Returns the moved arrival. Not for traces
  // (std::logic_error).
  [[nodiscard]] Arrival retime(SimTime now, RateChange change);

 private:
  ArrivalProcess process_;
  double base_rate_per_s_;
  std::vector<RateChange> changes_;
  RateProfile profile_;
  double from_s_ = 0.0;  // the pending arrival is the unit-rate amount_ after from_s_
  double amount_ = 0.0;
  bool constant_rate_;
  double constant_rate_per_s_;
  double now_s_ = 0.0;
  Rng rng_;
  const TraceArrivals* trace_;
  std::size_t trace_index_ = 0;
  SimTime trace_offset_ = 0;
};

// Which user sends each request: uniform or Zipf over the population, or the trace's column.
class UserPicker {
 public:
  UserPicker(const WorkloadConfig& workload, std::uint64_t seed, std::uint64_t replication);
  [[nodiscard]] std::uint64_t pick(std::int64_t trace_row);
  [[nodiscard]] std::uint64_t population() const { return population_; }

 private:
  std::uint64_t population_;
  std::optional<ZipfSampler> zipf_;
  const std::vector<std::uint64_t>* trace_users_;
  Rng rng_;
};

}  // namespace lbsim
