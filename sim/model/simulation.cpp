#include "sim/model/simulation.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace lbsim {

namespace {

Distribution make_service(const SimulationConfig& config) {
  if (config.workload.arrivals == ArrivalProcess::kTrace &&
      !config.workload.trace.service_s.empty()) {
    // Demands come from the trace; the distribution is still validated when it is given.
    DistributionConfig unused = config.workload.service;
    if (unused.mean_s <= 0.0) {
      unused = DistributionConfig{};
      unused.kind = DistributionKind::kDeterministic;
      unused.mean_s = 1.0;
    }
    return Distribution::make(unused);
  }
  return Distribution::make(config.workload.service);
}

std::uint64_t population_for(const WorkloadConfig& workload) {
  std::uint64_t population = workload.users;
  if (workload.arrivals == ArrivalProcess::kTrace) {
    for (const std::uint64_t user : workload.trace.users) {
      population = std::max(population, user + 1);
    }
  }
  return population;
}

// The "source address" of a user: a fixed bijective mix of its id (SplitMix64's finaliser), so
// hashing strategies see well-spread keys and every strategy sees the same key for a user.
std::uint64_t user_hash(std::uint64_t user) {
  std::uint64_t state = user;
  return splitmix64(state);
}

// Trace user ids must fit in the population the metrics track.
SimulationConfig prepared(SimulationConfig config) {
  config.workload.users = population_for(config.workload);
  return config;
}

}  // namespace

Simulation::Simulation(SimulationConfig config)
    : config_(prepared(std::move(config))),
      arrivals_(config_.workload, config_.seed, config_.replication),
      users_(config_.workload, config_.seed, config_.replication),
      service_(make_service(config_)),
      service_rng_(config_.seed, config_.replication, StreamPurpose::kService, 0),
      instance_rng_(config_.seed, config_.replication, StreamPurpose::kInstance, 0),
      idle_report_rng_(config_.seed, config_.replication, StreamPurpose::kInstance, 1),
      user_population_(config_.workload.users) {
  const BalancerConfig& balancer = config_.balancer;
  if (config_.duration_ns <= 0) throw std::invalid_argument("duration must be > 0");
  if (config_.warmup_ns < 0) throw std::invalid_argument("warmup must be >= 0");
  if (config_.window_ns <= 0) throw std::invalid_argument("window must be > 0");
  if (balancer.instances < 1) throw std::invalid_argument("instances must be >= 1");
  connection_mode_ = balancer.unit == BalancingUnit::kConnection;
  global_view_ = balancer.view == LoadView::kGlobal;

  std::uint32_t group_index = 0;
  for (const ServerGroupConfig& group : config_.servers) {
    if (group.count < 1 || group.workers < 1 || !(group.speed > 0.0) || !(group.weight > 0.0) ||
        group.join_at_ns < 0) {
      throw std::invalid_argument("server group '" + group.group + "' has invalid parameters");
    }
    const bool present = group.join_at_ns == 0;
    if (group.first_index < 0) throw std::invalid_argument("server group first_index < 0");
    for (int i = 0; i < group.count; ++i) {
      Server server;
      server.workers = group.workers;
      server.in_service.reserve(static_cast<std::size_t>(group.workers));
      server.queue_limit = group.queue_limit;
      server.ns_per_demand_s = 1e9 / group.speed;
      const OverloadConfig& o = group.overload;
      server.overload =
          o.knee > 0 || o.crash_queue >= 0 || o.cold_start_ns > 0 || o.queue_timeout_ns > 0;
      servers_.push_back(std::move(server));
      server_info_.push_back({group.group + "-" + std::to_string(group.first_index + i),
                              group.group, group.workers, group.speed, group.join_at_ns});
      server_names_.push_back(server_info_.back().name);
      server_group_.push_back(group_index);
      base_weights_.push_back(group.weight);
      weights_.push_back(group.weight);
      max_connections_.push_back(group.max_connections);
      any_max_connections_ = any_max_connections_ || group.max_connections > 0;
      available_.push_back(present ? 1 : 0);
      member_.push_back(present ? 1 : 0);
      joined_at_.push_back(present ? 0 : kTimeNever);
      if (present) ++available_count_;
    }
    ++group_index;
  }
  if (servers_.empty()) throw std::invalid_argument("the fleet has no servers");
  if (servers_.size() >= kNoServer) throw std::invalid_argument("too many servers");
  if (connection_mode_ && any_max_connections_) {
    throw std::invalid_argument("max_connections is not supported with unit: connection");
  }
  const auto server_count = static_cast<std::uint32_t>(servers_.size());
  check_failed_.assign(server_count, 0);
  drained_.assign(server_count, 0);
  reported_status_.assign(server_count, ServerStatus{});
  alert_states_.assign(config_.alerts.size(), AlertState{});
  ejected_.assign(server_count, 0);
  check_streak_.assign(server_count, 0);
  consecutive_errors_.assign(server_count, 0);
  ejections_.assign(server_count, 0);
  ejection_serial_.assign(server_count, 0);
  last_ejected_.assign(server_count, -1);
  health_rng_ = Rng(config_.seed, config_.replication, StreamPurpose::kHealth, 0);
  global_load_.assign(server_count, 0);
  view_load_.assign(server_count, 0);

  const StrategyInfo* info = balancer.strategy.info;
  if (info == nullptr) throw std::invalid_argument("no balancing strategy");
  for (int i = 0; i < balancer.instances; ++i) {
    const auto index = static_cast<std::uint32_t>(i);
    const StrategyContext context{balancer.strategy.options,
                                  server_count,
                                  index,
                                  config_.seed ^ (config_.replication * 0x9e3779b97f4a7c15ULL),
                                  user_population_,
                                  server_names_};
    Instance instance;
    instance.strategy = info->make(context);
    instance.outstanding.assign(server_count, 0);
    instance.eligible = available_;
    instance.eligible_count = available_count_;
    instance.rng = Rng(config_.seed, config_.replication, StreamPurpose::kBalancer, index);
    instances_.push_back(std::move(instance));
  }
  notify_fleet_change();

  if (connection_mode_) {
    if (user_population_ >= UINT32_MAX) {
      throw std::invalid_argument("unit: connection supports at most 2^32 - 1 users");
    }
    connection_server_.assign(user_population_, kNoServer);
    connection_generation_.assign(user_population_, 0);
    connection_instance_.assign(user_population_, 0);
    reconnect_at_.assign(user_population_, 0);
  }

  arrival_lane_ = events_.add_lane();
  if (config_.client.timeout_ns > 0) timeout_lane_ = events_.add_lane();
  if (config_.client.deadline_ns > 0) deadline_lane_ = events_.add_lane();
  // Health checks may also be turned on by a timeline or alert action.
  bool checks_possible = balancer.health_check.enabled;
  const auto sets_checks = [](const ActionConfig& action) {
    return holds<SetHealthCheckAction>(action) || holds<RollbackAction>(action);
  };
  for (const ActionConfig& action : config_.timeline) {
    checks_possible = checks_possible || sets_checks(action);
  }
  for (const AlertRule& rule : config_.alerts) {
    for (const ActionConfig& action : rule.on_fire) {
      checks_possible = checks_possible || sets_checks(action);
    }
  }
  if (checks_possible) {
    probe_lane_ = events_.add_lane();
    probe_lane_ready_ = true;
  }
  retry_rng_ = Rng(config_.seed, config_.replication, StreamPurpose::kRetryJitter, 0);
  if (any_max_connections_) lb_queue_lane_ = events_.add_lane();
  if (connection_mode_ && balancer.connection_lifetime_ns > 0) {
    connection_lane_ = events_.add_lane();
  }
  const std::size_t initial_slots = 1024;
  requests_.reserve(initial_slots);
  calls_.reserve(initial_slots);
  events_.reserve(servers_.size() * 4 + 64);
}

