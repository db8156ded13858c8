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
#include "sim/model/run_info.hpp"
#include "sim/scenario/clock.hpp"
#include "sim/scenario/csv_reader.hpp"
#include "sim/scenario/fleet.hpp"
#include "sim/scenario/sections.hpp"
#include "sim/scenario/trace.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::loader {
namespace {

using yaml::MapEntry;
using yaml::Node;

OptionValue read_option(const OptionSpec& spec, const Node& node, const std::string& path) {
  switch (spec.type) {
    case OptionType::kInteger: {
      const std::int64_t min = to_int64_bound(std::ceil(spec.min));
      const std::int64_t max = to_int64_bound(std::floor(spec.max));
      return static_cast<double>(read_integer(node, path, min, max));
    }
    case OptionType::kReal: {
      const std::string expected = "a finite number " + range_text(spec.min, spec.max, "");
      const double value = parse_at(node, path, expected, [&](const std::string& text) {
        const double number = parse_finite_number(text);
        if (number < spec.min || number > spec.max) {
          throw std::invalid_argument("expected " + expected + "; got \"" + text + "\"");
        }
        return number;
      });
      return value;
    }
    case OptionType::kDuration: {
      const double seconds = seconds_of(read_duration(node, path, false));
      if (seconds < spec.min || seconds > spec.max) {
        fail(node, path,
             "expected a duration " + range_text(spec.min, spec.max, "s") + "; got " +
                 node.describe());
      }
      return seconds;
    }
    case OptionType::kChoice:
      return read_choice(node, path, spec.choices);
  }
  return 0.0;
}

SlowStartConfig read_slow_start(const Node& node, const std::string& path) {
  expect_map(node, path, "a slow-start map like {mode: envoy, window: 30s}");
  check_keys(node, path, {"mode", "window", "aggression", "min_weight_percent", "update"});
  SlowStartConfig config;
  const std::string mode =
      read_choice(require(node, path, "mode"), child(path, "mode"), {"envoy", "haproxy"});
  config.mode = mode == "envoy" ? SlowStartMode::kEnvoy : SlowStartMode::kHaproxy;
  config.window_ns = read_duration(require(node, path, "window"), child(path, "window"), true);
  const bool envoy = config.mode == SlowStartMode::kEnvoy;
  reject_unless(node, path, "aggression", envoy, "mode: envoy");
  reject_unless(node, path, "min_weight_percent", envoy, "mode: envoy");
  if (const Node* aggression = node.find("aggression")) {
    config.aggression = read_number(*aggression, child(path, "aggression"), 0.0, false);
  }
  if (const Node* min_weight = node.find("min_weight_percent")) {
    config.min_weight_fraction =
        parse_at(*min_weight, child(path, "min_weight_percent"), "a fraction like 10%",
                 [](const std::string& text) { return parse_fraction(text); });
  }
  if (const Node* update = node.find("update")) {
    config.update_ns = read_duration(*update, child(path, "update"), true);
  }
  return config;
}

}  // namespace
}  // namespace lbsim::loader

