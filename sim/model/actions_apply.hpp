#pragma once
// What applying one timeline action did, for the incident log. The applies themselves are one
// overload per action struct in actions.cpp.
#include <string>
#include <string_view>

#include "sim/core/time.hpp"
#include "sim/model/actions.hpp"

namespace lbsim {

struct Model;

struct ActionLog {
  std::string subject;  // the servers, "balancer", "workload", a group, or the note's name
  std::string detail;   // what changed
  bool applied = true;  // false: nothing happened (a rollback before its named action)
};

// Applies `action` to the model now. Throws std::invalid_argument on a value the loader rejects.
[[nodiscard]] ActionLog apply_action(Model& model, SimTime now, const ActionConfig& action,
                                     std::string_view trigger);

// A restart of `server`: drained for drain_ns (0: none), stopped (what it still holds is lost),
// back down_ns later (< 0: its group's restart time).
void restart_sequence(Model& model, SimTime now, std::uint32_t server, SimTime drain_ns,
                      SimTime down_ns);

}  // namespace lbsim
