#pragma once
// Numbers in messages, narratives and tables, written one way: `digits` significant digits in
// the shortest form iostreams give (0.25, 1500, 1e+06). Machine-read outputs (CSV, JSON) use the
// shortest round-trip form instead (sim/metrics/csv_format.hpp).
#include <string>

namespace lbsim {

[[nodiscard]] std::string format_significant(double value, int digits);

}  // namespace lbsim
