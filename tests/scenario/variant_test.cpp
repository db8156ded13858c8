// Strategy variants for `lbsim compare --strategies`: the list is split, each variant parsed and
// checked against the registry, and applied to a scenario by replacing the strategy and its own
// options while keeping the generic balancer keys. Errors are located at "--strategies <variant>".
//
// The registry's own strategies may declare no options, so option handling is exercised on every
// registered strategy that has one (and the rules that need none on round_robin and random).
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "sim/scenario/scenario.hpp"
#include "test_util.hpp"

namespace lbsim {
namespace {

const std::string kBase =
    "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
    "10ms}\nbalancer:\n  strategy: random\n  instances: 3\n  view: global\n  view_refresh: "
    "1s\nservers:\n  - {group: web, count: 2}\n";

Scenario load(const std::string& variant, const std::vector<std::string>& overrides = {},
              const std::string& yaml = kBase) {
  return load_scenario(ScenarioText{yaml, "inline.yaml", "."},
                       {.overrides = overrides, .variant = variant});
}

TEST_CASE("split_strategy_list splits on commas, trims, keeps duplicates, rejects empties") {
  CHECK(split_strategy_list("round_robin") == std::vector<std::string>{"round_robin"});
  CHECK(split_strategy_list("random, round_robin:x=1 ,random") ==
        std::vector<std::string>{"random", "round_robin:x=1", "random"});
  CHECK_CONFIG_ERROR(split_strategy_list("random,,round_robin"), "--strategies random,,round_robin",
                     0, 0, "expected a comma-separated list of strategies");
  CHECK_CONFIG_ERROR(split_strategy_list(""), "--strategies ", 0, 0, "got an empty entry");
  CHECK_CONFIG_ERROR(split_strategy_list("random,"), "--strategies random,", 0, 0,
                     "got an empty entry");
}

TEST_CASE("a variant replaces the strategy and keeps the generic balancer keys") {
  const Scenario scenario = load("round_robin");
  const BalancerConfig& b = scenario.config.balancer;
  CHECK(b.strategy.name() == "round_robin");
  CHECK(b.instances == 3);
  CHECK(b.view == LoadView::kGlobal);
  CHECK(b.view_refresh_ns == kSecond);
  // Everything else is the base scenario's.
  CHECK(scenario.config.name == "t");
  CHECK(scenario.config.servers.size() == 1);
  // With overrides applied first, and to a scenario without a balancer section.
  CHECK(load("random", {"balancer.instances=5"}).config.balancer.instances == 5);
  const std::string no_balancer =
      "name: t\nduration: 1m\nworkload:\n  rate: 100/s\n  service: {dist: exponential, mean: "
      "10ms}\nservers:\n  - {group: web}\n";
  CHECK(load("random", {}, no_balancer).config.balancer.strategy.name() == "random");
  CHECK(load("random", {}, no_balancer + "balancer:\n").config.balancer.strategy.name() ==
        "random");
}

TEST_CASE("variant errors name the variant") {
  CHECK_CONFIG_ERROR(load("fastest"), "--strategies fastest", 0, 0,
                     "unknown strategy \"fastest\"; expected one of " + strategy_names());
  CHECK_CONFIG_ERROR(load("round_robin:choicez=3"), "--strategies round_robin:choicez=3", 0, 0,
                     "unknown option \"choicez\"");
  CHECK_CONFIG_ERROR(load(":x=1"), "--strategies :x=1", 0, 0, "expected a strategy name");
  CHECK_CONFIG_ERROR(load("random:"), "--strategies random:", 0, 0,
                     "expected option=value after \":\"; got \"\"");
  CHECK_CONFIG_ERROR(load("random:choices"), "--strategies random:choices", 0, 0,
                     "expected option=value");
  // what() reads as the brief promises: "--strategies <variant>: <message>".
  const auto caught = test::config_error([] { (void)load("round_robin:choicez=3"); });
  REQUIRE(caught.has_value());
  CHECK(
      std::string(caught->what()).rfind("--strategies round_robin:choicez=3: unknown option", 0) ==
      0);
}

TEST_CASE("generic balancer keys are not variant options") {
  CHECK_CONFIG_ERROR(load("random:instances=2"), "--strategies random:instances=2", 0, 0,
                     "unknown option \"instances\"");
  CHECK_CONFIG_ERROR(load("random:strategy=round_robin"),
                     "--strategies random:strategy=round_robin", 0, 0,
                     "unknown option \"strategy\"");
}

TEST_CASE("the base strategy's options are still validated, then dropped") {
  // A key no strategy declares is a typo in the file: reported at the file, not hidden.
  std::string typo = kBase;
  typo.insert(typo.find("servers:"), "  chioces: 2\n");
  CHECK_CONFIG_ERROR(load("round_robin", {}, typo), "inline.yaml", 11, 3,
                     "unknown key \"chioces\" in balancer");
  // A base strategy that is not registered is reported at the file too.
  CHECK_CONFIG_ERROR(load("random", {"balancer.strategy=fastest"}), "--set balancer.strategy", 0, 0,
                     "expected a strategy (one of");
}

// Every registered strategy with options: each option given in a variant takes effect, the others
// keep their defaults, a bad value is reported at the variant, a repeated option is an error, and
// the base strategy's options do not leak into another strategy.
TEST_CASE("variant options of every registered strategy that declares some") {
  int strategies_with_options = 0;
  for (const StrategyInfo& info : strategy_catalog()) {
    if (info.options.empty()) {
      CHECK_CONFIG_ERROR(load(info.name + ":x=1"), "--strategies " + info.name + ":x=1", 0, 0,
                         "strategy " + info.name + " takes no options");
      continue;
    }
    ++strategies_with_options;
    CAPTURE(info.name);
    const OptionSpec& spec = info.options.front();
    // A valid non-default value of the first option, written in scenario syntax.
    std::string text;
    OptionValue expected;
    std::ostringstream number;
    number.precision(17);
    switch (spec.type) {
      case OptionType::kInteger:
      case OptionType::kReal:
      case OptionType::kDuration: {
        const double current = std::get<double>(spec.default_value);
        double value = current + 1 <= spec.max ? current + 1 : current - 1;
        // Maglev's table size must also be prime (checked by the strategy itself).
        if (info.name == "maglev" && spec.name == "table_size") value = 65539;
        if (value < spec.min) continue;  // a single allowed value: nothing to vary
        number << value << (spec.type == OptionType::kDuration ? "s" : "");
        text = number.str();
        expected = value;
        break;
      }
      case OptionType::kChoice: {
        const std::string& current = std::get<std::string>(spec.default_value);
        text = spec.choices.front() == current ? spec.choices.back() : spec.choices.front();
        expected = text;
        break;
      }
    }
    const std::string variant = info.name + ":" + spec.name + "=" + text;
    const BalancerConfig b = load(variant).config.balancer;
    CHECK(b.strategy.name() == info.name);
    CHECK(b.instances == 3);
    if (spec.type == OptionType::kDuration) {
      // Durations pass through whole nanoseconds: equal to 1 ns.
      CHECK(std::abs(std::get<double>(b.strategy.options.at(spec.name)) -
                     std::get<double>(expected)) <= 1e-9);
    } else {
      CHECK(b.strategy.options.at(spec.name) == expected);
    }
    for (std::size_t i = 1; i < info.options.size(); ++i) {
      if (info.options[i].optional) {
        CHECK_FALSE(option_given(b.strategy.options, info.options[i].name));
      } else {
        CHECK(b.strategy.options.at(info.options[i].name) == info.options[i].default_value);
      }
    }
    CHECK_CONFIG_ERROR(load(variant + ":" + spec.name + "=" + text),
                       "--strategies " + variant + ":" + spec.name + "=" + text, 0, 0,
                       "option \"" + spec.name + "\" given twice");
    CHECK_CONFIG_ERROR(load(info.name + ":" + spec.name + "=[1]"),
                       "--strategies " + info.name + ":" + spec.name + "=[1]", 0, 0,
                       "balancer." + spec.name + ": expected");
    // The base scenario naming this strategy with its option: another variant drops the option.
    const std::vector<std::string> base = {"balancer.strategy=" + info.name,
                                           "balancer." + spec.name + "=" + text};
    const std::string other = info.name == "round_robin" ? "random" : "round_robin";
    const StrategyOptions other_options = load(other, base).config.balancer.strategy.options;
    CHECK(other_options.size() == find_strategy(other)->options.size());
    CHECK(load(info.name, base).config.balancer.strategy.options.at(spec.name) ==
          spec.default_value);
  }
  MESSAGE(strategies_with_options << " registered strategies declare options");
}

TEST_CASE("load_scenario with a variant reads the file and checks the variant first") {
  const std::string path = std::string(LBSIM_SOURCE_DIR) + "/scenarios/example.yaml";
  const Scenario scenario =
      load_scenario(ScenarioFile{path}, {.overrides = {"workload.rate=10/s"}, .variant = "random"});
  CHECK(scenario.config.balancer.strategy.name() == "random");
  CHECK(scenario.config.workload.rate_per_s == 10.0);
  CHECK(scenario.path == path);
  CHECK_CONFIG_ERROR(load_scenario(ScenarioFile{"/no/such.yaml"}, {.variant = "fastest"}),
                     "--strategies fastest", 0, 0, "unknown strategy");
}

TEST_CASE("load_scenario refuses a what-if and a variant together") {
  // A what-if changes the scenario replay measures; a variant replaces the strategy compare
  // measures. Both at once has no meaning in any command, so it is an error, not a silent pick.
  const std::string path = std::string(LBSIM_SOURCE_DIR) + "/scenarios/example.yaml";
  CHECK_CONFIG_ERROR(load_scenario(ScenarioFile{path}, {.what_if = "x", .variant = "random"}),
                     "--what-if x", 0, 0, "expected either a what-if or a strategy variant");
}

}  // namespace
}  // namespace lbsim
