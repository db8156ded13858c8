#pragma once
// Facts about a run that outputs need, without the model itself: each server's name and shape,
// the engine's counters, progress reports. The metrics module reads these (it never includes the
// model's machinery).
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/core/time.hpp"

namespace lbsim {

// The one naming rule for servers: "<group>-<index>" (web-0, web-1, ...). Servers added by a
// timeline action continue their group's numbering.
[[nodiscard]] inline std::string server_name(std::string_view group, int index) {
  std::string name(group);
  name += '-';
  name += std::to_string(index);
  return name;
}

// Static facts about one server, for outputs.
struct ServerInfo {
  std::string name;  // server_name(group, index)
  std::string group;
  std::int32_t workers = 1;
  double speed = 1.0;
  SimTime joins_at = 0;  // when it joins the fleet (0 = from the start)
  double weight = 1.0;   // as configured: its fair share of traffic is weight / sum of weights
};

struct RunStats {
  std::uint64_t events = 0;    // events popped and handled
  std::uint64_t arrivals = 0;  // requests generated (whole run, warmup included)
  double wall_s = 0.0;
  SimTime end_time = 0;
};

struct Progress {
  SimTime now = 0;
  SimTime end = 0;
  std::uint64_t events = 0;
  double wall_s = 0.0;
};

}  // namespace lbsim
