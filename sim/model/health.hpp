#pragma once
// Health: active health checks (HAProxy `check`, Envoy health_check), passive outlier detection
// as current Envoy does it (consecutive 5xx, gateway and local-origin failures, success rate and
// failure percentage per interval, ejections ended by the interval timer; health_outlier.cpp)
// and Envoy's panic threshold. It sets and clears the fleet's kFailedCheck and kEjected flags; the
// settings it applies are the model's current ones (Model::settings), which timeline actions
// replace.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/core/time.hpp"
#include "sim/model/config.hpp"
#include "sim/model/observer.hpp"

namespace lbsim {

struct Model;

class Health {
 public:
  Health(Model& model, const SimulationConfig& config, std::uint32_t servers);

  // Schedules the first probes (each server from a random phase of the interval, as independent
  // checkers do) and the outlier detector's first interval.
  void schedule_start();

  // Active checks.
  void handle_probe_send(SimTime now, std::uint32_t server, std::uint32_t epoch);
  void handle_probe_timeout(SimTime now, std::uint32_t slot, std::uint32_t generation);
  void probe_done(SimTime now, std::uint32_t slot, bool success);  // frees the slot

  // Outlier detection: each finished attempt at a server (kNone: a success).
  void observe(SimTime now, std::uint32_t server, ErrorKind error);
  // The detector's interval: ends the ejections that are over, runs the success-rate and
  // failure-percentage passes over the interval's requests, decays the backoff of servers back
  // for an interval.
  void handle_outlier_tick(SimTime now, std::uint32_t epoch);

  // nginx passive health (health_passive.cpp): each attempt sent to a server, and the end of a
  // ban.
  void passive_dispatched(SimTime now, std::uint32_t server);
  // A server left the fleet: its ejection, ban and counts end (a host added again starts fresh,
  // as Envoy gives a new host a new monitor).
  void server_removed(SimTime now, std::uint32_t server);
  void handle_passive_release(SimTime now, std::uint32_t server, std::uint32_t serial);

  // Panic: below the threshold's healthy share of the host set, the balancer routes to every
  // member. Re-evaluated after a change of standing; a flip makes every server's availability
  // change.
  void update_panic(SimTime now);
  [[nodiscard]] bool panic() const { return panic_; }

  // New settings (timeline actions). Each throws std::invalid_argument on a value the loader
  // rejects. Health checks: each server's checks restart at a random phase of the new
  // interval, pass/fail standing is kept; off: every server passes. Outlier detection: for later
  // ejections; off also ends every ejection.
  void set_health_check(SimTime now, const HealthCheckConfig& check);
  void set_outlier_detection(SimTime now, const OutlierConfig& outlier);
  void set_panic_threshold(SimTime now, double threshold);

 private:
  // Why a server is ejected (Envoy's OutlierEjectionType), for the log and the enforcement share.
  enum class Ejection : std::uint8_t {
    kConsecutive5xx,
    kConsecutiveGatewayFailure,
    kConsecutiveLocalOriginFailure,
    kSuccessRate,
    kSuccessRateLocalOrigin,
    kFailurePercentage,
    kFailurePercentageLocalOrigin,
  };
  // Per server, the detector's state (Envoy's DetectorHostMonitorImpl).
  struct OutlierHost {
    std::int32_t consecutive_5xx = 0, consecutive_gateway = 0, consecutive_local = 0;
    std::uint32_t backoff = 0;  // eject_time_backoff: the ejection time multiplier
    SimTime last_ejection = -1, last_unejection = -1, jitter = 0;
    // This interval's requests (the success-rate bucket), external and local origin.
    std::uint32_t external_total = 0, external_failed = 0, local_total = 0, local_failed = 0;
  };

  void probe_result(SimTime now, std::uint32_t server, bool success);
  void schedule_probes(SimTime now);
  void count_consecutive(SimTime now, std::uint32_t server, std::int32_t& counter, int threshold,
                         Ejection type);
  void success_rate_pass(SimTime now, bool local);
  void eject(SimTime now, std::uint32_t server, Ejection type, const std::string& why);
  void uneject(SimTime now, std::uint32_t server, const char* why);
  // min(base x backoff, max) + jitter: how long the current ejection lasts at least.
  [[nodiscard]] SimTime ejection_time(const OutlierHost& host) const;
  [[nodiscard]] double enforcement(Ejection type) const;  // its enforcing_* share
  [[nodiscard]] bool enforced(Ejection type);

  Model& m_;
  Rng rng_;
  bool panic_ = false;
  std::vector<std::int32_t> streak_;  // > 0: check successes in a row; < 0: failures
  std::vector<OutlierHost> outlier_;
  // nginx's peer state: fails, and the whole seconds of the last check and failure.
  struct PassivePeer {
    std::int32_t fails = 0;
    std::int64_t checked_s = 0, accessed_s = 0;
    std::uint32_t serial = 0;  // identifies the pending release
  };
  std::vector<PassivePeer> passive_;
  std::vector<std::int32_t> observed_errors_;  // HAProxy observe: consecutive errors per server
  void observe_traffic(SimTime now, std::uint32_t server, ErrorKind error);
  void passive_observe(SimTime now, std::uint32_t server, ErrorKind error);
  void passive_ban(SimTime now, std::uint32_t server);
  std::uint32_t ejected_count_ = 0;
  std::uint32_t check_epoch_ = 0;    // probe chains of older settings are ignored
  std::uint32_t outlier_epoch_ = 0;  // so are outlier ticks
};

}  // namespace lbsim
