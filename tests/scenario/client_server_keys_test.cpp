// The client keys (timeout, deadline, retries) and the server groups' overload map: defaults,
// every value read, the retry_on names mapped to ErrorKind bits, and each error (unknown key,
// wrong type, out-of-range value, a key that needs another, checks across keys) at its exact
// file:line:column. Inline YAML is named "inline.yaml" so locations are exact. Every value here
// is exact (integers, or decimals that parse to the nearest double of the literal compared).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sim/model/observer.hpp"
#include "sim/scenario/scenario.hpp"
#include "test_util.hpp"

namespace lbsim {
namespace {

using test::kDataDir;

Scenario load(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return load_scenario(ScenarioText{yaml, "inline.yaml", kDataDir}, {.overrides = overrides});
}

// Lines 1-5: workload; tests add the servers from line 6.
const std::string kHead =
    "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
    "10ms}\n";
// Lines 1-7: a valid scenario; client tests append from line 8.
const std::string kValid = kHead + "servers:\n  - {group: web, count: 2}\n";

// kValid plus "client:\n  retries:\n" (lines 8-9) and the retry lines given, from line 10.
std::string with_retries(const std::string& retry_lines) {
  return kValid + "client:\n  retries:\n" + retry_lines;
}

// kHead plus one server group (line 7) whose overload map starts on line 8, indented by 6.
std::string with_overload(const std::string& group_keys, const std::string& overload_lines) {
  return kHead + "servers:\n  - group: web\n" + group_keys + "    overload:\n" + overload_lines;
}

std::uint32_t bit(ErrorKind kind) {
  return std::uint32_t{1} << static_cast<unsigned>(kind);
}

TEST_CASE("without client keys or overload there is no deadline, no retry and no overload") {
  const SimulationConfig c = load(kValid).config;
  CHECK(c.client.timeout_ns == 0);
  CHECK(c.client.deadline_ns == 0);
  const RetryPolicy& r = c.client.retry;
  CHECK(r.max_attempts == 1);
  CHECK(r.retry_on_mask == 0);
  CHECK(r.budget_fraction < 0.0);
  const OverloadConfig& o = c.servers[0].overload;
  CHECK(o.knee == 0);
  CHECK(o.slowdown == 0.0);
  CHECK(o.crash_queue == -1);
  CHECK(o.restart_ns == 30 * kSecond);
  CHECK(o.cold_start_ns == 0);
  CHECK(o.cold_factor == 1.0);
  CHECK(o.queue_timeout_ns == 0);
}

TEST_CASE("a retries map with only max_attempts takes Envoy's defaults") {
  const RetryPolicy r = load(with_retries("    max_attempts: 3\n")).config.client.retry;
  CHECK(r.max_attempts == 3);
  // queue_full (1), refused (3), crash_lost (6), queue_timeout (9): 2 + 8 + 64 + 512.
  CHECK(r.retry_on_mask == 586u);
  CHECK(r.retry_on_mask == (bit(ErrorKind::kQueueFull) | bit(ErrorKind::kRefused) |
                            bit(ErrorKind::kCrashLost) | bit(ErrorKind::kQueueTimeout)));
  CHECK(r.backoff_base_ns == 25 * kMillisecond);
  CHECK(r.backoff_max_ns == 250 * kMillisecond);
  CHECK(r.jitter == BackoffJitter::kFull);
  CHECK_FALSE(r.avoid_previous_host);
  CHECK(r.budget_fraction < 0.0);
  CHECK(r.budget_min_retries == 3u);
}

TEST_CASE("every client key is read") {
  const ClientConfig c = load(kValid + R"(client:
  timeout: 2s
  deadline: 10s
  retries:
    max_attempts: 4
    retry_on: [queue_full, timeout, refused, crash_lost, queue_timeout]
    backoff: 40ms
    max_backoff: 1s
    jitter: equal
    avoid_previous_host: true
    budget: 20%
    budget_min_retries: 5
)")
                             .config.client;
  CHECK(c.timeout_ns == 2 * kSecond);
  CHECK(c.deadline_ns == 10 * kSecond);
  const RetryPolicy& r = c.retry;
  CHECK(r.max_attempts == 4);
  CHECK(r.retry_on_mask == 590u);  // bits 1, 2, 3, 6, 9
  CHECK(r.backoff_base_ns == 40 * kMillisecond);
  CHECK(r.backoff_max_ns == kSecond);
  CHECK(r.jitter == BackoffJitter::kEqual);
  CHECK(r.avoid_previous_host);
  CHECK(r.budget_fraction == 0.2);  // "20%": 20 / 100, correctly rounded
  CHECK(r.budget_min_retries == 5u);
}

TEST_CASE("retry keys at their bounds; max_backoff defaults to 10 x backoff (Envoy)") {
  const RetryPolicy r = load(with_retries("    max_attempts: 1\n    backoff: 100ms\n    jitter: "
                                          "none\n    budget: 0\n    budget_min_retries: 0\n"))
                            .config.client.retry;
  CHECK(r.max_attempts == 1);
  CHECK(r.backoff_base_ns == 100 * kMillisecond);
  CHECK(r.backoff_max_ns == kSecond);
  CHECK(r.jitter == BackoffJitter::kNone);
  CHECK(r.budget_fraction == 0.0);
  CHECK(r.budget_min_retries == 0u);
  // max_backoff == backoff is allowed (a constant back-off); a budget of 100% too.
  const RetryPolicy constant =
      load(with_retries("    max_attempts: 2\n    backoff: 50ms\n    max_backoff: 50ms\n    "
                        "jitter: full\n    budget: 1\n"))
          .config.client.retry;
  CHECK(constant.backoff_base_ns == 50 * kMillisecond);
  CHECK(constant.backoff_max_ns == 50 * kMillisecond);
  CHECK(constant.jitter == BackoffJitter::kFull);
  CHECK(constant.budget_fraction == 1.0);
}

TEST_CASE("each retry_on name sets the bit of its error kind") {
  for (int kind = 1; kind < kErrorKindCount; ++kind) {
    const std::string name(error_kind_name(static_cast<ErrorKind>(kind)));
    INFO("retry_on: [" << name << "]");
    const RetryPolicy r = load(with_retries("    max_attempts: 2\n    retry_on: [" + name + "]\n"))
                              .config.client.retry;
    CHECK(r.retry_on_mask == std::uint32_t{1} << kind);
  }
}

TEST_CASE("client errors: unknown keys, types and ranges") {
  CHECK_CONFIG_ERROR(load(kValid + "client: {timeout: 2s, retry: {max_attempts: 2}}\n"),
                     "inline.yaml", 8, 23,
                     "unknown key \"retry\" in client; valid keys: timeout, deadline, retries");
  CHECK_CONFIG_ERROR(load(kValid + "client: {deadline: 0s}\n"), "inline.yaml", 8, 20,
                     "client.deadline: expected a duration > 0; got \"0s\"");
  CHECK_CONFIG_ERROR(load(kValid + "client: {deadline: 10}\n"), "inline.yaml", 8, 20,
                     "client.deadline: expected a duration");
  CHECK_CONFIG_ERROR(load(kValid + "client: {retries: 3}\n"), "inline.yaml", 8, 19,
                     "client.retries: expected a retry policy like {max_attempts: 3");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 3\n    retry_budget: 20%\n")),
                     "inline.yaml", 11, 5,
                     "unknown key \"retry_budget\" in client.retries; valid keys: max_attempts, "
                     "retry_on, backoff, max_backoff, jitter, avoid_previous_host, budget, "
                     "budget_min_retries");
  CHECK_CONFIG_ERROR(load(with_retries("    backoff: 25ms\n")), "inline.yaml", 10, 5,
                     "missing required key \"max_attempts\" in client.retries");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 0\n")), "inline.yaml", 10, 19,
                     "client.retries.max_attempts: expected an integer >= 1; got \"0\"");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 2.5\n")), "inline.yaml", 10, 19,
                     "client.retries.max_attempts: expected an integer >= 1");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 2\n    backoff: 0ms\n")), "inline.yaml",
                     11, 14, "client.retries.backoff: expected a duration > 0; got \"0ms\"");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 2\n    jitter: partial\n")),
                     "inline.yaml", 11, 13,
                     "client.retries.jitter: expected one of none, full, equal; got \"partial\"");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 2\n    avoid_previous_host: yes\n")),
                     "inline.yaml", 11, 26,
                     "client.retries.avoid_previous_host: expected true or false; got \"yes\"");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 2\n    budget: 120%\n")), "inline.yaml",
                     11, 13, "client.retries.budget: expected a fraction");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 2\n    budget: -0.1\n")), "inline.yaml",
                     11, 13, "client.retries.budget: expected a fraction");
  CHECK_CONFIG_ERROR(
      load(with_retries("    max_attempts: 2\n    budget: 20%\n    budget_min_retries: -1\n")),
      "inline.yaml", 12, 25, "client.retries.budget_min_retries: expected an integer >= 0");
}

