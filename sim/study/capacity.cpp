#include "sim/study/capacity.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

#include "sim/analytic/queueing.hpp"
#include "sim/core/error.hpp"
#include "sim/scenario/units.hpp"

namespace lbsim::study {

namespace {

// The scenario at a load multiplier with `servers` servers in the sized group.
SimulationConfig at(const SimulationConfig& base, std::size_t group, double multiplier,
                    int servers) {
  SimulationConfig config = base;
  config.workload.rate_per_s *= multiplier;
  for (RateChange& change : config.workload.profile) change.target_rate_per_s *= multiplier;
  config.servers[group].count = servers;
  return config;
}

// What the M/M/c model predicts for a term's metric; nullopt when it says nothing (errors and
// imbalance: 0 and 1 in the model).
std::optional<double> predicted(MetricId metric, int workers, double lambda, double mu) {
  switch (metric) {
    // Nothing fails in M/M/c, so a failure-aware percentile is the completed one.
    case MetricId::kLatencyMean:
    case MetricId::kResponseMean:
      return analytic::mmc_mean_response_s(workers, lambda, mu);
    case MetricId::kLatencyP50:
    case MetricId::kResponseP50:
      return analytic::mmc_response_quantile_s(workers, lambda, mu, 0.5);
    case MetricId::kLatencyP90:
    case MetricId::kResponseP90:
      return analytic::mmc_response_quantile_s(workers, lambda, mu, 0.9);
    case MetricId::kLatencyP99:
    case MetricId::kResponseP99:
      return analytic::mmc_response_quantile_s(workers, lambda, mu, 0.99);
    case MetricId::kLatencyP999:
    case MetricId::kResponseP999:
      return analytic::mmc_response_quantile_s(workers, lambda, mu, 0.999);
    case MetricId::kUtilizationMax:
      return lambda / (workers * mu);
    default:
      return std::nullopt;
  }
}

// Analytic estimate: the sized group's servers share the arrivals in proportion to their capacity
// (workers x speed) with the other groups; each is M/M/c with c = workers. The fewest servers
// whose every latency term holds; 0 when the service time is unknown (a trace's own demands).
int analytic_servers(const SimulationConfig& base, std::size_t group, double multiplier,
                     const std::vector<SloTerm>& terms, int max_servers) {
  const double mean_service_s = base.workload.service.mean_s;
  if (!(mean_service_s > 0.0) || base.workload.arrivals == ArrivalProcess::kTrace) return 0;
  const ServerGroupConfig& sized = base.servers[group];
  double other_capacity = 0.0;
  for (std::size_t g = 0; g < base.servers.size(); ++g) {
    if (g == group || base.servers[g].join_at_ns != 0) continue;
    other_capacity += base.servers[g].count * base.servers[g].workers * base.servers[g].speed;
  }
  const double total_rate = base.workload.rate_per_s * multiplier;
  const double mu = sized.speed / mean_service_s;
  for (int n = 1; n <= max_servers; ++n) {
    const double own = n * sized.workers * sized.speed;
    const double lambda = total_rate * own / (own + other_capacity) / n;
    if (lambda >= sized.workers * mu) continue;  // unstable
    const bool ok = std::all_of(terms.begin(), terms.end(), [&](const SloTerm& term) {
      const std::optional<double> value = predicted(term.metric, sized.workers, lambda, mu);
      return !value || meets(term, *value);
    });
    if (ok) return n;
  }
  return max_servers;
}

class Search {
 public:
  Search(const CapacityResult& result, const CapacityRequest& request, const JudgedFn& judged)
      : result_(result), request_(request), judged_(judged) {}

  const Judgement& judge(double multiplier, int servers) {
    const auto key = std::make_pair(multiplier, servers);
    if (const auto it = memo_.find(key); it != memo_.end()) return it->second;
    const SimulationConfig config = at(result_.base, result_.group, multiplier, servers);
    const std::vector<RunSummary> runs =
        run_replications({&config}, request_.replications, request_.threads);
    Judgement judgement;
    for (const MetricInfo& info : metric_catalogue()) {
      double& mean = judgement.means[static_cast<std::size_t>(info.id)];
      for (const RunSummary& run : runs) {
        mean += metric_value(run, info.id) / static_cast<double>(runs.size());
      }
    }
    judgement.meets =
        std::all_of(request_.terms.begin(), request_.terms.end(),
                    [&](const SloTerm& term) { return meets(term, judgement.mean(term.metric)); });
    if (judged_) judged_(multiplier, servers, judgement.meets);
    return memo_.emplace(key, judgement).first->second;
  }

