#pragma once
// The client: each request is a Call that lives from its arrival to its outcome, made of
// attempts (Requests) sent through one balancer instance. Per-attempt timeouts (the server keeps
// working: wasted work), retries of the kinds it retries with back-off and jitter, previous-host
// avoidance, Envoy's retry budget and max_retries circuit breaker, and an overall deadline.
// Envoy keeps its counters per worker with no coordination; so does this, per balancer instance.
#include <cstdint>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/core/slot_pool.hpp"
#include "sim/core/time.hpp"
#include "sim/model/config.hpp"
#include "sim/model/events.hpp"
#include "sim/model/observer.hpp"

namespace lbsim {

struct Model;

class Client {
 public:
  Client(Model& model, const SimulationConfig& config, std::uint32_t instances);

  void handle_arrival(SimTime now);
  void handle_timeout(SimTime now, std::uint32_t slot, std::uint32_t generation);
  void handle_retry(SimTime now, std::uint32_t call, std::uint32_t generation);
  void handle_deadline(SimTime now, std::uint32_t call, std::uint32_t generation);

  // What the balancer and the servers tell it about an attempt. attempt_failed() ends the
  // attempt; the call is retried (after its back-off) or finished. Neither frees the attempt's
  // slot: its holder does.
  void attempt_failed(SimTime now, std::uint32_t slot, ErrorKind error);
  void attempt_succeeded(SimTime now, std::uint32_t slot);

  // The server of the call's previous attempt (kNoServer: none).
  [[nodiscard]] std::uint32_t last_server(std::uint32_t call) const {
    return calls_[call].last_server;
  }

 private:
  // Per balancer instance: calls in progress, of which in a retry (the budget), and attempts in
  // flight (the max_requests circuit breaker).
  struct InstanceCounts {
    std::uint32_t calls_active = 0;
    std::uint32_t retries_active = 0;
    std::uint32_t attempts_active = 0;
  };

  void start_attempt(SimTime now, std::uint32_t call);
  void end_attempt(Request& request);
  void abandon_attempt(SimTime now, std::uint32_t slot);
  [[nodiscard]] bool may_retry(const Call& call, ErrorKind error, SimTime now) const;
  [[nodiscard]] SimTime backoff(std::uint32_t retry_number);
  void finish_call(SimTime now, std::uint32_t call, ErrorKind error, SimTime service_start,
                   std::uint32_t server);

  Model& m_;
  const ClientConfig& config_;
  SlotPool<Call> calls_;
  std::vector<InstanceCounts> counts_;
  Rng retry_rng_;
};

}  // namespace lbsim
