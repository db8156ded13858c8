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
  if (setup_.servers_csv != nullptr) {
    *setup_.servers_csv << "t_s,server,group,arrivals,completed,utilization,queue_mean,queue_max\n";
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
  track.busy_area += track.busy * dt;
  track.queue_area += static_cast<double>(track.queued) * dt;
  if (until > setup_.warmup_ns) {
    const SimTime from = std::max(track.last_change, setup_.warmup_ns);
    track.measured_busy_area += track.busy * static_cast<double>(until - from);
  }
  track.last_change = until;
}

void Recorder::advance_to(SimTime now) {
  while (now >= window_end_ && window_start_ < setup_.end_ns) close_window();
}

void Recorder::close_window() {
  const SimTime end = std::min(window_end_, setup_.end_ns);
  const auto length = static_cast<double>(end - window_start_);
  double util_sum = 0.0;
  double util_max = 0.0;
  double queue_sum = 0.0;
  std::size_t members = 0;
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    ServerTrack& track = tracks_[i];
    integrate(track, end);
    // Capacity counts only while the server is in the fleet: a server that joins later is not
    // "idle" before it exists (no value for windows before it joins).
    const auto member_time =
        static_cast<double>(end - std::max(window_start_, setup_.servers[i].joins_at));
    const double util =
        member_time > 0 ? track.busy_area / (setup_.servers[i].workers * member_time) : kNoValue;
    const double queue_mean = length > 0 ? track.queue_area / length : 0.0;
    if (member_time > 0) {
      ++members;
      util_sum += util;
      util_max = std::max(util_max, util);
    }
    queue_sum += queue_mean;
    if (setup_.servers_csv != nullptr) {
      std::ostream& out = *setup_.servers_csv;
      out << format_number(to_seconds(window_start_)) << ',' << setup_.servers[i].name << ','
          << setup_.servers[i].group << ',' << track.arrivals << ',' << track.completed << ','
          << format_number(util) << ',' << format_number(queue_mean) << ',' << track.queue_max
          << '\n';
    }
    track.busy_area = track.queue_area = 0.0;
    track.queue_max = track.queued;
    track.arrivals = track.completed = 0;
  }
  current_.start = window_start_;
  current_.utilization_mean = members == 0 ? 0.0 : util_sum / static_cast<double>(members);
  current_.utilization_max = util_max;
  current_.queue_total_mean = queue_sum;
  current_.servers_down = servers_down_;
  if (window_latency_.count() > 0) {
    current_.mean_s = window_latency_.mean_s();
    current_.p50_s = window_latency_.quantile_s(0.50);
    current_.p90_s = window_latency_.quantile_s(0.90);
    current_.p99_s = window_latency_.quantile_s(0.99);
  }
  windows_.push_back(current_);
  current_ = WindowRow{};
  window_latency_.reset();
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
}

void Recorder::on_dispatch(SimTime now, std::uint32_t server) {
  advance_to(now);
  ++tracks_[server].arrivals;
}

void Recorder::on_request_done(SimTime now, const RequestOutcome& outcome) {
  advance_to(now);
  const bool measured = outcome.arrival >= setup_.warmup_ns;
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

void Recorder::on_server_down(SimTime now, std::uint32_t /*server*/) {
  advance_to(now);
  ++servers_down_;
  if (now >= setup_.warmup_ns) ++totals_.crashes;
}

void Recorder::on_server_up(SimTime now, std::uint32_t /*server*/) {
  advance_to(now);
  --servers_down_;
}

void Recorder::finish() {
  if (finished_) return;
  finished_ = true;
  while (window_start_ < setup_.end_ns) close_window();
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    const auto member_time =
        static_cast<double>(setup_.end_ns - std::max(setup_.warmup_ns, setup_.servers[i].joins_at));
    totals_.utilization[i] =
        member_time > 0 ? tracks_[i].measured_busy_area / (setup_.servers[i].workers * member_time)
                        : kNoValue;
  }
  std::stable_sort(log_.begin(), log_.end(),
                   [](const LogRow& a, const LogRow& b) { return a.time < b.time; });
}

}  // namespace lbsim
