#include "sim/cli/table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sim/metrics/csv_format.hpp"

namespace lbsim::cli {

namespace {
constexpr std::size_t kTableWidth = 100;
}  // namespace

void write_comparison_csv(std::ostream& out, const std::string& label,
                          const std::vector<std::string>& names,
                          const std::vector<MetricId>& metrics, std::size_t replications,
                          const std::vector<analytic::PairedComparison>& comparisons,
                          const std::vector<std::string>* verdicts) {
  out << label << ",metric,mean,ci_low,ci_high,half_width,diff_mean,diff_low,diff_high,replications"
      << (verdicts != nullptr ? ",verdict\n" : "\n");
  for (std::size_t v = 0; v < names.size(); ++v) {
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const analytic::Interval& value = comparisons[m].variants[v];
      const analytic::Interval& difference = comparisons[m].differences[v];
      out << csv_field(names[v]) << ',' << metric_info(metrics[m]).name << ','
          << format_number(value.mean) << ',' << format_number(value.low) << ','
          << format_number(value.high) << ',' << format_number(value.half_width) << ','
          << format_number(difference.mean) << ',' << format_number(difference.low) << ','
          << format_number(difference.high) << ',' << replications;
      if (verdicts != nullptr) out << ',' << (*verdicts)[v];
      out << '\n';
    }
  }
}

std::size_t display_width(const std::string& text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string format_estimate(double mean, double half_width, bool show_sign) {
  if (std::isnan(mean)) return "-";
  if (mean == 0.0) mean = 0.0;  // -0 prints as 0
  const auto decimals_for = [](double value, int significant) {
    if (!(value != 0.0) || !std::isfinite(value)) return 0;
    const int magnitude = static_cast<int>(std::floor(std::log10(std::abs(value))));
    // At most 4 decimals: enough for ratios near 1 (imbalance), and a rounding-level difference
    // (1e-17) prints as 0 rather than as a column of zeros.
    return std::clamp(significant - 1 - magnitude, 0, 4);
  };
  const bool spread = std::isfinite(half_width) && half_width > 0.0;
  const int decimals = spread ? decimals_for(half_width, 2) : decimals_for(mean, 4);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, show_sign ? "%+.*f" : "%.*f", decimals, mean);
  std::string text = buffer;
  if (std::isnan(half_width)) return text;
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, half_width);
  return text + "\u00b1" + buffer;
}

void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    widths[c] = display_width(header[c]);
    for (const auto& row : rows) widths[c] = std::max(widths[c], display_width(row[c]));
  }
  const auto pad = [](const std::string& text, std::size_t width, bool left) {
    const std::string fill(width - std::min(width, display_width(text)), ' ');
    return left ? text + fill : fill + text;
  };
  std::size_t first = 1;
  while (first < header.size()) {
    std::size_t last = first;  // exclusive
    std::size_t used = widths[0];
    while (last < header.size() && (last == first || used + 2 + widths[last] <= kTableWidth)) {
      used += 2 + widths[last];
      ++last;
    }
    out << pad(header[0], widths[0], true);
    for (std::size_t c = first; c < last; ++c) out << "  " << pad(header[c], widths[c], false);
    out << '\n';
    for (const auto& row : rows) {
      out << pad(row[0], widths[0], true);
      for (std::size_t c = first; c < last; ++c) out << "  " << pad(row[c], widths[c], false);
      out << '\n';
    }
    first = last;
    if (first < header.size()) out << '\n';
  }
}

}  // namespace lbsim::cli
