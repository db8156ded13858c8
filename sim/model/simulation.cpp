#include "sim/model/simulation.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include "sim/model/model.hpp"

namespace lbsim {

namespace {

// Trace user ids must fit in the population the metrics track.
SimulationConfig prepared(SimulationConfig config) {
  if (config.duration_ns <= 0) throw std::invalid_argument("duration must be > 0");
  if (config.warmup_ns < 0) throw std::invalid_argument("warmup must be >= 0");
  if (config.window_ns <= 0) throw std::invalid_argument("window must be > 0");
  if (config.workload.arrivals == ArrivalProcess::kTrace) {
    for (const std::uint64_t user : config.workload.trace.users) {
      config.workload.users = std::max(config.workload.users, user + 1);
    }
  }
  return config;
}

}  // namespace

Simulation::Simulation(SimulationConfig config)
    : config_(prepared(std::move(config))), model_(std::make_unique<Model>(config_)) {}

Simulation::~Simulation() = default;

void Simulation::set_observer(Observer* observer) {
  model_->observer = observer != nullptr ? observer : &model_->null_observer;
}

void Simulation::set_progress(std::function<void(const Progress&)> callback,
                              std::uint64_t every_events) {
  progress_ = std::move(callback);
  progress_every_ = std::max<std::uint64_t>(1, every_events);
}

WindowListener& Simulation::window_listener() {
  return model_->alerts;
}

// What is due before the first event, in a fixed order (ties between these events run in it).
void Simulation::schedule_start() {
  Model& m = *model_;
  const SimTime end = end_time();
  m.observer->on_log(0, "run_start", config_.name,
                     "strategy " + config_.balancer.strategy.name() + ", " +
                         std::to_string(m.fleet.size()) + " servers");
  if (config_.warmup_ns > 0) {
    m.observer->on_log(config_.warmup_ns, "warmup_end", config_.name, "measurement starts");
  }
  for (std::uint32_t g = 0; g < config_.servers.size(); ++g) {
    const SimTime at = config_.servers[g].join_at_ns;
    if (at > 0 && at < end) m.events.schedule(at, kGroupJoin, g, 0);
  }
  m.balancer.schedule_start();
  m.fleet.report_initial_status();
  m.timeline.schedule_start(config_.timeline);
  m.health.schedule_start();
  m.alerts.schedule_start();
  m.traffic.schedule_next();
}

RunStats Simulation::run() {
  if (ran_) throw std::logic_error("Simulation::run called twice");
  ran_ = true;
  const auto wall_start = std::chrono::steady_clock::now();
  const auto wall_seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  };
  Model& m = *model_;
  const SimTime end = end_time();
  schedule_start();
  std::uint64_t events = 0;
  std::uint64_t next_progress = progress_every_;
  while (!m.events.empty()) {
    // pop() first and test the time after: peeking with next_time() would force the queue to
    // finish each removal eagerly and lose its pop-then-schedule fast path.
    const Event event = m.events.pop();
    if (event.time >= end) break;
    ++events;
    dispatch(event);
    if (m.settle_needed) m.settle(event.time);
    if (events == next_progress) {
      next_progress += progress_every_;
      if (progress_) progress_({event.time, end, events, wall_seconds()});
    }
  }
  m.timeline.finish();
  RunStats stats;
  stats.events = events;
  stats.arrivals = m.traffic.arrivals();
  stats.end_time = end;
  stats.wall_s = wall_seconds();
  m.observer->on_log(end, "run_end", config_.name, std::to_string(events) + " events");
  if (progress_) progress_({end, end, events, stats.wall_s});
  return stats;
}

void Simulation::dispatch(const Event& event) {
  Model& m = *model_;
  const SimTime now = event.time;
  switch (event.kind()) {
    case kArrival:
      if (event.b == m.traffic.epoch()) m.client.handle_arrival(now);
      break;
    case kDeparture:
      if (m.requests[event.a].generation == event.b) m.fleet.handle_departure(now, event.a);
      break;
    case kTimeout:
      m.client.handle_timeout(now, event.a, event.b);
      break;
    case kLbQueueTimeout:
      m.balancer.handle_lb_queue_timeout(now, event.a, event.b);
      break;
    case kDeferredDispatch:
      m.balancer.handle_deferred_dispatch(now, event.a, event.b);
      break;
    case kConnectionClose:
      m.balancer.handle_connection_close(now, event.a, event.b);
      break;
    case kViewRefresh:
      m.balancer.handle_view_refresh(now);
      break;
    case kGroupJoin:
      m.fleet.handle_group_join(now, event.a);
      break;
    case kSlowStartTick:
      m.balancer.handle_slow_start_tick(now);
      break;
    case kAction:
      m.timeline.handle_action(now, event.a);
      break;
    case kRetry:
      m.client.handle_retry(now, event.a, event.b);
      break;
    case kDeadline:
      m.client.handle_deadline(now, event.a, event.b);
      break;
    case kServerRestart:
      m.fleet.handle_restart(now, event.a, event.b);
      break;
    case kProbeSend:
      m.health.handle_probe_send(now, event.a, event.b);
      break;
    case kProbeTimeout:
      m.health.handle_probe_timeout(now, event.a, event.b);
      break;
    case kOutlierTick:
      m.health.handle_outlier_tick(now, event.b);
      break;
    case kPassiveRelease:
      m.health.handle_passive_release(now, event.a, event.b);
      break;
    case kWindowEnd:
      m.alerts.handle_window_end(now);
      break;
    default:
      throw std::logic_error("unknown event kind");
  }
}

// ---- the API tests and tools drive the model through
// ---------------------------------------------

void Simulation::schedule_action(SimTime at, std::function<void(Simulation&, SimTime)> action) {
  model_->timeline.schedule(at,
                            [this, step = std::move(action)](SimTime now) { step(*this, now); });
}

void Simulation::run_action(const ActionConfig& action) {
  model_->timeline.run(model_->events.now(), action);
}

void Simulation::set_weight(std::uint32_t server, double weight) {
  model_->balancer.set_weight(model_->events.now(), server, weight);
}

void Simulation::kill_server(std::uint32_t server, std::string_view kind) {
  if (server >= model_->fleet.size()) throw std::invalid_argument("kill_server: no such server");
  model_->fleet.crash(model_->events.now(), server, kind);
}

void Simulation::restart_server(std::uint32_t server) {
  if (server >= model_->fleet.size()) {
    throw std::invalid_argument("restart_server: no such server");
  }
  model_->fleet.restart(model_->events.now(), server);
}

bool Simulation::server_up(std::uint32_t server) const {
  return model_->fleet.up(server);
}

ServerStatus Simulation::server_status(std::uint32_t server) const {
  return model_->fleet.status(server);
}

const BalancerSettings& Simulation::settings() const {
  return model_->settings;
}

const std::vector<ServerInfo>& Simulation::servers() const {
  return model_->fleet.info();
}

std::span<const double> Simulation::effective_weights() const {
  return model_->balancer.effective_weights();
}

}  // namespace lbsim