namespace lbsim::loader {

using yaml::MapEntry;
using yaml::Node;

// HAProxy observe / error-limit / on-error inside a health_check map.
void read_observe(const Node& node, const std::string& path, bool l4, HealthCheckConfig& config) {
  if (const Node* observe = node.find("observe")) {
    const std::string mode = read_choice(*observe, child(path, "observe"), {"layer4", "layer7"});
    if (mode == "layer7" && l4) {
      fail(*observe, child(path, "observe"),
           "layer7 needs HTTP (HAProxy: observe layer7 requires mode http); with unit: "
           "connection expected observe: layer4");
    }
    config.observe = mode == "layer4" ? HealthCheckConfig::Observe::kLayer4
                                      : HealthCheckConfig::Observe::kLayer7;
  }
  for (const char* key : {"error_limit", "on_error"}) {
    reject_unless(node, path, key, config.observe != HealthCheckConfig::Observe::kOff,
                  "observe: layer4 or layer7 (HAProxy error-limit and on-error act on what "
                  "observe sees)");
  }
  if (const Node* limit = node.find("error_limit")) {
    config.error_limit =
        static_cast<int>(read_integer(*limit, child(path, "error_limit"), 1, kIntMax));
  }
  if (const Node* on_error = node.find("on_error")) {
    if (on_error->kind == yaml::NodeKind::kScalar && on_error->scalar == "fastinter") {
      fail(*on_error, child(path, "on_error"),
           "fastinter is not modelled (it only shortens the next check's interval, and lbsim has "
           "no fastinter interval); expected fail-check, sudden-death or mark-down");
    }
    const std::string action = read_choice(*on_error, child(path, "on_error"),
                                           {"fail-check", "sudden-death", "mark-down"});
    config.on_error = action == "fail-check"     ? HealthCheckConfig::OnError::kFailCheck
                      : action == "sudden-death" ? HealthCheckConfig::OnError::kSuddenDeath
                                                 : HealthCheckConfig::OnError::kMarkDown;
  }
}

HealthCheckConfig read_health_check(const Node& node, const std::string& path, bool l4) {
  expect_feature_map(node, path, "a map of health-check keys like {interval: 2s, fall: 3}");
  check_keys(node, path,
             {"type", "interval", "timeout", "rise", "fall", "out_of_band", "probe_demand",
              "observe", "error_limit", "on_error"});
  HealthCheckConfig config;
  config.enabled = true;
  // HAProxy's `check` in mode tcp is a connect, unless option httpchk; Envoy's tcp_health_check
  // likewise. In L7 the default is an HTTP check served like a request.
  config.tcp = l4;
  if (const Node* type = node.find("type")) {
    config.tcp = read_choice(*type, child(path, "type"), {"tcp", "http"}) == "tcp";
  }
  read_observe(node, path, l4, config);
  if (config.tcp) {
    for (const char* key : {"out_of_band", "probe_demand"}) {
      reject_unless(node, path, key, false,
                    "type: http (a TCP check is a connect: the kernel answers it, it does no "
                    "work on the server" +
                        std::string(l4 ? ", and with unit: connection it is the default)" : ")"));
    }
  }
  const Node* interval = node.find("interval");
  if (interval != nullptr) {
    config.interval_ns = read_duration(*interval, child(path, "interval"), true);
  }
  const Node* timeout = node.find("timeout");
  if (timeout != nullptr) {
    config.timeout_ns = read_duration(*timeout, child(path, "timeout"), true);
  }
  // A probe still unanswered when the next one is due would overlap it: timeout <= interval.
  if (config.timeout_ns > config.interval_ns) {
    if (timeout != nullptr) {
      fail(*timeout, child(path, "timeout"),
           "expected timeout <= interval (" +
               (interval != nullptr ? interval->scalar
                                    : seconds_text(config.interval_ns) + ", the default") +
               "); got " + timeout->describe());
    }
    fail(*interval, child(path, "interval"),
         "expected interval >= timeout (" + seconds_text(config.timeout_ns) +
             ", the default; set a shorter timeout); got " + interval->describe());
  }
  if (const Node* rise = node.find("rise")) {
    config.rise = static_cast<int>(read_integer(*rise, child(path, "rise"), 1, kIntMax));
  }
  if (const Node* fall = node.find("fall")) {
    config.fall = static_cast<int>(read_integer(*fall, child(path, "fall"), 1, kIntMax));
  }
  if (const Node* out_of_band = node.find("out_of_band")) {
    config.out_of_band = read_bool(*out_of_band, child(path, "out_of_band"));
  }
  reject_unless(node, path, "probe_demand", !config.out_of_band,
                "out_of_band: false (an out-of-band probe does no work on the server)");
  if (const Node* demand = node.find("probe_demand")) {
    config.probe_demand_s = seconds_of(read_duration(*demand, child(path, "probe_demand"), true));
  }
  return config;
}

// The outlier detector's interval and ejection times, and who may be ejected.
void read_ejection_times(const Node& node, const std::string& path, OutlierConfig& config) {
  const auto fraction = [&](const char* key, double& field) {
    if (const Node* value = node.find(key)) field = read_fraction(*value, child(path, key));
  };
  const auto flag = [&](const char* key, bool& field) {
    if (const Node* value = node.find(key)) field = read_bool(*value, child(path, key));
  };
  if (const Node* interval = node.find("interval")) {
    config.interval_ns = read_duration(*interval, child(path, "interval"), true);
  }
  const Node* base = node.find("base_ejection");
  if (base != nullptr) {
    config.base_ejection_ns = read_duration(*base, child(path, "base_ejection"), true);
  }
  // Envoy: max_ejection_time defaults to 300s, or to base_ejection_time when that is longer.
  config.max_ejection_ns = std::max(config.max_ejection_ns, config.base_ejection_ns);
  if (const Node* max = node.find("max_ejection")) {
    config.max_ejection_ns = read_duration(*max, child(path, "max_ejection"), true);
    if (config.max_ejection_ns < config.base_ejection_ns) {
      fail(*max, child(path, "max_ejection"),
           "expected max_ejection >= base_ejection (" +
               (base != nullptr ? base->scalar
                                : seconds_text(config.base_ejection_ns) + ", the default") +
               "); got " + max->describe());
    }
  }
  if (const Node* jitter = node.find("max_ejection_jitter")) {
    config.max_ejection_jitter_ns = read_duration(*jitter, child(path, "max_ejection_jitter"), false);
    if (config.max_ejection_jitter_ns % kMillisecond != 0) {
      fail(*jitter, child(path, "max_ejection_jitter"),
           "expected whole milliseconds (Envoy draws the jitter in ms); got " + jitter->describe());
    }
  }
  fraction("max_ejection_percent", config.max_ejection_fraction);
  if (const Node* percent = node.find("max_ejection_percent")) {
    const double whole = config.max_ejection_fraction * 100.0;
    if (std::abs(whole - std::round(whole)) > 1e-9) {
      fail(*percent, child(path, "max_ejection_percent"),
           "expected a whole percentage (Envoy's max_ejection_percent is an integer); got " +
               percent->describe());
    }
  }
  flag("always_eject_one_host", config.always_eject_one_host);
  flag("successful_active_health_check_uneject_host",
       config.successful_active_health_check_uneject_host);
}

OutlierConfig read_outlier_detection(const Node& node, const std::string& path, bool l4) {
  expect_feature_map(node, path,
                     "a map of outlier-detection keys like {consecutive_errors: 5, "
                     "base_ejection: 30s}");
  check_keys(node, path,
             {"consecutive_errors", "enforcing_consecutive_errors", "consecutive_gateway_failure",
              "enforcing_consecutive_gateway_failure", "split_external_local_origin_errors",
              "consecutive_local_origin_failure", "enforcing_consecutive_local_origin_failure",
              "enforcing_local_origin_success_rate", "enforcing_failure_percentage_local_origin",
              "success_rate_minimum_hosts", "success_rate_request_volume",
              "success_rate_stdev_factor", "enforcing_success_rate",
              "failure_percentage_threshold", "failure_percentage_minimum_hosts",
              "failure_percentage_request_volume", "enforcing_failure_percentage", "interval",
              "base_ejection", "max_ejection", "max_ejection_jitter", "max_ejection_percent",
              "always_eject_one_host", "successful_active_health_check_uneject_host"});
  OutlierConfig config;
  config.enabled = true;
  const auto integer = [&](const char* key, int& field, std::int64_t min) {
    if (const Node* value = node.find(key)) {
      field = static_cast<int>(read_integer(*value, child(path, key), min, kIntMax));
    }
  };
  const auto fraction = [&](const char* key, double& field) {
    if (const Node* value = node.find(key)) field = read_fraction(*value, child(path, key));
  };
  const auto flag = [&](const char* key, bool& field) {
    if (const Node* value = node.find(key)) field = read_bool(*value, child(path, key));
  };
  integer("consecutive_errors", config.consecutive_errors, 1);
  fraction("enforcing_consecutive_errors", config.enforcing_consecutive_errors);
  integer("consecutive_gateway_failure", config.consecutive_gateway_failure, 1);
  fraction("enforcing_consecutive_gateway_failure", config.enforcing_consecutive_gateway_failure);
  flag("split_external_local_origin_errors", config.split_external_local_origin_errors);
  if (l4 && node.find("split_external_local_origin_errors") != nullptr) {
    fail(*node.find("split_external_local_origin_errors"),
         child(path, "split_external_local_origin_errors"),
         "has no meaning with unit: connection: an L4 balancer sees no HTTP status, so every "
         "failure it sees (a refused or reset connection, a timeout) is local-origin and the "
         "server's 503s are not failures to it");
  }
  integer("consecutive_local_origin_failure", config.consecutive_local_origin_failure, 1);
  fraction("enforcing_consecutive_local_origin_failure",
           config.enforcing_consecutive_local_origin_failure);
  fraction("enforcing_local_origin_success_rate", config.enforcing_local_origin_success_rate);
  fraction("enforcing_failure_percentage_local_origin",
           config.enforcing_failure_percentage_local_origin);
  // The local-origin keys act only when the split is on: meaningless otherwise (Envoy ignores
  // them silently; here that is an error naming the key that turns them on).
  for (const char* key :
       {"consecutive_local_origin_failure", "enforcing_consecutive_local_origin_failure",
        "enforcing_local_origin_success_rate", "enforcing_failure_percentage_local_origin"}) {
    reject_unless(node, path, key, config.split_external_local_origin_errors,
                  "split_external_local_origin_errors: true (without it local-origin failures "
                  "count as 503/504 responses)");
  }
  integer("success_rate_minimum_hosts", config.success_rate_minimum_hosts, 1);
  integer("success_rate_request_volume", config.success_rate_request_volume, 1);
  integer("success_rate_stdev_factor", config.success_rate_stdev_factor, 0);
  fraction("enforcing_success_rate", config.enforcing_success_rate);
  fraction("failure_percentage_threshold", config.failure_percentage_threshold);
  integer("failure_percentage_minimum_hosts", config.failure_percentage_minimum_hosts, 1);
  integer("failure_percentage_request_volume", config.failure_percentage_request_volume, 1);
  fraction("enforcing_failure_percentage", config.enforcing_failure_percentage);
  read_ejection_times(node, path, config);
  return config;
}

CircuitBreakerConfig read_circuit_breakers(const Node& node, const std::string& path) {
  expect_feature_map(node, path, "a map of circuit-breaker limits like {max_requests: 1024}");
  check_keys(node, path, {"max_requests", "max_pending", "max_retries"});
  CircuitBreakerConfig config;
  if (const Node* requests = node.find("max_requests")) {
    config.max_requests = read_limit(*requests, child(path, "max_requests"));
  }
  if (const Node* pending = node.find("max_pending")) {
    config.max_pending = read_limit(*pending, child(path, "max_pending"));
  }
  if (const Node* retries = node.find("max_retries")) {
    config.max_retries = read_limit(*retries, child(path, "max_retries"));
  }
  return config;
}

// nginx's max_fails / fail_timeout (balancer.passive_health).
BalancerConfig::PassiveHealth read_passive_health(const Node& node_in, const std::string& passive_path,
                                                  bool l4) {
  const Node* passive = &node_in;
  expect_feature_map(*passive, passive_path,
                     "a map of nginx passive-health keys like {max_fails: 1, fail_timeout: 10s}");
  check_keys(*passive, passive_path, {"max_fails", "fail_timeout", "http_503"});
  BalancerConfig::PassiveHealth health;
  health.enabled = true;
  if (const Node* fails = passive->find("max_fails")) {
    health.max_fails = static_cast<int>(
        read_integer(*fails, child(passive_path, "max_fails"), 0, kIntMax));
  }
  if (const Node* timeout = passive->find("fail_timeout")) {
    health.fail_timeout_ns = read_duration(*timeout, child(passive_path, "fail_timeout"), false);
    if (health.fail_timeout_ns % kSecond != 0) {
      fail(*timeout, child(passive_path, "fail_timeout"),
           "expected whole seconds (nginx keeps fail_timeout on its one-second clock); got " +
               timeout->describe());
    }
  }
  if (const Node* http_503 = passive->find("http_503")) {
    health.http_503 = read_bool(*http_503, child(passive_path, "http_503"));
    if (health.http_503 && l4) {
      fail(*http_503, child(passive_path, "http_503"),
           "has no meaning with unit: connection: an L4 balancer (nginx stream) sees no HTTP "
           "status; expected unit: request, or no http_503");
    }
  }
  return health;
}

void read_balancer_settings(const Node& node, const std::string& path, BalancerConfig& config) {
  if (const Node* instances = node.find("instances")) {
    config.instances =
        static_cast<int>(read_integer(*instances, child(path, "instances"), 1, kIntMax));
  }
  if (const Node* selection = node.find("instance_selection")) {
    config.instance_selection = read_choice(*selection, child(path, "instance_selection"),
                                            {"random", "user_hash"}) == "user_hash"
                                    ? InstanceSelection::kUserHash
                                    : InstanceSelection::kRandom;
  }
  if (const Node* view = node.find("view")) {
    config.view = read_choice(*view, child(path, "view"), {"local", "global"}) == "global"
                      ? LoadView::kGlobal
                      : LoadView::kLocal;
  }
  reject_unless(node, path, "view_refresh", config.view == LoadView::kGlobal, "view: global");
  if (const Node* refresh = node.find("view_refresh")) {
    config.view_refresh_ns = read_duration(*refresh, child(path, "view_refresh"), false);
  }
  if (const Node* unit = node.find("unit")) {
    config.unit = read_choice(*unit, child(path, "unit"), {"request", "connection"}) == "connection"
                      ? BalancingUnit::kConnection
                      : BalancingUnit::kRequest;
  }
  const bool connections = config.unit == BalancingUnit::kConnection;
  reject_unless(node, path, "connection_lifetime", connections, "unit: connection");
  reject_unless(node, path, "reconnect_backoff", connections, "unit: connection");
  if (const Node* lifetime = node.find("connection_lifetime")) {
    config.connection_lifetime_ns =
        read_duration(*lifetime, child(path, "connection_lifetime"), true);
  }
  if (const Node* backoff = node.find("reconnect_backoff")) {
    config.reconnect_backoff_ns = read_duration(*backoff, child(path, "reconnect_backoff"), false);
  }
  if (const Node* timeout = node.find("queue_timeout")) {
    config.queue_timeout_ns = read_duration(*timeout, child(path, "queue_timeout"), true);
  }
  if (const Node* limit = node.find("queue_limit")) {
    config.queue_limit = read_limit(*limit, child(path, "queue_limit"));
  }
  if (const Node* slow_start = node.find("slow_start")) {
    config.slow_start = read_slow_start(*slow_start, child(path, "slow_start"));
  }
  if (const Node* health_check = node.find("health_check")) {
    config.health_check = read_health_check(*health_check, child(path, "health_check"),
                                            config.unit == BalancingUnit::kConnection);
  }
  if (const Node* outlier = node.find("outlier_detection")) {
    config.outlier = read_outlier_detection(*outlier, child(path, "outlier_detection"),
                                            config.unit == BalancingUnit::kConnection);
  }
  if (const Node* panic = node.find("panic_threshold")) {
    config.panic_threshold = read_fraction(*panic, child(path, "panic_threshold"));
  }
  if (const Node* passive = node.find("passive_health")) {
    config.passive_health = read_passive_health(*passive, child(path, "passive_health"),
                                                config.unit == BalancingUnit::kConnection);
  }
  if (const Node* fail = node.find("fail_traffic_on_panic")) {
    config.fail_traffic_on_panic = read_bool(*fail, child(path, "fail_traffic_on_panic"));
    if (config.fail_traffic_on_panic && config.panic_threshold == 0.0) {
      reject_unless(node, path, "fail_traffic_on_panic", false,
                    "panic_threshold > 0 (with 0 the balancer never panics)");
    }
  }
  if (const Node* breakers = node.find("circuit_breakers")) {
    config.circuit_breakers = read_circuit_breakers(*breakers, child(path, "circuit_breakers"));
  }
}

// The balancer map's strategy (the default when the map or its key is absent). Checks that the
// balancer is a map.
const StrategyInfo& read_strategy_name(const Node* balancer) {
  const StrategyInfo* strategy = BalancerConfig{}.strategy.info;
  if (balancer != nullptr) {
    expect_map(*balancer, "balancer", "a map of balancer keys");
    if (const Node* name = balancer->find("strategy")) {
      const std::string expected = "a strategy (one of " + strategy_names() + ")";
      const std::string& text = scalar(*name, "balancer.strategy", expected);
      strategy = find_strategy(text);
      if (strategy == nullptr) {
        fail(*name, "balancer.strategy", "expected " + expected + "; got " + name->describe());
      }
    }
  }
  if (strategy == nullptr) {
    throw std::logic_error("the default strategy is not registered");
  }
  return *strategy;
}

void check_balancer_against_fleet(const Node& balancer, const StrategyInfo& strategy,
                                  const SimulationConfig& config) {
  bool any_max_connections = false;
  std::vector<std::string> names;
  for (const ServerGroupConfig& group : config.servers) {
    any_max_connections = any_max_connections || group.max_connections > 0;
    for (int i = 0; i < group.count; ++i) {
      names.push_back(server_name(group.group, group.first_index + i));
    }
  }
  if (config.balancer.fail_traffic_on_panic && strategy.thread_aware) {
    fail(*balancer.find("fail_traffic_on_panic"), "balancer.fail_traffic_on_panic",
         "has no effect with strategy " + strategy.name +
             " (Envoy's ring hash and Maglev route to every host in panic and do not read it); "
             "expected a strategy such as round_robin, least_request or random, or no "
             "fail_traffic_on_panic");
  }
  if (config.balancer.slow_start.mode != SlowStartMode::kOff) {
    bool any_late = false;
    for (const ServerGroupConfig& group : config.servers)
      any_late = any_late || group.join_at_ns > 0;
    if (!any_late && !config.balancer.health_check.enabled) {
      fail(*balancer.find("slow_start"), "balancer.slow_start",
           "ramps servers that join during the run or come back from failed health checks, and "
           "no server group sets join_at and there is no health_check; expected join_at on some "
           "group, a health_check, or no slow_start");
    }
  }
  if (!any_max_connections) {
    for (const char* key : {"queue_timeout", "queue_limit"}) {
      if (const Node* node = balancer.find(key)) {
        fail(*node, child("balancer", key),
             "acts only on the balancer-side queue, which exists when a server group sets "
             "max_connections; expected max_connections on some group, or no " +
                 std::string(key));
      }
    }
    const Node* breakers = balancer.find("circuit_breakers");
    if (const Node* pending = breakers != nullptr ? breakers->find("max_pending") : nullptr) {
      fail(*pending, "balancer.circuit_breakers.max_pending",
           "acts only on the balancer-side queue, which exists when a server group sets "
           "max_connections; expected max_connections on some group, or no max_pending");
    }
  }
  if (any_max_connections && config.balancer.unit == BalancingUnit::kConnection) {
    const Node* unit = balancer.find("unit");
    fail(unit != nullptr ? *unit : balancer, "balancer.unit",
         "max_connections (a per-request connection cap) is not supported with unit: "
         "connection; expected unit: request, or no max_connections");
  }
  const StrategyContext context{config.balancer.strategy.options,
                                static_cast<std::uint32_t>(names.size()),
                                0,
                                config.seed,
                                config.workload.users,
                                names};
  try {
    (void)strategy.make(context);
  } catch (const std::invalid_argument& e) {
    const Node* name = balancer.find("strategy");
    fail(name != nullptr ? *name : balancer, "balancer",
         "strategy " + strategy.name + ": " + e.what());
  }
}

}  // namespace lbsim::loader

