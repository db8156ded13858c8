#pragma once
// The run directory (DESIGN.md "Outputs"): timeseries.csv, servers.csv, events.csv (summary.json
// is summary_json, sim/metrics/run_summary.hpp).
// Written atomically: everything goes into a temporary sibling directory that is renamed into
// place only when complete, so a failed run leaves nothing half-written.
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "sim/metrics/recorder.hpp"
#include "sim/model/config.hpp"

namespace lbsim {

void write_timeseries_csv(std::ostream& out, const Recorder& recorder);
void write_events_csv(std::ostream& out, const Recorder& recorder);
// Pretty JSON with a trailing newline; numbers in shortest round-trip form.
void write_json(std::ostream& out, const nlohmann::ordered_json& document);

class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A run directory being written. The constructor refuses an existing non-empty target unless
// `force`, and creates a temporary directory beside it; commit() moves it into place (replacing
// the old one when forced). Destroyed without commit(), it removes the temporary directory.
class RunDirectory {
 public:
  RunDirectory(std::filesystem::path target, bool force);
  ~RunDirectory();
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

  // Where to write `name` before commit.
  [[nodiscard]] std::filesystem::path file(const std::string& name) const;
  void commit();
  [[nodiscard]] const std::filesystem::path& target() const { return target_; }

  // Throws OutputError if `target` exists and is a non-empty directory (or a file) and !force.
  static void check_target(const std::filesystem::path& target, bool force);

 private:
  std::filesystem::path target_;
  std::filesystem::path temp_;
  bool force_;
  bool committed_ = false;
};

}  // namespace lbsim
