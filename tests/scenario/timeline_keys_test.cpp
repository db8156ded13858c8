// The scenario's timeline keys (`clock:`, `timeline:`, `alerts:`, `incident:`; README "Timeline,
// alerts and incidents"): every action kind read into its ActionConfig fields, run order, clock
// times with zones, incident defaults, alert rules, and each error at its exact file:line:column
// with what was expected. Inline YAML is named "inline.yaml" so locations are exact. Every value
// compared is exact: times are whole nanoseconds, and decimals come from one correctly rounded
// operation (n / 100 for "n%", ns / 1e9 for a duration in seconds, a rate times 1e9 / unit_ns),
// so they equal the double nearest the literal written in the check.
#include <doctest/doctest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "test_util.hpp"

namespace lbsim {
namespace {

// The typed action of a timeline entry; fails the test when it is another kind.
template <typename T>
const T& get(const ActionConfig& action) {
  REQUIRE(std::holds_alternative<T>(action.action));
  return std::get<T>(action.action);
}

using test::kDataDir;

Scenario load(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  return load_scenario(ScenarioText{yaml, "inline.yaml", kDataDir}, {.overrides = overrides});
}

const std::string kWeighted = "{strategy: weighted_round_robin}";
const std::string kApi = "{group: api, count: 3}";

// Lines 1-9 of a valid scenario of a one-hour run (no warmup, 100/s) over five servers: web-0 and
// web-1 (indices 0, 1; four workers, weight 2) and api-0..api-2 (indices 2-4). Line 6 is the
// balancer, line 9 the api group. Tests append from line 10.
std::string base(const std::string& balancer = kWeighted, const std::string& api = kApi) {
  return "name: t\nduration: 1h\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
         "10ms}\nbalancer: " +
         balancer + "\nservers:\n  - {group: web, count: 2, workers: 4, weight: 2}\n  - " + api +
         "\n";
}

// "timeline:" and one item a line, each "  - " + item (so an item's map opens at column 5).
std::string timeline_yaml(const std::vector<std::string>& items) {
  std::string text = "timeline:\n";
  for (const std::string& item : items) text += "  - " + item + "\n";
  return text;
}

// base() + timeline_yaml(items): the items are on lines 11, 12, ...
std::vector<ActionConfig> actions(const std::vector<std::string>& items,
                                  const std::string& balancer = kWeighted) {
  return load(base(balancer) + timeline_yaml(items)).config.timeline;
}

// A clock on line 10, then the timeline if there are items (from line 12).
std::string clocked(const std::string& clock, const std::vector<std::string>& items) {
  return base() + "clock: " + clock + "\n" + (items.empty() ? "" : timeline_yaml(items));
}

// The run time of a single note dated `at` on the given clock.
SimTime clock_at(const std::string& clock, const std::string& at) {
  const auto timeline =
      load(clocked(clock, {"{at: \"" + at + "\", action: note, text: x}"})).config.timeline;
  REQUIRE(timeline.size() == 1);
  return timeline[0].at_ns;
}

const std::string kClock8 = "{start: \"2024-05-05 08:00\", zone: UTC}";
// 2024-05-05 08:30 UTC is 1714897800 s after the epoch (clock.hpp's format_iso8601 example).
constexpr std::int64_t kEpoch0800Utc = 1714897800 - 30 * 60;

std::vector<std::uint32_t> indices(std::initializer_list<std::uint32_t> list) {
  return list;
}

// ---- actions -----------------------------------------------------------------------------------

TEST_CASE("timeline keys: without them, no timeline, alerts, clock or incident") {
  const SimulationConfig config = load(base()).config;
  CHECK(config.timeline.empty());
  CHECK(config.alerts.empty());
  CHECK_FALSE(config.clock.set);
  CHECK(config.incident.start_ns == -1);
  CHECK(config.incident.slo == -1.0);
  CHECK(config.incident.slo_period_ns == 30 * 24 * kHour);
  CHECK(config.incident.recovery_error_rate == -1.0);
  CHECK(config.servers.size() == 2);
  // An empty timeline is allowed.
  CHECK(load(base() + "timeline: []\nalerts: []\n").config.timeline.empty());
}

TEST_CASE("timeline keys: note with name, text and mitigation; the common keys' defaults") {
  const auto timeline =
      actions({"{at: 90s, action: note, name: n1, text: \"db team engaged\", "
               "mitigation: true}",
               "{at: 2m, action: kill, servers: web-0}"});
  REQUIRE(timeline.size() == 2);
  const ActionConfig& note = timeline[0];
  REQUIRE(std::holds_alternative<NoteAction>(note.action));
  CHECK(note.at_ns == 90 * kSecond);
  CHECK(note.name == "n1");
  CHECK(note.text == "db team engaged");
  CHECK(note.mitigation);
  const ActionConfig& kill = timeline[1];
  CHECK(kill.name.empty());
  CHECK(kill.text.empty());
  CHECK_FALSE(kill.mitigation);
}

TEST_CASE("timeline keys: set_weight and set_speed on named servers and on a group") {
  const auto timeline =
      actions({"{at: 1m, action: set_weight, name: lb_change, servers: [web-0, api-1], weight: 10, "
               "text: routine maintenance}",
               "{at: 2m, action: set_weight, group: api, weight: 0.1}",
               "{at: 3m, action: set_speed, servers: web-1, speed: 0.5, mitigation: false}"});
  REQUIRE(timeline.size() == 3);
  const ActionConfig& named = timeline[0];
  REQUIRE(std::holds_alternative<SetWeightAction>(named.action));
  CHECK(named.at_ns == kMinute);
  CHECK(named.name == "lb_change");
  CHECK(named.text == "routine maintenance");
  CHECK(std::get<SetWeightAction>(named.action).target.servers ==
        indices({0, 3}));  // as written: web-0 and api-1
  CHECK(std::get<SetWeightAction>(named.action).target.group.empty());
  CHECK(std::get<SetWeightAction>(named.action).weight == 10.0);
  const ActionConfig& group = timeline[1];
  REQUIRE(std::holds_alternative<SetWeightAction>(group.action));
  CHECK(std::get<SetWeightAction>(group.action).target.servers.empty());
  CHECK(std::get<SetWeightAction>(group.action).target.group == "api");
  CHECK(std::get<SetWeightAction>(group.action).weight == 0.1);
  const ActionConfig& speed = timeline[2];
  REQUIRE(std::holds_alternative<SetSpeedAction>(speed.action));
  CHECK(speed.at_ns == 3 * kMinute);
  CHECK(std::get<SetSpeedAction>(speed.action).target.servers ==
        indices({1}));  // a single name without a list
  CHECK(std::get<SetSpeedAction>(speed.action).speed == 0.5);
  CHECK_FALSE(speed.mitigation);
}

TEST_CASE("timeline keys: set_strategy with its options, the others at their defaults") {
  const auto timeline =
      actions({"{at: 1m, action: set_strategy, strategy: least_request, choices: 3}",
               "{at: 2m, action: set_strategy, strategy: weighted_round_robin}",
               "{at: 3m, action: set_strategy, strategy: peak_ewma, decay: 5s, mitigation: true}",
               "{at: 4m, action: set_strategy, strategy: round_robin}"});
  REQUIRE(timeline.size() == 4);
  REQUIRE(std::holds_alternative<SetStrategyAction>(timeline[0].action));
  CHECK(std::get<SetStrategyAction>(timeline[0].action).strategy.name() == "least_request");
  CHECK(std::get<SetStrategyAction>(timeline[0].action).strategy.options ==
        StrategyOptions{{"choices", 3.0}});
  CHECK(get<SetStrategyAction>(timeline[1]).strategy.name() == "weighted_round_robin");
  CHECK(get<SetStrategyAction>(timeline[1]).strategy.options ==
        StrategyOptions{{"mode", std::string("smooth")}});
  CHECK(get<SetStrategyAction>(timeline[2]).strategy.name() == "peak_ewma");
  // Durations in seconds: 5e9 ns / 1e9; the default 30ms is declared as 0.030.
  CHECK(get<SetStrategyAction>(timeline[2]).strategy.options ==
        StrategyOptions{{"decay", 5.0}, {"unmeasured", std::string("linkerd")}});
  CHECK(timeline[2].mitigation);
  CHECK(get<SetStrategyAction>(timeline[3]).strategy.name() == "round_robin");
  CHECK(get<SetStrategyAction>(timeline[3]).strategy.options.empty());
}

TEST_CASE(
    "timeline keys: set_health_check replaces the whole map; {} is the defaults, off is off") {
  // The balancer's own checks (interval 5s, fall 5) do not carry over: keys not given take their
  // defaults.
  const auto timeline = actions({"{at: 1m, action: set_health_check, health_check: {rise: 4}}",
                                 "{at: 2m, action: set_health_check, health_check: off}",
                                 "{at: 3m, action: set_health_check, health_check: {}}",
                                 "{at: 4m, action: set_health_check, health_check: {interval: "
                                 "500ms, timeout: 200ms, out_of_band: true}}"},
                                "{strategy: random, health_check: {interval: 5s, fall: 5}}");
  REQUIRE(timeline.size() == 4);
  HealthCheckConfig expected;
  expected.enabled = true;
  expected.rise = 4;
  REQUIRE(std::holds_alternative<SetHealthCheckAction>(timeline[0].action));
  CHECK(std::get<SetHealthCheckAction>(timeline[0].action).health_check == expected);
  CHECK(std::get<SetHealthCheckAction>(timeline[0].action).health_check.interval_ns == 2 * kSecond);
  CHECK(std::get<SetHealthCheckAction>(timeline[0].action).health_check.fall == 3);
  CHECK_FALSE(get<SetHealthCheckAction>(timeline[1]).health_check.enabled);
  expected.rise = 2;
  CHECK(get<SetHealthCheckAction>(timeline[2]).health_check == expected);
  expected.interval_ns = 500 * kMillisecond;
  expected.timeout_ns = 200 * kMillisecond;
  expected.out_of_band = true;
  CHECK(get<SetHealthCheckAction>(timeline[3]).health_check == expected);
}

TEST_CASE("timeline keys: set_outlier_detection and off; set_circuit_breakers; panic threshold") {
  const auto timeline =
      actions({"{at: 1m, action: set_outlier_detection, outlier_detection: {consecutive_errors: 3, "
               "base_ejection: 400s}}",
               "{at: 2m, action: set_outlier_detection, outlier_detection: off}",
               "{at: 3m, action: set_circuit_breakers, circuit_breakers: {max_requests: 100, "
               "max_retries: 3}}",
               "{at: 4m, action: set_circuit_breakers, circuit_breakers: {}}",
               "{at: 5m, action: set_panic_threshold, panic_threshold: 25%}",
               "{at: 6m, action: set_panic_threshold, panic_threshold: 0}"},
              "{strategy: random, outlier_detection: {consecutive_errors: 9}}");
  REQUIRE(timeline.size() == 6);
  OutlierConfig outlier;
  outlier.enabled = true;
  outlier.consecutive_errors = 3;
  outlier.base_ejection_ns = 400 * kSecond;
  outlier.max_ejection_ns = 400 * kSecond;  // Envoy: max(300s, base_ejection)
  REQUIRE(std::holds_alternative<SetOutlierDetectionAction>(timeline[0].action));
  CHECK(std::get<SetOutlierDetectionAction>(timeline[0].action).outlier == outlier);
  CHECK(std::get<SetOutlierDetectionAction>(timeline[0].action).outlier.interval_ns ==
        10 * kSecond);
  CHECK(std::get<SetOutlierDetectionAction>(timeline[0].action).outlier.max_ejection_fraction ==
        0.1);
  CHECK_FALSE(get<SetOutlierDetectionAction>(timeline[1]).outlier.enabled);
  REQUIRE(std::holds_alternative<SetCircuitBreakersAction>(timeline[2].action));
  CHECK(std::get<SetCircuitBreakersAction>(timeline[2].action).circuit_breakers ==
        CircuitBreakerConfig{100, -1, 3});
  CHECK(get<SetCircuitBreakersAction>(timeline[3]).circuit_breakers ==
        CircuitBreakerConfig{-1, -1, -1});
  REQUIRE(std::holds_alternative<SetPanicThresholdAction>(timeline[4].action));
  CHECK(std::get<SetPanicThresholdAction>(timeline[4].action).threshold == 0.25);
  CHECK(get<SetPanicThresholdAction>(timeline[5]).threshold == 0.0);
  // max_pending acts on the balancer-side queue, which exists with a group's max_connections.
  const auto capped = load(base(kWeighted, "{group: api, count: 3, max_connections: 8}") +
                           timeline_yaml({"{at: 1m, action: set_circuit_breakers, "
                                          "circuit_breakers: {max_pending: 10}}"}))
                          .config.timeline;
  REQUIRE(capped.size() == 1);
  CHECK(get<SetCircuitBreakersAction>(capped[0]).circuit_breakers ==
        CircuitBreakerConfig{-1, 10, -1});
}

TEST_CASE("timeline keys: kill, start, remove_servers, restart and phased_restart") {
  const auto timeline = actions(
      {"{at: 1m, action: kill, servers: [api-2, web-0]}", "{at: 2m, action: start, group: api}",
       "{at: 3m, action: remove_servers, servers: web-1}",
       "{at: 4m, action: restart, servers: web-0}",
       "{at: 5m, action: restart, group: web, down: 20s, drain: 5s}",
       "{at: 6m, action: phased_restart, group: api, batch: 2, every: 1m, down: 0s, drain: 5s}",
       "{at: 7m, action: phased_restart, servers: [web-1, web-0], every: 30s}"});
  REQUIRE(timeline.size() == 7);
  REQUIRE(std::holds_alternative<KillAction>(timeline[0].action));
  CHECK(std::get<KillAction>(timeline[0].action).target.servers == indices({4, 0}));
  REQUIRE(std::holds_alternative<StartAction>(timeline[1].action));
  CHECK(std::get<StartAction>(timeline[1].action).target.group == "api");
  REQUIRE(std::holds_alternative<RemoveServersAction>(timeline[2].action));
  CHECK(std::get<RemoveServersAction>(timeline[2].action).target.servers == indices({1}));

  const ActionConfig& restart = timeline[3];
  REQUIRE(std::holds_alternative<RestartAction>(restart.action));
  CHECK(std::get<RestartAction>(restart.action).target.servers == indices({0}));
  CHECK(std::get<RestartAction>(restart.action).down_ns == -1);  // the group's overload.restart
  CHECK(std::get<RestartAction>(restart.action).drain_ns == 0);
  CHECK(get<RestartAction>(timeline[4]).target.group == "web");
  CHECK(get<RestartAction>(timeline[4]).down_ns == 20 * kSecond);
  CHECK(get<RestartAction>(timeline[4]).drain_ns == 5 * kSecond);

  const ActionConfig& phased = timeline[5];
  REQUIRE(std::holds_alternative<PhasedRestartAction>(phased.action));
  CHECK(std::get<PhasedRestartAction>(phased.action).target.group == "api");
  CHECK(std::get<PhasedRestartAction>(phased.action).batch == 2);
  CHECK(std::get<PhasedRestartAction>(phased.action).every_ns == kMinute);
  CHECK(std::get<PhasedRestartAction>(phased.action).down_ns == 0);  // written 0s: not the default
  CHECK(std::get<PhasedRestartAction>(phased.action).drain_ns == 5 * kSecond);
  const ActionConfig& defaults = timeline[6];
  CHECK(get<PhasedRestartAction>(defaults).target.servers == indices({1, 0}));
  CHECK(get<PhasedRestartAction>(defaults).batch == 1);
  CHECK(get<PhasedRestartAction>(defaults).every_ns == 30 * kSecond);
  CHECK(get<PhasedRestartAction>(defaults).down_ns == -1);
  CHECK(get<PhasedRestartAction>(defaults).drain_ns == 0);
}

TEST_CASE("timeline keys: add_servers clones a group, continuing its numbering") {
  // Indices: web-0, web-1 = 0, 1; api-0..2 = 2..4; the first add makes web-2..4 = 5..7, the
  // second web-5 = 8.
  const SimulationConfig config =
      load(base() +
           timeline_yaml({"{at: 1m, action: add_servers, group: web, count: 3}",
                          "{at: 2m, action: set_weight, servers: web-2, weight: 4}",
                          "{at: 3m, action: add_servers, group: web, count: 1, text: more}",
                          "{at: 4m, action: kill, servers: [web-4, web-5]}",
                          "{at: 5m, action: add_servers, servers: web-1}",
                          "{at: 6m, action: set_speed, group: web, speed: 2}"}))
          .config;
  REQUIRE(config.servers.size() == 4);
  for (std::size_t g = 0; g < 2; ++g) {
    CHECK(config.servers[g].first_index == 0);
    CHECK(config.servers[g].join_at_ns == 0);
  }
  CHECK(config.servers[0].count == 2);
  for (const std::size_t g : {std::size_t{2}, std::size_t{3}}) {
    const ServerGroupConfig& added = config.servers[g];
    CHECK(added.group == "web");
    CHECK(added.join_at_ns == kTimeNever);  // joins only when the action runs
    CHECK(added.workers == 4);              // configured like the group
    CHECK(added.weight == 2.0);
  }
  CHECK(config.servers[2].count == 3);
  CHECK(config.servers[2].first_index == 2);
  CHECK(config.servers[3].count == 1);
  CHECK(config.servers[3].first_index == 5);

  const auto& t = config.timeline;
  REQUIRE(t.size() == 6);
  REQUIRE(std::holds_alternative<AddServersAction>(t[0].action));
  CHECK(std::get<AddServersAction>(t[0].action).clone_group == 2);
  CHECK(std::get<AddServersAction>(t[0].action).servers.empty());
  CHECK(get<SetWeightAction>(t[1]).target.servers == indices({5}));
  CHECK(get<AddServersAction>(t[2]).clone_group == 3);
  CHECK(t[2].text == "more");
  CHECK(get<KillAction>(t[3]).target.servers == indices({7, 8}));
  // servers: a removed server rejoins; nothing is cloned.
  REQUIRE(std::holds_alternative<AddServersAction>(t[4].action));
  CHECK(std::get<AddServersAction>(t[4].action).servers == indices({1}));
  CHECK(std::get<AddServersAction>(t[4].action).clone_group == UINT32_MAX);
  CHECK(get<SetSpeedAction>(t[5]).target.group ==
        "web");  // resolved when it runs: added servers included
}

// README: "New servers exist from the start as non-members, so they can be named by later
// actions", and actions run in time order, not file order. An action written before the
// add_servers but dated after it names a server that exists by then.
TEST_CASE("timeline keys: an added server can be named by an action written before the add") {
  std::vector<ActionConfig> timeline;
  CHECK_NOTHROW(timeline = actions({"{at: 2m, action: set_weight, servers: web-2, weight: 4}",
                                    "{at: 1m, action: add_servers, group: web, count: 1}"}));
  REQUIRE(timeline.size() == 2);
  REQUIRE(std::holds_alternative<AddServersAction>(timeline[0].action));
  CHECK(get<SetWeightAction>(timeline[1]).target.servers == indices({5}));
}

TEST_CASE("timeline keys: traffic to a rate or a multiple of workload.rate, ramp and for") {
  const auto timeline = actions({"{at: 1m, action: traffic, rate: 300/s}",
                                 "{at: 2m, action: traffic, multiplier: 2.5, ramp: 30s, for: 5m}",
                                 "{at: 10m, action: traffic, rate: 6000/min, ramp: 1m}",
                                 "{at: 20m, action: traffic, multiplier: 0}"});
  REQUIRE(timeline.size() == 4);
  REQUIRE(std::holds_alternative<TrafficAction>(timeline[0].action));
  CHECK(std::get<TrafficAction>(timeline[0].action).rate_per_s == 300.0);
  CHECK(std::get<TrafficAction>(timeline[0].action).ramp_ns == 0);  // a step
  CHECK(std::get<TrafficAction>(timeline[0].action).hold_ns == 0);  // for good
  CHECK(get<TrafficAction>(timeline[1]).rate_per_s == 250.0);       // 2.5 x 100/s, exact
  CHECK(get<TrafficAction>(timeline[1]).ramp_ns == 30 * kSecond);
  CHECK(get<TrafficAction>(timeline[1]).hold_ns == 5 * kMinute);
  CHECK(get<TrafficAction>(timeline[2]).rate_per_s == 100.0);  // 6000 x 1e9 / 6e10, exact
  CHECK(get<TrafficAction>(timeline[2]).ramp_ns == kMinute);
  CHECK(get<TrafficAction>(timeline[3]).rate_per_s == 0.0);  // traffic paused
}

TEST_CASE("timeline keys: rollback names an earlier action") {
  const auto timeline =
      actions({"{at: 1m, action: set_weight, name: lb_change, group: web, weight: 10}",
               "{at: 10m, action: rollback, to_before: lb_change, text: the fix}"});
  REQUIRE(timeline.size() == 2);
  REQUIRE(std::holds_alternative<RollbackAction>(timeline[1].action));
  CHECK(timeline[1].at_ns == 10 * kMinute);
  CHECK(std::get<RollbackAction>(timeline[1].action).to_before == "lb_change");
  CHECK(timeline[1].text == "the fix");
}

TEST_CASE("timeline keys: a rollback names a configuration change") {
  // A kill changes no balancer configuration: rolling back to before it would restore nothing.
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: kill, name: outage, servers: web-0}",
                                   "{at: 2m, action: rollback, to_before: outage}"})),
      "inline.yaml", 12, 43,
      "timeline.1.to_before: a rollback restores the balancer configuration (weights, strategy, "
      "health checks, outlier detection, circuit breakers, panic threshold), and kill changes "
      "none of it");
}

