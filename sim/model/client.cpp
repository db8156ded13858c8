#include "sim/model/client.hpp"

#include <algorithm>
#include <cmath>

#include "sim/model/model.hpp"

namespace lbsim {

Client::Client(Model& model, const SimulationConfig& config, std::uint32_t instances)
    : m_(model),
      config_(config.client),
      counts_(instances),
      retry_rng_(config.seed, config.replication, StreamPurpose::kRetryJitter, 0) {
  calls_.reserve(1024);
}

void Client::handle_arrival(SimTime now) {
  const Traffic::Draw draw = m_.traffic.draw();
  const std::uint32_t c = calls_.allocate();
  Call& call = calls_[c];
  call.arrival = now;
  call.user = draw.user;
  call.demand_s = draw.demand_s;
  call.instance = m_.balancer.instance_for(call.user);
  call.attempt = kNoServer;
  call.attempts = 0;
  call.last_server = kNoServer;
  call.retrying = false;
  ++counts_[call.instance].calls_active;
  m_.observer->on_request_arrival(now, call.user, call.demand_s);
  m_.traffic.schedule_next();
  if (config_.deadline_ns > 0) {
    m_.events.schedule_in_lane(m_.lanes.deadline, now + config_.deadline_ns, kDeadline, c,
                               call.generation);
  }
  start_attempt(now, c);
}

void Client::start_attempt(SimTime now, std::uint32_t c) {
  const std::uint32_t slot = m_.requests.allocate();
  Call& call = calls_[c];
  Request& request = m_.requests[slot];
  request.sent = now;
  request.service_start = -1;
  request.demand_s = call.demand_s;
  request.user = call.user;
  request.call = c;
  request.instance = call.instance;
  request.client_waiting = true;
  request.counted = false;
  request.stage = Stage::kNew;
  request.probe = false;
  call.attempt = slot;
  ++call.attempts;
  InstanceCounts& counts = counts_[call.instance];
  ++counts.attempts_active;
  if (config_.timeout_ns > 0) {
    // Scheduled before routing: if routing fails the attempt at once, freeing the slot bumps its
    // generation and this timer is ignored when it pops.
    m_.events.schedule_in_lane(m_.lanes.timeout, now + config_.timeout_ns, kTimeout, slot,
                               request.generation);
  }
  const std::int64_t max_requests = m_.settings.circuit_breakers.max_requests;
  if (max_requests >= 0 && static_cast<std::int64_t>(counts.attempts_active) > max_requests) {
    attempt_failed(now, slot, ErrorKind::kCircuitOpen);  // Envoy: 503 x-envoy-overloaded
    m_.free_request(slot);
    return;
  }
  m_.balancer.route(now, slot);
}

void Client::end_attempt(Request& request) {
  if (!request.client_waiting) return;
  request.client_waiting = false;
  if (!request.probe) --counts_[request.instance].attempts_active;
}

// The client stops waiting for the attempt; whoever holds it keeps it.
void Client::abandon_attempt(SimTime now, std::uint32_t slot) {
  Request& request = m_.requests[slot];
  if (!request.client_waiting) return;
  end_attempt(request);
  switch (request.stage) {
    case Stage::kNew:  // waiting for an L4 reconnection; the deferred dispatch frees the slot
      break;
    case Stage::kInLbQueue:  // leaves the balancer's queue; the entry is dropped when reached
      m_.balancer.left_queue(request.instance);
      break;
    case Stage::kAtServer:
      // The client resets the attempt; the server keeps the work (queued or in service).
      m_.balancer.abandoned(now, slot);
      break;
  }
}

bool Client::may_retry(const Call& call, ErrorKind error, SimTime now) const {
  const RetryPolicy& retry = config_.retry;
  if (call.attempts >= static_cast<std::uint32_t>(retry.max_attempts)) return false;
  if ((retry.retry_on_mask & (1u << static_cast<unsigned>(error))) == 0) return false;
  if (config_.deadline_ns > 0 && now >= call.arrival + config_.deadline_ns) return false;
  const InstanceCounts& counts = counts_[call.instance];
  // This call's own retry, if it is in one, ends with this failure.
  const std::uint32_t active = counts.retries_active - (call.retrying ? 1 : 0);
  if (retry.budget_fraction >= 0.0) {
    // A configured retry budget overrides the max_retries circuit breaker (Envoy
    // circuit_breakers.thresholds.retry_budget: "If this field is set, the retry budget will
    // override any configured retry circuit breaker").
    // max(floor(budget_percent / 100 x (active + pending requests)), min_retry_concurrency)
    // (resource_manager_impl.h RetryBudgetImpl::max; the calls in progress at the instance are
    // its active and pending requests).
    const double allowed =
        std::max(static_cast<double>(retry.budget_min_retries),
                 std::floor(retry.budget_fraction * static_cast<double>(counts.calls_active)));
    return static_cast<double>(active) < allowed;
  }
  const std::int64_t max_retries = m_.settings.circuit_breakers.max_retries;
  return max_retries < 0 || static_cast<std::int64_t>(active) < max_retries;
}

SimTime Client::backoff(std::uint32_t retry_number) {
  const RetryPolicy& retry = config_.retry;
  const double cap = static_cast<double>(retry.backoff_max_ns);
  const double base =
      static_cast<double>(retry.backoff_base_ns) *
      std::ldexp(1.0, static_cast<int>(std::min<std::uint32_t>(retry_number, 60)) - 1);
  const double b = std::min(cap, base);
  switch (retry.jitter) {
    case BackoffJitter::kNone:
      return static_cast<SimTime>(b);
    case BackoffJitter::kFull:
      return static_cast<SimTime>(b * retry_rng_.uniform01());
    case BackoffJitter::kEqual:
      return static_cast<SimTime>(b / 2 + b / 2 * retry_rng_.uniform01());
  }
  return static_cast<SimTime>(b);
}

void Client::attempt_failed(SimTime now, std::uint32_t slot, ErrorKind error) {
  Request& request = m_.requests[slot];
  const bool at_server = request.stage == Stage::kAtServer;
  const std::uint32_t server = request.server;
  end_attempt(request);
  const std::uint32_t c = request.call;
  Call& call = calls_[c];
  if (call.attempt != slot) return;  // an attempt the client had already given up on
  call.attempt = kNoServer;
  call.last_server = at_server ? server : kNoServer;
  if (at_server) {
    m_.health.observe(now, server, error);
    m_.observer->on_attempt_failed(now, server, error);
  }
  if (may_retry(call, error, now)) {
    if (!call.retrying) {
      call.retrying = true;
      ++counts_[call.instance].retries_active;
    }
    m_.observer->on_retry(now);
    m_.events.schedule(now + backoff(call.attempts), kRetry, c, call.generation);
    return;
  }
  finish_call(now, c, error, -1, at_server ? server : kNoServer);
}

void Client::attempt_succeeded(SimTime now, std::uint32_t slot) {
  Request& request = m_.requests[slot];
  end_attempt(request);
  calls_[request.call].attempt = kNoServer;
  m_.health.observe(now, request.server, ErrorKind::kNone);
  finish_call(now, request.call, ErrorKind::kNone, request.service_start, request.server);
}

void Client::finish_call(SimTime now, std::uint32_t c, ErrorKind error, SimTime service_start,
                         std::uint32_t server) {
  Call& call = calls_[c];
  InstanceCounts& counts = counts_[call.instance];
  if (call.retrying) --counts.retries_active;
  --counts.calls_active;
  m_.observer->on_request_done(
      now, {call.user, call.arrival, service_start, now, server, error, call.instance});
  calls_.release(c);  // its retry and deadline timers are now ignored
}

void Client::handle_retry(SimTime now, std::uint32_t c, std::uint32_t generation) {
  if (calls_[c].generation != generation) return;  // the deadline ended it meanwhile
  start_attempt(now, c);
}

void Client::handle_deadline(SimTime now, std::uint32_t c, std::uint32_t generation) {
  if (calls_[c].generation != generation) return;  // finished in time
  const std::uint32_t slot = calls_[c].attempt;
  const std::uint32_t server = slot != kNoServer && m_.requests[slot].stage == Stage::kAtServer
                                   ? m_.requests[slot].server
                                   : kNoServer;
  if (slot != kNoServer) abandon_attempt(now, slot);
  if (server != kNoServer) {
    // Envoy reports its global timeout to the outlier detector (LocalOriginTimeout); nginx and
    // HAProxy count a timeout against the server too.
    m_.health.observe(now, server, ErrorKind::kTimeout);
    m_.observer->on_attempt_failed(now, server, ErrorKind::kTimeout);
  }
  finish_call(now, c, ErrorKind::kTimeout, -1, server);
}

void Client::handle_timeout(SimTime now, std::uint32_t slot, std::uint32_t generation) {
  const Request& request = m_.requests[slot];
  if (request.generation != generation || !request.client_waiting) return;  // lazily cancelled
  abandon_attempt(now, slot);
  attempt_failed(now, slot, ErrorKind::kTimeout);
}

}  // namespace lbsim