  // The fewest servers meeting the SLO at a load, searched outward from `start` then bisected;
  // 0 when even max_servers break it.
  int fewest(double multiplier, int start) {
    const int max_servers = request_.max_servers;
    // Bracket: `fail` breaks the SLO (0: even one server would do), `pass` meets it.
    int pass = 0;
    int fail = 0;
    if (judge(multiplier, start).meets) {
      pass = start;
      for (int step = 1; pass > 1; step *= 2) {
        const int down = std::max(1, start - step);
        if (!judge(multiplier, down).meets) {
          fail = down;
          break;
        }
        pass = down;
        if (down == 1) break;
      }
    } else {
      fail = start;
      for (int step = 1;; step *= 2) {
        const int up = std::min(max_servers, start + step);
        if (judge(multiplier, up).meets) {
          pass = up;
          break;
        }
        fail = up;
        if (up == max_servers) break;
      }
    }
    while (pass > 0 && pass - fail > 1) {
      const int mid = fail + (pass - fail) / 2;
      (judge(multiplier, mid).meets ? pass : fail) = mid;
    }
    return pass;
  }

  double headroom(int current) {
    if (!judge(1.0, current).meets) return 1.0;  // it already breaks at the scenario's load
    double good = 1.0;
    double bad = 0.0;
    for (double m = 1.25; good < 64.0; m = std::min(64.0, m * 1.25)) {
      if (!judge(m, current).meets) {
        bad = m;
        break;
      }
      good = m;
    }
    if (bad == 0.0) return std::nan("");
    while (bad / good > 1.02) {
      const double mid = std::sqrt(good * bad);
      (judge(mid, current).meets ? good : bad) = mid;
    }
    return bad;
  }

 private:
  const CapacityResult& result_;
  const CapacityRequest& request_;
  const JudgedFn& judged_;
  std::map<std::pair<double, int>, Judgement> memo_;
};

double offered_utilization(const SimulationConfig& config) {
  double capacity = 0.0;
  for (const ServerGroupConfig& g : config.servers) {
    if (g.join_at_ns == 0) capacity += g.count * g.workers * g.speed;
  }
  return config.workload.rate_per_s * config.workload.service.mean_s / capacity;
}

}  // namespace

std::vector<Level> parse_levels(const std::string& text, double base_rate_per_s) {
  std::vector<Level> levels;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    Level level{item, 1.0};
    try {
      if (!item.empty() && (item.back() == 'x' || item.back() == 'X')) {
        level.multiplier = parse_number_at_least(item.substr(0, item.size() - 1), 0.0, false);
      } else {
        level.multiplier = parse_rate_per_s(item) / base_rate_per_s;
        if (!(level.multiplier > 0.0)) throw std::invalid_argument("expected a rate > 0");
      }
    } catch (const std::invalid_argument& e) {
      throw ConfigError(SourceLocation{"--load " + text},
                        "expected load levels like 1x,1.5x,2x or 1000/s,2000/s; in \"" + item +
                            "\": " + e.what());
    }
    levels.push_back(level);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return levels;
}

std::size_t sized_group(const Scenario& scenario, const std::optional<std::string>& name) {
  if (scenario.config.workload.arrivals == ArrivalProcess::kTrace) {
    throw ConfigError(SourceLocation{scenario.path},
                      "capacity scales workload.rate; a traced workload has none");
  }
  if (!name) return 0;
  const auto& servers = scenario.config.servers;
  const auto it = std::find_if(servers.begin(), servers.end(),
                               [&](const ServerGroupConfig& g) { return g.group == *name; });
  if (it == servers.end()) {
    throw ConfigError(SourceLocation{"--group " + *name},
                      "expected a server group of " + scenario.path);
  }
  return static_cast<std::size_t>(it - servers.begin());
}

CapacityResult size_fleet(const Scenario& scenario, const CapacityRequest& request,
                          const JudgedFn& judged) {
  CapacityResult result;
  result.group = sized_group(scenario, request.group);
  result.base = steady_state(scenario.config, request.duration);
  result.current = result.base.servers[result.group].count;
  Search search(result, request, judged);
  for (const Level& level : request.levels) {
    CapacityLevel row;
    row.level = level;
    row.rate_per_s = result.base.workload.rate_per_s * level.multiplier;
    row.analytic = analytic_servers(result.base, result.group, level.multiplier, request.terms,
                                    request.max_servers);
    const int start =
        std::clamp(row.analytic > 0 ? row.analytic : result.current, 1, request.max_servers);
    row.servers = search.fewest(level.multiplier, start);
    if (row.servers > 0) {
      row.judgement = search.judge(level.multiplier, row.servers);
      row.utilization_mean =
          offered_utilization(at(result.base, result.group, level.multiplier, row.servers));
    }
    result.levels.push_back(row);
  }
  result.headroom = search.headroom(result.current);
  return result;
}

}  // namespace lbsim::study
