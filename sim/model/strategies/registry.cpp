// The strategy registry: one line per strategy. Order is the order shown in --help and errors.
#include "sim/model/strategies/first.hpp"
#include "sim/model/strategies/join_idle_queue.hpp"
#include "sim/model/strategies/jsq.hpp"
#include "sim/model/strategies/least_connections.hpp"
#include "sim/model/strategies/least_request.hpp"
#include "sim/model/strategies/maglev.hpp"
#include "sim/model/strategies/peak_ewma.hpp"
#include "sim/model/strategies/random.hpp"
#include "sim/model/strategies/random_choice.hpp"
#include "sim/model/strategies/ring_hash.hpp"
#include "sim/model/strategies/round_robin.hpp"
#include "sim/model/strategies/source_hash.hpp"
#include "sim/model/strategies/sticky.hpp"
#include "sim/model/strategies/weighted_random.hpp"
#include "sim/model/strategies/weighted_round_robin.hpp"
#include "sim/model/strategy.hpp"

namespace lbsim {

const std::vector<StrategyInfo>& strategy_catalog() {
  static const std::vector<StrategyInfo> catalog = {
      round_robin_info(),
      weighted_round_robin_info(),
      random_info(),
      weighted_random_info(),
      least_connections_info(),
      least_request_info(),
      jsq_info(),
      join_idle_queue_info(),
      peak_ewma_info(),
      random_two_info(),
      random_draws_info(),
      ring_hash_info(),
      maglev_info(),
      source_hash_info(),
      sticky_info(),
      first_info(),
  };
  return catalog;
}

}  // namespace lbsim
