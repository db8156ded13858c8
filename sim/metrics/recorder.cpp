#include "sim/metrics/recorder.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/metrics/csv_format.hpp"

namespace lbsim {

Recorder::Recorder(RecorderSetup setup)
    : setup_(std::move(setup)),
      window_end_(setup_.window_ns),
      tracks_(setup_.servers.size()),
      active_bits_((setup_.user_population + 63) / 64, 0),
      affected_bits_((setup_.user_population + 63) / 64, 0) {
  if (setup_.window_ns <= 0 || setup_.end_ns <= setup_.warmup_ns) {
    throw std::invalid_argument("recorder needs window > 0 and end > warmup");
  }
  totals_.utilization.assign(setup_.servers.size(), 0.0);
  totals_.dispatched.assign(setup_.servers.size(), 0);
  totals_.failed_attempts.assign(setup_.servers.size(), 0);
  totals_.overload_errors.assign(setup_.servers.size(), 0);
  totals_.traffic_share.assign(setup_.servers.size(), kNoValue);
  totals_.down_fraction.assign(setup_.servers.size(), kNoValue);
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    tracks_[i].member = setup_.servers[i].joins_at == 0;
    tracks_[i].status.member = tracks_[i].member;
    if (tracks_[i].member) {
      ++members_;
      ++in_rotation_;
    }
  }
  if (setup_.incident.start_ns >= 0) {
    incident_.start = setup_.incident.start_ns;
    incident_first_arrival_.assign(setup_.user_population, UINT32_MAX);
    incident_first_failure_.assign(setup_.user_population, UINT32_MAX);
  }
  if (setup_.servers_csv != nullptr) {
    std::ostream& out = *setup_.servers_csv;
    out << "t_s,server,group,arrivals,completed,utilization,queue_mean,queue_max,dispatched,failed";
    for (const ErrorKind kind : kServerErrorKinds) out << ',' << error_kind_name(kind);
    out << ",up_s,down_s,ejected_s,failing_checks_s,drained_s\n";
  }
}

void Recorder::mark(std::vector<std::uint64_t>& bits, std::uint64_t user, std::uint64_t& count) {
  std::uint64_t& word = bits[user >> 6];
  const std::uint64_t bit = std::uint64_t{1} << (user & 63);
  if ((word & bit) == 0) {
    word |= bit;
    ++count;
  }
}

void Recorder::integrate(ServerTrack& track, SimTime until) {
  if (until <= track.last_change) return;
  const auto dt = static_cast<double>(until - track.last_change);
  // Capacity counts only while the server is up in the fleet (a server that joins later is not
  // "idle" before it exists, a crashed one is not idle while down), and while a server that left
  // still finishes its work.
  const bool capacity = (track.member && track.status.up) || track.busy > 0;
  const ServerStatus& status = track.status;
  track.busy_area += track.busy * dt;
  track.queue_area += static_cast<double>(track.queued) * dt;
  if (capacity) track.capacity_area += dt;
  if (track.member) {
    track.fleet_area += dt;
    if (!status.up) track.down_area += dt;
    if (status.ejected) track.ejected_area += dt;
    if (!status.passing) track.failing_area += dt;
    if (status.drained) track.drained_area += dt;
  }
  if (until > setup_.warmup_ns) {
    const auto measured = static_cast<double>(until - std::max(track.last_change, setup_.warmup_ns));
    track.measured_busy_area += track.busy * measured;
    if (capacity) track.measured_capacity_area += measured;
    if (track.member) {
      track.measured_fleet_area += measured;
      if (!status.up) track.measured_down_area += measured;
    }
  }
  track.last_change = until;
}

void Recorder::advance_to(SimTime now) {
  while (now >= window_end_ && window_start_ < setup_.end_ns) close_window();
}

