#pragma once
// Number and field formatting shared by every CSV and JSON writer: shortest round-trip decimal
// form (so files are byte-identical across runs and lossless), empty for "no value".
#include <string>
#include <string_view>

namespace lbsim {

// Shortest representation that parses back to the same double; "" for NaN.
[[nodiscard]] std::string format_number(double value);
// A CSV field, quoted (RFC 4180) when it holds a comma, quote or newline.
[[nodiscard]] std::string csv_field(std::string_view text);

}  // namespace lbsim