TEST_CASE("timeline keys: actions are sorted by at, ties in file order") {
  const auto timeline = actions(
      {"{at: 3m, action: note, name: a, text: x}", "{at: 1m, action: note, name: b, text: x}",
       "{at: 3m, action: note, name: c, text: x}", "{at: 1m, action: note, name: d, text: x}",
       "{at: 2m, action: note, name: e, text: x}", "{at: 0s, action: note, name: f, text: x}"});
  std::vector<std::string> names;
  std::vector<SimTime> times;
  for (const ActionConfig& action : timeline) {
    names.push_back(action.name);
    times.push_back(action.at_ns);
  }
  CHECK(names == std::vector<std::string>{"f", "b", "d", "e", "a", "c"});
  CHECK(times == std::vector<SimTime>{0, kMinute, kMinute, 2 * kMinute, 3 * kMinute, 3 * kMinute});
  // A rollback may name an action at the same time written before it, or one written after it
  // but dated earlier.
  CHECK_NOTHROW((void)actions({"{at: 1m, action: set_weight, name: w, group: web, weight: 3}",
                               "{at: 1m, action: rollback, to_before: w}"}));
  CHECK_NOTHROW((void)actions({"{at: 5m, action: rollback, to_before: w}",
                               "{at: 1m, action: set_weight, name: w, group: web, weight: 3}"}));
}

