// Alerts, through its own API on a Model built in code (components.hpp): windows pushed by hand
// as the metrics Recorder pushes them, and the rule state they drive.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/model/components.hpp"

namespace lbsim::test {

namespace {

WindowMetrics window(SimTime end, double error_rate, double healthy_fraction = 1.0) {
  WindowMetrics w;
  w.start = end - 10 * kSecond;
  w.end = end;
  w.error_rate = error_rate;
  w.healthy_fraction = healthy_fraction;
  return w;
}

AlertRule errors_above(double threshold, SimTime for_ns) {
  AlertRule rule;
  rule.name = "errors";
  rule.metric = AlertMetric::kErrorRate;
  rule.above = true;
  rule.threshold = threshold;
  rule.for_ns = for_ns;
  return rule;
}

struct Transition {
  SimTime at;
  bool firing;
  bool operator==(const Transition&) const = default;
};

std::vector<Transition> transitions(const RecordingObserver& observer) {
  std::vector<Transition> out;
  for (const auto& alert : observer.alerts) out.push_back({alert.at, alert.firing});
  return out;
}

}  // namespace

TEST_CASE(
    "Alerts: a rule fires once its condition has held for `for`, resolves at the first miss") {
  SimulationConfig config = component_config(2);
  config.alerts.push_back(errors_above(0.1, 20 * kSecond));
  ModelRig rig(config);
  Alerts& alerts = rig->alerts;
  alerts.on_window(10 * kSecond, window(10 * kSecond, 0.5));  // pending since 0: 10 s < 20 s
  CHECK(rig.observer.alerts.empty());
  alerts.on_window(20 * kSecond, window(20 * kSecond, 0.5));  // 20 s of it: fires
  alerts.on_window(30 * kSecond, window(30 * kSecond, 0.5));  // still firing: not again
  // No data (NaN) never meets a condition, as a missing series does not fire in Prometheus.
  alerts.on_window(40 * kSecond, window(40 * kSecond, std::nan("")));
  CHECK(transitions(rig.observer) ==
        std::vector<Transition>{{20 * kSecond, true}, {40 * kSecond, false}});
  const auto firing = rig.observer.logs_of("alert_firing");
  REQUIRE(firing.size() == 1);
  CHECK(firing[0].subject == "errors");
  CHECK(firing[0].detail == "error_rate 0.5 > 0.1 for 20s");
  CHECK(rig.observer.logs_of("alert_resolved").at(0).detail == "error_rate nan");
  // A run of windows broken by a miss starts over: 50 s met, 60 s not, 70 s and 80 s met.
  alerts.on_window(50 * kSecond, window(50 * kSecond, 0.5));
  alerts.on_window(60 * kSecond, window(60 * kSecond, 0.05));
  alerts.on_window(70 * kSecond, window(70 * kSecond, 0.5));
  CHECK(rig.observer.alerts.size() == 2);
  alerts.on_window(80 * kSecond, window(80 * kSecond, 0.5));  // 60 s .. 80 s: 20 s held
  CHECK(transitions(rig.observer).back() == Transition{80 * kSecond, true});
}

TEST_CASE("Alerts: `for` 0 fires on the first window; `below` rules; the threshold is strict") {
  SimulationConfig config = component_config(2);
  AlertRule healthy;
  healthy.name = "fleet";
  healthy.metric = AlertMetric::kHealthyFraction;
  healthy.above = false;
  healthy.threshold = 0.5;
  config.alerts.push_back(healthy);
  ModelRig rig(config);
  rig->alerts.on_window(10 * kSecond, window(10 * kSecond, 0.0, 0.5));  // not below 0.5
  CHECK(rig.observer.alerts.empty());
  rig->alerts.on_window(20 * kSecond, window(20 * kSecond, 0.0, 0.4));
  CHECK(transitions(rig.observer) == std::vector<Transition>{{20 * kSecond, true}});
  CHECK(rig.observer.logs_of("alert_firing").at(0).detail == "healthy_fraction 0.4 < 0.5");
}

TEST_CASE("Alerts: each firing runs the rule's actions after their delay") {
  SimulationConfig config = component_config(2);
  AlertRule rule = errors_above(0.1, 0);
  ActionConfig action;
  action.at_ns = 5 * kSecond;  // after the firing
  action.action = SetPanicThresholdAction{0.25};
  rule.on_fire.push_back(action);
  config.alerts.push_back(rule);
  ModelRig rig(config);
  Model& m = *rig;
  m.timeline.schedule_start({});  // running: steps scheduled now become events
  m.alerts.on_window(10 * kSecond, window(10 * kSecond, 0.5));
  rig.run_until(14 * kSecond);
  CHECK(m.settings.panic_threshold == 0.0);  // not yet
  rig.run_until(16 * kSecond);
  CHECK(m.settings.panic_threshold == 0.25);
  auto applied = rig.observer.logs_of("set_panic_threshold");
  REQUIRE(applied.size() == 1);
  CHECK(applied[0].at == 15 * kSecond);
  CHECK(applied[0].detail == "panic threshold 25% (on alert errors)");
  // Resolved, then firing again: the actions run again.
  m.alerts.on_window(20 * kSecond, window(20 * kSecond, 0.0));
  m.alerts.on_window(30 * kSecond, window(30 * kSecond, 0.5));
  rig.run_until(100 * kSecond);
  applied = rig.observer.logs_of("set_panic_threshold");
  REQUIRE(applied.size() == 2);
  CHECK(applied[1].at == 35 * kSecond);
}

TEST_CASE("Alerts: a window boundary nobody measured is an error, not a silent no-alert") {
  SimulationConfig config = component_config(2);
  config.alerts.push_back(errors_above(0.1, 0));
  ModelRig rig(config);
  // The recording observer does not push windows, as a run without the Recorder would not.
  CHECK_THROWS_AS(rig->alerts.handle_window_end(10 * kSecond), std::logic_error);
  CHECK(rig.observer.boundaries == std::vector<SimTime>{10 * kSecond});
  // Pushed first (what the Recorder does inside on_window_boundary): no error.
  rig->alerts.on_window(20 * kSecond, window(20 * kSecond, 0.0));
  CHECK_NOTHROW(rig->alerts.handle_window_end(20 * kSecond));
}

}  // namespace lbsim::test
