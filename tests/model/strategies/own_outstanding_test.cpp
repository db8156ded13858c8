// Caps compare against this instance's own in-flight count (BackendView::own_outstanding), not
// the global busy count that `outstanding` holds under `view: global` (least_connections, first).
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "tests/model/strategies/fixture.hpp"

namespace lbsim {
namespace {

using test::Fleet;
using test::make_strategy;

TEST_CASE("first: the cap counts this instance's own requests when the view is global") {
  Fleet fleet(2);
  fleet.max_connections = {2, 2};
  fleet.outstanding = {4, 0};  // global: busy with other instances' requests
  std::vector<std::uint32_t> own = {1, 0};
  auto strategy = make_strategy("first", fleet);
  Rng rng(1);
  BackendView view = fleet.view();
  view.own_outstanding = own;
  CHECK(strategy->pick(view, {0, 0, 0}, rng) == 0);  // own 1 < 2: not saturated
  own[0] = 2;
  CHECK(strategy->pick(view, {0, 0, 0}, rng) == 1);  // own 2 reaches the cap
  // Without own_outstanding (the model's local view) the cap reads `outstanding`.
  CHECK(strategy->pick(fleet.view(), {0, 0, 0}, rng) == 1);
}

TEST_CASE("least_connections: keys from the global view, caps from the instance's own count") {
  Fleet fleet(2);
  fleet.max_connections = {2, 0};
  auto strategy = make_strategy("least_connections", fleet);
  fleet.outstanding = {3, 5};  // global counts: server 0 has the lower key
  for (std::uint32_t s = 0; s < 2; ++s) strategy->on_load_change(s, fleet.outstanding[s]);
  std::vector<std::uint32_t> own = {0, 0};
  Rng rng(1);
  BackendView view = fleet.view();
  view.own_outstanding = own;
  CHECK(strategy->pick(view, {0, 0, 0}, rng) == 0);  // own 0 < 2 although global 3 >= 2
  own[0] = 2;
  CHECK(strategy->pick(view, {0, 0, 0}, rng) == 1);          // at its own cap: skipped
  CHECK(strategy->pick(fleet.view(), {0, 0, 0}, rng) == 1);  // fallback: outstanding 3 >= 2
}

}  // namespace
}  // namespace lbsim