TEST_CASE("timeline keys: at counts from the start of the run, warmup included") {
  // warmup 10m + duration 1h: the run ends at 70m.
  const auto timeline = load(base() + timeline_yaml({"{at: 5m, action: note, text: in the warmup}",
                                                     "{at: 69m, action: note, text: last minute}"}),
                             {"warmup=10m"})
                            .config.timeline;
  REQUIRE(timeline.size() == 2);
  CHECK(timeline[0].at_ns == 5 * kMinute);
  CHECK(timeline[1].at_ns == 69 * kMinute);
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 70m, action: note, text: x}"}), {"warmup=10m"}),
      "inline.yaml", 11, 10,
      "timeline.0.at: expected a time before the end of the run (warmup + "
      "duration = 4200s); got \"70m\"");
}

// ---- clock -------------------------------------------------------------------------------------

TEST_CASE("timeline keys: the clock's start, zone and offset are recorded") {
  const ScenarioClock utc = load(clocked(kClock8, {})).config.clock;
  CHECK(utc.set);
  CHECK(utc.start_epoch_s == kEpoch0800Utc);
  CHECK(utc.offset_minutes == 0);
  CHECK(utc.zone == "UTC");
  // UTC is the default zone; seconds may be given.
  const ScenarioClock plain = load(clocked("{start: \"2024-05-05T08:00:15\"}", {})).config.clock;
  CHECK(plain.start_epoch_s == kEpoch0800Utc + 15);
  CHECK(plain.offset_minutes == 0);
  CHECK(plain.zone == "UTC");
  // A zone east of UTC: 08:00 at +05:30 is 02:30 UTC.
  const ScenarioClock india =
      load(clocked("{start: \"2024-05-05 08:00\", zone: \"+05:30\"}", {})).config.clock;
  CHECK(india.start_epoch_s == kEpoch0800Utc - 330 * 60);
  CHECK(india.offset_minutes == 330);
  CHECK(india.zone == "+05:30");
  for (const char* west : {"EST", "UTC-5", "-0500"}) {
    CAPTURE(west);
    const ScenarioClock clock =
        load(clocked(std::string("{start: \"2024-05-05 08:00\", zone: \"") + west + "\"}", {}))
            .config.clock;
    CHECK(clock.start_epoch_s == kEpoch0800Utc + 300 * 60);  // 08:00 EST is 13:00 UTC
    CHECK(clock.offset_minutes == -300);
    CHECK(clock.zone == west);  // as written
  }
}