void Recorder::write_server_row(std::size_t i, double utilization, double queue_mean) const {
  const ServerTrack& track = tracks_[i];
  std::ostream& out = *setup_.servers_csv;
  out << format_number(to_seconds(window_start_)) << ',' << setup_.servers[i].name << ','
      << setup_.servers[i].group << ',' << track.dispatched << ',' << track.completed << ','
      << format_number(utilization) << ',' << format_number(queue_mean) << ',' << track.queue_max
      << ',' << track.dispatched << ',' << track.failed;
  for (const std::uint32_t count : track.by_error) out << ',' << count;
  out << ',' << format_number((track.fleet_area - track.down_area) / 1e9) << ','
      << format_number(track.down_area / 1e9) << ',' << format_number(track.ejected_area / 1e9)
      << ',' << format_number(track.failing_area / 1e9) << ','
      << format_number(track.drained_area / 1e9) << '\n';
}

void Recorder::keep_incident_window(std::size_t i) {
  const ServerTrack& track = tracks_[i];
  window_busy_.push_back(static_cast<float>(track.busy_area));
  window_member_.push_back(static_cast<float>(track.capacity_area * setup_.servers[i].workers));
  window_fleet_.push_back(static_cast<float>(track.fleet_area));
  window_down_.push_back(static_cast<float>(track.down_area));
  window_dispatched_.push_back(static_cast<std::uint32_t>(track.dispatched));
  window_failed_.push_back(static_cast<std::uint32_t>(track.failed));
  window_overload_.push_back(track.overload);
}

void Recorder::close_window() {
  const SimTime end = std::min(window_end_, setup_.end_ns);
  const auto length = static_cast<double>(end - window_start_);
  double util_sum = 0.0;
  double util_max = 0.0;
  double queue_sum = 0.0;
  std::size_t members = 0;
  // Traffic imbalance: max over servers of dispatched / (weight x time in the fleet), scaled by
  // the fleet's totals of both (share_over_fair).
  double dispatched_total = 0.0, weighted_total = 0.0, per_weight_max = 0.0;
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    ServerTrack& track = tracks_[i];
    integrate(track, end);
    const double capacity = track.capacity_area;
    const double util =
        capacity > 0 ? track.busy_area / (setup_.servers[i].workers * capacity) : kNoValue;
    const double queue_mean = length > 0 ? track.queue_area / length : 0.0;
    if (capacity > 0) {
      ++members;
      util_sum += util;
      util_max = std::max(util_max, util);
    }
    const double weighted = setup_.servers[i].weight * track.fleet_area;
    dispatched_total += static_cast<double>(track.dispatched);
    if (weighted > 0.0) {
      weighted_total += weighted;
      per_weight_max = std::max(per_weight_max, static_cast<double>(track.dispatched) / weighted);
    }
    queue_sum += queue_mean;
    if (setup_.servers_csv != nullptr) write_server_row(i, util, queue_mean);
    if (incident_.start >= 0) keep_incident_window(i);
    track.busy_area = track.queue_area = track.capacity_area = track.fleet_area = 0.0;
    track.down_area = track.ejected_area = track.failing_area = track.drained_area = 0.0;
    track.queue_max = track.queued;
    track.dispatched = track.completed = track.failed = 0;
    track.by_error.fill(0);
    track.overload = 0;
  }
  current_.start = window_start_;
  current_.utilization_mean = members == 0 ? 0.0 : util_sum / static_cast<double>(members);
  current_.utilization_max = util_max;
  current_.queue_total_mean = queue_sum;
  current_.servers_down = servers_down_;
  current_.members = members_;
  current_.healthy = in_rotation_;
  current_.imbalance = members > 0 && current_.utilization_mean > 0
                           ? current_.utilization_max / current_.utilization_mean
                           : kNoValue;
  if (dispatched_total > 0.0 && weighted_total > 0.0) {
    current_.traffic_imbalance = per_weight_max * weighted_total / dispatched_total;
  }
  if (window_latency_.count() > 0) {
    current_.mean_s = window_latency_.mean_s();
    current_.p50_s = window_latency_.quantile_s(0.50);
    current_.p90_s = window_latency_.quantile_s(0.90);
    current_.p99_s = window_latency_.quantile_s(0.99);
  }
  if (window_response_.count() > 0) {
    current_.response_mean_s = window_response_.mean_s();
    current_.response_p50_s = window_response_.quantile_s(0.50);
    current_.response_p90_s = window_response_.quantile_s(0.90);
    current_.response_p99_s = window_response_.quantile_s(0.99);
  }
  windows_.push_back(current_);
  current_ = WindowRow{};
  window_latency_.reset();
  window_response_.reset();
  window_start_ = window_end_;
  window_end_ += setup_.window_ns;
}

