#pragma once
// Errors in user input. Every such error names where it was found (file:line:column, 1-based)
// and what was expected; the CLI prints what() and exits with status 2.
#include <stdexcept>
#include <string>

namespace lbsim {

struct SourceLocation {
  std::string file;  // empty: not from a file (command line, built in code)
  int line = 0;      // 1-based; 0 = unknown
  int column = 0;    // 1-based; 0 = unknown

  [[nodiscard]] std::string to_string() const;
};

class ConfigError : public std::runtime_error {
 public:
  ConfigError(SourceLocation where, const std::string& message);
  [[nodiscard]] const SourceLocation& where() const { return where_; }
  [[nodiscard]] const std::string& message() const { return message_; }

 private:
  SourceLocation where_;
  std::string message_;
};

}  // namespace lbsim
