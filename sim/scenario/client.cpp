#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "sim/core/distributions.hpp"
#include "sim/model/observer.hpp"
#include "sim/scenario/clock.hpp"
#include "sim/scenario/csv_reader.hpp"
#include "sim/scenario/fleet.hpp"
#include "sim/scenario/sections.hpp"
#include "sim/scenario/trace.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::loader {
namespace {

using yaml::Node;

// ---- client ------------------------------------------------------------------------------------

std::uint32_t error_kind_bit(ErrorKind kind) {
  return std::uint32_t{1} << static_cast<unsigned>(kind);
}

// Every error kind but kNone, in enum order: what retry_on may name.
KeyList retryable_error_names() {
  KeyList names;
  for (int kind = 1; kind < kErrorKindCount; ++kind) {
    names.emplace_back(error_kind_name(static_cast<ErrorKind>(kind)));
  }
  return names;
}

// 5xx-like answers and connection failures; a timeout is retried only when listed, as Envoy's
// retry_on must name it.
std::uint32_t default_retry_on_mask() {
  return error_kind_bit(ErrorKind::kQueueFull) | error_kind_bit(ErrorKind::kRefused) |
         error_kind_bit(ErrorKind::kCrashLost) | error_kind_bit(ErrorKind::kQueueTimeout);
}

std::uint32_t read_retry_on(const Node& node, const std::string& path) {
  const KeyList names = retryable_error_names();
  const std::string expected = "a list of error kinds (any of " + join(names) + ")";
  expect_list(node, path, expected);
  if (node.items.empty()) {
    fail(node, path,
         "expected " + expected + "; got an empty list (for no retries, set max_attempts: 1)");
  }
  std::uint32_t mask = 0;
  std::map<std::string, SourceLocation, std::less<>> seen;
  for (std::size_t i = 0; i < node.items.size(); ++i) {
    const Node& item = node.items[i];
    const std::string item_path = child(path, std::to_string(i));
    const std::string name = read_choice(item, item_path, names);
    const auto [it, inserted] = seen.try_emplace(name, item.where);
    if (!inserted) {
      fail(item, item_path,
           "duplicate error kind \"" + name + "\" (first at " + it->second.to_string() + ")");
    }
    const auto index = std::find(names.begin(), names.end(), name) - names.begin();
    mask |= error_kind_bit(static_cast<ErrorKind>(index + 1));
  }
  return mask;
}

RetryPolicy read_retries(const Node& node, const std::string& path) {
  expect_map(node, path, "a retry policy like {max_attempts: 3, retry_on: [queue_full]}");
  check_keys(node, path,
             {"max_attempts", "retry_on", "backoff", "max_backoff", "jitter", "avoid_previous_host",
              "budget", "budget_min_retries"});
  RetryPolicy policy;
  policy.max_attempts = static_cast<int>(
      read_integer(require(node, path, "max_attempts"), child(path, "max_attempts"), 1, kIntMax));
  policy.retry_on_mask = default_retry_on_mask();
  if (const Node* retry_on = node.find("retry_on")) {
    policy.retry_on_mask = read_retry_on(*retry_on, child(path, "retry_on"));
  }
  const Node* backoff = node.find("backoff");
  if (backoff != nullptr) {
    policy.backoff_base_ns = read_duration(*backoff, child(path, "backoff"), true);
  }
  // Envoy's max_interval defaults to 10 x base_interval (250ms for the default 25ms).
  policy.backoff_max_ns =
      policy.backoff_base_ns > kInt64Max / 10 ? kInt64Max : 10 * policy.backoff_base_ns;
  if (const Node* max_backoff = node.find("max_backoff")) {
    policy.backoff_max_ns = read_duration(*max_backoff, child(path, "max_backoff"), true);
    if (policy.backoff_max_ns < policy.backoff_base_ns) {
      fail(*max_backoff, child(path, "max_backoff"),
           "expected max_backoff >= backoff (" +
               (backoff != nullptr ? backoff->scalar
                                   : seconds_text(policy.backoff_base_ns) + ", the default") +
               "); got " + max_backoff->describe());
    }
  }
  if (const Node* jitter = node.find("jitter")) {
    const std::string name = read_choice(*jitter, child(path, "jitter"), {"none", "full", "equal"});
    policy.jitter = name == "none"   ? BackoffJitter::kNone
                    : name == "full" ? BackoffJitter::kFull
                                     : BackoffJitter::kEqual;
  }
  if (const Node* avoid = node.find("avoid_previous_host")) {
    policy.avoid_previous_host = read_bool(*avoid, child(path, "avoid_previous_host"));
  }
  const Node* budget = node.find("budget");
  reject_unless(node, path, "budget_min_retries", budget != nullptr, "a budget is set");
  if (budget != nullptr) {
    policy.budget_fraction = parse_at(*budget, child(path, "budget"), "a fraction like 20%",
                                      [](const std::string& text) { return parse_fraction(text); });
  }
  if (const Node* min_retries = node.find("budget_min_retries")) {
    policy.budget_min_retries = static_cast<std::uint32_t>(
        read_integer(*min_retries, child(path, "budget_min_retries"), 0, kUint32Max));
  }
  return policy;
}

}  // namespace
}  // namespace lbsim::loader

namespace lbsim::loader {

using yaml::Node;

ClientConfig read_client(const Node& node, const std::string& path) {
  expect_map(node, path, "a map of client keys");
  check_keys(node, path, {"timeout", "deadline", "retries"});
  ClientConfig client;
  if (const Node* timeout = node.find("timeout")) {
    client.timeout_ns = read_duration(*timeout, child(path, "timeout"), true);
  }
  if (const Node* deadline = node.find("deadline")) {
    client.deadline_ns = read_duration(*deadline, child(path, "deadline"), true);
  }
  if (const Node* retries = node.find("retries")) {
    client.retry = read_retries(*retries, child(path, "retries"));
  }
  return client;
}

}  // namespace lbsim::loader