void Recorder::on_request_arrival(SimTime now, std::uint64_t user, double /*demand_s*/) {
  advance_to(now);
  ++current_.offered;
  if (now >= setup_.warmup_ns) {
    ++totals_.offered;
    mark(active_bits_, user, totals_.users_active);
  }
  if (incident_.start >= 0 && now >= incident_.start) {
    const auto window =
        static_cast<std::uint32_t>(std::min<SimTime>(now / setup_.window_ns, UINT32_MAX - 1));
    std::uint32_t& first = incident_first_arrival_[user];
    if (first == UINT32_MAX) first = window;
    if (incident_offered_.size() <= window) incident_offered_.resize(window + 1, 0);
    ++incident_offered_[window];
  }
}

void Recorder::on_dispatch(SimTime now, std::uint32_t server) {
  advance_to(now);
  ServerTrack& track = tracks_[server];
  ++track.dispatched;
  if (now >= setup_.warmup_ns) ++track.measured_dispatched;
}

void Recorder::on_attempt_failed(SimTime now, std::uint32_t server, ErrorKind error) {
  advance_to(now);
  ServerTrack& track = tracks_[server];
  ++track.failed;
  for (std::size_t k = 0; k < kServerErrorKinds.size(); ++k) {
    if (kServerErrorKinds[k] == error) ++track.by_error[k];
  }
  const bool overload = is_overload_error(error);
  if (overload) ++track.overload;
  if (now >= setup_.warmup_ns) {
    ++track.measured_failed;
    if (overload) ++track.measured_overload;
  }
}

void Recorder::on_request_done(SimTime now, const RequestOutcome& outcome) {
  advance_to(now);
  const bool measured = outcome.arrival >= setup_.warmup_ns;
  const SimTime response = outcome.end - outcome.arrival;
  window_response_.record(response);
  if (measured) response_.record(response);
  if (outcome.error == ErrorKind::kNone) {
    ++current_.completed;
    const SimTime latency = outcome.end - outcome.arrival;
    window_latency_.record(latency);
    if (measured) {
      ++totals_.completed;
      latency_.record(latency);
      const SimTime wait = outcome.service_start - outcome.arrival;
      wait_.record(wait);
      totals_.wait_sum_s += to_seconds(wait);
      if (wait > 0) ++totals_.waited;
    }
  } else {
    const auto kind = static_cast<std::size_t>(outcome.error);
    ++current_.failed;
    ++current_.by_error[kind];
    if (measured) {
      ++totals_.failed;
      ++totals_.by_error[kind];
      mark(affected_bits_, outcome.user, totals_.users_affected);
    }
    if (incident_.start >= 0 && outcome.arrival >= incident_.start) {
      // Counted by arrival time, like offered, so failed <= offered in any span of windows.
      const auto window = static_cast<std::uint32_t>(
          std::min<SimTime>(outcome.arrival / setup_.window_ns, UINT32_MAX - 1));
      std::uint32_t& first = incident_first_failure_[outcome.user];
      if (first == UINT32_MAX) first = window;
      if (incident_failed_.size() <= window) incident_failed_.resize(window + 1, 0);
      ++incident_failed_[window];
    }
  }
}

void Recorder::on_service_done(SimTime now, std::uint32_t server, bool client_waiting) {
  advance_to(now);
  ++tracks_[server].completed;
  if (!client_waiting) {
    ++current_.wasted;
    if (now >= setup_.warmup_ns) ++totals_.wasted;
  }
}

