#pragma once
// Replicated runs and their tables, shared by compare, replay and check: a parallel runner whose
// results do not depend on scheduling, and the terminal table of "mean±half-width" cells.
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "sim/analytic/statistics.hpp"

namespace lbsim::cli {

// Runs job(0) .. job(count - 1) on up to `threads` threads and returns their results in index
// order. Each job must write nothing shared. The first exception a job throws is rethrown here
// (the other workers stop after their current job). With `show_progress` and a terminal on
// stderr, draws "<label>: i / count runs done".
[[nodiscard]] std::vector<std::vector<double>> run_parallel(
    std::size_t count, unsigned threads, const std::function<std::vector<double>(std::size_t)>& job,
    const std::string& label, bool show_progress);

// run_parallel's rows for `variants` x `replications` runs (run i = variant i / R, replication
// i % R), each row `metrics` values: one paired comparison per metric, variant 0 the baseline.
[[nodiscard]] std::vector<analytic::PairedComparison> compare_columns(
    const std::vector<std::vector<double>>& rows, std::size_t variants, std::size_t replications,
    std::size_t metrics, double confidence = 0.95);

// The comparison as CSV: a header `<label>,metric,mean,ci_low,ci_high,half_width,diff_mean,
// diff_low,diff_high,replications`, then a row per variant (`names`) and metric (`metrics`), the
// diff_* columns against variant 0. compare.csv and whatif.csv.
void write_comparison_csv(std::ostream& out, const std::string& label,
                          const std::vector<std::string>& names,
                          const std::vector<std::string>& metrics, std::size_t replications,
                          const std::vector<analytic::PairedComparison>& comparisons);

// The default thread count: the hardware's, at least 1.
[[nodiscard]] unsigned default_threads();

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