TEST_CASE("timeline keys: clock times in at") {
  // A time of day on the clock's zone, its first occurrence at or after the start.
  CHECK(clock_at(kClock8, "08:30") == 30 * kMinute);
  CHECK(clock_at(kClock8, "08:00") == 0);
  CHECK(clock_at(kClock8, "08:59:59") == 3599 * kSecond);
  CHECK(clock_at(kClock8, "8:45 AM") == 45 * kMinute);
  // A full date and time.
  CHECK(clock_at(kClock8, "2024-05-05 08:45") == 45 * kMinute);
  // Past midnight: 00:10 after a 23:50 start is 20 minutes in.
  CHECK(clock_at("{start: \"2024-05-05 23:50\"}", "00:10") == 20 * kMinute);
  CHECK(clock_at("{start: \"2024-05-05 23:50\"}", "2024-05-06 00:10") == 20 * kMinute);
  // A zone on the time: 10:15 EST is 15:15 UTC, 45 minutes after a 14:30 UTC start.
  CHECK(clock_at("{start: \"2024-05-05 14:30\", zone: UTC}", "10:15 EST") == 45 * kMinute);
  // The clock's own zone applies to times without one: 08:30 at +05:30; 03:00 UTC is the same
  // instant.
  const std::string india = "{start: \"2024-05-05 08:00\", zone: \"+05:30\"}";
  CHECK(clock_at(india, "08:30") == 30 * kMinute);
  CHECK(clock_at(india, "03:00 UTC") == 30 * kMinute);
  CHECK(clock_at(india, "2024-05-05 08:30") == 30 * kMinute);
  // A clock and a duration mix in one timeline and sort together.
  const auto timeline =
      load(clocked(kClock8, {"{at: \"08:40\", action: note, name: clock, text: x}",
                             "{at: 5m, action: note, name: duration, text: x}"}))
          .config.timeline;
  REQUIRE(timeline.size() == 2);
  CHECK(timeline[0].name == "duration");
  CHECK(timeline[1].at_ns == 40 * kMinute);
}

TEST_CASE("timeline keys: clock errors") {
  // "  - {at: " puts the time's value (its opening quote) at column 10; items are on line 11
  // without a clock, on line 12 after one.
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: \"08:30\", action: note, text: x}"})),
                     "inline.yaml", 11, 10,
                     "timeline.0.at: a clock time needs the scenario's clock (clock: {start: ");
  CHECK_CONFIG_ERROR(load(clocked(kClock8, {"{at: \"2024-05-05 07:59\", action: note, text: x}"})),
                     "inline.yaml", 12, 10,
                     "timeline.0.at: expected a time at or after the clock's start "
                     "(2024-05-05T08:00:00+00:00); got \"2024-05-05 07:59\"");
  // At or after the end, with the end on the clock too. A time of day before the start means the
  // next day, past the end here.
  for (const char* at : {"09:00", "07:59", "2024-05-05 09:00"}) {
    CAPTURE(at);
    CHECK_CONFIG_ERROR(
        load(clocked(kClock8, {std::string("{at: \"") + at + "\", action: note, text: x}"})),
        "inline.yaml", 12, 10,
        "timeline.0.at: expected a time before the end of the run (warmup + duration = 3600s, "
        "2024-05-05T09:00:00+00:00); got \"" +
            std::string(at) + "\"");
  }
  CHECK_CONFIG_ERROR(load(clocked(kClock8, {"{at: \"10:15 XST\", action: note, text: x}"})),
                     "inline.yaml", 12, 10,
                     "timeline.0.at: expected a time zone (UTC, GMT, Z, EST, EDT, CST, CDT, MST, "
                     "MDT, PST, PDT, BST, CET, CEST, EET, EEST, IST, JST, AEST, or an offset like "
                     "+05:30 or UTC-5); got \"XST\"");
  CHECK_CONFIG_ERROR(
      load(
          clocked(kClock8, {"{at: \"2024-05-05 08:30 America/New_York\", action: note, text: x}"})),
      "inline.yaml", 12, 10,
      "timeline.0.at: expected a fixed offset like UTC-5 or -05:00 or an abbreviation like EST: "
      "IANA zone names such as America/New_York are not supported");
  CHECK_CONFIG_ERROR(load(clocked(kClock8, {"{at: \"25:00\", action: note, text: x}"})),
                     "inline.yaml", 12, 10, "timeline.0.at: expected an hour 0-23; got \"25:00\"");
  // The clock itself, on line 10: "clock: {start: ..." puts start's value at column 16.
  CHECK_CONFIG_ERROR(load(clocked("{start: \"2024-05-05 08:00\", zone: America/New_York}", {})),
                     "inline.yaml", 10, 42,
                     "clock.zone: expected a fixed offset like UTC-5 or -05:00 or an abbreviation "
                     "like EST: IANA zone names such as America/New_York are not supported");
  CHECK_CONFIG_ERROR(load(clocked("{start: \"2024-05-05 08:00\", zone: XST}", {})), "inline.yaml",
                     10, 42, "clock.zone: expected a time zone (UTC, GMT, Z, EST, ");
  CHECK_CONFIG_ERROR(
      load(clocked("{start: \"2024-02-30 08:00\"}", {})), "inline.yaml", 10, 16,
      "clock.start: expected a day 01-29 in month 2024-02; got \"2024-02-30 08:00\"");
  // The start is local to the clock's zone, which has its own key.
  CHECK_CONFIG_ERROR(load(clocked("{start: \"2024-05-05 08:00 UTC\"}", {})), "inline.yaml", 10, 16,
                     "clock.start: expected a local date and time like 2024-05-05 08:30 or "
                     "2024-05-05T08:30:15 with nothing after the time (no zone)");
  CHECK_CONFIG_ERROR(load(clocked("{zone: UTC}", {})), "inline.yaml", 10, 8,
                     "missing required key \"start\" in clock");
  CHECK_CONFIG_ERROR(load(clocked("{start: \"2024-05-05 08:00\", zones: UTC}", {})), "inline.yaml",
                     10, 36, "unknown key \"zones\" in clock; valid keys: start, zone");
}

