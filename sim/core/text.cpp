#include "sim/core/text.hpp"

#include <sstream>

namespace lbsim {

std::string format_significant(double value, int digits) {
  std::ostringstream out;
  out.precision(digits);
  out << value;
  return out.str();
}

}  // namespace lbsim
