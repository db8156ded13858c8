#pragma once
// SHA-256 (FIPS 180-4), for the scenario hash a run directory records (run.json's
// scenario_sha256): a run can be traced to the exact bytes of the file it was made from.
#include <string>
#include <string_view>

namespace lbsim {

// The digest of `data` as 64 lowercase hex digits.
[[nodiscard]] std::string sha256_hex(std::string_view data);

}  // namespace lbsim
