#include "sim/model/text.hpp"

#include <variant>

#include "sim/model/strategy.hpp"

namespace lbsim {

namespace {

std::string limit_text(std::int64_t limit) {
  return limit < 0 ? "unlimited" : std::to_string(limit);
}

}  // namespace

std::string number_text(double value) {
  std::string text = std::to_string(value);
  if (text.find('.') != std::string::npos) {
    while (!text.empty() && text.back() == '0') text.pop_back();
    if (!text.empty() && text.back() == '.') text.pop_back();
  }
  return text;
}

std::string seconds_text(SimTime ns) {
  return number_text(to_seconds(ns)) + "s";
}

std::string strategy_text(const StrategyChoice& strategy) {
  std::string text = strategy.name();
  for (const auto& [name, value] : strategy.options) {
    text += ":" + name + "=";
    text += std::holds_alternative<double>(value) ? number_text(std::get<double>(value))
                                                  : std::get<std::string>(value);
  }
  return text;
}

std::string health_check_text(const HealthCheckConfig& check) {
  if (!check.enabled) return "off";
  return "interval " + seconds_text(check.interval_ns) + ", timeout " +
         seconds_text(check.timeout_ns) + ", rise " + std::to_string(check.rise) + ", fall " +
         std::to_string(check.fall) + (check.tcp ? ", tcp connect" : "") +
         (check.out_of_band ? ", out of band" : "");
}

std::string outlier_text(const OutlierConfig& outlier) {
  if (!outlier.enabled) return "off";
  return std::to_string(outlier.consecutive_errors) + " consecutive errors, base ejection " +
         seconds_text(outlier.base_ejection_ns) + ", max ejection " +
         number_text(outlier.max_ejection_fraction * 100) + "%";
}

std::string circuit_breakers_text(const CircuitBreakerConfig& breakers) {
  return "max_requests " + limit_text(breakers.max_requests) + ", max_pending " +
         limit_text(breakers.max_pending) + ", max_retries " + limit_text(breakers.max_retries);
}

}  // namespace lbsim