void Recorder::on_server_state(SimTime now, std::uint32_t server, std::int32_t busy,
                               std::int64_t queued) {
  advance_to(now);
  ServerTrack& track = tracks_[server];
  integrate(track, now);
  track.busy = busy;
  track.queued = queued;
  track.queue_max = std::max(track.queue_max, queued);
}

void Recorder::on_log(SimTime now, std::string_view kind, std::string_view subject,
                      std::string_view detail) {
  log_.push_back({now, std::string(kind), std::string(subject), std::string(detail)});
}

void Recorder::on_retry(SimTime now) {
  advance_to(now);
  ++current_.retries;
  if (now >= setup_.warmup_ns) ++totals_.retries;
}

void Recorder::on_server_down(SimTime now, std::uint32_t server, DownCause cause) {
  advance_to(now);
  ++servers_down_;
  if (now >= setup_.warmup_ns) ++totals_.crashes;
  ServerTrack& track = tracks_[server];
  if (incident_.start >= 0 && now >= incident_.start) {
    if (cause == DownCause::kCrash) {
      ++incident_.crashes;
      if (!track.crashed) ++incident_.servers_crashed;
      track.crashed = true;
    } else {
      if (!track.killed) ++incident_.servers_killed;
      track.killed = true;
    }
    if (!track.failed_in_incident) {
      track.failed_in_incident = true;
      incident_.cascade.push_back({now, server, cause == DownCause::kCrash ? "crash" : "killed"});
    }
  }
}

void Recorder::on_server_up(SimTime now, std::uint32_t /*server*/) {
  advance_to(now);
  --servers_down_;
}

void Recorder::on_server_join(SimTime now, std::uint32_t server) {
  advance_to(now);
  integrate(tracks_[server], now);
  tracks_[server].member = true;
}

void Recorder::on_server_leave(SimTime now, std::uint32_t server) {
  advance_to(now);
  integrate(tracks_[server], now);
  tracks_[server].member = false;
}

void Recorder::on_server_status(SimTime now, std::uint32_t server, const ServerStatus& status) {
  advance_to(now);
  ServerTrack& track = tracks_[server];
  integrate(track, now);  // the time so far counts under the status it had
  const ServerStatus before = track.status;
  track.status = status;
  members_ = members_ - (before.member ? 1 : 0) + (status.member ? 1 : 0);
  in_rotation_ = in_rotation_ - (before.in_rotation() ? 1 : 0) + (status.in_rotation() ? 1 : 0);
  if (incident_.start >= 0 && now >= incident_.start) incident_status(now, server, before);
}

void Recorder::incident_status(SimTime now, std::uint32_t server, const ServerStatus& before) {
  ServerTrack& track = tracks_[server];
  const ServerStatus& status = track.status;
  if (status.ejected && !before.ejected) {
    ++incident_.ejections;
    if (!track.ejected) ++incident_.servers_ejected;
    track.ejected = true;
  }
  // Crashes and kills enter the cascade from on_server_down, which names the cause.
  const char* cause = nullptr;
  if (before.passing && !status.passing) cause = "unhealthy";
  if (!before.ejected && status.ejected) cause = "ejected";
  if (cause != nullptr && !track.failed_in_incident) {
    track.failed_in_incident = true;
    incident_.cascade.push_back({now, server, cause});
  }
  if (members_ > 0) {
    const double out = static_cast<double>(members_ - in_rotation_) / static_cast<double>(members_);
    if (out > incident_.max_fleet_down_fraction) {
      incident_.max_fleet_down_fraction = out;
      incident_.max_fleet_down_at = now;
    }
  }
}

void Recorder::on_action(SimTime now, std::string_view /*kind*/, bool /*change*/, bool mitigation,
                         bool from_alert) {
  advance_to(now);
  if (mitigation && incident_.start >= 0 && now >= incident_.start && incident_.mitigated < 0) {
    incident_.mitigated = now;
    incident_.mitigation_scripted = !from_alert;
  }
}

