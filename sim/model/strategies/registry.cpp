// The strategy registry: one line per strategy. Order is the order shown in --help and errors.
#include "sim/model/strategies/random.hpp"
#include "sim/model/strategies/round_robin.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim {

const std::vector<StrategyInfo>& strategy_catalog() {
  static const std::vector<StrategyInfo> catalog = {
      round_robin_info(),
      random_info(),
  };
  return catalog;
}

}  // namespace lbsim
