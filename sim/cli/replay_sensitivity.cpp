#include "sim/cli/replay_sensitivity.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "sim/cli/table.hpp"
#include "sim/metrics/catalogue.hpp"
#include "sim/metrics/csv_format.hpp"

namespace lbsim::cli {
namespace {

// The headline figures a sensitivity table shows (each in kImpactMetrics), then "detected after"
// and "overloaded".
const std::vector<MetricId> kSensitivityShown = {
    MetricId::kUsersAffected, MetricId::kFailedRequests, MetricId::kPeakErrorRate,
    MetricId::kImpact,        MetricId::kServersCrashed, MetricId::kResponseP99};

std::string detected_text(const study::SensitivityOutcome& outcome, std::uint64_t replications) {
  if (outcome.detected_in == 0) return "never";
  std::string text =
      format_estimate(outcome.detected_after_s.mean, outcome.detected_after_s.half_width, false) +
      " s";
  if (outcome.detected_in < replications) {
    text += " (" + std::to_string(outcome.detected_in) + "/" + std::to_string(replications) + ")";
  }
  return text;
}

std::string servers_text(const std::vector<std::string>& servers) {
  if (servers.empty()) return "none";
  std::string text;
  for (const std::string& server : servers) text += (text.empty() ? "" : " ") + server;
  return text;
}

std::vector<std::string> sensitivity_row(const std::string& label,
                                         const study::SensitivityResult& result, std::size_t p) {
  std::vector<std::string> row = {label};
  for (const MetricId metric : kSensitivityShown) {
    const double scale = metric_info(metric).table_scale;
    const analytic::Interval& i = result.by_metric[study::impact_index(metric)].variants[p];
    row.push_back(format_estimate(i.mean * scale, i.half_width * scale, false));
  }
  row.push_back(detected_text(result.outcomes[p], result.replications));
  row.push_back(servers_text(result.outcomes[p].overloaded));
  return row;
}

}  // namespace

void print_sensitivity(std::ostream& out, const study::SensitivityStudy& sensitivity,
                       const study::SensitivityResult& result) {
  std::vector<std::string> header = {"value"};
  for (const MetricId metric : kSensitivityShown) header.emplace_back(metric_info(metric).heading);
  header.emplace_back("detected after");
  header.emplace_back("overloaded");
  const std::vector<std::string>& baseline_overloaded = result.outcomes[0].overloaded;
  for (std::size_t k = 0; k < sensitivity.ranges.size(); ++k) {
    const study::SensitivityRange& range = sensitivity.ranges[k];
    out << "\nsensitivity to " << range.key << ": " << result.replications
        << " replications each, common random numbers; mean \u00b1 95% half-width\n";
    std::vector<std::vector<std::string>> rows;
    rows.push_back(sensitivity_row(
        "as given" + (range.as_given ? " (" + *range.as_given + ")" : std::string()), result, 0));
    std::vector<std::string> differing;
    for (std::size_t p = 1; p < sensitivity.alternatives.size(); ++p) {
      if (sensitivity.range_of[p] != k) continue;
      rows.push_back(sensitivity_row(sensitivity.value_of[p], result, p));
      if (result.outcomes[p].overloaded != baseline_overloaded) {
        differing.push_back(sensitivity.value_of[p] + ": " +
                            servers_text(result.outcomes[p].overloaded));
      }
    }
    print_table(out, header, rows);
    // Which headline figures move measurably across the range (a paired interval against the
    // scenario as given excludes 0 at some value), and whether the conclusion holds.
    std::vector<std::string> moved;
    for (const MetricId metric : kSensitivityShown) {
      const analytic::PairedComparison& c = result.by_metric[study::impact_index(metric)];
      for (std::size_t p = 1; p < sensitivity.alternatives.size(); ++p) {
        if (sensitivity.range_of[p] != k) continue;
        const analytic::Interval& d = c.differences[p];
        if (!std::isnan(d.mean) && d.excludes_zero()) {
          moved.emplace_back(metric_info(metric).heading);
          break;
        }
      }
    }
    std::string moved_text;
    for (const std::string& m : moved) moved_text += (moved_text.empty() ? "" : ", ") + m;
    out << "  moves measurably across the range: " << (moved.empty() ? "nothing" : moved_text)
        << '\n';
    if (differing.empty()) {
      out << "  overloaded servers at every value: the same as given ("
          << servers_text(baseline_overloaded) << ")\n";
    } else {
      std::string text;
      for (const std::string& d : differing) text += (text.empty() ? "" : "; ") + d;
      out << "  overloaded servers differ from the scenario as given ("
          << servers_text(baseline_overloaded) << ") at " << text << '\n';
    }
  }
}

void write_sensitivity_csv(std::ostream& out, const study::SensitivityStudy& sensitivity,
                           const study::SensitivityResult& result) {
  out << "key,value,replications";
  for (const MetricId metric : study::kImpactMetrics) {
    const std::string name = metric_info(metric).name;
    out << ',' << name << "_mean," << name << "_half_width," << name << "_diff_mean," << name
        << "_diff_half_width";
  }
  out << ",detected_after_s_mean,detected_after_s_half_width,detected_in,overloaded\n";
  for (std::size_t p = 0; p < sensitivity.alternatives.size(); ++p) {
    const std::string key = p == 0 ? "" : sensitivity.ranges[sensitivity.range_of[p]].key;
    const std::string value = p == 0 ? "as given" : sensitivity.value_of[p];
    out << csv_field(key) << ',' << csv_field(value) << ',' << result.replications;
    for (std::size_t m = 0; m < study::kImpactMetrics.size(); ++m) {
      const analytic::Interval& i = result.by_metric[m].variants[p];
      const analytic::Interval& d = result.by_metric[m].differences[p];
      out << ',' << format_number(i.mean) << ',' << format_number(i.half_width) << ','
          << format_number(p == 0 ? 0.0 : d.mean) << ','
          << format_number(p == 0 ? 0.0 : d.half_width);
    }
    const study::SensitivityOutcome& outcome = result.outcomes[p];
    out << ',' << format_number(outcome.detected_after_s.mean) << ','
        << format_number(outcome.detected_after_s.half_width) << ',' << outcome.detected_in << ','
        << csv_field(servers_text(outcome.overloaded)) << '\n';
  }
}

}  // namespace lbsim::cli
