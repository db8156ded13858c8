#include "sim/model/strategy.hpp"

#include <stdexcept>

namespace lbsim {

const StrategyInfo* find_strategy(std::string_view name) {
  for (const StrategyInfo& info : strategy_catalog()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::string strategy_names() {
  std::string names;
  for (const StrategyInfo& info : strategy_catalog()) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

double option_number(const StrategyOptions& options, std::string_view name) {
  const auto it = options.find(name);
  if (it == options.end() || !std::holds_alternative<double>(it->second)) {
    throw std::logic_error("strategy option '" + std::string(name) + "' missing or not a number");
  }
  return std::get<double>(it->second);
}

const std::string& option_choice(const StrategyOptions& options, std::string_view name) {
  const auto it = options.find(name);
  if (it == options.end() || !std::holds_alternative<std::string>(it->second)) {
    throw std::logic_error("strategy option '" + std::string(name) + "' missing or not a name");
  }
  return std::get<std::string>(it->second);
}

}  // namespace lbsim