Simulation::~Simulation() = default;

void Simulation::set_observer(Observer* observer) {
  observer_ = observer != nullptr ? observer : &null_observer_;
}

void Simulation::set_progress(std::function<void(const Progress&)> callback,
                              std::uint64_t every_events) {
  progress_ = std::move(callback);
  progress_every_ = std::max<std::uint64_t>(1, every_events);
}

BackendView Simulation::view_for(std::uint32_t instance) const {
  const Instance& in = instances_[instance];
  const std::span<const std::uint32_t> load =
      global_view_ ? (config_.balancer.view_refresh_ns > 0 ? view_load_ : global_load_)
                   : in.outstanding;
  if (any_max_connections_) {
    return {load,          weights_,          max_connections_,
            in.eligible,   in.eligible_count, weights_version_,
            in.outstanding};
  }
  return {load,          weights_, max_connections_, available_, available_count_, weights_version_,
          in.outstanding};
}

std::uint32_t Simulation::instance_for(std::uint64_t user) {
  const auto n = static_cast<std::uint64_t>(instances_.size());
  if (n == 1) return 0;
  if (config_.balancer.instance_selection == InstanceSelection::kUserHash) {
    // A second mix, so the instance a user reaches is independent of its hash key's position on
    // a ring.
    std::uint64_t state = user_hash(user) ^ 0x6c62'7369'6d00'0001ULL;
    return static_cast<std::uint32_t>(splitmix64(state) % n);
  }
  return static_cast<std::uint32_t>(instance_rng_.below(n));
}

std::uint32_t Simulation::allocate_request() {
  return requests_.allocate();
}

// Stale timers for the slot (timeouts, a crashed attempt's departure) are now ignored.
void Simulation::free_request(std::uint32_t slot) {
  requests_.release(slot);
}

std::uint32_t Simulation::allocate_call() {
  return calls_.allocate();
}

// Its retry and deadline timers are now ignored.
void Simulation::free_call(std::uint32_t call) {
  calls_.release(call);
}

void Simulation::schedule_next_arrival() {
  pending_arrival_ = arrivals_.next();
  if (pending_arrival_.time < end_time()) {
    // Arrival times never decrease, so the single pending arrival lives in a FIFO lane: O(1)
    // instead of a heap insertion for half of all events.
    // After a traffic change retimed an arrival earlier than one already in the lane, the
    // lane's order would break: such an arrival goes to the heap.
    events_.schedule_preferring_lane(arrival_lane_, pending_arrival_.time, kArrival, 0,
                                     arrival_epoch_);
  }
}

void Simulation::notify_fleet_change() {
  for (std::uint32_t i = 0; i < instances_.size(); ++i) {
    instances_[i].strategy->on_fleet_change(view_for(i));
  }
}

RunStats Simulation::run() {
  if (ran_) throw std::logic_error("Simulation::run called twice");
  ran_ = true;
  const auto wall_start = std::chrono::steady_clock::now();
  const auto wall_seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  };
  const SimTime end = end_time();

  observer_->on_log(0, "run_start", config_.name,
                    "strategy " + config_.balancer.strategy.name() + ", " +
                        std::to_string(servers_.size()) + " servers");
  if (config_.warmup_ns > 0) {
    observer_->on_log(config_.warmup_ns, "warmup_end", config_.name, "measurement starts");
  }
  for (std::uint32_t g = 0; g < config_.servers.size(); ++g) {
    const SimTime at = config_.servers[g].join_at_ns;
    if (at > 0 && at < end) events_.schedule(at, kGroupJoin, g, 0);
  }
  if (global_view_ && config_.balancer.view_refresh_ns > 0) {
    events_.schedule(0, kViewRefresh, 0, 0);
  }
  for (std::uint32_t s = 0; s < servers_.size(); ++s) report_status(0, s);
  // Timeline actions are scheduled after the actions tests registered (ties run in that order).
  for (std::uint32_t i = 0; i < config_.timeline.size(); ++i) {
    actions_.emplace_back(config_.timeline[i].at_ns, [i](Simulation& simulation, SimTime) {
      simulation.run_action(simulation.config_.timeline[i]);
    });
  }
  for (std::uint32_t i = 0; i < actions_.size(); ++i) {
    if (actions_[i].first < end) events_.schedule(actions_[i].first, kAction, i, 0);
  }
  if (config_.balancer.health_check.enabled) {
    // Each server's checks start at a random phase of the interval, as independent checkers do.
    const auto interval = static_cast<double>(config_.balancer.health_check.interval_ns);
    for (std::uint32_t s = 0; s < servers_.size(); ++s) {
      events_.schedule(static_cast<SimTime>(interval * health_rng_.uniform01()), kProbeSend, s,
                       health_epoch_);
    }
  }
  if (config_.balancer.outlier.enabled) {
    events_.schedule(config_.balancer.outlier.interval_ns, kOutlierTick, 0, outlier_epoch_);
  }
  if (!config_.alerts.empty() && config_.window_ns < end) {
    events_.schedule(config_.window_ns, kWindowEnd, 0, 0);
  }
  schedule_next_arrival();
  running_ = true;

  std::uint64_t events = 0;
  std::uint64_t next_progress = progress_every_;
  while (!events_.empty()) {
    // pop() first and test the time after: peeking with next_time() would force the queue to
    // finish each removal eagerly and lose its pop-then-schedule fast path.
    const Event event = events_.pop();
    if (event.time >= end) break;
    ++events;
    switch (event.kind()) {
      case kArrival:
        if (event.b == arrival_epoch_) handle_arrival(event.time);
        break;
      case kDeparture:
        if (requests_[event.a].generation == event.b) handle_departure(event.time, event.a);
        break;
      case kTimeout:
        handle_timeout(event.time, event.a, event.b);
        break;
      case kLbQueueTimeout:
        handle_lb_queue_timeout(event.time, event.a, event.b);
        break;
      case kDeferredDispatch:
        handle_deferred_dispatch(event.time, event.a, event.b);
        break;
      case kConnectionClose:
        handle_connection_close(event.time, event.a, event.b);
        break;
      case kViewRefresh:
        handle_view_refresh(event.time);
        break;
      case kGroupJoin:
        handle_group_join(event.time, event.a);
        break;
      case kSlowStartTick:
        handle_slow_start_tick(event.time);
        break;
      case kAction:
        actions_[event.a].second(*this, event.time);
        break;
      case kRetry:
        handle_retry(event.time, event.a, event.b);
        break;
      case kDeadline:
        handle_deadline(event.time, event.a, event.b);
        break;
      case kServerRestart:
        handle_server_restart(event.time, event.a, event.b);
        break;
      case kProbeSend:
        if (event.b == health_epoch_) handle_probe_send(event.time, event.a);
        break;
      case kProbeTimeout:
        handle_probe_timeout(event.time, event.a, event.b);
        break;
      case kUneject:
        handle_uneject(event.time, event.a, event.b);
        break;
      case kOutlierTick:
        if (event.b == outlier_epoch_) handle_outlier_tick(event.time);
        break;
      case kWindowEnd:
        handle_window_end(event.time);
        break;
      default:
        throw std::logic_error("unknown event kind");
    }
    if (events == next_progress) {
      next_progress += progress_every_;
      if (progress_) progress_({event.time, end, events, wall_seconds()});
    }
  }
  running_ = false;
  stats_.events = events;
  stats_.end_time = end;
  stats_.wall_s = wall_seconds();
  observer_->on_log(end, "run_end", config_.name, std::to_string(events) + " events");
  if (progress_) progress_({end, end, events, stats_.wall_s});
  return stats_;
}

