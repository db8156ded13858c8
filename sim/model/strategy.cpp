#include "sim/model/strategy.hpp"

#include <algorithm>
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

bool reads_load(const StrategyChoice& choice) {
  if (choice.info == nullptr) return false;
  return choice.info->load_aware ||
         (choice.info->load_aware_with != nullptr && choice.info->load_aware_with(choice.options));
}

bool option_given(const StrategyOptions& options, std::string_view name) {
  return options.find(name) != options.end();
}

const std::string& StrategyChoice::name() const {
  static const std::string none = "(none)";
  return info != nullptr ? info->name : none;
}

StrategyChoice strategy_named(std::string_view name, const StrategyOptions& options) {
  const StrategyInfo* info = find_strategy(name);
  if (info == nullptr) {
    throw std::invalid_argument("unknown strategy '" + std::string(name) +
                                "'; valid: " + strategy_names());
  }
  StrategyChoice choice{info, {}};
  for (const OptionSpec& spec : info->options) {
    if (!spec.optional) choice.options[spec.name] = spec.default_value;
  }
  for (const auto& [key, value] : options) {
    const std::string& wanted = key;
    const auto declared = std::find_if(info->options.begin(), info->options.end(),
                                       [&](const OptionSpec& spec) { return spec.name == wanted; });
    if (declared == info->options.end()) {
      throw std::invalid_argument("strategy " + info->name + " has no option '" + key + "'");
    }
    choice.options[key] = value;
  }
  return choice;
}

StrategyChoice default_strategy() {
  return strategy_named("round_robin");
}

}  // namespace lbsim