void Recorder::on_alert(SimTime now, std::string_view /*name*/, bool firing) {
  advance_to(now);
  if (!firing || incident_.start < 0 || now < incident_.start) return;
  ++incident_.alerts_fired;
  if (incident_.detected < 0) incident_.detected = now;
}

void Recorder::on_window_boundary(SimTime now) {
  advance_to(now);
  if (windows_.empty() || windows_.back().start + setup_.window_ns != now) {
    throw std::logic_error("a window boundary off the recorder's window boundaries");
  }
  if (setup_.window_listener == nullptr) return;
  const WindowRow& row = windows_.back();
  const double length_s = to_seconds(setup_.window_ns);
  WindowMetrics out;
  out.start = row.start;
  out.end = now;
  out.error_rate = row.error_rate();
  out.latency_mean_s = row.mean_s;
  out.p50_s = row.p50_s;
  out.p90_s = row.p90_s;
  out.p99_s = row.p99_s;
  out.response_mean_s = row.response_mean_s;
  out.response_p50_s = row.response_p50_s;
  out.response_p90_s = row.response_p90_s;
  out.response_p99_s = row.response_p99_s;
  out.traffic_imbalance = row.traffic_imbalance;
  out.utilization_mean = row.members > 0 ? row.utilization_mean : kNoValue;
  out.utilization_max = row.members > 0 ? row.utilization_max : kNoValue;
  out.imbalance = row.imbalance;
  out.healthy_servers = row.healthy;
  out.healthy_fraction =
      row.members > 0 ? static_cast<double>(row.healthy) / row.members : kNoValue;
  out.servers_down = row.servers_down;
  out.offered_per_s = static_cast<double>(row.offered) / length_s;
  out.retries_per_s = static_cast<double>(row.retries) / length_s;
  out.queue_total = row.queue_total_mean;
  setup_.window_listener->on_window(now, out);
}

void Recorder::finish() {
  if (finished_) return;
  finished_ = true;
  while (window_start_ < setup_.end_ns) close_window();
  finish_totals();
  if (incident_.start >= 0) finish_incident();
  std::stable_sort(log_.begin(), log_.end(),
                   [](const LogRow& a, const LogRow& b) { return a.time < b.time; });
}

void Recorder::finish_totals() {
  double dispatched_total = 0.0, weighted_total = 0.0;
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    const ServerTrack& track = tracks_[i];
    const double capacity = track.measured_capacity_area;
    totals_.utilization[i] =
        capacity > 0 ? track.measured_busy_area / (setup_.servers[i].workers * capacity) : kNoValue;
    totals_.dispatched[i] = track.measured_dispatched;
    totals_.failed_attempts[i] = track.measured_failed;
    totals_.overload_errors[i] = track.measured_overload;
    totals_.down_fraction[i] = track.measured_fleet_area > 0
                                   ? track.measured_down_area / track.measured_fleet_area
                                   : kNoValue;
    dispatched_total += static_cast<double>(track.measured_dispatched);
    weighted_total += setup_.servers[i].weight * track.measured_fleet_area;
  }
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    const ServerTrack& track = tracks_[i];
    const double share =
        share_over_fair(static_cast<double>(track.measured_dispatched), dispatched_total,
                        setup_.servers[i].weight * track.measured_fleet_area, weighted_total);
    totals_.traffic_share[i] = share;
    if (!std::isnan(share) &&
        (std::isnan(totals_.traffic_imbalance) || share > totals_.traffic_imbalance)) {
      totals_.traffic_imbalance = share;
    }
  }
}