TEST_CASE("retry_on errors: not a list, empty, unknown name, none, duplicate") {
  const std::string kinds =
      "any of queue_full, timeout, refused, no_healthy_backend, circuit_open, crash_lost, "
      "lb_queue_full, lb_queue_timeout, queue_timeout";
  CHECK_CONFIG_ERROR(
      load(with_retries("    max_attempts: 2\n    retry_on: timeout\n")), "inline.yaml", 11, 15,
      "client.retries.retry_on: expected a list of error kinds (" + kinds + "); got \"timeout\"");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 2\n    retry_on: []\n")), "inline.yaml",
                     11, 15, "got an empty list (for no retries, set max_attempts: 1)");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 2\n    retry_on: [timeout, 5xx]\n")),
                     "inline.yaml", 11, 25,
                     "client.retries.retry_on.1: expected one of queue_full, timeout, refused");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 2\n    retry_on: [none]\n")),
                     "inline.yaml", 11, 16, "client.retries.retry_on.0: expected one of");
  CHECK_CONFIG_ERROR(
      load(with_retries("    max_attempts: 2\n    retry_on: [refused, timeout, refused]\n")),
      "inline.yaml", 11, 34,
      "client.retries.retry_on.2: duplicate error kind \"refused\" (first at inline.yaml:11:16)");
}