// ---- arrivals and routing ----------------------------------------------------------------------

void Simulation::handle_arrival(SimTime now) {
  ++stats_.arrivals;
  const std::int64_t trace_row = pending_arrival_.trace_row;
  const std::uint32_t c = allocate_call();
  Call& call = calls_[c];
  call.arrival = now;
  call.user = users_.pick(trace_row);
  // Demands are drawn in arrival order from their own stream, before any balancing decision, so
  // every strategy sees the same demands (common random numbers). Retries redo the same work.
  const auto& trace_service = config_.workload.trace.service_s;
  call.demand_s = (trace_row >= 0 && !trace_service.empty())
                      ? trace_service[static_cast<std::size_t>(trace_row)]
                      : service_.sample(service_rng_);
  call.instance = instance_for(call.user);
  call.attempt = kNoServer;
  call.attempts = 0;
  call.last_server = kNoServer;
  call.retrying = false;
  ++instances_[call.instance].calls_active;
  observer_->on_request_arrival(now, call.user, call.demand_s);
  schedule_next_arrival();
  if (config_.client.deadline_ns > 0) {
    events_.schedule_in_lane(deadline_lane_, now + config_.client.deadline_ns, kDeadline, c,
                             call.generation);
  }
  start_attempt(now, c);
}

void Simulation::start_attempt(SimTime now, std::uint32_t c) {
  const std::uint32_t slot = allocate_request();
  Call& call = calls_[c];
  Request& request = requests_[slot];
  request.sent = now;
  request.service_start = -1;
  request.demand_s = call.demand_s;
  request.user = call.user;
  request.call = c;
  request.instance = call.instance;
  request.client_waiting = true;
  request.counted = false;
  request.stage = Stage::kNew;
  call.attempt = slot;
  ++call.attempts;
  request.probe = false;
  Instance& in = instances_[call.instance];
  ++in.attempts_active;
  if (config_.client.timeout_ns > 0) {
    // Scheduled before routing: if routing fails the attempt at once, freeing the slot bumps its
    // generation and this timer is ignored when it pops.
    events_.schedule_in_lane(timeout_lane_, now + config_.client.timeout_ns, kTimeout, slot,
                             request.generation);
  }
  const std::int64_t max_requests = config_.balancer.circuit_breakers.max_requests;
  if (max_requests >= 0 && static_cast<std::int64_t>(in.attempts_active) > max_requests) {
    attempt_failed(now, slot, ErrorKind::kCircuitOpen);  // Envoy: 503 x-envoy-overloaded
    free_request(slot);
    return;
  }
  if (connection_mode_) {
    route_l4(now, slot);
  } else {
    route(now, slot);
  }
}

void Simulation::end_attempt(Request& request) {
  if (!request.client_waiting) return;
  request.client_waiting = false;
  if (!request.probe) --instances_[request.instance].attempts_active;
}

std::uint32_t Simulation::pick(SimTime now, std::uint32_t instance, std::uint64_t user) {
  Instance& in = instances_[instance];
  return in.strategy->pick(view_for(instance), {user, user_hash(user), now}, in.rng);
}

void Simulation::route(SimTime now, std::uint32_t slot) {
  const std::uint32_t instance = requests_[slot].instance;
  const std::uint64_t user = requests_[slot].user;
  std::uint32_t server = pick(now, instance, user);
  const std::uint32_t previous = calls_[requests_[slot].call].last_server;
  if (config_.client.retry.avoid_previous_host && previous != kNoServer) {
    // Envoy's previous_hosts retry predicate: re-pick a few times rather than go back to the
    // host that just failed (it may still be the only choice).
    for (int tries = 0; tries < 3 && server == previous; ++tries)
      server = pick(now, instance, user);
  }
  if (server == kNoServer) {
    Instance& in = instances_[instance];
    if (any_max_connections_ && available_count_ > 0) {
      // Every available server is at this instance's max_connections: wait in the balancer's
      // queue (HAProxy's backend queue) for a connection slot to free up.
      const std::int64_t max_pending = config_.balancer.circuit_breakers.max_pending;
      if (max_pending >= 0 && static_cast<std::int64_t>(in.queued_live) >= max_pending) {
        attempt_failed(now, slot, ErrorKind::kCircuitOpen);
        free_request(slot);
        return;
      }
      const std::int64_t limit = config_.balancer.queue_limit;
      if (limit >= 0 && static_cast<std::int64_t>(in.queued_live) >= limit) {
        attempt_failed(now, slot, ErrorKind::kLbQueueFull);
        free_request(slot);
        return;
      }
      Request& request = requests_[slot];
      request.stage = Stage::kInLbQueue;
      in.queue.push_back(slot);
      ++in.queued_live;
      events_.schedule_in_lane(lb_queue_lane_, now + config_.balancer.queue_timeout_ns,
                               kLbQueueTimeout, slot, request.generation);
      return;
    }
    attempt_failed(now, slot, ErrorKind::kNoHealthyBackend);
    free_request(slot);
    return;
  }
  requests_[slot].server = server;
  requests_[slot].counted = true;
  change_outstanding(instance, server, +1);
  send_to_server(now, slot, server);
}

