#include "sim/model/alerts.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/model/model.hpp"
#include "sim/model/text.hpp"

namespace lbsim {

namespace {

double metric_value(AlertMetric metric, const WindowMetrics& m) {
  switch (metric) {
    case AlertMetric::kErrorRate:
      return m.error_rate;
    case AlertMetric::kLatencyMean:
      return m.latency_mean_s;
    case AlertMetric::kLatencyP50:
      return m.p50_s;
    case AlertMetric::kLatencyP90:
      return m.p90_s;
    case AlertMetric::kLatencyP99:
      return m.p99_s;
    case AlertMetric::kUtilizationMean:
      return m.utilization_mean;
    case AlertMetric::kUtilizationMax:
      return m.utilization_max;
    case AlertMetric::kImbalance:
      return m.imbalance;
    case AlertMetric::kHealthyServers:
      return m.healthy_servers;
    case AlertMetric::kHealthyFraction:
      return m.healthy_fraction;
    case AlertMetric::kServersDown:
      return m.servers_down;
    case AlertMetric::kOfferedRate:
      return m.offered_per_s;
    case AlertMetric::kRetryRate:
      return m.retries_per_s;
    case AlertMetric::kQueueTotal:
      return m.queue_total;
    case AlertMetric::kResponseMean:
      return m.response_mean_s;
    case AlertMetric::kResponseP50:
      return m.response_p50_s;
    case AlertMetric::kResponseP90:
      return m.response_p90_s;
    case AlertMetric::kResponseP99:
      return m.response_p99_s;
    case AlertMetric::kTrafficImbalance:
      return m.traffic_imbalance;
  }
  return std::nan("");
}

}  // namespace

Alerts::Alerts(Model& model, const std::vector<AlertRule>& rules)
    : m_(model), rules_(rules), states_(rules.size()) {}

void Alerts::schedule_start() {
  if (!rules_.empty() && m_.config.window_ns < m_.end_time()) {
    m_.events.schedule(m_.config.window_ns, kWindowEnd, 0, 0);
  }
}

void Alerts::handle_window_end(SimTime now) {
  if (now + m_.config.window_ns < m_.end_time()) {
    m_.events.schedule(now + m_.config.window_ns, kWindowEnd, 0, 0);
  }
  m_.observer->on_window_boundary(now);
  if (last_window_ != now) {
    throw std::logic_error(
        "alert rules need an observer that measures windows (the metrics Recorder)");
  }
}

void Alerts::on_window(SimTime now, const WindowMetrics& window) {
  last_window_ = now;
  for (std::size_t r = 0; r < rules_.size(); ++r) evaluate(now, window, r);
}

void Alerts::evaluate(SimTime now, const WindowMetrics& window, std::size_t r) {
  const AlertRule& rule = rules_[r];
  State& state = states_[r];
  const double value = metric_value(rule.metric, window);
  // No data (NaN) never meets a condition, as a missing series does not fire in Prometheus.
  const bool met = rule.above ? value > rule.threshold : value < rule.threshold;
  if (!met) {
    state.pending_since = kTimeNever;
    if (state.firing) {
      state.firing = false;
      m_.observer->on_alert(now, rule.name, false);
      m_.observer->on_log(now, "alert_resolved", rule.name,
                          std::string(alert_metric_name(rule.metric)) + " " + number_text(value));
    }
    return;
  }
  if (state.pending_since == kTimeNever) state.pending_since = window.start;
  if (state.firing || now - state.pending_since < std::max(rule.for_ns, SimTime{1})) return;
  state.firing = true;
  m_.observer->on_alert(now, rule.name, true);
  m_.observer->on_log(now, "alert_firing", rule.name,
                      std::string(alert_metric_name(rule.metric)) + " " + number_text(value) +
                          (rule.above ? " > " : " < ") + number_text(rule.threshold) +
                          (rule.for_ns > 0 ? " for " + seconds_text(rule.for_ns) : ""));
  for (const ActionConfig& action : rule.on_fire) {
    Model& model = m_;
    m_.timeline.schedule(now + action.at_ns, [&model, &action, &rule](SimTime t) {
      model.timeline.run(t, action, true, rule.name);
    });
  }
}

}  // namespace lbsim
