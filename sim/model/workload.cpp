#include "sim/model/workload.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace lbsim {

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

RateProfile::RateProfile(double base_rate_per_s, const std::vector<RateChange>& changes) {
  double t = 0.0;
  double rate = base_rate_per_s;
  for (const RateChange& change : changes) {
    const double at = to_seconds(change.at_ns);
    if (at > t) {
      segments_.push_back({t, at, rate, 0.0});
      t = at;
    }
    if (change.ramp_ns > 0) {
      const double ramp = to_seconds(change.ramp_ns);
      segments_.push_back({t, t + ramp, rate, (change.target_rate_per_s - rate) / ramp});
      t += ramp;
    }
    rate = change.target_rate_per_s;
  }
  segments_.push_back({t, kInf, rate, 0.0});
}

std::size_t RateProfile::segment_index(double t_s) const {
  // Few segments in practice; the first whose end lies beyond t.
  const auto it = std::upper_bound(segments_.begin(), segments_.end(), t_s,
                                   [](double t, const Segment& s) { return t < s.t1_s; });
  return it == segments_.end() ? segments_.size() - 1
                               : static_cast<std::size_t>(it - segments_.begin());
}

double RateProfile::rate_at(double t_s) const {
  const Segment& s = segments_[segment_index(t_s)];
  return s.rate0 + s.slope * (t_s - s.t0_s);
}

double RateProfile::integral(double from_s, double to_s) const {
  double total = 0.0;
  double t = from_s;
  for (std::size_t i = segment_index(from_s); i < segments_.size() && t < to_s; ++i) {
    const Segment& s = segments_[i];
    const double end = std::min(to_s, s.t1_s);
    const double a = s.rate0 + s.slope * (t - s.t0_s);
    const double d = end - t;
    total += a * d + 0.5 * s.slope * d * d;
    t = end;
  }
  return total;
}

double RateProfile::advance(double from_s, double amount) const {
  double t = from_s;
  double left = amount;
  for (std::size_t i = segment_index(from_s); i < segments_.size(); ++i) {
    const Segment& s = segments_[i];
    const double a = std::max(0.0, s.rate0 + s.slope * (t - s.t0_s));
    if (s.t1_s == kInf) {
      return a > 0.0 ? t + left / a : kInf;
    }
    const double d = s.t1_s - t;
    const double capacity = a * d + 0.5 * s.slope * d * d;
    if (left <= capacity) {
      if (s.slope == 0.0) return t + left / a;
      // Solve a*x + slope*x^2/2 = left for the root in [0, d]; this form avoids cancellation
      // when slope is small.
      const double disc = std::max(0.0, a * a + 2.0 * s.slope * left);
      const double x = 2.0 * left / (a + std::sqrt(disc));
      return t + std::min(x, d);
    }
    left -= capacity;
    t = s.t1_s;
  }
  return kInf;
}

ArrivalSource::ArrivalSource(const WorkloadConfig& workload, std::uint64_t seed,
                             std::uint64_t replication)
    : process_(workload.arrivals),
      base_rate_per_s_(workload.rate_per_s),
      changes_(workload.profile),
      profile_(workload.rate_per_s, workload.profile),
      constant_rate_(workload.profile.empty()),
      constant_rate_per_s_(workload.rate_per_s),
      rng_(seed, replication, StreamPurpose::kArrivals, 0),
      trace_(&workload.trace) {
  if (process_ != ArrivalProcess::kTrace && !(workload.rate_per_s >= 0.0)) {
    throw std::invalid_argument("workload rate must be >= 0");
  }
}

