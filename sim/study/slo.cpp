#include "sim/study/slo.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/error.hpp"
#include "sim/scenario/units.hpp"

namespace lbsim::study {

namespace {

[[noreturn]] void bad_slo(const std::string& text, const std::string& why) {
  throw ConfigError(SourceLocation{"--slo " + text}, why);
}

double parse_bound(const std::string& value, MetricUnit unit) {
  switch (unit) {
    case MetricUnit::kSeconds:
      return to_seconds(parse_duration(value));
    case MetricUnit::kFraction:
      return parse_fraction(value);
    case MetricUnit::kNumber:
    case MetricUnit::kPerSecond:
    case MetricUnit::kCount:
      break;
  }
  return parse_number_at_least(value, 0.0, true);
}

}  // namespace

std::vector<SloTerm> parse_slo(const std::string& text) {
  std::vector<SloTerm> terms;
  std::string names;
  for (const MetricId metric : kSloMetrics) {
    names += (names.empty() ? "" : ", ") + std::string(metric_info(metric).alias);
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
                                  [&](MetricId m) { return name == metric_info(m).alias; });
    if (it == kSloMetrics.end()) {
      bad_slo(text, "expected a metric (" + names + ") in \"" + term + "\"; got \"" + name + "\"");
    }
    parsed.metric = *it;
    try {
      parsed.bound = parse_bound(value, metric_info(*it).unit);
    } catch (const std::invalid_argument& e) {
      bad_slo(text, "in \"" + term + "\": " + e.what());
    }
    terms.push_back(parsed);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return terms;
}

bool meets(const SloTerm& term, double value) {
  // No value (nothing completed, every server idle or down) cannot show the bound is kept.
  if (std::isnan(value)) return false;
  return term.inclusive ? value <= term.bound : value < term.bound;
}

std::vector<SloTerm> with_imbalance_limit(std::vector<SloTerm> terms, double max_imbalance) {
  const bool bounded = std::any_of(terms.begin(), terms.end(), [](const SloTerm& t) {
    return t.metric == MetricId::kImbalance;
  });
  if (max_imbalance > 0.0 && !bounded) {
    terms.push_back(
        {MetricId::kImbalance, true, max_imbalance, "imbalance<=" + std::to_string(max_imbalance)});
  }
  return terms;
}

}  // namespace lbsim::study