void Simulation::route_l4(SimTime now, std::uint32_t slot) {
  Request& request = requests_[slot];
  const auto user = static_cast<std::uint32_t>(request.user);
  std::uint32_t server = connection_server_[user];
  if (server == kNoServer) {
    if (now < reconnect_at_[user]) {
      // The connection is still backing off: the request waits for the reconnection.
      events_.schedule(reconnect_at_[user], kDeferredDispatch, slot, request.generation);
      return;
    }
    server = pick(now, request.instance, user);
    if (server == kNoServer) {
      attempt_failed(now, slot, ErrorKind::kNoHealthyBackend);
      free_request(slot);
      return;
    }
    if (!servers_[server].up) {
      // The connect is refused: there is no connection to keep; the next request picks again.
      send_to_server(now, slot, server);
      return;
    }
    connection_server_[user] = server;
    connection_instance_[user] = request.instance;
    change_outstanding(request.instance, server, +1);
    if (config_.balancer.connection_lifetime_ns > 0) {
      events_.schedule_in_lane(connection_lane_, now + config_.balancer.connection_lifetime_ns,
                               kConnectionClose, user, connection_generation_[user]);
    }
  }
  request.instance = connection_instance_[user];
  request.server = server;
  send_to_server(now, slot, server);
}

void Simulation::send_to_server(SimTime now, std::uint32_t slot, std::uint32_t server_index) {
  Request& request = requests_[slot];
  request.server = server_index;
  request.stage = Stage::kAtServer;
  observer_->on_dispatch(now, server_index);
  Server& server = servers_[server_index];
  const auto reject = [&](ErrorKind error) {
    // An immediate answer: a 503 from a full queue, or a refused connection.
    instances_[request.instance].strategy->on_response(server_index, 0, now);
    attempt_failed(now, slot, error);
    release_outstanding(now, slot);
    free_request(slot);
  };
  if (!server.up) {
    reject(ErrorKind::kRefused);
  } else if (server.busy < server.workers) {
    start_service(now, server_index, slot);
  } else if (server.overload &&
             config_.servers[server_group_[server_index]].overload.crash_queue >= 0 &&
             static_cast<std::int64_t>(server.queue.size()) >=
                 config_.servers[server_group_[server_index]].overload.crash_queue) {
    // Out of memory: the arriving request finds the queue at the crash threshold.
    request.enqueued = now;
    server.queue.push_back(slot);
    crash(now, server_index, "server_crash");
  } else if (server.queue_limit == kUnlimitedQueue ||
             static_cast<std::int64_t>(server.queue.size()) < server.queue_limit) {
    request.enqueued = now;
    server.queue.push_back(slot);
    server_state_changed(now, server_index);
  } else {
    reject(ErrorKind::kQueueFull);
  }
}

double Simulation::service_factor(SimTime now, std::uint32_t server_index) const {
  const Server& server = servers_[server_index];
  const OverloadConfig& o = config_.servers[server_group_[server_index]].overload;
  double factor = 1.0;
  if (o.knee > 0 && server.busy > o.knee) {
    factor *= 1.0 + o.slowdown * static_cast<double>(server.busy - o.knee);
  }
  if (o.cold_start_ns > 0 && server.restarted_at >= 0 &&
      now - server.restarted_at < o.cold_start_ns) {
    const double left =
        1.0 - static_cast<double>(now - server.restarted_at) / static_cast<double>(o.cold_start_ns);
    factor *= 1.0 + (o.cold_factor - 1.0) * left;
  }
  return factor;
}

void Simulation::start_service(SimTime now, std::uint32_t server_index, std::uint32_t slot) {
  Server& server = servers_[server_index];
  ++server.busy;
  Request& request = requests_[slot];
  request.service_start = now;
  request.service_index = static_cast<std::uint32_t>(server.in_service.size());
  server.in_service.push_back(slot);
  double ns = request.demand_s * server.ns_per_demand_s;
  if (server.overload) ns *= service_factor(now, server_index);
  events_.schedule(now + static_cast<SimTime>(ns + 0.5), kDeparture, slot, request.generation);
  server_state_changed(now, server_index);
}

// ---- calls and attempts ------------------------------------------------------------------------

void Simulation::abandon_attempt(SimTime now, std::uint32_t slot) {
  Request& request = requests_[slot];
  if (!request.client_waiting) return;
  end_attempt(request);
  switch (request.stage) {
    case Stage::kNew:  // waiting for an L4 reconnection; the deferred dispatch frees the slot
      break;
    case Stage::kInLbQueue:  // leaves the balancer's queue; the entry is dropped when reached
      --instances_[request.instance].queued_live;
      break;
    case Stage::kAtServer:
      // The client resets the attempt; the server keeps the work (queued or in service).
      instances_[request.instance].strategy->on_response(request.server, now - request.sent, now);
      // Envoy drops its active-request count at the reset. Under max_connections (HAProxy
      // maxconn) the connection slot stays taken until the server answers: the server is still
      // busy with it, and freeing the slot early would let the cap be exceeded.
      if (!any_max_connections_) release_outstanding(now, slot);
      break;
  }
}

bool Simulation::may_retry(const Call& call, ErrorKind error, SimTime now) const {
  const RetryPolicy& retry = config_.client.retry;
  if (call.attempts >= static_cast<std::uint32_t>(retry.max_attempts)) return false;
  if ((retry.retry_on_mask & (1u << static_cast<unsigned>(error))) == 0) return false;
  if (config_.client.deadline_ns > 0 && now >= call.arrival + config_.client.deadline_ns) {
    return false;
  }
  const std::int64_t max_retries = config_.balancer.circuit_breakers.max_retries;
  if (max_retries >= 0) {
    const Instance& in = instances_[call.instance];
    const std::uint32_t active = in.retries_active - (call.retrying ? 1 : 0);
    if (static_cast<std::int64_t>(active) >= max_retries) return false;
  }
  if (retry.budget_fraction >= 0.0) {
    const Instance& in = instances_[call.instance];
    const double allowed = std::max(static_cast<double>(retry.budget_min_retries),
                                    retry.budget_fraction * in.calls_active);
    // This call's own retry, if it is in one, ends with this failure.
    const std::uint32_t active = in.retries_active - (call.retrying ? 1 : 0);
    if (static_cast<double>(active) >= allowed) return false;
  }
  return true;
}

