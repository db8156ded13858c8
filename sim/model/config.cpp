#include "sim/model/config.hpp"

namespace lbsim {

std::string_view alert_metric_name(AlertMetric metric) {
  switch (metric) {
    case AlertMetric::kErrorRate:
      return "error_rate";
    case AlertMetric::kLatencyMean:
      return "latency_mean";
    case AlertMetric::kLatencyP50:
      return "latency_p50";
    case AlertMetric::kLatencyP90:
      return "latency_p90";
    case AlertMetric::kLatencyP99:
      return "latency_p99";
    case AlertMetric::kResponseMean:
      return "response_mean";
    case AlertMetric::kResponseP50:
      return "p50";
    case AlertMetric::kResponseP90:
      return "p90";
    case AlertMetric::kResponseP99:
      return "p99";
    case AlertMetric::kTrafficImbalance:
      return "traffic_imbalance";
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
