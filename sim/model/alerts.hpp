#pragma once
// Alert rules on windowed metrics (values exactly as in timeseries.csv, for the window that just
// closed): a rule fires when its condition has held in every window for at least `for`, resolves
// at the first window where it does not, and each firing schedules its on_fire actions. The
// windows are pushed by whoever measures them (the metrics Recorder) at each window boundary.
#include <cstdint>
#include <vector>

#include "sim/core/time.hpp"
#include "sim/model/config.hpp"
#include "sim/model/observer.hpp"

namespace lbsim {

struct Model;

class Alerts final : public WindowListener {
 public:
  Alerts(Model& model, const std::vector<AlertRule>& rules);

  void schedule_start();
  // The boundary event: the observer closes the window and pushes it to on_window(). Throws
  // std::logic_error when nothing measured it (its alerts could never fire).
  void handle_window_end(SimTime now);
  void on_window(SimTime now, const WindowMetrics& window) override;

 private:
  struct State {
    SimTime pending_since = kTimeNever;  // start of the first window of the current run of
                                         // windows meeting the condition
    bool firing = false;
  };
  void evaluate(SimTime now, const WindowMetrics& window, std::size_t rule);

  Model& m_;
  const std::vector<AlertRule>& rules_;
  std::vector<State> states_;
  SimTime last_window_ = -1;  // the end of the last window pushed
};

}  // namespace lbsim
