#pragma once
// Running simulations for a study: one run into a Recorder, many replicated runs in parallel with
// results that do not depend on scheduling, and paired comparisons of their metrics.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <vector>

#include "sim/analytic/statistics.hpp"
#include "sim/metrics/catalogue.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/metrics/run_summary.hpp"
#include "sim/model/config.hpp"
#include "sim/model/run_info.hpp"

namespace lbsim::study {

inline constexpr double kConfidence = 0.95;

struct RunResult {
  std::unique_ptr<Recorder> recorder;
  RunStats stats;
};

// Called every 2^20 events of a run (the engine's progress).
using ProgressFn = std::function<void(const Progress&)>;

// Runs one simulation to completion. `servers_csv` may be null.
[[nodiscard]] RunResult run_simulation(const SimulationConfig& config, std::ostream* servers_csv,
                                       const ProgressFn& progress = {});

// Runs one simulation and summarises it.
[[nodiscard]] RunSummary run_summary(const SimulationConfig& config);

// Called once per finished run, with the number done so far and the total, one call at a time.
using RunsDone = std::function<void(std::size_t done, std::size_t total)>;

// Runs job(0) .. job(count - 1) on up to `threads` threads. Each job must write nothing shared
// but its own index's result. The first exception a job throws is rethrown here (the other
// workers stop after their current job).
void run_indexed(std::size_t count, unsigned threads, const std::function<void(std::size_t)>& job,
                 const RunsDone& done = {});

// Every (variant, replication) pair: run i is variants[i / R] at replication i % R (common random
// numbers: replication r of every variant sees the same random streams), summaries in that order.
// Per-server detail (server names and utilisation, the incident's per-server utilisation) is kept
// for replication 0 of each variant only.
[[nodiscard]] std::vector<RunSummary> run_replications(
    const std::vector<const SimulationConfig*>& variants, std::uint64_t replications,
    unsigned threads, const RunsDone& done = {});

// The default thread count: the hardware's, at least 1.
[[nodiscard]] unsigned default_threads();

// For runs laid out as run_replications lays them out: one paired comparison per metric, variant
// 0 the baseline.
[[nodiscard]] std::vector<analytic::PairedComparison> compare_metrics(
    const std::vector<RunSummary>& runs, std::size_t variants, std::uint64_t replications,
    const std::vector<MetricId>& metrics, double confidence = kConfidence);

// The scenario in steady state for a check or a sizing: nothing on the timeline, no alerts or
// incident, measured for at most `duration`, the window shrunk to fit the run.
[[nodiscard]] SimulationConfig steady_state(SimulationConfig config, SimTime duration);

}  // namespace lbsim::study
