#include "sim/model/config.hpp"

namespace lbsim {

std::string_view action_kind_name(ActionKind kind) {
  switch (kind) {
    case ActionKind::kNote:
      return "note";
    case ActionKind::kSetWeight:
      return "set_weight";
    case ActionKind::kSetSpeed:
      return "set_speed";
    case ActionKind::kSetStrategy:
      return "set_strategy";
    case ActionKind::kSetHealthCheck:
      return "set_health_check";
    case ActionKind::kSetOutlierDetection:
      return "set_outlier_detection";
    case ActionKind::kSetCircuitBreakers:
      return "set_circuit_breakers";
    case ActionKind::kSetPanicThreshold:
      return "set_panic_threshold";
    case ActionKind::kKill:
      return "kill";
    case ActionKind::kStart:
      return "start";
    case ActionKind::kRestart:
      return "restart";
    case ActionKind::kPhasedRestart:
      return "phased_restart";
    case ActionKind::kAddServers:
      return "add_servers";
    case ActionKind::kRemoveServers:
      return "remove_servers";
    case ActionKind::kTraffic:
      return "traffic";
    case ActionKind::kRollback:
      return "rollback";
  }
  return "unknown";
}

std::string_view alert_metric_name(AlertMetric metric) {
  switch (metric) {
    case AlertMetric::kErrorRate:
      return "error_rate";
    case AlertMetric::kLatencyMean:
      return "latency_mean";
    case AlertMetric::kLatencyP50:
      return "p50";
    case AlertMetric::kLatencyP90:
      return "p90";
    case AlertMetric::kLatencyP99:
      return "p99";
    case AlertMetric::kUtilizationMean:
      return "utilization_mean";
    case AlertMetric::kUtilizationMax:
      return "utilization_max";
    case AlertMetric::kImbalance:
      return "imbalance";
    case AlertMetric::kHealthyServers:
      return "healthy_servers";
    case AlertMetric::kHealthyFraction:
      return "healthy_fraction";
    case AlertMetric::kServersDown:
      return "servers_down";
    case AlertMetric::kOfferedRate:
      return "offered_rate";
    case AlertMetric::kRetryRate:
      return "retry_rate";
    case AlertMetric::kQueueTotal:
      return "queue_total";
  }
  return "unknown";
}

}  // namespace lbsim