// ---- incident ----------------------------------------------------------------------------------

TEST_CASE("timeline keys: the incident starts at the first action that is not a note") {
  // In time order: the note at 1m does not count, the set_speed at 3m does (written after the
  // kill at 5m).
  const SimulationConfig config =
      load(base() + timeline_yaml({"{at: 5m, action: kill, servers: web-0}",
                                   "{at: 1m, action: note, text: looking}",
                                   "{at: 3m, action: set_speed, servers: web-1, speed: 0.5}"}))
          .config;
  CHECK(config.incident.start_ns == 3 * kMinute);
  CHECK(config.incident.slo == -1.0);
  CHECK(config.incident.recovery_error_rate == -1.0);
  // Notes only: no incident, with or without an slo.
  CHECK(
      load(base() + timeline_yaml({"{at: 1m, action: note, text: x}"})).config.incident.start_ns ==
      -1);
  const IncidentConfig notes_slo =
      load(base() + timeline_yaml({"{at: 1m, action: note, text: x}"}) + "incident: {slo: 99.9%}\n")
          .config.incident;
  CHECK(notes_slo.start_ns == -1);
  CHECK(notes_slo.slo == 0.999);
  CHECK(load(base() + "incident: {slo: 99%}\n").config.incident.start_ns == -1);
}

TEST_CASE("timeline keys: incident start, slo, slo_period and recovery_error_rate") {
  const IncidentConfig incident =
      load(base() + timeline_yaml({"{at: 5m, action: kill, servers: web-0}"}) +
           "incident:\n  start: 2m\n  slo: 99.9%\n  slo_period: 7d\n  recovery_error_rate: 2%\n")
          .config.incident;
  CHECK(incident.start_ns == 2 * kMinute);  // overrides the kill at 5m
  // 99.9 / 100 is 0.9990000000000001; the loader rounds to 12 decimals, giving the double
  // nearest 0.999.
  CHECK(incident.slo == 0.999);
  CHECK(incident.slo_period_ns == 7 * 24 * kHour);
  CHECK(incident.recovery_error_rate == 0.02);
  // Other objectives as written; the period keeps its default 30d.
  const IncidentConfig four_nines = load(base() + "incident: {slo: 99.99%}\n").config.incident;
  CHECK(four_nines.slo == 0.9999);
  CHECK(four_nines.slo_period_ns == 30 * 24 * kHour);
  CHECK(load(base() + "incident: {slo: 0.995}\n").config.incident.slo == 0.995);
  // recovery_error_rate without an slo; a start on the clock without any timeline.
  const SimulationConfig clocked_start =
      load(base() + "clock: " + kClock8 +
           "\nincident: {start: \"08:10\", recovery_error_rate: 1%}\n")
          .config;
  CHECK(clocked_start.incident.start_ns == 10 * kMinute);
  CHECK(clocked_start.incident.recovery_error_rate == 0.01);
  CHECK(clocked_start.incident.slo == -1.0);
}

TEST_CASE("timeline keys: incident errors") {
  for (const char* slo : {"100%", "1", "0%", "0"}) {
    CAPTURE(slo);
    CHECK_CONFIG_ERROR(load(base() + "incident: {slo: " + slo + "}\n"), "inline.yaml", 10, 17,
                       "incident.slo: expected an objective strictly between 0 and 100%, like "
                       "99.9%; got \"" +
                           std::string(slo) + "\"");
  }
  CHECK_CONFIG_ERROR(load(base() + "incident: {slo: 101%}\n"), "inline.yaml", 10, 17,
                     "incident.slo: expected a fraction in [0, 1]");
  CHECK_CONFIG_ERROR(load(base() + "incident: {slo_period: 7d}\n"), "inline.yaml", 10, 12,
                     "incident.slo_period: expected no slo_period unless slo is set");
  CHECK_CONFIG_ERROR(load(base() + "incident: {slo: 99%, slo_period: 0s}\n"), "inline.yaml", 10, 34,
                     "incident.slo_period: expected a duration > 0; got \"0s\"");
  CHECK_CONFIG_ERROR(load(base() + "incident: {start: 1h}\n"), "inline.yaml", 10, 19,
                     "incident.start: expected a time before the end of the run");
  CHECK_CONFIG_ERROR(load(base() + "incident: {slo: 99%, budget: 1}\n"), "inline.yaml", 10, 22,
                     "unknown key \"budget\" in incident; valid keys: start, slo, slo_period, "
                     "recovery_error_rate");
  CHECK_CONFIG_ERROR(load(base() + "incident: 99.9%\n"), "inline.yaml", 10, 11,
                     "incident: expected a map like {slo: 99.9%");
}

// ---- alerts ------------------------------------------------------------------------------------

