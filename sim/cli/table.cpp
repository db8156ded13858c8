#include "sim/cli/table.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

#include "sim/metrics/csv_format.hpp"

namespace lbsim::cli {

namespace {
constexpr std::size_t kTableWidth = 100;
}  // namespace

unsigned default_threads() {
  return std::max(1u, std::thread::hardware_concurrency());
}

std::vector<std::vector<double>> run_parallel(
    std::size_t count, unsigned threads, const std::function<std::vector<double>(std::size_t)>& job,
    const std::string& label, bool show_progress) {
  std::vector<std::vector<double>> results(count);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> finished{0};
  std::mutex mutex;  // guards failure and the progress line
  std::exception_ptr failure;
  const bool draw = show_progress && ::isatty(STDERR_FILENO) != 0;

  const auto worker = [&] {
    for (std::size_t index = next++; index < count; index = next++) {
      try {
        results[index] = job(index);
      } catch (...) {
        const std::lock_guard lock(mutex);
        if (!failure) failure = std::current_exception();
        next = count;  // the other workers stop after their current run
        return;
      }
      const std::size_t done = ++finished;
      if (draw) {
        const std::lock_guard lock(mutex);
        std::fprintf(stderr, "\r  %s: %zu / %zu runs done", label.c_str(), done, count);
        if (done == count) std::fputs("\n", stderr);
        std::fflush(stderr);
      }
    }
  };
  {
    std::vector<std::jthread> pool;
    const auto workers = static_cast<std::size_t>(std::max(1u, threads));
    for (std::size_t i = 0; i < std::min(workers, count); ++i) pool.emplace_back(worker);
  }  // joins
  if (failure) std::rethrow_exception(failure);
  return results;
}

std::vector<analytic::PairedComparison> compare_columns(
    const std::vector<std::vector<double>>& rows, std::size_t variants, std::size_t replications,
    std::size_t metrics, double confidence) {
  std::vector<analytic::PairedComparison> comparisons;
  for (std::size_t m = 0; m < metrics; ++m) {
    Eigen::MatrixXd samples(static_cast<Eigen::Index>(replications),
                            static_cast<Eigen::Index>(variants));
    for (std::size_t v = 0; v < variants; ++v) {
      for (std::size_t r = 0; r < replications; ++r) {
        samples(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(v)) =
            rows[v * replications + r][m];
      }
    }
    comparisons.push_back(analytic::paired_comparison(samples, confidence));
  }
  return comparisons;
}

void write_comparison_csv(std::ostream& out, const std::string& label,
                          const std::vector<std::string>& names,
                          const std::vector<std::string>& metrics, std::size_t replications,
                          const std::vector<analytic::PairedComparison>& comparisons) {
  out << label
      << ",metric,mean,ci_low,ci_high,half_width,diff_mean,diff_low,diff_high,replications\n";
  for (std::size_t v = 0; v < names.size(); ++v) {
    for (std::size_t m = 0; m < metrics.size(); ++m) {
      const analytic::Interval& value = comparisons[m].variants[v];
      const analytic::Interval& difference = comparisons[m].differences[v];
      out << csv_field(names[v]) << ',' << metrics[m] << ',' << format_number(value.mean) << ','
          << format_number(value.low) << ',' << format_number(value.high) << ','
          << format_number(value.half_width) << ',' << format_number(difference.mean) << ','
          << format_number(difference.low) << ',' << format_number(difference.high) << ','
          << replications << '\n';
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