Arrival ArrivalSource::next() {
  switch (process_) {
    case ArrivalProcess::kPoisson:
    case ArrivalProcess::kDeterministic: {
      // Unit-rate epochs: Exp(1) gaps (Poisson) or unit gaps (deterministic), mapped through the
      // inverse cumulative rate.
      const double amount =
          process_ == ArrivalProcess::kPoisson ? -std::log(rng_.uniform_open01()) : 1.0;
      if (!std::isfinite(now_s_)) return {};  // the rate ran out
      from_s_ = now_s_;
      amount_ = amount;
      if (constant_rate_) {
        if (constant_rate_per_s_ <= 0.0) return {};
        now_s_ += amount / constant_rate_per_s_;
      } else {
        now_s_ = profile_.advance(now_s_, amount);
      }
      if (!(now_s_ < 9.2e9)) return {};
      return {from_seconds(now_s_), -1};
    }
    case ArrivalProcess::kTrace: {
      const auto rows = trace_->times_ns.size();
      if (trace_index_ == rows) {
        if (trace_->loop_period_ns <= 0 || rows == 0) return {};
        trace_index_ = 0;
        trace_offset_ += trace_->loop_period_ns;
      }
      const auto row = trace_index_++;
      return {trace_->times_ns[row] + trace_offset_, static_cast<std::int64_t>(row)};
    }
  }
  return {};
}

double ArrivalSource::rate_at(SimTime now) const {
  return profile_.rate_at(to_seconds(now));
}

Arrival ArrivalSource::retime(SimTime now, RateChange change) {
  if (process_ == ArrivalProcess::kTrace) {
    throw std::logic_error("a traced workload plays as recorded; its rate cannot change");
  }
  const double now_s = to_seconds(now);
  // What is left of the pending arrival's unit-rate epoch, under the old rate.
  const double consumed = from_s_ < now_s ? profile_.integral(from_s_, now_s) : 0.0;
  const double left = std::max(0.0, amount_ - consumed);
  // Ramps in progress stop where they are.
  for (RateChange& old : changes_) {
    if (old.at_ns <= now && old.at_ns + old.ramp_ns > now) {
      old.target_rate_per_s = profile_.rate_at(now_s);
      old.ramp_ns = now - old.at_ns;
    }
  }
  const auto later = std::find_if(changes_.begin(), changes_.end(),
                                  [&](const RateChange& c) { return c.at_ns > now; });
  change.at_ns = now;
  if (later != changes_.end() && change.ramp_ns > later->at_ns - now) {
    // The next profile point takes over from wherever this ramp has got to.
    const double start = profile_.rate_at(now_s);
    const double reached =
        static_cast<double>(later->at_ns - now) / static_cast<double>(change.ramp_ns);
    change.target_rate_per_s = start + (change.target_rate_per_s - start) * reached;
    change.ramp_ns = later->at_ns - now;
  }
  changes_.insert(later, change);
  profile_ = RateProfile(base_rate_per_s_, changes_);
  constant_rate_ = false;
  from_s_ = now_s;
  amount_ = left;
  now_s_ = profile_.advance(now_s, left);
  if (!(now_s_ < 9.2e9)) return {};
  return {from_seconds(now_s_), -1};
}

UserPicker::UserPicker(const WorkloadConfig& workload, std::uint64_t seed,
                       std::uint64_t replication)
    : population_(workload.users),
      trace_users_(workload.arrivals == ArrivalProcess::kTrace && !workload.trace.users.empty()
                       ? &workload.trace.users
                       : nullptr),
      rng_(seed, replication, StreamPurpose::kUsers, 0) {
  if (population_ == 0) throw std::invalid_argument("users must be >= 1");
  if (workload.user_distribution == UserDistribution::kZipf) {
    zipf_.emplace(population_, workload.zipf_exponent);
  }
}

std::uint64_t UserPicker::pick(std::int64_t trace_row) {
  if (trace_users_ != nullptr && trace_row >= 0) {
    return (*trace_users_)[static_cast<std::size_t>(trace_row)];
  }
  if (zipf_) return zipf_->sample(rng_);
  return population_ == 1 ? 0 : rng_.below(population_);
}

}  // namespace lbsim