SimTime Simulation::backoff(std::uint32_t retry_number) {
  const RetryPolicy& retry = config_.client.retry;
  const double cap = static_cast<double>(retry.backoff_max_ns);
  const double base =
      static_cast<double>(retry.backoff_base_ns) *
      std::ldexp(1.0, static_cast<int>(std::min<std::uint32_t>(retry_number, 60)) - 1);
  const double b = std::min(cap, base);
  switch (retry.jitter) {
    case BackoffJitter::kNone:
      return static_cast<SimTime>(b);
    case BackoffJitter::kFull:
      return static_cast<SimTime>(b * retry_rng_.uniform01());
    case BackoffJitter::kEqual:
      return static_cast<SimTime>(b / 2 + b / 2 * retry_rng_.uniform01());
  }
  return static_cast<SimTime>(b);
}

void Simulation::attempt_failed(SimTime now, std::uint32_t slot, ErrorKind error) {
  Request& request = requests_[slot];
  const bool at_server = request.stage == Stage::kAtServer;
  end_attempt(request);
  const std::uint32_t c = request.call;
  Call& call = calls_[c];
  if (call.attempt != slot) return;  // an attempt the client had already given up on
  call.attempt = kNoServer;
  call.last_server = at_server ? request.server : kNoServer;
  if (at_server) outlier_observe(now, request.server, error);
  if (may_retry(call, error, now)) {
    if (!call.retrying) {
      call.retrying = true;
      ++instances_[call.instance].retries_active;
    }
    observer_->on_retry(now);
    events_.schedule(now + backoff(call.attempts), kRetry, c, call.generation);
    return;
  }
  finish_call(now, c, error, -1, at_server ? request.server : kNoServer);
}

void Simulation::attempt_succeeded(SimTime now, std::uint32_t slot) {
  Request& request = requests_[slot];
  end_attempt(request);
  Call& call = calls_[request.call];
  call.attempt = kNoServer;
  outlier_observe(now, request.server, ErrorKind::kNone);
  finish_call(now, request.call, ErrorKind::kNone, request.service_start, request.server);
}

void Simulation::finish_call(SimTime now, std::uint32_t c, ErrorKind error, SimTime service_start,
                             std::uint32_t server) {
  Call& call = calls_[c];
  Instance& in = instances_[call.instance];
  if (call.retrying) --in.retries_active;
  --in.calls_active;
  observer_->on_request_done(
      now, {call.user, call.arrival, service_start, now, server, error, call.instance});
  free_call(c);
}

void Simulation::handle_retry(SimTime now, std::uint32_t c, std::uint32_t generation) {
  if (calls_[c].generation != generation) return;  // the deadline ended it meanwhile
  start_attempt(now, c);
}

void Simulation::handle_deadline(SimTime now, std::uint32_t c, std::uint32_t generation) {
  if (calls_[c].generation != generation) return;  // finished in time
  const std::uint32_t slot = calls_[c].attempt;
  const std::uint32_t server = slot != kNoServer && requests_[slot].stage == Stage::kAtServer
                                   ? requests_[slot].server
                                   : kNoServer;
  if (slot != kNoServer) abandon_attempt(now, slot);
  finish_call(now, c, ErrorKind::kTimeout, -1, server);
}

void Simulation::release_outstanding(SimTime now, std::uint32_t slot) {
  Request& request = requests_[slot];
  if (!request.counted) return;
  request.counted = false;
  const std::uint32_t instance = request.instance;
  const std::uint32_t server = request.server;
  change_outstanding(instance, server, -1);
  if (any_max_connections_) drain_lb_queue(now, instance, server);
}

void Simulation::drain_lb_queue(SimTime now, std::uint32_t instance, std::uint32_t server) {
  // Sending a drained request can free a slot again (a 503 from a full server queue), which
  // would drain again: iterate over a work list instead of recursing.
  drain_work_.emplace_back(instance, server);
  if (draining_) return;
  draining_ = true;
  while (!drain_work_.empty()) {
    const auto [i, target] = drain_work_.back();
    drain_work_.pop_back();
    Instance& in = instances_[i];
    // HAProxy: a server that frees a connection slot takes the oldest request of the backend
    // queue. Entries whose client already left (timed out, or the queue timeout fired) are
    // dropped here, where they reach the front. A server whose own queue is full is not fed.
    while (!in.queue.empty() && in.eligible[target] != 0) {
      const Server& full = servers_[target];
      if (full.up && full.busy >= full.workers && full.queue_limit != kUnlimitedQueue &&
          static_cast<std::int64_t>(full.queue.size()) >= full.queue_limit) {
        break;
      }
      const std::uint32_t slot = in.queue.pop_front();
      Request& request = requests_[slot];
      if (!request.client_waiting) {
        free_request(slot);
        continue;
      }
      --in.queued_live;
      request.server = target;
      request.counted = true;
      change_outstanding(i, target, +1);
      send_to_server(now, slot, target);
    }
  }
  draining_ = false;
}

// ---- completions and timers --------------------------------------------------------------------

void Simulation::handle_departure(SimTime now, std::uint32_t slot) {
  Request& request = requests_[slot];
  const std::uint32_t server_index = request.server;
  Server& server = servers_[server_index];
  --server.busy;
  {  // O(1) removal from the in-service list: move the last entry into this one's place
    const std::uint32_t last = server.in_service.back();
    server.in_service[request.service_index] = last;
    requests_[last].service_index = request.service_index;
    server.in_service.pop_back();
  }
  // The server's own queue is served first (FIFO), before the freed balancer slot can bring a
  // request from the balancer's queue. Requests that waited past the queue timeout are dropped.
  bool started = false;
  while (!server.queue.empty() && !started) {
    const std::uint32_t next = server.queue.pop_front();
    const SimTime limit =
        server.overload ? config_.servers[server_group_[server_index]].overload.queue_timeout_ns
                        : 0;
    if (limit > 0 && now - requests_[next].enqueued > limit) {
      if (requests_[next].probe) {
        probe_done(now, next, false);
        continue;
      }
      if (requests_[next].client_waiting) {
        instances_[requests_[next].instance].strategy->on_response(server_index, 0, now);
        attempt_failed(now, next, ErrorKind::kQueueTimeout);
      }
      release_outstanding(now, next);
      free_request(next);
      continue;
    }
    start_service(now, server_index, next);
    started = true;
  }
  if (!started) {
    server_state_changed(now, server_index);
    if (server.busy == 0) {
      const auto n = static_cast<std::uint64_t>(instances_.size());
      const auto reporter = n == 1 ? 0 : static_cast<std::uint32_t>(idle_report_rng_.below(n));
      instances_[reporter].strategy->on_server_idle(server_index);
    }
  }
  if (request.probe) {
    probe_done(now, slot, true);
    return;
  }
  const bool client_waiting = request.client_waiting;
  observer_->on_service_done(now, server_index, client_waiting);
  if (client_waiting) {
    instances_[request.instance].strategy->on_response(server_index, now - request.sent, now);
    attempt_succeeded(now, slot);
  }
  release_outstanding(now, slot);
  free_request(slot);
}