TEST_CASE("timeline keys: every alert metric with its threshold in its own unit") {
  struct Case {
    const char* metric;
    const char* threshold;
    AlertMetric expected_metric;
    double expected;  // the exact double (see the file comment)
  };
  const Case cases[] = {
      {"error_rate", "5%", AlertMetric::kErrorRate, 0.05},
      {"latency_mean", "20ms", AlertMetric::kLatencyMean, 0.02},
      {"latency_p50", "10ms", AlertMetric::kLatencyP50, 0.01},
      {"latency_p90", "100ms", AlertMetric::kLatencyP90, 0.1},
      {"latency_p99", "500ms", AlertMetric::kLatencyP99, 0.5},
      // The failure-aware percentiles own the short names (README, "Latency").
      {"response_mean", "20ms", AlertMetric::kResponseMean, 0.02},
      {"p50", "10ms", AlertMetric::kResponseP50, 0.01},
      {"p90", "100ms", AlertMetric::kResponseP90, 0.1},
      {"p99", "500ms", AlertMetric::kResponseP99, 0.5},
      {"traffic_imbalance", "1.5", AlertMetric::kTrafficImbalance, 1.5},
      {"utilization_mean", "80%", AlertMetric::kUtilizationMean, 0.8},
      {"utilization_max", "0.95", AlertMetric::kUtilizationMax, 0.95},
      {"imbalance", "1.5", AlertMetric::kImbalance, 1.5},
      {"healthy_servers", "3", AlertMetric::kHealthyServers, 3.0},
      {"healthy_fraction", "50%", AlertMetric::kHealthyFraction, 0.5},
      {"servers_down", "2", AlertMetric::kServersDown, 2.0},
      {"offered_rate", "100/s", AlertMetric::kOfferedRate, 100.0},
      {"retry_rate", "6000/min", AlertMetric::kRetryRate, 100.0},
      {"queue_total", "40", AlertMetric::kQueueTotal, 40.0},
  };
  for (const Case& c : cases) {
    CAPTURE(c.metric);
    for (const bool above : {true, false}) {
      const std::string yaml = base() + "alerts:\n  - {name: a, metric: " + c.metric + ", " +
                               (above ? "above" : "below") + ": " + c.threshold + "}\n";
      const auto alerts = load(yaml).config.alerts;
      REQUIRE(alerts.size() == 1);
      CHECK(alerts[0].name == "a");
      CHECK(alerts[0].metric == c.expected_metric);
      CHECK(alerts[0].above == above);
      CHECK(alerts[0].threshold == c.expected);
      CHECK(alerts[0].for_ns == 0);  // the default
      CHECK(alerts[0].on_fire.empty());
    }
  }
}

TEST_CASE("timeline keys: alert rules with for and on_fire actions") {
  const SimulationConfig config = load(base() + R"(timeline:
  - {at: 1m, action: set_weight, name: lb_change, group: web, weight: 10}
alerts:
  - {name: errors, metric: error_rate, above: 5%, for: 1m}
  - name: imbalance
    metric: imbalance
    above: 1.5
    for: 30s
    on_fire:
      - {after: 5m, action: rollback, to_before: lb_change, text: auto}
      - {action: set_weight, servers: [api-0, web-1], weight: 1, mitigation: true}
      - {after: 10s, action: traffic, multiplier: 0.5, ramp: 1m}
      - {action: note, text: paged}
)")
                                      .config;
  REQUIRE(config.alerts.size() == 2);
  const AlertRule& errors = config.alerts[0];
  CHECK(errors.name == "errors");
  CHECK(errors.metric == AlertMetric::kErrorRate);
  CHECK(errors.above);
  CHECK(errors.threshold == 0.05);
  CHECK(errors.for_ns == kMinute);
  CHECK(errors.on_fire.empty());
  const AlertRule& imbalance = config.alerts[1];
  CHECK(imbalance.name == "imbalance");
  CHECK(imbalance.metric == AlertMetric::kImbalance);
  CHECK(imbalance.threshold == 1.5);
  CHECK(imbalance.for_ns == 30 * kSecond);
  const auto& fire = imbalance.on_fire;
  REQUIRE(fire.size() == 4);
  REQUIRE(std::holds_alternative<RollbackAction>(fire[0].action));
  CHECK(fire[0].at_ns == 5 * kMinute);  // after: the delay after firing
  CHECK(std::get<RollbackAction>(fire[0].action).to_before == "lb_change");
  CHECK(fire[0].text == "auto");
  CHECK(fire[0].name.empty());
  REQUIRE(std::holds_alternative<SetWeightAction>(fire[1].action));
  CHECK(fire[1].at_ns == 0);  // after defaults to 0s
  CHECK(std::get<SetWeightAction>(fire[1].action).target.servers == indices({2, 1}));
  CHECK(std::get<SetWeightAction>(fire[1].action).weight == 1.0);
  CHECK(fire[1].mitigation);
  REQUIRE(std::holds_alternative<TrafficAction>(fire[2].action));
  CHECK(fire[2].at_ns == 10 * kSecond);
  CHECK(std::get<TrafficAction>(fire[2].action).rate_per_s == 50.0);
  CHECK(std::get<TrafficAction>(fire[2].action).ramp_ns == kMinute);
  REQUIRE(std::holds_alternative<NoteAction>(fire[3].action));
  CHECK(fire[3].text == "paged");
  // The alerts' actions are not in the timeline, nor do they start the incident.
  CHECK(config.timeline.size() == 1);
  CHECK(config.incident.start_ns == kMinute);
}

TEST_CASE("timeline keys: alert errors") {
  // Alerts on line 10, items from line 11 at column 5.
  const std::string head = base() + "alerts:\n";
  CHECK_CONFIG_ERROR(load(head + "  - {name: a, metric: error_rate, above: 5%, below: 1%}\n"),
                     "inline.yaml", 11, 5,
                     "alerts.0: expected exactly one of above or below (the threshold); got both");
  CHECK_CONFIG_ERROR(load(head + "  - {name: a, metric: error_rate, for: 1m}\n"), "inline.yaml", 11,
                     5,
                     "alerts.0: expected exactly one of above or below (the threshold); got "
                     "neither");
  CHECK_CONFIG_ERROR(load(head + "  - {name: a, metric: error_rate, above: 5%}\n" +
                          "  - {name: a, metric: p99, above: 1s}\n"),
                     "inline.yaml", 12, 12,
                     "alerts.1.name: duplicate alert name \"a\" (first at inline.yaml:11:12)");
  CHECK_CONFIG_ERROR(load(head + "  - {name: a, metric: p98, above: 1s}\n"), "inline.yaml", 11, 23,
                     "alerts.0.metric: expected one of error_rate, latency_mean, latency_p50, "
                     "latency_p90, latency_p99, utilization_mean, utilization_max, imbalance, "
                     "healthy_servers, healthy_fraction, servers_down, offered_rate, retry_rate, "
                     "queue_total, response_mean, p50, p90, p99, traffic_imbalance; got \"p98\"");
  CHECK_CONFIG_ERROR(load(head + "  - {name: a, metric: p99, above: 0.5}\n"), "inline.yaml", 11, 35,
                     "alerts.0.above: expected a duration with a unit");
  CHECK_CONFIG_ERROR(load(head + "  - {name: a, metric: error_rate, above: 150%}\n"), "inline.yaml",
                     11, 42, "alerts.0.above: expected a fraction in [0, 1]");
  CHECK_CONFIG_ERROR(load(head + "  - {metric: error_rate, above: 5%}\n"), "inline.yaml", 11, 5,
                     "missing required key \"name\" in alerts.0");
  CHECK_CONFIG_ERROR(load(head + "  - {name: a, metric: error_rate, above: 5%, when: 1m}\n"),
                     "inline.yaml", 11, 46,
                     "unknown key \"when\" in alerts.0; valid keys: name, metric, above, below, "
                     "for, on_fire");
}

// Lines 10-14: an alert whose on_fire list starts on line 15 ("      - {" : column 9).
std::string alert_firing(const std::string& action, const std::string& before = "") {
  return base() + before + "alerts:\n  - name: auto\n    metric: error_rate\n    above: 5%\n" +
         "    on_fire:\n      - " + action + "\n";
}

