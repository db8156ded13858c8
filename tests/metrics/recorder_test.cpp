// The metrics Recorder fed observer events by hand, as a Simulation would send them (in time
// order), against values computed by hand: the counting rules of recorder.hpp (totals by
// arrival after warmup, window rows by end time), time-averaged utilisation and queues, the
// per-server CSV stream, fleet standing at each window's end, and latency quantiles, which go
// through LatencyHistogram and so are exact only to its bucket bound.
#include "sim/metrics/recorder.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace lbsim {
namespace {

constexpr SimTime kMs = kMillisecond;

// `workers` per server, in group "g", all present from the start unless `joins_at` says.
RecorderSetup setup(std::vector<std::int32_t> workers, SimTime warmup_ns, SimTime end_ns,
                    std::vector<SimTime> joins_at = {}) {
  RecorderSetup s;
  s.warmup_ns = warmup_ns;
  s.end_ns = end_ns;
  s.window_ns = 10 * kSecond;
  for (std::size_t i = 0; i < workers.size(); ++i) {
    const SimTime join = i < joins_at.size() ? joins_at[i] : 0;
    s.servers.push_back({"g-" + std::to_string(i), "g", workers[i], 1.0, join});
  }
  s.user_population = 10;
  return s;
}

RequestOutcome outcome(std::uint64_t user, SimTime arrival, SimTime service_start, SimTime end,
                       ErrorKind error = ErrorKind::kNone) {
  return {user, arrival, service_start, end, 0, error, 0};
}

std::size_t kind(ErrorKind error) {
  return static_cast<std::size_t>(error);
}

}  // namespace

