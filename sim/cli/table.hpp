#pragma once
// Tables of replicated results, shared by compare, sweep, replay, check and capacity: the terminal
// table of "mean±half-width" cells, and the comparison CSV.
#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "sim/analytic/statistics.hpp"
#include "sim/metrics/catalogue.hpp"

namespace lbsim::cli {

// The comparison as CSV: a header `<label>,metric,mean,ci_low,ci_high,half_width,diff_mean,
// diff_low,diff_high,replications`, then a row per variant (`names`) and metric (`metrics`), the
// diff_* columns against variant 0. compare.csv and whatif.csv; with `verdicts` (one per
// variant), a last column `verdict`.
void write_comparison_csv(std::ostream& out, const std::string& label,
                          const std::vector<std::string>& names,
                          const std::vector<MetricId>& metrics, std::size_t replications,
                          const std::vector<analytic::PairedComparison>& comparisons,
                          const std::vector<std::string>* verdicts = nullptr);

// Columns on a terminal: UTF-8 continuation bytes take none ("±" is one column, two bytes).
[[nodiscard]] std::size_t display_width(const std::string& text);

// "12.35±0.52": the half width to two significant digits and the mean to the same decimals
// (digits beyond the interval's precision are noise); four significant digits when the half
// width is 0; at most 4 decimals. A NaN half width prints the mean alone; "-" when there is no
// mean.
[[nodiscard]] std::string format_estimate(double mean, double half_width, bool show_sign);

// Prints rows under a header, numbers right-aligned, the first column left-aligned. When the
// table is wider than 100 columns, the other columns are split into several blocks, each
// repeating the first column.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

}  // namespace lbsim::cli
