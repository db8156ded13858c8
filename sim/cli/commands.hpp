#pragma once
// The lbsim subcommands. Each takes its own argument list (without the subcommand name) and
// returns the process exit status: 0 success, 1 internal failure, 2 bad input or usage (with a
// message on stderr naming what was wrong), 3 a change that lbsim check blocks.
#include <string>
#include <vector>

namespace lbsim::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitBlocked = 3;  // lbsim check: the change breaches the SLO

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

[[nodiscard]] const std::vector<Command>& commands();

int command_run(const std::vector<std::string>& args);
int command_validate(const std::vector<std::string>& args);
int command_compare(const std::vector<std::string>& args);
int command_replay(const std::vector<std::string>& args);
int command_check(const std::vector<std::string>& args);
int command_sweep(const std::vector<std::string>& args);
int command_capacity(const std::vector<std::string>& args);
int command_report(const std::vector<std::string>& args);

}  // namespace lbsim::cli
