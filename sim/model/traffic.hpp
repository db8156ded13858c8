#pragma once
// The offered traffic: when requests arrive (Poisson, deterministic or a trace, with the rate
// profile and timeline traffic changes), which user sends each, and how much work it needs.
// Demands are drawn in arrival order from their own stream, before any balancing decision, so
// every strategy sees the same arrivals and demands (common random numbers).
#include <cstdint>

#include "sim/core/distributions.hpp"
#include "sim/core/rng.hpp"
#include "sim/core/time.hpp"
#include "sim/model/config.hpp"
#include "sim/model/workload.hpp"

namespace lbsim {

struct Model;

class Traffic {
 public:
  // `config.workload.users` already covers every user id of a trace.
  Traffic(Model& model, const SimulationConfig& config);

  struct Draw {
    std::uint64_t user = 0;
    double demand_s = 0.0;
  };
  // The arrival now being handled: its user and demand (retries redo the same work).
  [[nodiscard]] Draw draw();
  // Schedules the arrival after the one being handled (before the first: the first).
  void schedule_next();
  // The offered rate moves to `target_rate_per_s` now, at once or over `ramp_ns`
  // (ArrivalSource::retime). Not for traced workloads.
  void change(SimTime now, double target_rate_per_s, SimTime ramp_ns);
  [[nodiscard]] double rate_at(SimTime now) const { return arrivals_.rate_at(now); }
  [[nodiscard]] std::uint32_t epoch() const { return epoch_; }
  [[nodiscard]] std::uint64_t arrivals() const { return arrivals_count_; }

 private:
  void schedule(const Arrival& arrival);

  Model& m_;
  const WorkloadConfig& workload_;
  ArrivalSource arrivals_;
  UserPicker users_;
  Distribution service_;
  Rng service_rng_;
  Arrival pending_;
  std::uint32_t epoch_ = 0;  // arrivals the traffic was retimed past are ignored
  std::uint64_t arrivals_count_ = 0;
};

}  // namespace lbsim
