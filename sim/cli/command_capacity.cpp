// lbsim capacity: the fewest servers that meet an SLO at each load level, and the headroom of the
// current fleet. Each level starts from an analytic estimate (every server an M/M/c queue fed by
// its share of a Poisson stream: Erlang C and the M/M/c response-time tail), then searches the
// simulated fleet: outward from the estimate until the SLO flips, then bisection, each point
// judged on the mean of its replications.
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>

#include "sim/analytic/queueing.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/slo.hpp"
#include "sim/cli/support.hpp"
#include "sim/cli/table.hpp"
#include "sim/metrics/csv_format.hpp"
#include "sim/metrics/run_output.hpp"

namespace lbsim::cli {
namespace {

struct Level {
  std::string text;  // as given: "1.5x" or "2000/s"
  double multiplier = 1.0;
};

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

// The scenario at a load multiplier with `servers` servers in the sized group.
SimulationConfig at(const SimulationConfig& base, std::size_t group, double multiplier,
                    int servers) {
  SimulationConfig config = base;
  config.workload.rate_per_s *= multiplier;
  for (RateChange& change : config.workload.profile) change.target_rate_per_s *= multiplier;
  config.servers[group].count = servers;
  return config;
}

struct Judgement {
  bool meets = false;
  std::vector<double> means;  // kSloMetrics order
};

// Analytic estimate: the sized group's servers share the arrivals in proportion to their capacity
// (workers x speed) with the other groups; each is M/M/c with c = workers. The fewest servers
// whose every latency term holds (errors: none in a stable queue without limits); 0 when the
// service time is unknown (a trace's own demands).
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
    bool ok = true;
    for (const SloTerm& term : terms) {
      const std::string_view name = kSloMetrics[term.metric].name;
      double predicted = 0.0;
      if (name == "mean") {
        predicted = analytic::mmc_mean_response_s(sized.workers, lambda, mu);
      } else if (name == "p50" || name == "p90" || name == "p99" || name == "p999") {
        const double p = name == "p50" ? 0.5 : name == "p90" ? 0.9 : name == "p99" ? 0.99 : 0.999;
        predicted = analytic::mmc_response_quantile_s(sized.workers, lambda, mu, p);
      } else if (name == "utilization_max") {
        predicted = lambda / (sized.workers * mu);
      } else {
        continue;  // errors and imbalance: 0 and 1 in the model
      }
      ok = ok && meets(term, predicted);
    }
    if (ok) return n;
  }
  return max_servers;
}

}  // namespace

