// End-to-end engine benchmark (issue 2): N servers with one worker each, exponential service,
// Poisson arrivals at load 0.9, dispatch by a strategy; prints events/s and requests/s.
//
// Three variants run side by side in one process, so their ratio is meaningful on a noisy shared
// machine:
//   lbsim+recorder  the product path: Simulation with the Recorder (histograms, windows, users)
//   lbsim           Simulation with no observer (engine, model and balancer only)
//   hand loop       a minimal hand-written loop of the same model (binary heap of departures,
//                   FIFO counters, random dispatch): the reference DESIGN.md quotes (8-12 M/s).
//                   It always dispatches at random, so it is the like-for-like reference only
//                   for `random`; beside other strategies it shows what they cost.
// Defaults: 100 and 10,000 servers, strategies random and least_request (d = 2).
//
// usage: bench_end_to_end [--quick] [--servers N] [--strategy NAME] [--requests N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <queue>
#include <string>
#include <vector>

#include "sim/core/rng.hpp"
#include "sim/metrics/recorder.hpp"
#include "sim/model/simulation.hpp"
#include "sim/model/strategy.hpp"

namespace {

using namespace lbsim;

struct Result {
  double events_per_s;
  double requests_per_s;
  std::uint64_t events;
};

SimulationConfig make_config(int servers, const std::string& strategy, double requests) {
  SimulationConfig c;
  c.name = "bench";
  c.seed = 7;
  const double mean_service_s = 0.010;
  const double rate = 0.9 * servers / mean_service_s;
  c.duration_ns = from_seconds(requests / rate);
  c.window_ns = std::max<SimTime>(kSecond, c.duration_ns / 100);
  c.workload.rate_per_s = rate;
  c.workload.users = 100000;
  c.workload.service.kind = DistributionKind::kExponential;
  c.workload.service.mean_s = mean_service_s;
  c.balancer.strategy = strategy_named(strategy);
  ServerGroupConfig group;
  group.group = "s";
  group.count = servers;
  c.servers.push_back(group);
  return c;
}

Result run_lbsim(const SimulationConfig& config, bool with_recorder) {
  Simulation simulation(config);
  std::unique_ptr<Recorder> recorder;
  if (with_recorder) {
    recorder = std::make_unique<Recorder>(RecorderSetup{
        config.warmup_ns, simulation.end_time(), config.window_ns, simulation.servers(),
        simulation.user_population(), nullptr, config.incident});
    simulation.set_observer(recorder.get());
  }
  const RunStats stats = simulation.run();
  if (recorder) recorder->finish();
  return {static_cast<double>(stats.events) / stats.wall_s,
          static_cast<double>(stats.arrivals) / stats.wall_s, stats.events};
}

// The same model, written as plainly as possible.
Result run_hand_loop(int servers, double requests) {
  const double mean_service_s = 0.010;
  const double rate = 0.9 * servers / mean_service_s;
  const double end_s = requests / rate;
  Rng arrival_rng(7, 0, StreamPurpose::kArrivals, 0);
  Rng service_rng(7, 0, StreamPurpose::kService, 0);
  Rng pick_rng(7, 0, StreamPurpose::kBalancer, 0);
  struct Departure {
    double time;
    int server;
    bool operator>(const Departure& o) const { return time > o.time; }
  };
  std::vector<Departure> storage;
  storage.reserve(static_cast<std::size_t>(servers) * 2);
  std::priority_queue<Departure, std::vector<Departure>, std::greater<>> heap(std::greater<>{},
                                                                              std::move(storage));
  std::vector<int> in_system(static_cast<std::size_t>(servers), 0);
  // Exponential service lets a queued job's demand be drawn when it starts, so a count per server
  // is all the queue needs.
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t events = 0, arrivals = 0;
  double next_arrival = -std::log(arrival_rng.uniform_open01()) / rate;
  for (;;) {
    const bool arrival_first = heap.empty() || next_arrival < heap.top().time;
    const double now = arrival_first ? next_arrival : heap.top().time;
    if (now >= end_s) break;
    ++events;
    if (arrival_first) {
      ++arrivals;
      const auto s = static_cast<int>(pick_rng.below(static_cast<std::uint64_t>(servers)));
      if (in_system[s]++ == 0) {
        heap.push({now - std::log(service_rng.uniform_open01()) * mean_service_s, s});
      }
      next_arrival = now - std::log(arrival_rng.uniform_open01()) / rate;
    } else {
      const int s = heap.top().server;
      heap.pop();
      if (--in_system[s] > 0) {
        heap.push({now - std::log(service_rng.uniform_open01()) * mean_service_s, s});
      }
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return {static_cast<double>(events) / wall, static_cast<double>(arrivals) / wall, events};
}

void print_row(const char* name, const Result& r, double reference) {
  std::printf("  %-16s %8.2f M events/s  %8.2f M requests/s  %6.2fx hand loop  (%llu events)\n",
              name, r.events_per_s / 1e6, r.requests_per_s / 1e6, r.events_per_s / reference,
              static_cast<unsigned long long>(r.events));
}

}  // namespace

int main(int argc, char** argv) {
  double requests = 5e6;
  std::vector<int> fleet_sizes;
  std::vector<std::string> strategies;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      requests = 5e5;
    } else if (std::strcmp(argv[i], "--servers") == 0 && i + 1 < argc) {
      fleet_sizes.push_back(std::atoi(argv[++i]));
    } else if (std::strcmp(argv[i], "--strategy") == 0 && i + 1 < argc) {
      strategies.emplace_back(argv[++i]);
    } else if (std::strcmp(argv[i], "--requests") == 0 && i + 1 < argc) {
      requests = std::atof(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: bench_end_to_end [--quick] [--servers N]... [--strategy NAME]... "
                   "[--requests N]\n");
      return 2;
    }
  }
  if (fleet_sizes.empty()) fleet_sizes = {100, 10000};
  if (strategies.empty()) strategies = {"random", "least_request"};

  std::printf(
      "end-to-end: 1 worker per server, exponential service, Poisson arrivals, load 0.9, "
      "%.0f requests per variant, one core\n",
      requests);
  for (const int servers : fleet_sizes) {
    const Result hand = run_hand_loop(servers, requests);
    for (const auto& strategy : strategies) {
      if (find_strategy(strategy) == nullptr) {
        std::fprintf(stderr, "unknown strategy %s; valid: %s\n", strategy.c_str(),
                     strategy_names().c_str());
        return 2;
      }
      const auto config = make_config(servers, strategy, requests);
      std::printf("%d servers, %s:\n", servers, strategy.c_str());
      print_row("hand loop", hand, hand.events_per_s);
      print_row("lbsim", run_lbsim(config, false), hand.events_per_s);
      print_row("lbsim+recorder", run_lbsim(config, true), hand.events_per_s);
    }
  }
  return 0;
}