TEST_CASE("timeline keys: errors in an alert's actions") {
  CHECK_CONFIG_ERROR(load(alert_firing("{after: 5m, action: rollback, to_before: nothing}")),
                     "inline.yaml", 15, 50,
                     "alerts.0.on_fire.0.to_before: expected the name of an action in the "
                     "timeline; got \"nothing\"");
  CHECK_CONFIG_ERROR(
      load(alert_firing("{after: 5m, action: rollback, name: undo, to_before: change}")),
      "inline.yaml", 15, 39,
      "unknown key \"name\" in alerts.0.on_fire.0; valid keys for action rollback: after, action, "
      "text, mitigation, to_before");
  CHECK_CONFIG_ERROR(load(alert_firing("{at: 5m, action: note, text: x}")), "inline.yaml", 15, 10,
                     "unknown key \"at\" in alerts.0.on_fire.0; valid keys for action note: after, "
                     "action, text, mitigation");
  CHECK_CONFIG_ERROR(load(alert_firing("{after: \"08:30\", action: note, text: x}")), "inline.yaml",
                     15, 17, "alerts.0.on_fire.0.after: expected a duration");
  // Timeline items (line 11) before the alert shift it by two lines.
  CHECK_CONFIG_ERROR(load(alert_firing("{action: set_weight, group: web, weight: 2}",
                                       timeline_yaml({"{at: 1m, action: note, text: x}"})),
                          {"balancer.strategy=round_robin"}),
                     "inline.yaml", 17, 50,
                     "alerts.0.on_fire.0.weight: strategy round_robin does not apply weight "
                     "changes during a run");
}

// ---- errors in timeline actions ----------------------------------------------------------------
// Items on line 11; "  - {at: 1m, action: " puts the action's name at column 22.

TEST_CASE("timeline keys: an unknown action lists the actions") {
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: reboot}"})), "inline.yaml", 11,
                     22,
                     "timeline.0.action: expected one of note, set_weight, set_speed, "
                     "set_strategy, set_health_check, set_outlier_detection, "
                     "set_circuit_breakers, set_panic_threshold, kill, start, restart, "
                     "phased_restart, add_servers, remove_servers, traffic, rollback; got "
                     "\"reboot\"");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, text: x}"})), "inline.yaml", 11, 5,
                     "missing required key \"action\" in timeline.0");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{action: note, text: x}"})), "inline.yaml", 11,
                     5, "missing required key \"at\" in timeline.0");
}

TEST_CASE("timeline keys: an unknown key lists the keys valid for that action") {
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: set_weight, servers: web-0, wieght: 10}"})),
      "inline.yaml", 11, 50,
      "unknown key \"wieght\" in timeline.0; valid keys for action set_weight: at, action, text, "
      "mitigation, name, servers, group, weight");
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: restart, group: web, every: 1m}"})),
      "inline.yaml", 11, 43,
      "unknown key \"every\" in timeline.0; valid keys for action restart: at, "
      "action, text, mitigation, name, servers, group, down, drain");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: note, text: x, group: web}"})),
                     "inline.yaml", 11, 37,
                     "unknown key \"group\" in timeline.0; valid keys for action note: at, action, "
                     "text, mitigation, name");
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: traffic, rate: 50/s, hold: 1m}"})),
      "inline.yaml", 11, 43,
      "unknown key \"hold\" in timeline.0; valid keys for action traffic: at, action, text, "
      "mitigation, name, rate, multiplier, ramp, for");
}

TEST_CASE("timeline keys: at at or after the end of the run") {
  for (const char* at : {"1h", "2h"}) {
    CAPTURE(at);
    CHECK_CONFIG_ERROR(
        load(base() + timeline_yaml({std::string("{at: ") + at + ", action: note, text: x}"})),
        "inline.yaml", 11, 10,
        "timeline.0.at: expected a time before the end of the run (warmup + duration = 3600s); "
        "got \"" +
            std::string(at) + "\"");
  }
  CHECK(actions({"{at: 3599999999999ns, action: note, text: x}"})[0].at_ns == kHour - 1);
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 30, action: note, text: x}"})),
                     "inline.yaml", 11, 10, "timeline.0.at: expected a duration with a unit");
}

TEST_CASE("timeline keys: servers and groups must exist, one or the other") {
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: kill, servers: [web-0, web-9]}"})),
      "inline.yaml", 11, 45,
      "timeline.0.servers: expected a server of the fleet (<group>-<n>: web-0, "
      "web-1, api-0, api-1, ...); got \"web-9\"");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: kill, group: db}"})),
                     "inline.yaml", 11, 35,
                     "timeline.0.group: expected a server group (api, web); got \"db\"");
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: kill, servers: web-0, group: web}"})),
      "inline.yaml", 11, 44, "timeline.0: expected servers or group, not both");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: kill}"})), "inline.yaml", 11, 5,
                     "timeline.0: expected servers (a name or a list) or group");
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: kill, servers: [web-0, web-0]}"})),
      "inline.yaml", 11, 45, "timeline.0.servers: server web-0 is named twice");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: kill, servers: []}"})),
                     "inline.yaml", 11, 37, "timeline.0.servers: expected at least one server");
}

TEST_CASE("timeline keys: action names are unique; a rollback names an earlier action") {
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: note, name: a, text: x}",
                                                  "{at: 2m, action: note, name: a, text: y}"})),
                     "inline.yaml", 12, 34,
                     "timeline.1.name: duplicate action name \"a\" (first at inline.yaml:11:34)");
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: rollback, to_before: nothing}"})),
      "inline.yaml", 11, 43,
      "timeline.0.to_before: expected the name of an action in the timeline; got "
      "\"nothing\"");
  // Later in time, and at the same time but written after.
  for (const char* at : {"2m", "1m"}) {
    CAPTURE(at);
    CHECK_CONFIG_ERROR(
        load(base() +
             timeline_yaml({"{at: 1m, action: rollback, to_before: change}",
                            std::string("{at: ") + at +
                                ", action: set_weight, name: change, group: web, weight: 3}"})),
        "inline.yaml", 11, 43,
        "timeline.0.to_before: expected a named action that runs before this rollback; got "
        "\"change\"");
  }
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: rollback, name: r, to_before: r}"})),
      "inline.yaml", 11, 52,
      "timeline.0.to_before: expected a named action that runs before this "
      "rollback");
}

TEST_CASE("timeline keys: set_weight needs a strategy that reads weights") {
  const std::string round_robin = "{strategy: round_robin}";
  CHECK_CONFIG_ERROR(
      load(base(round_robin) +
           timeline_yaml({"{at: 1m, action: set_weight, group: web, weight: 3}"})),
      "inline.yaml", 11, 54,
      "timeline.0.weight: strategy round_robin does not apply weight changes during a run (it "
      "ignores weights, or reads them only when it builds its map), so this changes nothing; "
      "expected a strategy that does (");
  // source_hash reads weights when it builds its static map, never again: also an error.
  CHECK_CONFIG_ERROR(load(base("{strategy: source_hash}") +
                          timeline_yaml({"{at: 1m, action: set_weight, group: web, weight: 3}"})),
                     "inline.yaml", 11, 54,
                     "strategy source_hash does not apply weight changes during a run");
  // A set_strategy to a weighted strategy makes weights matter.
  const auto timeline = actions({"{at: 30s, action: set_strategy, strategy: least_request}",
                                 "{at: 1m, action: set_weight, group: web, weight: 3}"},
                                round_robin);
  REQUIRE(timeline.size() == 2);
  CHECK(get<SetWeightAction>(timeline[1]).weight == 3.0);
  // A set_strategy to another unweighted strategy does not.
  CHECK_CONFIG_ERROR(load(base(round_robin) +
                          timeline_yaml({"{at: 30s, action: set_strategy, strategy: random}",
                                         "{at: 1m, action: set_weight, group: web, weight: 3}"})),
                     "inline.yaml", 12, 54,
                     "timeline.1.weight: strategy round_robin does not apply weight changes");
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: set_weight, group: web, weight: 0}"})),
      "inline.yaml", 11, 54, "timeline.0.weight: expected a finite number > 0; got \"0\"");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: set_weight, group: web}"})),
                     "inline.yaml", 11, 5, "missing required key \"weight\" in timeline.0");
}