namespace lbsim {

using namespace loader;  // NOLINT: the module's own readers
using yaml::MapEntry;
using yaml::Node;

const std::vector<std::string>& balancer_generic_keys() {
  static const std::vector<std::string> keys = {"strategy",
                                                "instances",
                                                "instance_selection",
                                                "view",
                                                "view_refresh",
                                                "unit",
                                                "connection_lifetime",
                                                "reconnect_backoff",
                                                "queue_timeout",
                                                "queue_limit",
                                                "slow_start",
                                                "health_check",
                                                "outlier_detection",
                                                "panic_threshold",
                                                "fail_traffic_on_panic",
                                                "passive_health",
                                                "circuit_breakers"};
  return keys;
}

StrategyOptions read_strategy_options(const StrategyInfo& info, const yaml::Node& balancer,
                                      const std::string& path) {
  const KeyList& generic = balancer_generic_keys();
  KeyList valid = generic;
  for (const OptionSpec& spec : info.options) {
    if (std::find(generic.begin(), generic.end(), spec.name) != generic.end()) {
      throw std::logic_error("strategy " + info.name + " declares option \"" + spec.name +
                             "\", which is a generic balancer key");
    }
    valid.push_back(spec.name);
  }
  for (const MapEntry& entry : balancer.entries) {
    bool known = false;
    for (const std::string& key : valid) known = known || key == entry.key;
    if (known) continue;
    std::string owners;
    for (const StrategyInfo& other : strategy_catalog()) {
      for (const OptionSpec& spec : other.options) {
        if (spec.name == entry.key && other.name != info.name) {
          owners += (owners.empty() ? "" : ", ") + other.name;
        }
      }
    }
    const std::string valid_text = "; valid keys for strategy " + info.name + ": " + join(valid);
    if (owners.empty()) {
      throw ConfigError(entry.key_where,
                        "unknown key \"" + entry.key + "\" in " + path + valid_text);
    }
    throw ConfigError(entry.key_where, "option \"" + entry.key + "\" belongs to strategy " +
                                           owners + ", not " + info.name + valid_text);
  }
  StrategyOptions options;
  for (const OptionSpec& spec : info.options) {
    const Node* node = balancer.find(spec.name);
    if (node == nullptr && spec.optional) continue;  // unset: the strategy knows it was not given
    options[spec.name] =
        node == nullptr ? spec.default_value : read_option(spec, *node, child(path, spec.name));
  }
  return options;
}

}  // namespace lbsim