TEST_CASE("Recorder: totals count arrivals after warmup; window rows count by end time") {
  Recorder r(setup({1}, 10 * kSecond, 40 * kSecond));
  r.on_request_arrival(5 * kSecond, 1, 0.01);  // in the warmup
  r.on_request_done(12 * kSecond, outcome(1, 5 * kSecond, 11 * kSecond, 12 * kSecond));
  r.on_request_arrival(15 * kSecond, 2, 0.01);
  r.on_request_done(16 * kSecond, outcome(2, 15 * kSecond, 15'500 * kMs, 16 * kSecond));
  r.on_request_arrival(18 * kSecond, 3, 0.01);
  r.on_request_arrival(19 * kSecond, 2, 0.01);  // user 2 again: one active user
  r.on_request_done(19'200 * kMs, outcome(2, 19 * kSecond, 19 * kSecond, 19'200 * kMs));
  r.on_request_done(21 * kSecond, outcome(3, 18 * kSecond, -1, 21 * kSecond, ErrorKind::kTimeout));
  r.on_retry(25 * kSecond);
  r.on_service_done(26 * kSecond, 0, false);  // the client had given up: wasted work
  r.finish();

  const Totals& t = r.totals();
  CHECK(t.offered == 3);  // 15 s, 18 s, 19 s; not the warmup's 5 s
  CHECK(t.completed == 2);
  CHECK(t.failed == 1);
  CHECK(t.by_error[kind(ErrorKind::kTimeout)] == 1);
  CHECK(t.users_active == 2);    // users 2 and 3
  CHECK(t.users_affected == 1);  // user 3
  CHECK(t.retries == 1);
  CHECK(t.wasted == 1);
  CHECK(t.waited == 1);  // only the 15 s request waited (0.5 s)
  CHECK(t.wait_sum_s == doctest::Approx(0.5).epsilon(1e-12));
  CHECK(r.latency().count() == 2);  // 1 s and 0.2 s; the warmup's request is not measured
  CHECK(r.latency().max_s() == 1.0);
  CHECK(r.latency().min_s() == 0.2);

  const std::vector<WindowRow>& w = r.windows();
  REQUIRE(w.size() == 4);  // [0, 10), [10, 20), [20, 30), [30, 40)
  CHECK(w[0].offered == 1);
  CHECK(w[0].completed == 0);
  CHECK(w[1].offered == 3);
  CHECK(w[1].completed == 3);  // by end time: the warmup's request ends at 12 s, in here
  CHECK(w[1].error_rate() == 0.0);
  CHECK(w[2].failed == 1);
  CHECK(w[2].by_error[kind(ErrorKind::kTimeout)] == 1);
  CHECK(w[2].error_rate() == 1.0);
  CHECK(w[2].retries == 1);
  CHECK(w[2].wasted == 1);
  CHECK(w[3].offered == 0);
  CHECK(std::isnan(w[3].mean_s));  // no completed request: no latency
}

TEST_CASE("Recorder: utilisation and queues are time averages; per-server rows are streamed") {
  std::ostringstream csv;
  RecorderSetup s = setup({1, 2}, 0, 20 * kSecond);
  s.servers_csv = &csv;
  Recorder r(s);
  // g-0 (1 worker): busy from 2 s to 7 s. g-1 (2 workers): both busy with 3 queued until 5 s,
  // then one busy until 15 s.
  r.on_server_state(0, 1, 2, 3);
  r.on_dispatch(1 * kSecond, 0);
  r.on_server_state(2 * kSecond, 0, 1, 0);
  r.on_dispatch(3 * kSecond, 1);
  r.on_server_state(5 * kSecond, 1, 1, 0);
  r.on_service_done(7 * kSecond, 0, true);
  r.on_server_state(7 * kSecond, 0, 0, 0);
  r.on_dispatch(12 * kSecond, 1);
  r.on_server_state(15 * kSecond, 1, 0, 0);
  r.finish();

  const std::vector<WindowRow>& w = r.windows();
  REQUIRE(w.size() == 2);
  // Window 0: g-0 5 s of 10 = 0.5; g-1 (2 x 5 + 1 x 5) / (2 x 10) = 0.75; queue 3 x 5 s / 10 s.
  CHECK(w[0].utilization_mean == doctest::Approx(0.625).epsilon(1e-12));
  CHECK(w[0].utilization_max == doctest::Approx(0.75).epsilon(1e-12));
  CHECK(w[0].imbalance == doctest::Approx(1.2).epsilon(1e-12));
  CHECK(w[0].queue_total_mean == doctest::Approx(1.5).epsilon(1e-12));
  // Window 1: g-1 one worker of 2 for 5 s of 10 = 0.25, g-0 idle.
  CHECK(w[1].utilization_mean == doctest::Approx(0.125).epsilon(1e-12));
  CHECK(w[1].imbalance == doctest::Approx(2.0).epsilon(1e-12));
  CHECK(w[1].queue_total_mean == 0.0);
  // Over the whole measured period: g-0 5/20, g-1 (15 + 5) / (2 x 20).
  CHECK(r.totals().utilization == std::vector<double>{0.25, 0.5});
  CHECK(csv.str() ==
        "t_s,server,group,arrivals,completed,utilization,queue_mean,queue_max,dispatched,failed,"
        "queue_full,timeout,refused,crash_lost,queue_timeout,up_s,down_s,ejected_s,"
        "failing_checks_s,drained_s\n"
        "0,g-0,g,1,1,0.5,0,0,1,0,0,0,0,0,0,10,0,0,0,0\n"
        "0,g-1,g,1,0,0.75,1.5,3,1,0,0,0,0,0,0,10,0,0,0,0\n"
        "10,g-0,g,0,0,0,0,0,0,0,0,0,0,0,0,10,0,0,0,0\n"
        "10,g-1,g,1,0,0.25,0,0,1,0,0,0,0,0,0,10,0,0,0,0\n");
}

TEST_CASE("Recorder: a down server is down, not idle; its failures and traffic share are its own") {
  // Issue 11: g-0 (weight 1) is busy 2 s, crashes at 4 s and is back at 9 s, and receives
  // 6 attempts, 4 refused while down and 1 timeout; g-1 (weight 3) gets 2 attempts and is idle.
  std::ostringstream csv;
  RecorderSetup s = setup({1, 1}, 0, 10 * kSecond);
  s.servers[1].weight = 3.0;
  s.servers_csv = &csv;
  Recorder r(s);
  const auto status = [&](SimTime t, std::uint32_t server, bool up, bool passing) {
    ServerStatus st;
    st.member = true;
    st.up = up;
    st.passing = passing;
    r.on_server_status(t, server, st);
  };
  status(0, 0, true, true);
  status(0, 1, true, true);
  r.on_dispatch(1 * kSecond, 0);
  r.on_server_state(2 * kSecond, 0, 1, 0);
  r.on_dispatch(2 * kSecond, 1);
  r.on_dispatch(3 * kSecond, 1);
  r.on_server_state(4 * kSecond, 0, 0, 0);
  r.on_server_down(4 * kSecond, 0, DownCause::kCrash);
  status(4 * kSecond, 0, false, true);
  for (int i = 0; i < 4; ++i) {
    r.on_dispatch(5 * kSecond, 0);
    r.on_attempt_failed(5 * kSecond, 0, ErrorKind::kRefused);
  }
  status(6 * kSecond, 0, false, false);  // and now failing its checks too
  r.on_server_up(9 * kSecond, 0);
  status(9 * kSecond, 0, true, false);
  r.on_dispatch(9 * kSecond, 0);
  r.on_attempt_failed(9'500 * kMs, 0, ErrorKind::kTimeout);
  r.finish();
  // Utilisation over the 5 s it was up (0-4 s, 9-10 s): busy 2 s of them = 0.4, not 2/10.
  CHECK(r.totals().utilization[0] == doctest::Approx(0.4).epsilon(1e-12));
  CHECK(r.totals().down_fraction[0] == doctest::Approx(0.5).epsilon(1e-12));
  CHECK(r.totals().dispatched == std::vector<std::uint64_t>{6, 2});
  CHECK(r.totals().failed_attempts == std::vector<std::uint64_t>{5, 0});
  CHECK(r.totals().overload_errors == std::vector<std::uint64_t>{1, 0});  // the timeout
  // Shares: g-0 6/8 of the attempts for a fair 1/4 = 3; g-1 2/8 for 3/4 = 1/3.
  CHECK(r.totals().traffic_share[0] == doctest::Approx(3.0).epsilon(1e-12));
  CHECK(r.totals().traffic_share[1] == doctest::Approx(1.0 / 3.0).epsilon(1e-12));
  CHECK(r.totals().traffic_imbalance == doctest::Approx(3.0).epsilon(1e-12));
  REQUIRE(r.windows().size() == 1);
  CHECK(r.windows()[0].traffic_imbalance == doctest::Approx(3.0).epsilon(1e-12));
  // The utilisation heatmap's mean and imbalance skip no server, but count only up time.
  CHECK(r.windows()[0].utilization_mean == doctest::Approx(0.2).epsilon(1e-12));
  CHECK(csv.str() ==
        "t_s,server,group,arrivals,completed,utilization,queue_mean,queue_max,dispatched,failed,"
        "queue_full,timeout,refused,crash_lost,queue_timeout,up_s,down_s,ejected_s,"
        "failing_checks_s,drained_s\n"
        "0,g-0,g,6,0,0.4,0,0,6,5,0,1,4,0,0,5,5,0,4,0\n"
        "0,g-1,g,2,0,0,0,0,2,0,0,0,0,0,0,10,0,0,0,0\n");
}

TEST_CASE("Recorder: response times count failures at the time they failed") {
  Recorder r(setup({1}, 0, 10 * kSecond));
  // 98 completed in 10 ms, 2 timed out at 2 s: the completed p99 is 10 ms, the response p99 2 s.
  for (int i = 0; i < 100; ++i) {
    r.on_request_arrival(0, 0, 0.001);
    const bool fails = i >= 98;
    r.on_request_done(fails ? 2 * kSecond : 10 * kMs,
                      outcome(0, 0, 0, fails ? 2 * kSecond : 10 * kMs,
                              fails ? ErrorKind::kTimeout : ErrorKind::kNone));
  }
  r.finish();
  CHECK(r.latency().quantile_s(0.99) == doctest::Approx(0.010).epsilon(0.004));
  CHECK(r.response().quantile_s(0.99) == doctest::Approx(2.0).epsilon(0.004));
  CHECK(r.response().count() == 100);
  CHECK(r.windows()[0].response_p99_s == doctest::Approx(2.0).epsilon(0.004));
  CHECK(r.windows()[0].p99_s == doctest::Approx(0.010).epsilon(0.004));
  CHECK(r.response().mean_s() == doctest::Approx((98 * 0.010 + 2 * 2.0) / 100).epsilon(1e-12));
}

TEST_CASE("Recorder: latency mean is exact, quantiles within the histogram's bucket bound") {
  Recorder r(setup({1}, 0, 10 * kSecond));
  // 100 requests with response times 1, 2, ..., 100 ms, all ending in the first window.
  for (int i = 1; i <= 100; ++i) {
    r.on_request_arrival(0, 0, 0.001);
    r.on_request_done(i * kMs, outcome(0, 0, 0, i * kMs));
  }
  r.finish();
  REQUIRE(r.windows().size() == 1);
  const WindowRow& row = r.windows()[0];
  // The sum is kept exactly: 5,050 ms / 100, up to the final conversion to seconds.
  CHECK(row.mean_s == doctest::Approx(0.0505).epsilon(1e-12));
  // Nearest rank: ceil(q x 100) = 50, 90, 99 -> 50, 90, 99 ms. LatencyHistogram reports its
  // bucket's midpoint, within relative_error_bound() (2^-8 = 0.39% at the default 7 sub-bucket
  // bits) of the exact value, plus a few ulps for the conversion.
  const double bound = r.latency().relative_error_bound() + 1e-12;
  CHECK(std::abs(row.p50_s - 0.050) <= 0.050 * bound);
  CHECK(std::abs(row.p90_s - 0.090) <= 0.090 * bound);
  CHECK(std::abs(row.p99_s - 0.099) <= 0.099 * bound);
  // The bound is not vacuous here: 50 ms is not a bucket midpoint, so the estimate is off it.
  CHECK(row.p50_s != 0.050);
  // The whole-run histogram holds the same values: the extremes are exact.
  CHECK(r.latency().count() == 100);
  CHECK(r.latency().quantile_s(0.0) == 0.001);
  CHECK(r.latency().quantile_s(1.0) == 0.100);
}

TEST_CASE("Recorder: members, healthy and down servers at each window's end; late joiners") {
  // g-2 joins at 15 s: not capacity before (its utilisation counts member time only).
  Recorder r(setup({1, 1, 1}, 0, 20 * kSecond, {0, 0, 15 * kSecond}));
  ServerStatus down;
  down.member = true;
  down.up = false;
  ServerStatus in_rotation;
  in_rotation.member = true;
  r.on_server_down(3 * kSecond, 0, DownCause::kKill);
  r.on_server_status(3 * kSecond, 0, down);
  r.on_server_up(12 * kSecond, 0);
  r.on_server_status(12 * kSecond, 0, in_rotation);
  r.on_server_join(15 * kSecond, 2);
  r.on_server_status(15 * kSecond, 2, in_rotation);
  r.on_server_state(15 * kSecond, 2, 1, 0);  // busy from its join to the end
  r.finish();
  const std::vector<WindowRow>& w = r.windows();
  REQUIRE(w.size() == 2);
  CHECK(w[0].members == 2);
  CHECK(w[0].healthy == 1);
  CHECK(w[0].servers_down == 1);
  CHECK(w[1].members == 3);
  CHECK(w[1].healthy == 3);
  CHECK(w[1].servers_down == 0);
  CHECK(r.totals().crashes == 1);
  // g-2: busy 5 s of its 5 s in the fleet.
  CHECK(r.totals().utilization[2] == 1.0);
  CHECK(w[1].utilization_max == 1.0);
}

TEST_CASE("Recorder: a window boundary closes the window and pushes its metrics") {
  struct Capture final : WindowListener {
    std::vector<WindowMetrics> windows;
    void on_window(SimTime /*now*/, const WindowMetrics& window) override {
      windows.push_back(window);
    }
  } capture;
  RecorderSetup s = setup({1, 1}, 0, 30 * kSecond);
  s.window_listener = &capture;
  Recorder r(s);
  for (int i = 0; i < 4; ++i) r.on_request_arrival(i * kSecond, 0, 0.01);
  r.on_request_done(2 * kSecond, outcome(0, 0, 0, 2 * kSecond, ErrorKind::kRefused));
  r.on_request_done(3 * kSecond, outcome(0, kSecond, kSecond, 3 * kSecond));
  r.on_retry(4 * kSecond);
  r.on_window_boundary(10 * kSecond);
  REQUIRE(capture.windows.size() == 1);
  const WindowMetrics& m = capture.windows[0];
  CHECK(m.start == 0);
  CHECK(m.end == 10 * kSecond);
  CHECK(m.error_rate == 0.5);
  CHECK(m.offered_per_s == doctest::Approx(0.4).epsilon(1e-12));  // 4 in 10 s
  CHECK(m.retries_per_s == doctest::Approx(0.1).epsilon(1e-12));
  CHECK(m.healthy_servers == 2.0);
  CHECK(m.healthy_fraction == 1.0);
  CHECK(m.latency_mean_s == doctest::Approx(2.0).epsilon(1e-12));
  // Boundaries come from the model's window grid: any other time is a logic error.
  CHECK_THROWS_AS(r.on_window_boundary(15 * kSecond), std::logic_error);
}

}  // namespace lbsim
