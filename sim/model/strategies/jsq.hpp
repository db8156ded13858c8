#pragma once
// Join the shortest queue, the textbook policy (Winston, "Optimality of the shortest line
// discipline", J. Appl. Prob. 1977; the full-information limit of power of d choices): the
// available server with the fewest outstanding requests as this instance sees them, ties broken
// uniformly at random among all tied servers. Weights are ignored. Uniform tie-breaking (rather
// than lowest index) keeps an idle fleet from funnelling every request to server 0, and is the
// assumption of the textbook analyses.
//
// Cost: a full scan, O(n) per pick, plus a second partial scan and one random draw when two or
// more servers tie; no allocation, no state.
#include <cstdint>

#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo jsq_info();

class JsqStrategy final : public Strategy {
 public:
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;
};

}  // namespace lbsim
