#pragma once
// Helpers shared by the scenario tests.
#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "sim/core/error.hpp"

namespace lbsim::test {

inline const std::string kDataDir = std::string(LBSIM_TEST_DATA_DIR) + "/scenario";

// Runs `body`, which must throw ConfigError; returns it (or nullopt, failing the test).
template <class Body>
std::optional<ConfigError> config_error(Body body) {
  try {
    body();
  } catch (const ConfigError& error) {
    return error;
  }
  FAIL_CHECK("expected a ConfigError");
  return std::nullopt;
}

// The message contains `part`.
inline bool mentions(const std::string& message, const std::string& part) {
  return message.find(part) != std::string::npos;
}

}  // namespace lbsim::test

// Asserts an error's exact location and that its message mentions `part`.
#define CHECK_CONFIG_ERROR(call, file_, line_, column_, part)                \
  do {                                                                       \
    const auto caught_ = ::lbsim::test::config_error([&] { (void)(call); }); \
    REQUIRE(caught_.has_value());                                            \
    INFO("what(): " << std::string(caught_->what()));                        \
    CHECK(caught_->where().file == (file_));                                 \
    CHECK(caught_->where().line == (line_));                                 \
    CHECK(caught_->where().column == (column_));                             \
    CHECK(::lbsim::test::mentions(caught_->message(), (part)));              \
  } while (false)
