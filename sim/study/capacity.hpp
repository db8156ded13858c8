#pragma once
// lbsim capacity's experiment: the fewest servers that meet an SLO at each load level, and the
// headroom of the current fleet. Each level starts from an analytic estimate (every server an
// M/M/c queue fed by its share of a Poisson stream: Erlang C and the M/M/c response-time tail),
// then searches the simulated fleet: outward from the estimate until the SLO flips, then
// bisection, each point judged on the mean of its replications.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sim/metrics/catalogue.hpp"
#include "sim/scenario/scenario.hpp"
#include "sim/study/run.hpp"
#include "sim/study/slo.hpp"

namespace lbsim::study {

struct Level {
  std::string text;  // as given: "1.5x" or "2000/s"
  double multiplier = 1.0;
};

// "1x,1.5x,2x" (multiples of the base rate) or "1000/s,2000/s". ConfigError at "--load <text>".
[[nodiscard]] std::vector<Level> parse_levels(const std::string& text, double base_rate_per_s);

struct CapacityRequest {
  std::vector<SloTerm> terms;
  std::vector<Level> levels;
  std::optional<std::string> group;  // the server group to size (default: the first)
  int max_servers = 10000;
  SimTime duration = 0;  // measured per run, at most the scenario's
  std::uint64_t replications = 3;
  unsigned threads = 1;
};

// A fleet size at a load, judged on the means of its replications.
struct Judgement {
  bool meets = false;
  std::array<double, kMetricCount> means{};  // by MetricId
  [[nodiscard]] double mean(MetricId id) const { return means[static_cast<std::size_t>(id)]; }
};

struct CapacityLevel {
  Level level;
  double rate_per_s = 0.0;
  int servers = 0;                // the fewest meeting the SLO; 0: not met up to max_servers
  int analytic = 0;               // the M/M/c estimate (0: no estimate, e.g. unknown service time)
  Judgement judgement;            // at `servers`, when found
  double utilization_mean = 0.0;  // offered load / capacity at `servers`, when found
};

struct CapacityResult {
  SimulationConfig base;  // the scenario in steady state
  std::size_t group = 0;  // index of the sized group in base.servers
  int current = 0;        // its servers in the scenario
  std::vector<CapacityLevel> levels;
  // The load multiplier at which the current fleet stops meeting the SLO, to 2%: 1 when it
  // already breaks at the scenario's load; NaN when it meets it up to 64x.
  double headroom = 0.0;
};

// Called after each judged point (load multiplier, servers, meets).
using JudgedFn = std::function<void(double multiplier, int servers, bool meets)>;

// The index of the group to size (default: the first). ConfigError for a traced workload (nothing
// to scale) or an unknown group.
[[nodiscard]] std::size_t sized_group(const Scenario& scenario,
                                      const std::optional<std::string>& group);

// ConfigError as sized_group.
[[nodiscard]] CapacityResult size_fleet(const Scenario& scenario, const CapacityRequest& request,
                                        const JudgedFn& judged = {});

}  // namespace lbsim::study
