// Strategy options: validated by each OptionSpec (type, range, choices) and filled with defaults.
// A test catalog entry exercises every option type, independently of what the registered
// strategies declare.
#include <doctest/doctest.h>

#include <string>
#include <variant>

#include "sim/scenario/scenario.hpp"
#include "sim/scenario/yaml_tree.hpp"
#include "test_util.hpp"

namespace lbsim {
namespace {

OptionSpec option(const std::string& name, OptionType type, OptionValue default_value,
                  double min = 0.0, double max = 1e300) {
  OptionSpec spec;
  spec.name = name;
  spec.type = type;
  spec.default_value = std::move(default_value);
  spec.min = min;
  spec.max = max;
  return spec;
}

StrategyInfo test_strategy() {
  StrategyInfo info;
  info.name = "test_strategy";
  info.options.push_back(option("choices", OptionType::kInteger, 2.0, 1, 64));
  info.options.push_back(option("bias", OptionType::kReal, 0.5, 0, 1));
  info.options.push_back(option("decay", OptionType::kDuration, 10.0, 0.001));
  info.options.push_back(option("mode", OptionType::kChoice, std::string("fast")));
  info.options.back().choices = {"fast", "slow"};
  return info;
}

StrategyOptions read(const std::string& yaml) {
  const yaml::Node balancer = yaml::parse(yaml, "b.yaml");
  return read_strategy_options(test_strategy(), balancer, "balancer");
}

TEST_CASE("missing options take their defaults") {
  const StrategyOptions options = read("strategy: test_strategy\ninstances: 2\n");
  REQUIRE(options.size() == 4);
  CHECK(std::get<double>(options.at("choices")) == 2.0);
  CHECK(std::get<double>(options.at("bias")) == 0.5);
  CHECK(std::get<double>(options.at("decay")) == 10.0);
  CHECK(std::get<std::string>(options.at("mode")) == "fast");
}

TEST_CASE("given options are parsed by type; durations are stored in seconds") {
  const StrategyOptions options = read("choices: 3\nbias: 0.25\ndecay: 250ms\nmode: slow\n");
  CHECK(std::get<double>(options.at("choices")) == 3.0);
  CHECK(std::get<double>(options.at("bias")) == 0.25);
  CHECK(std::get<double>(options.at("decay")) == 0.25);
  CHECK(std::get<std::string>(options.at("mode")) == "slow");
  CHECK(option_number(options, "choices") == 3.0);
}

TEST_CASE("option values out of range or of the wrong type are located errors") {
  CHECK_CONFIG_ERROR(read("choices: 0\n"), "b.yaml", 1, 10,
                     "balancer.choices: expected an integer in [1, 64]; got \"0\"");
  CHECK_CONFIG_ERROR(read("choices: 2.5\n"), "b.yaml", 1, 10, "expected an integer in [1, 64]");
  CHECK_CONFIG_ERROR(read("bias: 1.5\n"), "b.yaml", 1, 7,
                     "balancer.bias: expected a finite number in [0, 1]; got \"1.5\"");
  CHECK_CONFIG_ERROR(read("decay: 0s\n"), "b.yaml", 1, 8,
                     "balancer.decay: expected a duration >= 0.001s; got \"0s\"");
  CHECK_CONFIG_ERROR(read("decay: 5\n"), "b.yaml", 1, 8, "expected a duration with a unit");
  CHECK_CONFIG_ERROR(read("mode: medium\n"), "b.yaml", 1, 7,
                     "balancer.mode: expected one of fast, slow; got \"medium\"");
  CHECK_CONFIG_ERROR(read("mode: [fast]\n"), "b.yaml", 1, 7, "got a list");
}

TEST_CASE("generic balancer keys are not strategy options and are skipped") {
  const StrategyOptions options =
      read("strategy: test_strategy\nview: global\nunit: connection\nslow_start: {}\nchoices: 3\n");
  CHECK(options.size() == 4);
  CHECK(std::get<double>(options.at("choices")) == 3.0);
}

TEST_CASE("a strategy declaring an option named like a generic key is a programming error") {
  StrategyInfo info = test_strategy();
  info.options.push_back(option("view", OptionType::kReal, 1.0));
  const yaml::Node balancer = yaml::parse("strategy: test_strategy\n", "b.yaml");
  CHECK_THROWS_AS((void)read_strategy_options(info, balancer, "balancer"), std::logic_error);
}

TEST_CASE("an unknown option lists this strategy's keys") {
  CHECK_CONFIG_ERROR(read("bias: 0.1\nchoice: 2\n"), "b.yaml", 2, 1,
                     "unknown key \"choice\" in balancer; valid keys for strategy test_strategy: "
                     "strategy, instances, instance_selection, view, view_refresh, unit, "
                     "connection_lifetime, reconnect_backoff, queue_timeout, queue_limit, "
                     "slow_start, health_check, outlier_detection, panic_threshold, "
                     "fail_traffic_on_panic, passive_health, circuit_breakers, choices, bias, "
                     "decay, mode");
}

}  // namespace
}  // namespace lbsim
