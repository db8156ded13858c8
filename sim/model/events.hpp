#pragma once
// The model's event kinds and the request records its components pass between them.
#include <cstdint>

#include "sim/core/time.hpp"
#include "sim/model/strategy.hpp"  // kNoServer

namespace lbsim {

// Event payloads: `a` and `b` of core's Event. A generation in `b` cancels a timer lazily: the
// handler ignores it once the slot's generation has moved on.
enum EventKind : std::uint8_t {
  kArrival = 1,       // b = arrival epoch (a traffic change retimes the pending arrival)
  kDeparture,         // a = attempt slot, b = generation
  kTimeout,           // a = attempt slot, b = generation (client per-attempt timeout)
  kLbQueueTimeout,    // a = attempt slot, b = generation
  kDeferredDispatch,  // a = attempt slot, b = generation (L4: waits for its reconnection)
  kConnectionClose,   // a = user, b = connection generation (L4 lifetime)
  kViewRefresh,       // stale global view snapshot
  kGroupJoin,         // a = group index
  kSlowStartTick,
  kAction,          // a = index of a scheduled action (Timeline)
  kRetry,           // a = call, b = call generation: the back-off is over
  kDeadline,        // a = call, b = call generation: the overall deadline
  kServerRestart,   // a = server, b = server incarnation
  kProbeSend,       // a = server, b = health-check epoch: an active health check is due
  kProbeTimeout,    // a = probe slot, b = generation
  kOutlierTick,     // b = outlier epoch: the outlier detector's interval
  kPassiveRelease,  // a = server, b = ban serial: nginx's fail_timeout is over
  kWindowEnd,       // a window boundary: alerts are evaluated
};

// Where an attempt is.
enum class Stage : std::uint8_t { kNew, kInLbQueue, kAtServer };

// What the client sees: one request, possibly retried. Lives from arrival to its outcome.
struct Call {
  SimTime arrival = 0;
  double demand_s = 0.0;
  std::uint64_t user = 0;
  std::uint32_t generation = 0;
  std::uint32_t instance = 0;
  std::uint32_t attempt = kNoServer;      // slot of the attempt in progress, or kNoServer
  std::uint32_t attempts = 0;             // attempts started
  std::uint32_t last_server = kNoServer;  // server of the previous attempt
  bool retrying = false;                  // counted in its instance's retries in progress
};

// What servers see: one attempt of a call, or a health probe. Lives until the server is done
// with it, which can be long after the client gave up on it (wasted work).
struct Request {
  SimTime sent = 0;      // when the attempt left the client
  SimTime enqueued = 0;  // when it entered the server's queue
  SimTime service_start = 0;
  double demand_s = 0.0;
  std::uint64_t user = 0;
  std::uint32_t call = 0;  // a probe: the health-check epoch it was sent under
  std::uint32_t server = 0;
  std::uint32_t generation = 0;
  std::uint32_t instance = 0;
  std::uint32_t service_index = 0;  // position in its server's in_service list
  bool client_waiting = false;      // the client still wants this attempt's answer
  bool probe = false;               // an active health check, not a client's request
  bool counted = false;  // holds one of its instance's outstanding slots for `server` (L7)
  Stage stage = Stage::kNew;
};

}  // namespace lbsim
