#pragma once
// How the model writes numbers and settings in the incident log (events.csv details).
#include <cstdint>
#include <string>

#include "sim/core/time.hpp"
#include "sim/model/settings.hpp"

namespace lbsim {

// std::to_string's six decimals without trailing zeros: 2.5, 10, 0.000001.
[[nodiscard]] std::string number_text(double value);
[[nodiscard]] std::string seconds_text(SimTime ns);                       // "2.5s"
[[nodiscard]] std::string strategy_text(const StrategyChoice& strategy);  // "peak_ewma:decay=5"
[[nodiscard]] std::string health_check_text(const HealthCheckConfig& check);
[[nodiscard]] std::string outlier_text(const OutlierConfig& outlier);
[[nodiscard]] std::string circuit_breakers_text(const CircuitBreakerConfig& breakers);

}  // namespace lbsim
