// lbsim replay --sensitivity (sim/study/sensitivity): the values a range tries and the errors a
// malformed range gets. The replays themselves are tested end to end (tests/e2e/replay_test).
#include <doctest/doctest.h>

#include "sim/core/error.hpp"
#include "sim/study/sensitivity.hpp"

namespace lbsim::study {
namespace {

std::string message_of(const std::string& spec) {
  try {
    (void)parse_sensitivity(spec);
  } catch (const ConfigError& e) {
    return e.where().to_string() + ": " + e.message();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a range tries lo, the midpoint of two numbers with one unit, and hi") {
  const SensitivityRange rate = parse_sensitivity("workload.rate=2000/s..4000/s");
  CHECK(rate.key == "workload.rate");
  CHECK(rate.values == std::vector<std::string>{"2000/s", "3000/s", "4000/s"});
  // Integers stay integers (a server count, a population), rounded half away from zero.
  CHECK(parse_sensitivity("servers.0.count=4..7").values ==
        std::vector<std::string>{"4", "6", "7"});
  CHECK(parse_sensitivity("workload.users=1000..30000").values ==
        std::vector<std::string>{"1000", "15500", "30000"});
  CHECK(parse_sensitivity("client.timeout=0.5s..2s").values ==
        std::vector<std::string>{"0.5s", "1.25s", "2s"});
  CHECK(parse_sensitivity("x=10%..30%").values == std::vector<std::string>{"10%", "20%", "30%"});
  // Large integers stay plain integers (a key would reject "2e+06"); reals take the fewest
  // digits that give the midpoint.
  CHECK(parse_sensitivity("workload.users=1000000..3000001").values ==
        std::vector<std::string>{"1000000", "2000001", "3000001"});
  CHECK(sensitivity_midpoint("0.1", "0.2") == std::optional<std::string>("0.15"));
}

TEST_CASE("no midpoint where none is well defined") {
  // Adjacent integers: the midpoint would round onto an end.
  CHECK(parse_sensitivity("servers.0.count=4..5").values == std::vector<std::string>{"4", "5"});
  // Different units, clock times, names.
  CHECK_FALSE(sensitivity_midpoint("30s", "2m").has_value());
  CHECK_FALSE(sensitivity_midpoint("08:30", "09:30").has_value());
  CHECK(parse_sensitivity("balancer.strategy=random..least_request").values ==
        std::vector<std::string>{"random", "least_request"});
}

TEST_CASE("a malformed range is an error located at the argument") {
  CHECK(message_of("workload.rate=2000/s") ==
        "--sensitivity workload.rate=2000/s: expected a range lo..hi after \"workload.rate=\"; "
        "got \"2000/s\"");
  CHECK(message_of("workload.rate") ==
        "--sensitivity workload.rate: expected key.path=lo..hi (e.g. "
        "workload.rate=2000/s..4000/s); got \"workload.rate\"");
  CHECK(message_of("=1..2").rfind("--sensitivity =1..2: expected key.path=lo..hi", 0) == 0);
  CHECK(message_of("x=..2") ==
        "--sensitivity x=..2: expected a range lo..hi with both ends given; got \"..2\"");
  CHECK(message_of("x=1..2..3") ==
        "--sensitivity x=1..2..3: expected a range lo..hi with both ends given; got \"1..2..3\"");
  CHECK(message_of("x=3..3") == "--sensitivity x=3..3: expected two different ends; got 3 twice");
}

}  // namespace lbsim::study
