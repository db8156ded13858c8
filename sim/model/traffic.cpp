#include "sim/model/traffic.hpp"

#include <cmath>
#include <stdexcept>

#include "sim/model/model.hpp"

namespace lbsim {

namespace {

Distribution make_service(const WorkloadConfig& workload) {
  if (workload.arrivals == ArrivalProcess::kTrace && !workload.trace.service_s.empty()) {
    // Demands come from the trace; the distribution is still validated when it is given.
    DistributionConfig unused = workload.service;
    if (unused.mean_s <= 0.0) {
      unused = DistributionConfig{};
      unused.kind = DistributionKind::kDeterministic;
      unused.mean_s = 1.0;
    }
    return Distribution::make(unused);
  }
  return Distribution::make(workload.service);
}

}  // namespace

Traffic::Traffic(Model& model, const SimulationConfig& config)
    : m_(model),
      workload_(config.workload),
      arrivals_(config.workload, config.seed, config.replication),
      users_(config.workload, config.seed, config.replication),
      service_(make_service(config.workload)),
      service_rng_(config.seed, config.replication, StreamPurpose::kService, 0) {}

Traffic::Draw Traffic::draw() {
  ++arrivals_count_;
  const std::int64_t trace_row = pending_.trace_row;
  Draw draw;
  draw.user = users_.pick(trace_row);
  const auto& trace_service = workload_.trace.service_s;
  draw.demand_s = (trace_row >= 0 && !trace_service.empty())
                      ? trace_service[static_cast<std::size_t>(trace_row)]
                      : service_.sample(service_rng_);
  return draw;
}

void Traffic::schedule(const Arrival& arrival) {
  pending_ = arrival;
  if (pending_.time < m_.end_time()) {
    // Arrival times never decrease, so the single pending arrival lives in a FIFO lane: O(1)
    // instead of a heap insertion for half of all events. After a traffic change retimed an
    // arrival earlier than one already in the lane, the lane's order would break: such an
    // arrival goes to the heap.
    m_.events.schedule_preferring_lane(m_.lanes.arrival, pending_.time, kArrival, 0, epoch_);
  }
}

void Traffic::schedule_next() {
  schedule(arrivals_.next());
}

void Traffic::change(SimTime now, double target_rate_per_s, SimTime ramp_ns) {
  if (!(target_rate_per_s >= 0.0) || !std::isfinite(target_rate_per_s) || ramp_ns < 0) {
    throw std::invalid_argument("change_traffic: bad rate or ramp");
  }
  // The arrival already scheduled is now stale; schedule the moved one.
  const Arrival moved = arrivals_.retime(now, {now, ramp_ns, target_rate_per_s});
  ++epoch_;
  schedule(moved);
}

}  // namespace lbsim