TEST_CASE("retry keys that need another: max_backoff >= backoff, budget_min_retries needs budget") {
  CHECK_CONFIG_ERROR(
      load(with_retries("    max_attempts: 2\n    backoff: 100ms\n    max_backoff: 50ms\n")),
      "inline.yaml", 12, 18,
      "client.retries.max_backoff: expected max_backoff >= backoff (100ms); got \"50ms\"");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 2\n    max_backoff: 10ms\n")),
                     "inline.yaml", 11, 18,
                     "client.retries.max_backoff: expected max_backoff >= backoff (0.025s, the "
                     "default); got \"10ms\"");
  CHECK_CONFIG_ERROR(load(with_retries("    max_attempts: 2\n    budget_min_retries: 3\n")),
                     "inline.yaml", 11, 5,
                     "client.retries.budget_min_retries: expected no budget_min_retries unless a "
                     "budget is set");
}

TEST_CASE("every overload key is read") {
  const ServerGroupConfig g = load(with_overload("    workers: 8\n    queue_limit: 200\n",
                                                 R"(      knee: 6
      slowdown: 0.25
      crash_queue: 150
      restart: 45s
      cold_start: 60s
      cold_factor: 3
      queue_timeout: 2s
)"))
                                  .config.servers[0];
  CHECK(g.workers == 8);
  CHECK(g.queue_limit == 200);
  const OverloadConfig& o = g.overload;
  CHECK(o.knee == 6);
  CHECK(o.slowdown == 0.25);
  CHECK(o.crash_queue == 150);
  CHECK(o.restart_ns == 45 * kSecond);
  CHECK(o.cold_start_ns == kMinute);
  CHECK(o.cold_factor == 3.0);
  CHECK(o.queue_timeout_ns == 2 * kSecond);
}

TEST_CASE("overload keys at their bounds, and defaults of the keys not given") {
  // knee == workers and crash_queue == queue_limit are allowed (reachable); crash_queue 0 too.
  const OverloadConfig o =
      load(with_overload("    workers: 4\n    queue_limit: 10\n",
                         "      knee: 4\n      slowdown: 1e-3\n      crash_queue: 10\n"))
          .config.servers[0]
          .overload;
  CHECK(o.knee == 4);
  CHECK(o.slowdown == 1e-3);
  CHECK(o.crash_queue == 10);
  CHECK(o.restart_ns == 30 * kSecond);
  CHECK(o.cold_start_ns == 0);
  CHECK(o.cold_factor == 1.0);
  CHECK(o.queue_timeout_ns == 0);
  CHECK(
      load(with_overload("", "      crash_queue: 0\n      cold_start: 1s\n      cold_factor: 1\n"))
          .config.servers[0]
          .overload.crash_queue == 0);
  // An unbounded queue admits any crash threshold; an empty map is all defaults.
  CHECK(load(with_overload("", "      crash_queue: 1000000\n"))
            .config.servers[0]
            .overload.crash_queue == 1000000);
  CHECK(
      load(kHead + "servers:\n  - {group: web, overload: {}}\n").config.servers[0].overload.knee ==
      0);
}

TEST_CASE("overload errors: unknown key, types and ranges") {
  CHECK_CONFIG_ERROR(load(with_overload("", "      knees: 6\n")), "inline.yaml", 9, 7,
                     "unknown key \"knees\" in servers.0.overload; valid keys: knee, slowdown, "
                     "crash_queue, restart, cold_start, cold_factor, queue_timeout");
  CHECK_CONFIG_ERROR(load(kHead + "servers:\n  - {group: web, overload: 6}\n"), "inline.yaml", 7,
                     28, "servers.0.overload: expected a map of overload keys");
  CHECK_CONFIG_ERROR(load(kHead + "servers:\n  - {group: web, overlaod: {}}\n"), "inline.yaml", 7,
                     18,
                     "unknown key \"overlaod\" in servers.0; valid keys: group, count, workers, "
                     "queue_limit, weight, speed, max_connections, join_at, down, overload");
  CHECK_CONFIG_ERROR(load(with_overload("    workers: 2\n", "      knee: 0\n      slowdown: 1\n")),
                     "inline.yaml", 10, 13,
                     "servers.0.overload.knee: expected an integer >= 1; got \"0\"");
  CHECK_CONFIG_ERROR(load(with_overload("    workers: 2\n", "      knee: 1\n      slowdown: 0\n")),
                     "inline.yaml", 11, 17,
                     "servers.0.overload.slowdown: expected a finite number > 0; got \"0\"");
  CHECK_CONFIG_ERROR(load(with_overload("", "      crash_queue: -1\n")), "inline.yaml", 9, 20,
                     "servers.0.overload.crash_queue: expected an integer >= 0");
  CHECK_CONFIG_ERROR(load(with_overload("", "      crash_queue: 5\n      restart: 0s\n")),
                     "inline.yaml", 10, 16,
                     "servers.0.overload.restart: expected a duration > 0; got \"0s\"");
  CHECK_CONFIG_ERROR(load(with_overload("", "      cold_start: 0s\n      cold_factor: 2\n")),
                     "inline.yaml", 9, 19,
                     "servers.0.overload.cold_start: expected a duration > 0; got \"0s\"");
  CHECK_CONFIG_ERROR(load(with_overload("", "      cold_start: 1m\n      cold_factor: 0.5\n")),
                     "inline.yaml", 10, 20,
                     "servers.0.overload.cold_factor: expected a finite number >= 1; got \"0.5\"");
  CHECK_CONFIG_ERROR(load(with_overload("", "      queue_timeout: 0ms\n")), "inline.yaml", 9, 22,
                     "servers.0.overload.queue_timeout: expected a duration > 0; got \"0ms\"");
}

TEST_CASE("overload keys that need another key") {
  CHECK_CONFIG_ERROR(load(with_overload("    workers: 8\n", "      knee: 6\n")), "inline.yaml", 10,
                     7, "servers.0.overload.knee: expected slowdown with knee");
  CHECK_CONFIG_ERROR(load(with_overload("", "      slowdown: 0.5\n")), "inline.yaml", 9, 7,
                     "servers.0.overload.slowdown: expected knee with slowdown");
  CHECK_CONFIG_ERROR(load(with_overload("", "      cold_start: 1m\n")), "inline.yaml", 9, 7,
                     "servers.0.overload.cold_start: expected cold_factor with cold_start");
  CHECK_CONFIG_ERROR(load(with_overload("", "      cold_factor: 3\n")), "inline.yaml", 9, 7,
                     "servers.0.overload.cold_factor: expected cold_start with cold_factor");
  CHECK_CONFIG_ERROR(load(with_overload("", "      restart: 10s\n")), "inline.yaml", 9, 7,
                     "servers.0.overload.restart: expected no restart unless crash_queue is set");
}

TEST_CASE("overload checks across keys: knee <= workers, crash_queue <= a bounded queue_limit") {
  // workers defaults to 1.
  CHECK_CONFIG_ERROR(load(with_overload("", "      knee: 2\n      slowdown: 0.5\n")), "inline.yaml",
                     9, 13,
                     "servers.0.overload.knee: expected knee <= workers (1 in group \"web\": busy "
                     "workers can never exceed it); got \"2\"");
  // workers written after the overload map still counts.
  CHECK_CONFIG_ERROR(load(kHead + "servers:\n  - group: web\n    overload: {knee: 5, slowdown: "
                                  "1}\n    workers: 4\n"),
                     "inline.yaml", 8, 22, "expected knee <= workers (4 in group \"web\"");
  CHECK_CONFIG_ERROR(load(with_overload("    queue_limit: 100\n", "      crash_queue: 150\n")),
                     "inline.yaml", 10, 20,
                     "servers.0.overload.crash_queue: crash_queue 150 can never be reached: "
                     "queue_limit is 100");
  CHECK_CONFIG_ERROR(load(with_overload("    queue_limit: 0\n", "      crash_queue: 1\n")),
                     "inline.yaml", 10, 20, "crash_queue 1 can never be reached: queue_limit is 0");
}

TEST_CASE("overload is YAML only: not in a fleet CSV, nor beside file") {
  CHECK_CONFIG_ERROR(load(kHead + "servers:\n  - {file: fleet_overload_column.csv}\n"),
                     kDataDir + "/fleet_overload_column.csv", 1, 13,
                     "unknown column \"knee\", \"slowdown\"; valid columns: group, count, "
                     "workers, queue_limit, weight, speed, max_connections, join_at, down; overload "
                     "settings (knee, slowdown, crash_queue, restart, cold_start, cold_factor, "
                     "queue_timeout) can be set only in the scenario YAML");
  // A misspelt ordinary column gets no such note.
  const auto plain = test::config_error(
      [] { (void)load(kHead + "servers:\n  - {file: fleet_unknown_column.csv}\n"); });
  REQUIRE(plain.has_value());
  CHECK_FALSE(test::mentions(plain->message(), "overload"));
  CHECK_CONFIG_ERROR(load(kHead + "servers:\n  - {file: fleet_good.csv, overload: {}}\n"),
                     "inline.yaml", 7, 28, "an entry with file takes no other keys");
}

TEST_CASE("--set reaches the new keys, and their errors are located at the override") {
  const SimulationConfig c =
      load(kValid, {"client.retries={max_attempts: 3, retry_on: [timeout]}", "servers.0.workers=4",
                    "servers.0.overload={knee: 2, slowdown: 0.5}"})
          .config;
  CHECK(c.client.retry.max_attempts == 3);
  CHECK(c.client.retry.retry_on_mask == bit(ErrorKind::kTimeout));
  CHECK(c.servers[0].overload.knee == 2);
  CHECK(c.servers[0].overload.slowdown == 0.5);
  CHECK_CONFIG_ERROR(load(kValid, {"servers.0.overload={knee: 3, slowdown: 0.5}"}),
                     "--set servers.0.overload", 0, 0, "expected knee <= workers (1");
  CHECK_CONFIG_ERROR(load(kValid, {"client.deadline=0s"}), "--set client.deadline", 0, 0,
                     "client.deadline: expected a duration > 0");
}

}  // namespace
}  // namespace lbsim