void Simulation::handle_timeout(SimTime now, std::uint32_t slot, std::uint32_t generation) {
  Request& request = requests_[slot];
  if (request.generation != generation || !request.client_waiting) return;  // lazily cancelled
  abandon_attempt(now, slot);
  attempt_failed(now, slot, ErrorKind::kTimeout);
}

void Simulation::handle_lb_queue_timeout(SimTime now, std::uint32_t slot,
                                         std::uint32_t generation) {
  Request& request = requests_[slot];
  if (request.generation != generation || !request.client_waiting ||
      request.stage != Stage::kInLbQueue) {
    return;
  }
  --instances_[request.instance].queued_live;
  attempt_failed(now, slot, ErrorKind::kLbQueueTimeout);
}

void Simulation::handle_deferred_dispatch(SimTime now, std::uint32_t slot,
                                          std::uint32_t generation) {
  Request& request = requests_[slot];
  if (request.generation != generation) return;
  if (!request.client_waiting) {  // timed out while waiting for the reconnection
    free_request(slot);
    return;
  }
  route_l4(now, slot);
}

void Simulation::handle_connection_close(SimTime now, std::uint32_t user,
                                         std::uint32_t generation) {
  if (connection_generation_[user] != generation) return;
  const std::uint32_t server = connection_server_[user];
  if (server == kNoServer) return;
  change_outstanding(connection_instance_[user], server, -1);
  connection_server_[user] = kNoServer;
  ++connection_generation_[user];
  reconnect_at_[user] = now + config_.balancer.reconnect_backoff_ns;
}

// ---- crashes and restarts ----------------------------------------------------------------------

void Simulation::crash(SimTime now, std::uint32_t server_index, std::string_view why) {
  Server& server = servers_[server_index];
  if (!server.up) return;
  server.up = false;
  ++server.incarnation;
  // Everything the server held is lost: in service (their departure events become stale when
  // the slots are freed) and queued.
  // A failure below can crash another server (an ejection drains the balancer's queue onto
  // it): this crash keeps its own list.
  std::vector<std::uint32_t> lost;
  lost.swap(crash_scratch_);
  lost.clear();
  while (!server.queue.empty()) lost.push_back(server.queue.pop_front());
  lost.insert(lost.end(), server.in_service.begin(), server.in_service.end());
  server.in_service.clear();
  server.busy = 0;
  // The server is down before its lost requests fail, so what their failures set off (an
  // ejection, a retry elsewhere) follows the crash in the log.
  server_state_changed(now, server_index);
  observer_->on_server_down(now, server_index,
                            why == "server_crash" ? DownCause::kCrash : DownCause::kKill);
  observer_->on_log(now, why, server_info_[server_index].name,
                    std::to_string(lost.size()) + " requests lost");
  report_status(now, server_index);
  for (const std::uint32_t slot : lost) {
    if (requests_[slot].probe) {
      probe_done(now, slot, false);
      continue;
    }
    if (requests_[slot].client_waiting) {
      instances_[requests_[slot].instance].strategy->on_response(server_index,
                                                                 now - requests_[slot].sent, now);
      attempt_failed(now, slot, ErrorKind::kCrashLost);
    }
    release_outstanding(now, slot);
    free_request(slot);
  }
  lost.swap(crash_scratch_);  // keeps the capacity for the next crash
  if (connection_mode_) {
    // The process is gone, and its TCP connections with it: each user pinned to it reconnects
    // through the balancer (after reconnect_backoff) with its next request.
    for (std::uint32_t user = 0; user < connection_server_.size(); ++user) {
      if (connection_server_[user] != server_index) continue;
      change_outstanding(connection_instance_[user], server_index, -1);
      connection_server_[user] = kNoServer;
      ++connection_generation_[user];
      reconnect_at_[user] = now + config_.balancer.reconnect_backoff_ns;
    }
  }
  if (why == "server_crash") {
    const SimTime restart = config_.servers[server_group_[server_index]].overload.restart_ns;
    events_.schedule(now + restart, kServerRestart, server_index, server.incarnation);
  }
}

void Simulation::handle_server_restart(SimTime now, std::uint32_t server_index,
                                       std::uint32_t incarnation) {
  if (servers_[server_index].incarnation != incarnation) return;
  restart_server_at(now, server_index);
}

void Simulation::restart_server_at(SimTime now, std::uint32_t server_index) {
  Server& server = servers_[server_index];
  if (server.up) return;
  server.up = true;
  server.restarted_at = now;
  observer_->on_server_up(now, server_index);
  observer_->on_log(now, "server_restart", server_info_[server_index].name, "serving again");
  report_status(now, server_index);
}

void Simulation::kill_server(std::uint32_t server, std::string_view kind) {
  if (server >= servers_.size()) throw std::invalid_argument("kill_server: no such server");
  crash(events_.now(), server, kind);
}

void Simulation::restart_server(std::uint32_t server) {
  if (server >= servers_.size()) throw std::invalid_argument("restart_server: no such server");
  ++servers_[server].incarnation;  // a pending automatic restart is superseded
  restart_server_at(events_.now(), server);
}

// ---- fleet state -------------------------------------------------------------------------------

void Simulation::change_outstanding(std::uint32_t instance, std::uint32_t server,
                                    std::int32_t delta) {
  Instance& in = instances_[instance];
  in.outstanding[server] =
      static_cast<std::uint32_t>(static_cast<std::int64_t>(in.outstanding[server]) + delta);
  if (!global_view_) in.strategy->on_load_change(server, in.outstanding[server]);
  if (any_max_connections_) recompute_eligibility(instance, server);
}

void Simulation::recompute_eligibility(std::uint32_t instance, std::uint32_t server) {
  Instance& in = instances_[instance];
  const std::uint32_t cap = max_connections_[server];
  const std::uint8_t eligible =
      (available_[server] != 0 && (cap == 0 || in.outstanding[server] < cap)) ? 1 : 0;
  if (eligible != in.eligible[server]) {
    in.eligible[server] = eligible;
    in.eligible_count += eligible != 0 ? 1 : -1;
  }
}

