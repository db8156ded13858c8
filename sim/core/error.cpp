#include "sim/core/error.hpp"

namespace lbsim {

std::string SourceLocation::to_string() const {
  std::string s = file.empty() ? std::string("<input>") : file;
  if (line > 0) {
    s += ':' + std::to_string(line);
    if (column > 0) s += ':' + std::to_string(column);
  }
  return s;
}

ConfigError::ConfigError(SourceLocation where, const std::string& message)
    : std::runtime_error(where.to_string() + ": " + message),
      where_(std::move(where)),
      message_(message) {}

}  // namespace lbsim
