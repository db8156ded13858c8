#pragma once
// lbsim replay --sensitivity, its table in the story and sensitivity.csv (the study is
// sim/study/sensitivity.hpp).
#include <ostream>

#include "sim/study/sensitivity.hpp"

namespace lbsim::cli {

// Per range: a table of the headline figures at each value beside the scenario as given, which
// figures move measurably across the range, and whether the overloaded servers stay the same.
void print_sensitivity(std::ostream& out, const study::SensitivityStudy& sensitivity,
                       const study::SensitivityResult& result);

// sensitivity.csv: one row per point (the scenario as given first), each impact metric's mean
// and 95% half-width, its paired difference against the scenario as given, the time to detect
// and the servers named overloaded.
void write_sensitivity_csv(std::ostream& out, const study::SensitivityStudy& sensitivity,
                           const study::SensitivityResult& result);

}  // namespace lbsim::cli