void Simulation::server_state_changed(SimTime now, std::uint32_t server_index) {
  const Server& server = servers_[server_index];
  const auto queued = static_cast<std::int64_t>(server.queue.size());
  observer_->on_server_state(now, server_index, server.busy, queued);
  if (global_view_) {
    const auto load = static_cast<std::uint32_t>(server.busy + queued);
    global_load_[server_index] = load;
    if (config_.balancer.view_refresh_ns == 0) {
      for (Instance& in : instances_) in.strategy->on_load_change(server_index, load);
    }
  }
}

void Simulation::handle_view_refresh(SimTime now) {
  // Every instance sees the same snapshot, as from a shared load report or a control plane that
  // polls the servers: between refreshes they all chase the same "least loaded" servers.
  for (std::uint32_t s = 0; s < view_load_.size(); ++s) {
    if (view_load_[s] != global_load_[s]) {
      view_load_[s] = global_load_[s];
      for (Instance& in : instances_) in.strategy->on_load_change(s, view_load_[s]);
    }
  }
  events_.schedule(now + config_.balancer.view_refresh_ns, kViewRefresh, 0, 0);
}

void Simulation::recompute_availability(SimTime now) {
  std::uint32_t members = 0;
  std::uint32_t healthy = 0;
  for (std::uint32_t s = 0; s < servers_.size(); ++s) {
    // A drained server is out of the balancer's host set, for the panic rule too.
    const bool counted = member_[s] != 0 && drained_[s] == 0;
    members += counted ? 1 : 0;
    healthy += (counted && check_failed_[s] == 0 && ejected_[s] == 0) ? 1 : 0;
  }
  // Envoy's panic mode: below the threshold, route to every member as if all were healthy
  // (better to overload the healthy than to refuse everything when health checks mislead).
  const double threshold = config_.balancer.panic_threshold;
  const bool panic = threshold > 0.0 && members > 0 &&
                     static_cast<double>(healthy) < threshold * static_cast<double>(members);
  if (panic != panic_) {
    panic_ = panic;
    observer_->on_log(
        now, panic ? "panic_start" : "panic_end", "balancer",
        std::to_string(healthy) + " of " + std::to_string(members) + " servers healthy");
  }
  bool changed = false;
  available_count_ = 0;
  for (std::uint32_t s = 0; s < servers_.size(); ++s) {
    const bool routable = member_[s] != 0 && drained_[s] == 0 &&
                          (panic || (check_failed_[s] == 0 && ejected_[s] == 0));
    const std::uint8_t value = routable ? 1 : 0;
    changed = changed || value != available_[s];
    available_[s] = value;
    available_count_ += value;
    if (any_max_connections_) {
      for (std::uint32_t i = 0; i < instances_.size(); ++i) recompute_eligibility(i, s);
    }
    report_status(now, s);
  }
  if (changed) notify_fleet_change();
  if (changed && any_max_connections_) {
    for (std::uint32_t i = 0; i < instances_.size(); ++i) {
      for (std::uint32_t s = 0; s < servers_.size(); ++s) drain_lb_queue(now, i, s);
    }
  }
}

// ---- active health checks ----------------------------------------------------------------------

void Simulation::handle_probe_send(SimTime now, std::uint32_t server_index) {
  const HealthCheckConfig& check = config_.balancer.health_check;
  events_.schedule(now + check.interval_ns, kProbeSend, server_index, health_epoch_);
  if (member_[server_index] == 0) return;  // not in the fleet yet
  Server& server = servers_[server_index];
  if (!server.up) {
    probe_result(now, server_index, false);  // connection refused
    return;
  }
  if (check.out_of_band) {
    probe_result(now, server_index, true);
    return;
  }
  // The probe is served like a request: it waits for a worker behind the queue.
  const std::uint32_t slot = allocate_request();
  Request& probe = requests_[slot];
  probe.sent = now;
  probe.service_start = -1;
  probe.demand_s = check.probe_demand_s;
  probe.user = 0;
  probe.call = health_epoch_;  // a probe has no call; its result counts only under these settings
  probe.server = server_index;
  probe.instance = 0;
  probe.client_waiting = true;
  probe.counted = false;
  probe.probe = true;
  probe.stage = Stage::kAtServer;
  events_.schedule_preferring_lane(probe_lane_, now + check.timeout_ns, kProbeTimeout, slot,
                                   probe.generation);
  if (server.busy < server.workers) {
    start_service(now, server_index, slot);
  } else if (server.queue_limit == kUnlimitedQueue ||
             static_cast<std::int64_t>(server.queue.size()) < server.queue_limit) {
    probe.enqueued = now;
    server.queue.push_back(slot);
    server_state_changed(now, server_index);
  } else {
    probe_done(now, slot, false);  // 503
  }
}

void Simulation::probe_done(SimTime now, std::uint32_t slot, bool success) {
  Request& probe = requests_[slot];
  const bool waiting = probe.client_waiting;
  probe.client_waiting = false;
  if (waiting && probe.call == health_epoch_) probe_result(now, probe.server, success);
  free_request(slot);
}

void Simulation::handle_probe_timeout(SimTime now, std::uint32_t slot, std::uint32_t generation) {
  Request& probe = requests_[slot];
  if (probe.generation != generation || !probe.client_waiting) return;
  // The checker gives up; the probe stays with the server (it is freed when served or lost).
  probe.client_waiting = false;
  if (probe.call == health_epoch_) probe_result(now, probe.server, false);
}

void Simulation::probe_result(SimTime now, std::uint32_t server, bool success) {
  const HealthCheckConfig& check = config_.balancer.health_check;
  std::int32_t& streak = check_streak_[server];
  streak = success ? std::max(streak, 0) + 1 : std::min(streak, 0) - 1;
  if (check_failed_[server] == 0 && streak <= -check.fall) {
    check_failed_[server] = 1;
    observer_->on_log(now, "health_down", server_info_[server].name,
                      std::to_string(check.fall) + " failed checks");
    recompute_availability(now);
  } else if (check_failed_[server] != 0 && streak >= check.rise) {
    check_failed_[server] = 0;
    observer_->on_log(now, "health_up", server_info_[server].name,
                      std::to_string(check.rise) + " passed checks");
    recompute_availability(now);
  }
}

// ---- passive outlier detection -----------------------------------------------------------------