int command_capacity(const std::vector<std::string>& args) {
  po::options_description options("lbsim capacity options");
  // clang-format off
  options.add_options()
      ("scenario", po::value<std::string>()->required(), "scenario YAML file")
      ("slo", po::value<std::string>()->required(),
       "upper bounds, e.g. \"p99<250ms,errors<0.1%\" (as lbsim check)")
      ("load", po::value<std::string>()->default_value("1x"),
       "load levels: multiples of workload.rate (1x,1.5x,2x) or rates (2000/s)")
      ("group", po::value<std::string>(), "the server group to size (default: the first)")
      ("max-servers", po::value<int>()->default_value(10000), "the largest fleet to try")
      ("duration", po::value<std::string>()->default_value("10m"),
       "simulated time measured per run (after the scenario's warmup), at most the scenario's");
  // clang-format on
  add_replication_options(options, 3, "replications per fleet size");
  add_output_options(options, "output directory (default runs/<scenario name>-capacity)");
  add_scenario_options(options);
  po::positional_options_description positional;
  positional.add("scenario", 1);

  std::optional<po::variables_map> vm;
  Replication replication;
  try {
    vm = parse_args(args, options, positional,
                    "lbsim capacity SCENARIO --slo \"p99<250ms,errors<0.1%\" --load 1x,2x");
    if (vm) replication = read_replication_options(*vm);
  } catch (const po::error& e) {
    return usage_error("capacity", e.what());
  }
  if (!vm) return kExitOk;
  const std::uint64_t replications = replication.replications;
  const unsigned threads = replication.threads;
  const int max_servers = (*vm)["max-servers"].as<int>();
  if (max_servers < 1) return usage_error("capacity", "--max-servers must be >= 1");
  const bool quiet = vm->count("quiet") != 0;

  return with_input_errors("capacity", [&]() -> int {
    const std::string slo_text = (*vm)["slo"].as<std::string>();
    const std::vector<SloTerm> terms = parse_slo(slo_text);
    SimTime duration = 0;
    try {
      duration = parse_duration((*vm)["duration"].as<std::string>());
    } catch (const std::invalid_argument& e) {
      throw ConfigError(SourceLocation{"--duration"}, e.what());
    }
    if (duration <= 0) throw ConfigError(SourceLocation{"--duration"}, "expected a duration > 0");
    const Scenario scenario = load_for_command(*vm);
    SimulationConfig base = scenario.config;
    if (base.workload.arrivals == ArrivalProcess::kTrace) {
      throw ConfigError(SourceLocation{scenario.path},
                        "capacity scales workload.rate; a traced workload has none");
    }
    // Steady state: nothing happens on the timeline.
    base.timeline.clear();
    base.alerts.clear();
    base.incident = IncidentConfig{};
    base.duration_ns = std::min(base.duration_ns, duration);
    base.window_ns = std::min(base.window_ns, base.warmup_ns + base.duration_ns);
    std::size_t group = 0;
    if (vm->count("group") != 0) {
      const std::string name = (*vm)["group"].as<std::string>();
      const auto it = std::find_if(base.servers.begin(), base.servers.end(),
                                   [&](const ServerGroupConfig& g) { return g.group == name; });
      if (it == base.servers.end()) {
        throw ConfigError(SourceLocation{"--group " + name},
                          "expected a server group of " + scenario.path);
      }
      group = static_cast<std::size_t>(it - base.servers.begin());
    }
    const int current = base.servers[group].count;
    const std::vector<Level> levels =
        parse_levels((*vm)["load"].as<std::string>(), base.workload.rate_per_s);
    const std::string out_dir =
        vm->count("out") != 0 ? (*vm)["out"].as<std::string>() : "runs/" + base.name + "-capacity";
    RunDirectory run_dir(out_dir, vm->count("force") != 0);

    std::map<std::pair<double, int>, Judgement> memo;
    const auto judge = [&](double multiplier, int servers) -> const Judgement& {
      const auto key = std::make_pair(multiplier, servers);
      if (const auto it = memo.find(key); it != memo.end()) return it->second;
      const SimulationConfig config = at(base, group, multiplier, servers);
      const auto rows = run_parallel(
          replications, threads,
          [&](std::size_t r) {
            SimulationConfig one = config;
            one.replication = r;
            const RunResult run = run_simulation(one, nullptr, false);
            return slo_values(make_summary(one, *run.recorder, run.stats));
          },
          "capacity", false);
      Judgement judgement;
      judgement.means.assign(kSloMetrics.size(), 0.0);
      for (std::size_t m = 0; m < kSloMetrics.size(); ++m) {
        for (const auto& row : rows)
          judgement.means[m] += row[m] / static_cast<double>(rows.size());
      }
      judgement.meets = std::all_of(terms.begin(), terms.end(), [&](const SloTerm& term) {
        return meets(term, judgement.means[term.metric]);
      });
      if (!quiet) {
        std::cerr << "  capacity: load x" << multiplier << ", " << servers
                  << " servers: " << (judgement.meets ? "meets" : "breaks") << " the SLO\n";
      }
      return memo.emplace(key, judgement).first->second;
    };

    struct Row {
      Level level;
      int servers = 0;  // 0: not met up to max_servers
      int analytic = 0;
      Judgement judgement;
    };
    std::vector<Row> rows;
    for (const Level& level : levels) {
      const int estimate = analytic_servers(base, group, level.multiplier, terms, max_servers);
      int start = std::clamp(estimate > 0 ? estimate : current, 1, max_servers);
      // Bracket: `fail` breaks the SLO (0: even one server would do), `pass` meets it.
      int pass = 0;
      int fail = 0;
      if (judge(level.multiplier, start).meets) {
        pass = start;
        for (int step = 1; pass > 1; step *= 2) {
          const int down = std::max(1, start - step);
          if (!judge(level.multiplier, down).meets) {
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
          if (judge(level.multiplier, up).meets) {
            pass = up;
            break;
          }
          fail = up;
          if (up == max_servers) break;
        }
      }
      while (pass > 0 && pass - fail > 1) {
        const int mid = fail + (pass - fail) / 2;
        (judge(level.multiplier, mid).meets ? pass : fail) = mid;
      }
      Row row{level, pass, estimate, {}};
      if (pass > 0) row.judgement = judge(level.multiplier, pass);
      rows.push_back(row);
    }

    // Headroom: the load multiplier at which the current fleet stops meeting the SLO, to 2%.
    double headroom = std::nan("");
    if (judge(1.0, current).meets) {
      double good = 1.0;
      double bad = 0.0;
      for (double m = 1.25; good < 64.0; m = std::min(64.0, m * 1.25)) {
        if (!judge(m, current).meets) {
          bad = m;
          break;
        }
        good = m;
      }
      if (bad > 0.0) {
        while (bad / good > 1.02) {
          const double mid = std::sqrt(good * bad);
          (judge(mid, current).meets ? good : bad) = mid;
        }
        headroom = bad;
      }
    } else {
      headroom = 1.0;  // it already breaks at the scenario's load
    }

    const auto number = [](double v) -> nlohmann::ordered_json {
      if (!std::isfinite(v)) return nullptr;
      return v;
    };
    write_file(run_dir.file("capacity.csv"), [&](std::ostream& out) {
      out << "load,rate_per_s,servers,analytic_servers,p99_s,error_rate,utilization_mean,"
             "meets_slo\n";
      for (const Row& row : rows) {
        const bool found = row.servers > 0;
        out << format_number(row.level.multiplier) << ','
            << format_number(base.workload.rate_per_s * row.level.multiplier) << ','
            << (found ? std::to_string(row.servers) : std::string()) << ',' << row.analytic << ','
            << (found ? format_number(row.judgement.means[2]) : std::string()) << ','
            << (found ? format_number(row.judgement.means[5]) : std::string()) << ',';
        if (found) {
          const SimulationConfig config = at(base, group, row.level.multiplier, row.servers);
          double capacity = 0.0;
          for (const ServerGroupConfig& g : config.servers) {
            if (g.join_at_ns == 0) capacity += g.count * g.workers * g.speed;
          }
          out << format_number(config.workload.rate_per_s * config.workload.service.mean_s /
                               capacity);
        }
        out << ',' << (found ? "true" : "false") << '\n';
      }
    });
    nlohmann::ordered_json doc;
    doc["scenario"] = base.name;
    doc["slo"] = slo_text;
    doc["group"] = base.servers[group].group;
    doc["replications"] = replications;
    doc["duration_s"] = to_seconds(base.duration_ns);
    doc["levels"] = nlohmann::ordered_json::array();
    for (const Row& row : rows) {
      doc["levels"].push_back(
          {{"load", row.level.multiplier},
           {"rate_per_s", base.workload.rate_per_s * row.level.multiplier},
           {"servers", row.servers > 0 ? nlohmann::ordered_json(row.servers) : nullptr},
           {"analytic_servers", row.analytic},
           {"p99_s", row.servers > 0 ? number(row.judgement.means[2]) : nullptr},
           {"error_rate", row.servers > 0 ? number(row.judgement.means[5]) : nullptr},
           {"meets_slo", row.servers > 0}});
    }
    doc["headroom"] = {{"load", number(headroom)},
                       {"rate_per_s", number(headroom * base.workload.rate_per_s)},
                       {"servers", current}};
    write_file(run_dir.file("capacity.json"), [&](std::ostream& out) { write_json(out, doc); });
    run_dir.commit();

    if (!quiet) {
      std::cout << "capacity " << base.name << ": the fewest " << base.servers[group].group
                << " servers meeting " << slo_text << " (mean of " << replications
                << " replications of " << to_seconds(base.duration_ns) << " s)\n";
      std::vector<std::vector<std::string>> table;
      for (const Row& row : rows) {
        table.push_back(
            {row.level.text,
             format_estimate(base.workload.rate_per_s * row.level.multiplier, std::nan(""), false),
             row.servers > 0 ? std::to_string(row.servers) : "> " + std::to_string(max_servers),
             std::to_string(row.analytic),
             row.servers > 0 ? show_slo_value(row.judgement.means[2], SloUnit::kSeconds) : "-",
             row.servers > 0 ? show_slo_value(row.judgement.means[5], SloUnit::kFraction) : "-"});
      }
      print_table(std::cout, {"load", "rate/s", "servers", "M/M/c estimate", "p99", "errors"},
                  table);
      std::cout << "\nheadroom: the current " << current << " servers ";
      if (std::isnan(headroom)) {
        std::cout << "meet the SLO up to 64x the load\n";
      } else if (headroom == 1.0) {
        std::cout << "already break the SLO at the scenario's load\n";
      } else {
        std::cout << "break the SLO at about " << format_estimate(headroom, std::nan(""), false)
                  << "x the load ("
                  << format_estimate(headroom * base.workload.rate_per_s, std::nan(""), false)
                  << "/s)\n";
      }
      std::cout << "output directory: " << run_dir.target().string() << '\n';
    }
    return kExitOk;
  });
}

}  // namespace lbsim::cli