void Recorder::finish_incident() {
  const IncidentConfig& config = setup_.incident;
  incident_.recovery_error_rate = config.recovery_error_rate >= 0.0 ? config.recovery_error_rate
                                  : config.slo > 0.0 ? std::round((1.0 - config.slo) * 1e12) / 1e12
                                                     : 0.01;
  // Windows that overlap the incident (the one holding its start included).
  SimTime last_bad_end = -1;
  for (const WindowRow& row : windows_) {
    const SimTime end = std::min(row.start + setup_.window_ns, setup_.end_ns);
    if (end <= incident_.start) continue;
    const double rate = row.error_rate();
    if (rate > incident_.peak_error_rate || incident_.peak_at < 0) {
      incident_.peak_error_rate = rate;
      incident_.peak_at = row.start;
    }
    if (rate > incident_.recovery_error_rate) last_bad_end = end;
  }
  incident_.degraded = last_bad_end >= 0;
  // Recovered for good: at the end of the last bad window, unless that is the end of the run.
  incident_.recovered = incident_.degraded && last_bad_end < setup_.end_ns ? last_bad_end : -1;
  const SimTime incident_end = incident_.recovered >= 0 ? incident_.recovered : setup_.end_ns;
  // Windows are whole up to incident_end (a window boundary, or the end of the run).
  const auto end_window =
      static_cast<std::uint64_t>((incident_end + setup_.window_ns - 1) / setup_.window_ns);
  for (std::size_t w = 0; w < incident_offered_.size() && w < end_window; ++w) {
    incident_.offered += incident_offered_[w];
  }
  for (std::size_t w = 0; w < incident_failed_.size() && w < end_window; ++w) {
    incident_.failed += incident_failed_[w];
  }
  // Per-server figures over the windows overlapping [start, end).
  const std::size_t servers = tracks_.size();
  std::vector<double> busy(servers, 0.0), capacity(servers, 0.0), fleet(servers, 0.0);
  std::vector<double> down(servers, 0.0);
  incident_.dispatched.assign(servers, 0);
  incident_.failed_attempts.assign(servers, 0);
  incident_.overload_errors.assign(servers, 0);
  const auto first_window = static_cast<std::size_t>(incident_.start / setup_.window_ns);
  for (std::size_t w = first_window; w < end_window && (w + 1) * servers <= window_busy_.size();
       ++w) {
    for (std::size_t i = 0; i < servers; ++i) {
      const std::size_t at = w * servers + i;
      busy[i] += window_busy_[at];
      capacity[i] += window_member_[at];
      fleet[i] += window_fleet_[at];
      down[i] += window_down_[at];
      incident_.dispatched[i] += window_dispatched_[at];
      incident_.failed_attempts[i] += window_failed_[at];
      incident_.overload_errors[i] += window_overload_[at];
    }
  }
  incident_.utilization.assign(servers, kNoValue);
  incident_.traffic_share.assign(servers, kNoValue);
  incident_.down_fraction.assign(servers, kNoValue);
  double sum = 0.0, dispatched_total = 0.0, weighted_total = 0.0;
  std::size_t counted = 0;
  for (std::size_t i = 0; i < servers; ++i) {
    dispatched_total += static_cast<double>(incident_.dispatched[i]);
    weighted_total += setup_.servers[i].weight * fleet[i];
    if (fleet[i] > 0.0) incident_.down_fraction[i] = down[i] / fleet[i];
    if (capacity[i] <= 0.0) continue;
    incident_.utilization[i] = busy[i] / capacity[i];
    sum += incident_.utilization[i];
    ++counted;
  }
  for (std::size_t i = 0; i < servers; ++i) {
    incident_.traffic_share[i] =
        share_over_fair(static_cast<double>(incident_.dispatched[i]), dispatched_total,
                        setup_.servers[i].weight * fleet[i], weighted_total);
  }
  incident_.utilization_mean = counted > 0 ? sum / static_cast<double>(counted) : kNoValue;
  incident_.crashed.assign(servers, 0);
  for (std::size_t i = 0; i < servers; ++i) incident_.crashed[i] = tracks_[i].crashed ? 1 : 0;
  for (std::size_t u = 0; u < incident_first_arrival_.size(); ++u) {
    if (incident_first_arrival_[u] < end_window) ++incident_.users_active;
    if (incident_first_failure_[u] < end_window) ++incident_.users_affected;
  }
}

}  // namespace lbsim
