#include "sim/model/timeline.hpp"

#include <algorithm>
#include <stdexcept>

#include "sim/model/actions_apply.hpp"
#include "sim/model/model.hpp"

namespace lbsim {

void Timeline::schedule(SimTime at, std::function<void(SimTime)> step) {
  if (started_ && !running_) throw std::logic_error("schedule_action after run()");
  if (at < (running_ ? m_.events.now() : 0)) {
    throw std::invalid_argument("schedule_action: time in the past");
  }
  steps_.emplace_back(at, std::move(step));
  if (running_ && at < m_.end_time()) {
    m_.events.schedule(at, kAction, static_cast<std::uint32_t>(steps_.size() - 1), 0);
  }
}

void Timeline::schedule_start(const std::vector<ActionConfig>& timeline) {
  for (const ActionConfig& action : timeline) {
    steps_.emplace_back(action.at_ns, [this, &action](SimTime now) { run(now, action); });
  }
  for (std::uint32_t i = 0; i < steps_.size(); ++i) {
    if (steps_[i].first < m_.end_time()) m_.events.schedule(steps_[i].first, kAction, i, 0);
  }
  started_ = true;
  running_ = true;
}

void Timeline::run(SimTime now, const ActionConfig& action, bool from_alert,
                   std::string_view trigger) {
  if (!action.name.empty() && !from_alert) {
    snapshots_.push_back({action.name, m_.balancer.configured_weights(), m_.settings});
  }
  const ActionLog log = apply_action(m_, now, action, trigger);
  if (!log.applied) return;
  const bool note = holds<NoteAction>(action);
  std::string detail = log.detail;
  if (!action.name.empty() && !note) detail += " [" + action.name + "]";
  if (!action.text.empty() && !note) detail += ": " + action.text;
  if (from_alert) detail += " (on alert " + std::string(trigger) + ")";
  const bool mitigation = action.mitigation || holds<RollbackAction>(action);
  m_.observer->on_log(now, action_name(action.action), log.subject, detail);
  m_.observer->on_action(now, action_name(action.action), !note, mitigation, from_alert);
}

bool Timeline::rollback(SimTime now, const std::string& name, std::string_view trigger) {
  const auto it = std::find_if(snapshots_.rbegin(), snapshots_.rend(),
                               [&](const Snapshot& snapshot) { return snapshot.name == name; });
  if (it == snapshots_.rend()) {
    // Only an alert-triggered rollback can get here (the loader checks the timeline's order).
    m_.observer->on_log(now, "rollback_skipped", name,
                        "\"" + name + "\" has not happened yet" +
                            (trigger.empty() ? "" : " (on alert " + std::string(trigger) + ")"));
    return false;
  }
  const Snapshot before = *it;  // a copy: the restores below may record no snapshot, but stay safe
  const std::vector<double>& weights = m_.balancer.configured_weights();
  for (std::uint32_t s = 0; s < before.weights.size(); ++s) {
    if (weights[s] != before.weights[s]) m_.balancer.set_weight(now, s, before.weights[s]);
  }
  if (!(before.settings.strategy == m_.settings.strategy)) {
    m_.set_strategy(before.settings.strategy);
  }
  if (!(before.settings.health_check == m_.settings.health_check)) {
    m_.health.set_health_check(now, before.settings.health_check);
  }
  if (!(before.settings.outlier == m_.settings.outlier)) {
    m_.health.set_outlier_detection(now, before.settings.outlier);
  }
  m_.settings.circuit_breakers = before.settings.circuit_breakers;
  if (before.settings.panic_threshold != m_.settings.panic_threshold) {
    m_.health.set_panic_threshold(now, before.settings.panic_threshold);
  }
  return true;
}

}  // namespace lbsim
