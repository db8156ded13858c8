#pragma once
// Health: active health checks (HAProxy `check`, Envoy health_check), passive outlier detection
// (Envoy outlier_detection: consecutive errors eject a server for base x times ejected, capped;
// the multiplier decays per interval; at most max_ejection_percent at once, but always one) and
// Envoy's panic threshold. It sets and clears the fleet's kFailedCheck and kEjected flags; the
// settings it applies are the model's current ones (Model::settings), which timeline actions
// replace.
#include <cstdint>
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
  void handle_uneject(SimTime now, std::uint32_t server, std::uint32_t ejection);
  void handle_outlier_tick(SimTime now, std::uint32_t epoch);

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
  void probe_result(SimTime now, std::uint32_t server, bool success);
  void schedule_probes(SimTime now);
  void eject(SimTime now, std::uint32_t server);

  Model& m_;
  Rng rng_;
  bool panic_ = false;
  std::vector<std::int32_t> streak_;  // > 0: check successes in a row; < 0: failures
  std::vector<std::int32_t> consecutive_errors_;
  std::vector<std::uint32_t> ejections_;        // Envoy's ejection multiplier
  std::vector<std::uint32_t> ejection_serial_;  // identifies the pending uneject timer
  std::vector<SimTime> last_ejected_;
  std::uint32_t ejected_count_ = 0;
  std::uint32_t check_epoch_ = 0;    // probe chains of older settings are ignored
  std::uint32_t outlier_epoch_ = 0;  // so are outlier ticks
};

}  // namespace lbsim
