#include "sim/study/run.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>

#include "sim/model/simulation.hpp"

namespace lbsim::study {

RunResult run_simulation(const SimulationConfig& config, std::ostream* servers_csv,
                         const ProgressFn& progress) {
  Simulation simulation(config);
  RecorderSetup setup{config.warmup_ns,     simulation.end_time(),        config.window_ns,
                      simulation.servers(), simulation.user_population(), servers_csv,
                      config.incident,      &simulation.window_listener()};
  auto recorder = std::make_unique<Recorder>(std::move(setup));
  simulation.set_observer(recorder.get());
  if (progress) simulation.set_progress(progress, 1u << 20);
  const RunStats stats = simulation.run();
  recorder->finish();
  return {std::move(recorder), stats};
}

RunSummary run_summary(const SimulationConfig& config) {
  const RunResult run = run_simulation(config, nullptr);
  return summarize(config, *run.recorder, run.stats);
}

void run_indexed(std::size_t count, unsigned threads, const std::function<void(std::size_t)>& job,
                 const RunsDone& done) {
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> finished{0};
  std::mutex mutex;  // guards failure and the progress callback
  std::exception_ptr failure;
  const auto worker = [&] {
    for (std::size_t index = next++; index < count; index = next++) {
      try {
        job(index);
      } catch (...) {
        const std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        next = count;  // the other workers stop after their current run
        return;
      }
      const std::size_t so_far = ++finished;
      if (done) {
        const std::lock_guard lock(mutex);
        done(so_far, count);
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    const auto workers = static_cast<std::size_t>(std::max(1u, threads));
    for (std::size_t i = 0; i < std::min(workers, count); ++i) pool.emplace_back(worker);
  }  // joins
  if (failure) std::rethrow_exception(failure);
}

std::vector<RunSummary> run_replications(const std::vector<const SimulationConfig*>& variants,
                                         std::uint64_t replications, unsigned threads,
                                         const RunsDone& done) {
  std::vector<RunSummary> runs(variants.size() * replications);
  run_indexed(
      runs.size(), threads,
      [&](std::size_t index) {
        SimulationConfig config = *variants[index / replications];
        config.replication = index % replications;
        runs[index] = run_summary(config);
        if (config.replication != 0) {
          // Per-server detail is read from replication 0 only; dropping it elsewhere keeps a
          // large study's memory at a few numbers per run.
          runs[index].server_names = {};
          runs[index].server_utilization = {};
          if (runs[index].incident) runs[index].incident->measured.utilization = {};
        }
      },
      done);
  return runs;
}

unsigned default_threads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

std::vector<analytic::PairedComparison> compare_metrics(const std::vector<RunSummary>& runs,
                                                        std::size_t variants,
                                                        std::uint64_t replications,
                                                        const std::vector<MetricId>& metrics,
                                                        double confidence) {
  std::vector<analytic::PairedComparison> comparisons;
  comparisons.reserve(metrics.size());
  for (const MetricId metric : metrics) {
    Eigen::MatrixXd samples(static_cast<Eigen::Index>(replications),
                            static_cast<Eigen::Index>(variants));
    for (std::size_t v = 0; v < variants; ++v) {
      for (std::uint64_t r = 0; r < replications; ++r) {
        samples(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(v)) =
            metric_value(runs[v * replications + r], metric);
      }
    }
    comparisons.push_back(analytic::paired_comparison(samples, confidence));
  }
  return comparisons;
}

SimulationConfig steady_state(SimulationConfig config, SimTime duration) {
  config.timeline.clear();
  config.alerts.clear();
  config.incident = IncidentConfig{};
  config.duration_ns = std::min(config.duration_ns, duration);
  config.window_ns = std::min(config.window_ns, config.warmup_ns + config.duration_ns);
  return config;
}

}  // namespace lbsim::study
