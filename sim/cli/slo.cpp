#include "sim/cli/slo.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sim/core/error.hpp"
#include "sim/scenario/units.hpp"

namespace lbsim::cli {

namespace {

[[noreturn]] void bad_slo(const std::string& text, const std::string& why) {
  throw ConfigError(SourceLocation{"--slo " + text}, why);
}

double number_or_nan(const nlohmann::ordered_json& value) {
  return value.is_number() ? value.get<double>() : std::nan("");
}

}  // namespace

std::vector<SloTerm> parse_slo(const std::string& text) {
  std::vector<SloTerm> terms;
  std::string names;
  for (const SloMetric& metric : kSloMetrics) {
    names += (names.empty() ? "" : ", ") + std::string(metric.name);
  }
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    std::string term =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    term.erase(std::remove(term.begin(), term.end(), ' '), term.end());
    const std::size_t op = term.find('<');
    if (term.empty() || op == std::string::npos || op == 0) {
      bad_slo(text, "expected terms like p99<300ms,errors<0.1% (metrics: " + names +
                        "; bounds are upper bounds, < or <=); got \"" + term + "\"");
    }
    SloTerm parsed;
    parsed.text = term;
    const std::string name = term.substr(0, op);
    parsed.inclusive = op + 1 < term.size() && term[op + 1] == '=';
    const std::string value = term.substr(op + (parsed.inclusive ? 2 : 1));
    const auto* it = std::find_if(kSloMetrics.begin(), kSloMetrics.end(),
                                  [&](const SloMetric& m) { return name == m.name; });
    if (it == kSloMetrics.end()) {
      bad_slo(text, "expected a metric (" + names + ") in \"" + term + "\"; got \"" + name + "\"");
    }
    parsed.metric = static_cast<std::size_t>(it - kSloMetrics.begin());
    try {
      switch (it->unit) {
        case SloUnit::kSeconds:
          parsed.bound = to_seconds(parse_duration(value));
          break;
        case SloUnit::kFraction:
          parsed.bound = parse_fraction(value);
          break;
        case SloUnit::kNumber:
          parsed.bound = parse_number_at_least(value, 0.0, true);
          break;
      }
    } catch (const std::invalid_argument& e) {
      bad_slo(text, "in \"" + term + "\": " + e.what());
    }
    terms.push_back(parsed);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return terms;
}

std::vector<double> slo_values(const nlohmann::ordered_json& summary) {
  const auto& latency = summary["latency_s"];
  const auto& utilization = summary["servers"]["utilization"];
  return {number_or_nan(latency["p50"]),           number_or_nan(latency["p90"]),
          number_or_nan(latency["p99"]),           number_or_nan(latency["p999"]),
          number_or_nan(latency["mean"]),          number_or_nan(summary["error_rate"]),
          number_or_nan(utilization["imbalance"]), number_or_nan(utilization["max"])};
}

bool meets(const SloTerm& term, double value) {
  // No value (nothing completed, every server idle or down) cannot show the bound is kept.
  if (std::isnan(value)) return false;
  return term.inclusive ? value <= term.bound : value < term.bound;
}

std::string show_slo_value(double value, SloUnit unit) {
  if (std::isnan(value)) return "no value";
  char buffer[64];
  switch (unit) {
    case SloUnit::kSeconds:
      if (value < 1.0) {
        std::snprintf(buffer, sizeof buffer, "%.1f ms", value * 1e3);
      } else {
        std::snprintf(buffer, sizeof buffer, "%.2f s", value);
      }
      break;
    case SloUnit::kFraction:
      std::snprintf(buffer, sizeof buffer, "%.3g%%", value * 100.0);
      break;
    case SloUnit::kNumber:
      std::snprintf(buffer, sizeof buffer, "%.2f", value);
      break;
  }
  return buffer;
}

}  // namespace lbsim::cli
