#pragma once
// Running the built lbsim binary from tests: its exit status and everything it printed.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace lbsim::test {

struct CliResult {
  int status = -1;
  std::string output;  // stdout and stderr together
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs `lbsim ARGS` from the source directory (so scenarios/... paths work).
inline CliResult run_cli(const std::string& args) {
  static int counter = 0;
  const std::filesystem::path capture =
      std::filesystem::temp_directory_path() /
      ("lbsim_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".txt");
  const std::string command = "cd " + shell_quote(LBSIM_SOURCE_DIR) + " && " +
                              shell_quote(LBSIM_BINARY) + " " + args + " > " +
                              shell_quote(capture.string()) + " 2>&1";
  const int raw = std::system(command.c_str());
  CliResult result;
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  result.output = read_file(capture);
  std::filesystem::remove(capture);
  return result;
}

}  // namespace lbsim::test