void Simulation::outlier_observe(SimTime now, std::uint32_t server, ErrorKind error) {
  const OutlierConfig& outlier = config_.balancer.outlier;
  if (!outlier.enabled) return;
  const bool counts = error == ErrorKind::kQueueFull || error == ErrorKind::kRefused ||
                      error == ErrorKind::kCrashLost || error == ErrorKind::kQueueTimeout ||
                      error == ErrorKind::kTimeout;
  if (!counts) {
    if (error == ErrorKind::kNone) consecutive_errors_[server] = 0;
    return;
  }
  if (++consecutive_errors_[server] < outlier.consecutive_errors || ejected_[server] != 0) return;
  std::uint32_t members = 0;
  for (const std::uint8_t m : member_) members += m;
  // max_ejection_percent, but always at least one ejection (Envoy).
  if (ejected_count_ > 0 && static_cast<double>(ejected_count_ + 1) >
                                outlier.max_ejection_fraction * static_cast<double>(members)) {
    return;
  }
  consecutive_errors_[server] = 0;
  ejected_[server] = 1;
  ++ejected_count_;
  ++ejections_[server];
  last_ejected_[server] = now;
  const SimTime duration = std::min(
      outlier.max_ejection_ns, outlier.base_ejection_ns * static_cast<SimTime>(ejections_[server]));
  // Identified by a serial that only grows: turning detection off resets the multiplier, and a
  // later ejection must not be ended by an earlier one's timer.
  events_.schedule(now + duration, kUneject, server, ++ejection_serial_[server]);
  observer_->on_log(now, "outlier_eject", server_info_[server].name,
                    std::to_string(outlier.consecutive_errors) +
                        " consecutive errors; ejected for " + std::to_string(to_seconds(duration)) +
                        " s");
  recompute_availability(now);
}

void Simulation::handle_uneject(SimTime now, std::uint32_t server, std::uint32_t ejection) {
  if (ejected_[server] == 0 || ejection_serial_[server] != ejection) return;
  ejected_[server] = 0;
  --ejected_count_;
  consecutive_errors_[server] = 0;
  observer_->on_log(now, "outlier_return", server_info_[server].name, "ejection over");
  recompute_availability(now);
}

void Simulation::handle_outlier_tick(SimTime now) {
  const OutlierConfig& outlier = config_.balancer.outlier;
  // The ejection multiplier decays by one per interval without a new ejection (Envoy).
  for (std::uint32_t s = 0; s < servers_.size(); ++s) {
    if (ejected_[s] == 0 && ejections_[s] > 0 && now - last_ejected_[s] >= outlier.interval_ns) {
      --ejections_[s];
    }
  }
  events_.schedule(now + outlier.interval_ns, kOutlierTick, 0, outlier_epoch_);
}

void Simulation::handle_group_join(SimTime now, std::uint32_t group) {
  std::uint32_t joined = 0;
  for (std::uint32_t s = 0; s < servers_.size(); ++s) {
    if (server_group_[s] != group || member_[s] != 0) continue;
    join_server(now, s);
    ++joined;
  }
  recompute_availability(now);
  observer_->on_log(now, "servers_join", config_.servers[group].group,
                    std::to_string(joined) + " servers join the fleet");
}

// Membership only; the caller recomputes availability once for all the servers it adds.
void Simulation::join_server(SimTime now, std::uint32_t server) {
  const SlowStartConfig& slow_start = config_.balancer.slow_start;
  joined_at_[server] = now;
  member_[server] = 1;
  observer_->on_server_join(now, server);
  if (slow_start.mode != SlowStartMode::kOff) {
    ++ramping_;
    refresh_effective_weight(server, now);
    if (!slow_start_ticking_) {
      slow_start_ticking_ = true;
      events_.schedule(now + slow_start.update_ns, kSlowStartTick, 0, 0);
    }
  }
}

double Simulation::slow_start_factor(SimTime since_join) const {
  const SlowStartConfig& slow_start = config_.balancer.slow_start;
  if (slow_start.mode == SlowStartMode::kOff || since_join >= slow_start.window_ns) return 1.0;
  const double progress =
      static_cast<double>(since_join) / static_cast<double>(slow_start.window_ns);
  switch (slow_start.mode) {
    case SlowStartMode::kEnvoy:
      // Envoy slow_start.rst: weight x max(min_weight_percent, time_factor^(1/aggression)).
      return std::max(slow_start.min_weight_fraction,
                      std::pow(progress, 1.0 / slow_start.aggression));
    case SlowStartMode::kHaproxy:
      // HAProxy `slowstart`: a linear ramp from 1% to 100% of the weight.
      return std::max(0.01, progress);
    case SlowStartMode::kOff:
      break;
  }
  return 1.0;
}

void Simulation::refresh_effective_weight(std::uint32_t server, SimTime now) {
  const SimTime since = joined_at_[server] == kTimeNever || joined_at_[server] == 0
                            ? kTimeNever
                            : now - joined_at_[server];
  const double weight = base_weights_[server] * slow_start_factor(since);
  if (weight != weights_[server]) {
    weights_[server] = weight;
    ++weights_version_;
  }
}

void Simulation::handle_slow_start_tick(SimTime now) {
  std::uint32_t still_ramping = 0;
  const SimTime window = config_.balancer.slow_start.window_ns;
  for (std::uint32_t s = 0; s < servers_.size(); ++s) {
    if (joined_at_[s] == kTimeNever || joined_at_[s] == 0) continue;
    if (now - joined_at_[s] <= window + config_.balancer.slow_start.update_ns) {
      refresh_effective_weight(s, now);
      if (now - joined_at_[s] < window) ++still_ramping;
    }
  }
  ramping_ = still_ramping;
  slow_start_ticking_ = ramping_ > 0;
  if (slow_start_ticking_) {
    events_.schedule(now + config_.balancer.slow_start.update_ns, kSlowStartTick, 0, 0);
  }
}

void Simulation::schedule_action(SimTime at, std::function<void(Simulation&, SimTime)> action) {
  if (ran_ && !running_) throw std::logic_error("schedule_action after run()");
  if (at < (running_ ? events_.now() : 0)) {
    throw std::invalid_argument("schedule_action: time in the past");
  }
  actions_.emplace_back(at, std::move(action));
  if (running_ && at < end_time()) {
    events_.schedule(at, kAction, static_cast<std::uint32_t>(actions_.size() - 1), 0);
  }
}

void Simulation::set_weight(std::uint32_t server, double weight) {
  if (server >= servers_.size() || !(weight > 0.0) || !std::isfinite(weight)) {
    throw std::invalid_argument("set_weight: bad server or weight");
  }
  base_weights_[server] = weight;
  refresh_effective_weight(server, events_.now());
}

}  // namespace lbsim
