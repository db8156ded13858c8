#include "sim/metrics/run_output.hpp"

#include <unistd.h>

#include <fstream>
#include <system_error>

#include "sim/metrics/csv_format.hpp"

namespace lbsim {

namespace fs = std::filesystem;

namespace {

// ".<name>.<tag>-<pid>": a hidden sibling used while writing or replacing. Built by append rather
// than operator+ to sidestep a GCC 12 -Wrestrict false positive.
std::string sibling_name(const fs::path& target, const char* tag) {
  std::string name(1, '.');
  name.append(target.filename().string()).append(".").append(tag).append("-");
  name.append(std::to_string(::getpid()));
  return name;
}

}  // namespace

void write_timeseries_csv(std::ostream& out, const Recorder& recorder) {
  out << "t_s,warmup,offered,completed,failed,error_rate";
  for (int k = 1; k < kErrorKindCount; ++k)
    out << ',' << error_kind_name(static_cast<ErrorKind>(k));
  out << ",mean_s,p50_s,p90_s,p99_s,utilization_mean,utilization_max,queue_total_mean,wasted,"
         "retries,servers_down,members,healthy,imbalance,response_mean_s,response_p50_s,response_p90_s,"
         "response_p99_s,traffic_imbalance\n";
  const SimTime warmup = recorder.setup().warmup_ns;
  for (const WindowRow& row : recorder.windows()) {
    out << format_number(to_seconds(row.start)) << ',' << (row.start < warmup ? 1 : 0) << ','
        << row.offered << ',' << row.completed << ',' << row.failed << ','
        << format_number(row.error_rate());
    for (int k = 1; k < kErrorKindCount; ++k) out << ',' << row.by_error[k];
    out << ',' << format_number(row.mean_s) << ',' << format_number(row.p50_s) << ','
        << format_number(row.p90_s) << ',' << format_number(row.p99_s) << ','
        << format_number(row.utilization_mean) << ',' << format_number(row.utilization_max) << ','
        << format_number(row.queue_total_mean) << ',' << row.wasted << ',' << row.retries << ','
        << row.servers_down << ',' << row.members << ',' << row.healthy << ','
        << format_number(row.imbalance) << ',' << format_number(row.response_mean_s) << ','
        << format_number(row.response_p50_s) << ',' << format_number(row.response_p90_s) << ','
        << format_number(row.response_p99_s) << ',' << format_number(row.traffic_imbalance)
        << '\n';
  }
}

void write_events_csv(std::ostream& out, const Recorder& recorder) {
  out << "t_s,kind,subject,detail\n";
  for (const LogRow& row : recorder.log()) {
    out << format_number(to_seconds(row.time)) << ',' << csv_field(row.kind) << ','
        << csv_field(row.subject) << ',' << csv_field(row.detail) << '\n';
  }
}

void write_json(std::ostream& out, const nlohmann::ordered_json& document) {
  out << document.dump(2) << '\n';
}

void RunDirectory::check_target(const fs::path& target, bool force) {
  std::error_code ec;
  if (!fs::exists(target, ec)) return;
  if (!fs::is_directory(target, ec)) {
    throw OutputError("output path " + target.string() + " exists and is not a directory");
  }
  if (!force && !fs::is_empty(target, ec)) {
    throw OutputError("output directory " + target.string() +
                      " exists and is not empty; choose another --out or pass --force");
  }
}

RunDirectory::RunDirectory(fs::path target, bool force)
    : target_(std::move(target)), force_(force) {
  check_target(target_, force_);
  if (target_.filename().empty()) target_ = target_.parent_path();
  const fs::path parent = target_.has_parent_path() ? target_.parent_path() : fs::path(".");
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw OutputError("cannot create " + parent.string() + ": " + ec.message());
  temp_ = parent / sibling_name(target_, "tmp");
  fs::remove_all(temp_, ec);
  fs::create_directory(temp_, ec);
  if (ec) throw OutputError("cannot create " + temp_.string() + ": " + ec.message());
}

RunDirectory::~RunDirectory() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

fs::path RunDirectory::file(const std::string& name) const {
  return temp_ / name;
}

void RunDirectory::commit() {
  std::error_code ec;
  fs::path old;
  if (fs::exists(target_, ec)) {
    check_target(target_, force_);  // it may have appeared while we ran
    old = target_.parent_path() / sibling_name(target_, "old");
    fs::remove_all(old, ec);
    fs::rename(target_, old, ec);
    if (ec) throw OutputError("cannot replace " + target_.string() + ": " + ec.message());
  }
  fs::rename(temp_, target_, ec);
  if (ec) {
    if (!old.empty()) fs::rename(old, target_, ec);
    throw OutputError("cannot move the run into " + target_.string() + ": " + ec.message());
  }
  committed_ = true;
  if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace lbsim