TEST_CASE("timeline keys: set_strategy errors") {
  // "  - {at: 1m, action: set_strategy, strategy: " puts the strategy name at column 46.
  CHECK_CONFIG_ERROR(
      load(base() +
           timeline_yaml({"{at: 1m, action: set_strategy, strategy: round_robin, choices: 3}"})),
      "inline.yaml", 11, 59,
      "option \"choices\" belongs to strategy least_request, not round_robin");
  CHECK_CONFIG_ERROR(
      load(base() +
           timeline_yaml({"{at: 1m, action: set_strategy, strategy: random, instances: 4}"})),
      "inline.yaml", 11, 54,
      "balancer key \"instances\" cannot change in timeline.0; set_strategy takes the strategy and "
      "its options");
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: set_strategy, strategy: random, "
                                   "health_check: {}}"})),
      "inline.yaml", 11, 54, "balancer key \"health_check\" cannot change");
  CHECK_CONFIG_ERROR(
      load(base() +
           timeline_yaml({"{at: 1m, action: set_strategy, strategy: least_request, choices: 0}"})),
      "inline.yaml", 11, 70, "timeline.0.choices: expected an integer");
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: set_strategy, strategy: fastest}"})),
      "inline.yaml", 11, 46, "timeline.0.strategy: expected a strategy (one of ");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: set_strategy}"})),
                     "inline.yaml", 11, 5, "missing required key \"strategy\" in timeline.0");
  // Strategy-level checks run on the option values: Maglev's table size must be prime.
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: set_strategy, strategy: maglev, "
                                   "table_size: 100}"})),
      "inline.yaml", 11, 46, "timeline.0.strategy: strategy maglev: ");
}

// An unknown key in a set_strategy action should list the keys valid there: the common action
// keys and the strategy's options. The generic balancer keys (instances, view, ...) are errors in
// set_strategy, so listing them as valid misleads.
TEST_CASE("timeline keys: set_strategy's unknown-key message lists what the action takes") {
  // Like every other action: "valid keys for action <kind>: " and the keys it takes.
  CHECK_CONFIG_ERROR(
      load(base() +
           timeline_yaml({"{at: 1m, action: set_strategy, strategy: least_request, choises: 3}"})),
      "inline.yaml", 11, 61,
      "unknown key \"choises\" in timeline.0; valid keys for action set_strategy: at, action, "
      "text, mitigation, name, strategy, choices, active_request_bias");
  // `name` in an alert's set_strategy: the same message as for the other actions in alerts.
  CHECK_CONFIG_ERROR(load(alert_firing("{action: set_strategy, strategy: random, name: x}")),
                     "inline.yaml", 15, 50,
                     "unknown key \"name\" in alerts.0.on_fire.0; valid keys for action "
                     "set_strategy: after, action, text, mitigation, strategy");
}

TEST_CASE("timeline keys: health, outlier and circuit-breaker action errors") {
  // "  - {at: 1m, action: set_circuit_breakers, circuit_breakers: {max_pending: 10}}": the
  // value 10 at column 76. max_pending needs the balancer-side queue (a group's max_connections).
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: set_circuit_breakers, "
                                                  "circuit_breakers: {max_pending: 10}}"})),
                     "inline.yaml", 11, 76,
                     "timeline.0.circuit_breakers.max_pending: acts only on the balancer-side "
                     "queue, which exists when a server group sets max_connections; expected "
                     "max_connections on some group, or no max_pending");
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: set_health_check, health_check: "
                                   "{interval: 500ms}}"})),
      "inline.yaml", 11, 65,
      "timeline.0.health_check.interval: expected interval >= timeout (1s, the "
      "default");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: set_health_check}"})),
                     "inline.yaml", 11, 5, "missing required key \"health_check\" in timeline.0");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: set_outlier_detection, "
                                                  "outlier_detection: {consecutive_errors: 0}}"})),
                     "inline.yaml", 11, 85,
                     "timeline.0.outlier_detection.consecutive_errors: expected an integer >= 1");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: set_panic_threshold, "
                                                  "panic_threshold: 150%}"})),
                     "inline.yaml", 11, 60,
                     "timeline.0.panic_threshold: expected a fraction in [0, 1]");
}

// A scalar other than off: the message should name off as well as the map.
TEST_CASE("timeline keys: set_health_check with a scalar other than off names off") {
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: set_health_check, health_check: on}"})),
      "inline.yaml", 11, 54, "or off");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: set_outlier_detection, "
                                                  "outlier_detection: disabled}"})),
                     "inline.yaml", 11, 64, "or off");
}

TEST_CASE("timeline keys: add_servers, note, restart and traffic errors") {
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: add_servers, servers: web-0, count: 2}"})),
      "inline.yaml", 11, 51,
      "timeline.0: count adds new servers like those of a group; expected group with count");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: add_servers, count: 2}"})),
                     "inline.yaml", 11, 35, "timeline.0: count adds new servers");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: add_servers, group: web}"})),
                     "inline.yaml", 11, 5,
                     "timeline.0: expected count with group (how many servers to add)");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: add_servers}"})), "inline.yaml",
                     11, 5, "timeline.0: expected group with count (new servers) or servers");
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: add_servers, group: web, count: 0}"})),
      "inline.yaml", 11, 54, "timeline.0.count: expected an integer");

  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: note}"})), "inline.yaml", 11, 5,
                     "timeline.0: a note needs a non-empty text");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: note, text: \"\"}"})),
                     "inline.yaml", 11, 34, "timeline.0: a note needs a non-empty text");

  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: phased_restart, group: web}"})),
                     "inline.yaml", 11, 5, "missing required key \"every\" in timeline.0");
  CHECK_CONFIG_ERROR(
      load(base() +
           timeline_yaml({"{at: 1m, action: phased_restart, group: web, every: 1m, batch: 0}"})),
      "inline.yaml", 11, 68, "timeline.0.batch: expected an integer");

  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: traffic, rate: 50/s, multiplier: 2}"})),
      "inline.yaml", 11, 5, "timeline.0: expected exactly one of rate or multiplier; got both");
  CHECK_CONFIG_ERROR(load(base() + timeline_yaml({"{at: 1m, action: traffic, ramp: 1m}"})),
                     "inline.yaml", 11, 5,
                     "timeline.0: expected exactly one of rate or multiplier; got neither");
  CHECK_CONFIG_ERROR(
      load(base() + timeline_yaml({"{at: 1m, action: traffic, rate: 50/s, for: 0s}"})),
      "inline.yaml", 11, 48, "timeline.0.for: expected a duration > 0");
}

TEST_CASE("timeline keys: traffic actions are refused with trace arrivals") {
  // Line 9: "  - {at: 10s, action: traffic, ..." puts the action's name at column 23.
  const std::string yaml =
      "name: t\nduration: 1m\nworkload:\n  arrivals: trace\n  trace: {file: trace_gap.csv, "
      "time_column: gap_s, time_format: gap}\n  service: {dist: exponential, mean: 10ms}\n"
      "servers: [{group: a}]\ntimeline:\n  - {at: 10s, action: traffic, rate: 50/s}\n";
  CHECK_CONFIG_ERROR(load(yaml), "inline.yaml", 9, 23,
                     "timeline.0.action: a traced workload plays as recorded; traffic actions "
                     "need poisson or deterministic arrivals");
}

}  // namespace
}  // namespace lbsim
