#pragma once
// The timeline: dated actions and the steps they schedule (a restart's stop and start, a
// phased restart's batches, a spike's way back, an alert's reactions), run in time order with
// the other events. A named action first records the balancer configuration, which a rollback
// to before it restores (rollback snapshots belong to the actions that can be rolled back).
// Each action's effect is its own apply (sim/model/actions.cpp).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/model/config.hpp"

namespace lbsim {

struct Model;

class Timeline {
 public:
  explicit Timeline(Model& model) : m_(model) {}

  // Runs `step` at `at`, in order with the other events (ties: in the order scheduled). Before
  // the run: at >= 0; during it: at >= now. Throws std::invalid_argument for a time in the past,
  // std::logic_error after the run.
  void schedule(SimTime at, std::function<void(SimTime)> step);
  // Schedules the timeline's actions after the steps scheduled before the run.
  void schedule_start(const std::vector<ActionConfig>& timeline);
  void handle_action(SimTime now, std::uint32_t index) { steps_[index].second(now); }
  void finish() { running_ = false; }

  // Runs one action now, as the timeline would: logged in the incident log, a named one (not
  // from an alert) first recording the balancer configuration for a later rollback.
  void run(SimTime now, const ActionConfig& action, bool from_alert = false,
           std::string_view trigger = {});
  // Restores the configuration recorded before `name`; false (logged as rollback_skipped) when
  // it has not run yet.
  bool rollback(SimTime now, const std::string& name, std::string_view trigger);

 private:
  // The balancer configuration a rollback restores, as it was just before a named action.
  struct Snapshot {
    std::string name;
    std::vector<double> weights;
    BalancerSettings settings;
  };

  Model& m_;
  std::vector<std::pair<SimTime, std::function<void(SimTime)>>> steps_;
  std::vector<Snapshot> snapshots_;
  bool started_ = false;
  bool running_ = false;
};

}  // namespace lbsim
