#include "sim/model/balancer.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/model/model.hpp"

namespace lbsim {

namespace {

// The "source address" of a user: a fixed bijective mix of its id (SplitMix64's finaliser), so
// hashing strategies see well-spread keys and every strategy sees the same key for a user.
std::uint64_t user_hash(std::uint64_t user) {
  std::uint64_t state = user;
  return splitmix64(state);
}

}  // namespace

Balancer::Balancer(Model& model, const SimulationConfig& config, std::uint64_t user_population)
    : m_(model),
      config_(config.balancer),
      seed_(config.seed),
      replication_(config.replication),
      user_population_(user_population),
      instance_rng_(config.seed, config.replication, StreamPurpose::kInstance, 0),
      idle_report_rng_(config.seed, config.replication, StreamPurpose::kInstance, 1) {
  if (config_.instances < 1) throw std::invalid_argument("instances must be >= 1");
  connection_mode_ = config_.unit == BalancingUnit::kConnection;
  global_view_ = config_.view == LoadView::kGlobal;
  for (const ServerGroupConfig& group : config.servers) {
    const bool present = group.join_at_ns == 0;
    const bool routable = present && !group.down;  // a group configured down starts drained
    for (int i = 0; i < group.count; ++i) {
      base_weights_.push_back(group.weight);
      weights_.push_back(group.weight);
      max_connections_.push_back(group.max_connections);
      any_max_connections_ = any_max_connections_ || group.max_connections > 0;
      available_.push_back(routable ? 1 : 0);
      joined_at_.push_back(present ? 0 : kTimeNever);
      if (routable) ++available_count_;
    }
  }
  if (connection_mode_ && any_max_connections_) {
    throw std::invalid_argument("max_connections is not supported with unit: connection");
  }
  const auto servers = static_cast<std::uint32_t>(available_.size());
  changed_mark_.assign(servers, 0);
  global_load_.assign(servers, 0);
  view_load_.assign(servers, 0);
  instances_.resize(static_cast<std::size_t>(config_.instances));
  for (std::uint32_t i = 0; i < instances_.size(); ++i) {
    Instance& in = instances_[i];
    in.outstanding.assign(servers, 0);
    in.eligible = available_;
    in.eligible_count = available_count_;
    in.rng = Rng(seed_, replication_, StreamPurpose::kBalancer, i);
  }
  set_strategy(config_.strategy);
  if (connection_mode_) {
    if (user_population_ >= UINT32_MAX) {
      throw std::invalid_argument("unit: connection supports at most 2^32 - 1 users");
    }
    connection_server_.assign(user_population_, kNoServer);
    connection_generation_.assign(user_population_, 0);
    connection_instance_.assign(user_population_, 0);
    reconnect_at_.assign(user_population_, 0);
  }
}

void Balancer::set_strategy(const StrategyChoice& strategy) {
  const StrategyInfo* info = strategy.info;
  if (info == nullptr) throw std::invalid_argument("no balancing strategy");
  const auto servers = static_cast<std::uint32_t>(available_.size());
  for (std::uint32_t i = 0; i < instances_.size(); ++i) {
    const StrategyContext context{
        strategy.options, servers,         i, seed_ ^ (replication_ * 0x9e3779b97f4a7c15ULL),
        user_population_, m_.fleet.names()};
    instances_[i].strategy = info->make(context);
  }
  // The fresh strategies learn the membership and the load in flight from the view.
  notify_fleet_change();
}

void Balancer::schedule_start() {
  if (global_view_ && config_.view_refresh_ns > 0) m_.events.schedule(0, kViewRefresh, 0, 0);
}

BackendView Balancer::view_for(std::uint32_t instance) const {
  const Instance& in = instances_[instance];
  const std::span<const std::uint32_t> load =
      global_view_ ? (config_.view_refresh_ns > 0 ? view_load_ : global_load_) : in.outstanding;
  if (any_max_connections_) {
    return {load,          weights_,          max_connections_,
            in.eligible,   in.eligible_count, weights_version_,
            in.outstanding};
  }
  return {load,          weights_, max_connections_, available_, available_count_, weights_version_,
          in.outstanding};
}

std::uint32_t Balancer::instance_for(std::uint64_t user) {
  const auto n = static_cast<std::uint64_t>(instances_.size());
  if (n == 1) return 0;
  if (config_.instance_selection == InstanceSelection::kUserHash) {
    // A second mix, so the instance a user reaches is independent of its hash key's position on
    // a ring.
    std::uint64_t state = user_hash(user) ^ 0x6c62'7369'6d00'0001ULL;
    return static_cast<std::uint32_t>(splitmix64(state) % n);
  }
  return static_cast<std::uint32_t>(instance_rng_.below(n));
}

void Balancer::notify_fleet_change() {
  for (std::uint32_t i = 0; i < instances_.size(); ++i) {
    instances_[i].strategy->on_fleet_change(view_for(i));
  }
}

std::uint32_t Balancer::pick(SimTime now, std::uint32_t instance, std::uint64_t user) {
  Instance& in = instances_[instance];
  return in.strategy->pick(view_for(instance), {user, user_hash(user), now}, in.rng);
}

// ---- routing
// -------------------------------------------------------------------------------------

void Balancer::route(SimTime now, std::uint32_t slot) {
  if (connection_mode_) {
    route_l4(now, slot);
  } else {
    route_l7(now, slot);
  }
}

void Balancer::fail(SimTime now, std::uint32_t slot, ErrorKind error) {
  m_.client.attempt_failed(now, slot, error);
  m_.free_request(slot);
}

void Balancer::route_l7(SimTime now, std::uint32_t slot) {
  const std::uint32_t instance = m_.requests[slot].instance;
  const std::uint64_t user = m_.requests[slot].user;
  std::uint32_t server = pick(now, instance, user);
  const std::uint32_t previous = m_.client.last_server(m_.requests[slot].call);
  if (m_.config.client.retry.avoid_previous_host && previous != kNoServer) {
    // Envoy's previous_hosts retry predicate: re-pick a few times rather than go back to the
    // host that just failed (it may still be the only choice).
    for (int tries = 0; tries < 3 && server == previous; ++tries) {
      server = pick(now, instance, user);
    }
  }
  if (server == kNoServer) {
    if (any_max_connections_ && available_count_ > 0) {
      wait_in_queue(now, slot);
    } else {
      fail(now, slot, ErrorKind::kNoHealthyBackend);
    }
    return;
  }
  Request& request = m_.requests[slot];
  request.server = server;
  request.counted = true;
  change_outstanding(instance, server, +1);
  m_.fleet.receive(now, slot, server);
}

// Every available server is at this instance's max_connections: the request waits in the
// balancer's queue (HAProxy's backend queue) for a connection slot to free up.
void Balancer::wait_in_queue(SimTime now, std::uint32_t slot) {
  Request& request = m_.requests[slot];
  Instance& in = instances_[request.instance];
  const std::int64_t max_pending = m_.settings.circuit_breakers.max_pending;
  if (max_pending >= 0 && static_cast<std::int64_t>(in.queued_live) >= max_pending) {
    fail(now, slot, ErrorKind::kCircuitOpen);
    return;
  }
  const std::int64_t limit = config_.queue_limit;
  if (limit >= 0 && static_cast<std::int64_t>(in.queued_live) >= limit) {
    fail(now, slot, ErrorKind::kLbQueueFull);
    return;
  }
  request.stage = Stage::kInLbQueue;
  in.queue.push_back(slot);
  ++in.queued_live;
  m_.events.schedule_in_lane(m_.lanes.lb_queue, now + config_.queue_timeout_ns, kLbQueueTimeout,
                             slot, request.generation);
}

void Balancer::route_l4(SimTime now, std::uint32_t slot) {
  Request& request = m_.requests[slot];
  const auto user = static_cast<std::uint32_t>(request.user);
  std::uint32_t server = connection_server_[user];
  if (server == kNoServer) {
    if (now < reconnect_at_[user]) {
      // The connection is still backing off: the request waits for the reconnection.
      m_.events.schedule(reconnect_at_[user], kDeferredDispatch, slot, request.generation);
      return;
    }
    server = pick(now, request.instance, user);
    if (server == kNoServer) {
      fail(now, slot, ErrorKind::kNoHealthyBackend);
      return;
    }
    if (!m_.fleet.up(server)) {
      // The connect is refused: there is no connection to keep; the next request picks again.
      m_.fleet.receive(now, slot, server);
      return;
    }
    connection_server_[user] = server;
    connection_instance_[user] = request.instance;
    change_outstanding(request.instance, server, +1);
    if (config_.connection_lifetime_ns > 0) {
      m_.events.schedule_in_lane(m_.lanes.connection, now + config_.connection_lifetime_ns,
                                 kConnectionClose, user, connection_generation_[user]);
    }
  }
  request.instance = connection_instance_[user];
  request.server = server;
  m_.fleet.receive(now, slot, server);
}

void Balancer::handle_lb_queue_timeout(SimTime now, std::uint32_t slot, std::uint32_t generation) {
  const Request& request = m_.requests[slot];
  if (request.generation != generation || !request.client_waiting ||
      request.stage != Stage::kInLbQueue) {
    return;
  }
  // The entry stays in the queue and is dropped when it reaches the front.
  left_queue(request.instance);
  m_.client.attempt_failed(now, slot, ErrorKind::kLbQueueTimeout);
}

void Balancer::handle_deferred_dispatch(SimTime now, std::uint32_t slot, std::uint32_t generation) {
  const Request& request = m_.requests[slot];
  if (request.generation != generation) return;
  if (!request.client_waiting) {  // timed out while waiting for the reconnection
    m_.free_request(slot);
    return;
  }
  route_l4(now, slot);
}

void Balancer::close_connection(SimTime now, std::uint32_t user) {
  change_outstanding(connection_instance_[user], connection_server_[user], -1);
  connection_server_[user] = kNoServer;
  ++connection_generation_[user];
  reconnect_at_[user] = now + config_.reconnect_backoff_ns;
}

void Balancer::handle_connection_close(SimTime now, std::uint32_t user, std::uint32_t generation) {
  if (connection_generation_[user] != generation) return;
  if (connection_server_[user] == kNoServer) return;
  close_connection(now, user);
}

void Balancer::server_crashed(SimTime now, std::uint32_t server) {
  if (!connection_mode_) return;
  // The process is gone, and its TCP connections with it: each user pinned to it reconnects
  // through the balancer (after reconnect_backoff) with its next request.
  for (std::uint32_t user = 0; user < connection_server_.size(); ++user) {
    if (connection_server_[user] == server) close_connection(now, user);
  }
}

// ---- feedback
// ------------------------------------------------------------------------------------

void Balancer::on_response(std::uint32_t instance, std::uint32_t server, SimTime rtt, SimTime now) {
  instances_[instance].strategy->on_response(server, rtt, now);
}

void Balancer::release(SimTime /*now*/, std::uint32_t slot) {
  Request& request = m_.requests[slot];
  if (!request.counted) return;
  request.counted = false;
  change_outstanding(request.instance, request.server, -1);
  if (any_max_connections_) {
    freed_.emplace_back(request.instance, request.server);
    m_.settle_needed = true;
  }
}

void Balancer::abandoned(SimTime now, std::uint32_t slot) {
  const Request& request = m_.requests[slot];
  instances_[request.instance].strategy->on_response(request.server, now - request.sent, now);
  // The server is still busy with it under a cap, and freeing the slot early would let the cap
  // be exceeded.
  if (!any_max_connections_) release(now, slot);
}

void Balancer::server_idle(std::uint32_t server) {
  const auto n = static_cast<std::uint64_t>(instances_.size());
  const auto reporter = n == 1 ? 0 : static_cast<std::uint32_t>(idle_report_rng_.below(n));
  instances_[reporter].strategy->on_server_idle(server);
}

void Balancer::load_changed(std::uint32_t server, std::uint32_t load) {
  if (!global_view_) return;
  global_load_[server] = load;
  if (config_.view_refresh_ns == 0) {
    for (Instance& in : instances_) in.strategy->on_load_change(server, load);
  }
}

void Balancer::handle_view_refresh(SimTime now) {
  // Every instance sees the same snapshot, as from a shared load report or a control plane that
  // polls the servers: between refreshes they all chase the same "least loaded" servers.
  for (std::uint32_t s = 0; s < view_load_.size(); ++s) {
    if (view_load_[s] != global_load_[s]) {
      view_load_[s] = global_load_[s];
      for (Instance& in : instances_) in.strategy->on_load_change(s, view_load_[s]);
    }
  }
  m_.events.schedule(now + config_.view_refresh_ns, kViewRefresh, 0, 0);
}

void Balancer::change_outstanding(std::uint32_t instance, std::uint32_t server,
                                  std::int32_t delta) {
  Instance& in = instances_[instance];
  in.outstanding[server] =
      static_cast<std::uint32_t>(static_cast<std::int64_t>(in.outstanding[server]) + delta);
  if (!global_view_) in.strategy->on_load_change(server, in.outstanding[server]);
  if (any_max_connections_) recompute_eligibility(instance, server);
}

void Balancer::recompute_eligibility(std::uint32_t instance, std::uint32_t server) {
  Instance& in = instances_[instance];
  const std::uint32_t cap = max_connections_[server];
  const std::uint8_t eligible =
      (available_[server] != 0 && (cap == 0 || in.outstanding[server] < cap)) ? 1 : 0;
  if (eligible != in.eligible[server]) {
    in.eligible[server] = eligible;
    in.eligible_count += eligible != 0 ? 1 : -1;
  }
}

// ---- weights and slow start
// ----------------------------------------------------------------------

void Balancer::set_weight(SimTime now, std::uint32_t server, double weight) {
  if (server >= base_weights_.size() || !(weight > 0.0) || !std::isfinite(weight)) {
    throw std::invalid_argument("set_weight: bad server or weight");
  }
  base_weights_[server] = weight;
  refresh_effective_weight(server, now);
}

void Balancer::start_slow_start(SimTime now, std::uint32_t server) {
  const SlowStartConfig& slow_start = config_.slow_start;
  if (slow_start.mode == SlowStartMode::kOff) return;
  ++ramping_;
  refresh_effective_weight(server, now);
  if (!slow_start_ticking_) {
    slow_start_ticking_ = true;
    m_.events.schedule(now + slow_start.update_ns, kSlowStartTick, 0, 0);
  }
}

void Balancer::restart_slow_start(SimTime now, std::uint32_t server) {
  if (config_.slow_start.mode == SlowStartMode::kOff || server >= joined_at_.size()) return;
  joined_at_[server] = now;
  start_slow_start(now, server);
}

double Balancer::slow_start_factor(SimTime since_join) const {
  const SlowStartConfig& slow_start = config_.slow_start;
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

void Balancer::refresh_effective_weight(std::uint32_t server, SimTime now) {
  const SimTime since = joined_at_[server] == kTimeNever || joined_at_[server] == 0
                            ? kTimeNever
                            : now - joined_at_[server];
  const double weight = base_weights_[server] * slow_start_factor(since);
  if (weight != weights_[server]) {
    weights_[server] = weight;
    ++weights_version_;
  }
}

void Balancer::handle_slow_start_tick(SimTime now) {
  std::uint32_t still_ramping = 0;
  const SimTime window = config_.slow_start.window_ns;
  for (std::uint32_t s = 0; s < joined_at_.size(); ++s) {
    if (joined_at_[s] == kTimeNever || joined_at_[s] == 0) continue;
    if (now - joined_at_[s] <= window + config_.slow_start.update_ns) {
      refresh_effective_weight(s, now);
      if (now - joined_at_[s] < window) ++still_ramping;
    }
  }
  ramping_ = still_ramping;
  slow_start_ticking_ = ramping_ > 0;
  if (slow_start_ticking_) {
    m_.events.schedule(now + config_.slow_start.update_ns, kSlowStartTick, 0, 0);
  }
}

// ---- settling fleet changes
// ----------------------------------------------------------------------

void Balancer::mark_changed(std::uint32_t server) {
  if (changed_mark_[server] == 0) {
    changed_mark_[server] = 1;
    changed_.push_back(server);
  }
  m_.settle_needed = true;
}

void Balancer::mark_all_changed() {
  all_changed_ = true;
  m_.settle_needed = true;
}

// Availability of the servers marked since the last settle (all of them after a panic flip).
// True when any changed.
bool Balancer::recompute_availability() {
  const bool panic = m_.health.panic();
  const StrategyInfo* strategy = m_.settings.strategy.info;
  const bool route_nowhere =
      panic && config_.fail_traffic_on_panic && (strategy == nullptr || !strategy->thread_aware);
  const auto update = [&](std::uint32_t s) {
    const std::uint8_t flags = m_.fleet.flags(s);
    // nginx's max_fails ban holds in panic too (nginx has no panic mode).
    const bool routable = !route_nowhere && (flags & (kNotMember | kDrained | kBanned)) == 0 &&
                          (panic || (flags & (kFailedCheck | kEjected)) == 0);
    const std::uint8_t value = routable ? 1 : 0;
    const bool changed = value != available_[s];
    if (changed) {
      available_[s] = value;
      available_count_ += value != 0 ? 1 : -1;
    }
    if (any_max_connections_) {
      for (std::uint32_t i = 0; i < instances_.size(); ++i) recompute_eligibility(i, s);
    }
    changed_mark_[s] = 0;
    return changed;
  };
  bool changed = false;
  if (all_changed_) {
    for (std::uint32_t s = 0; s < available_.size(); ++s) changed = update(s) || changed;
  } else {
    std::sort(changed_.begin(), changed_.end());
    for (const std::uint32_t s : changed_) changed = update(s) || changed;
  }
  changed_.clear();
  all_changed_ = false;
  return changed;
}

// HAProxy: a server that frees a connection slot takes the oldest request of the backend queue.
// Entries whose client already left (timed out, or the queue timeout fired) are dropped here,
// where they reach the front. A server whose own queue is full is not fed.
void Balancer::drain(SimTime now, std::uint32_t instance, std::uint32_t target) {
  Instance& in = instances_[instance];
  while (!in.queue.empty() && in.eligible[target] != 0) {
    if (m_.fleet.queue_full(target)) break;
    const std::uint32_t slot = in.queue.pop_front();
    Request& request = m_.requests[slot];
    if (!request.client_waiting) {
      m_.free_request(slot);
      continue;
    }
    --in.queued_live;
    request.server = target;
    request.counted = true;
    change_outstanding(instance, target, +1);
    m_.fleet.receive(now, slot, target);
  }
}

void Balancer::settle(SimTime now) {
  // A work list, not recursion: what the sends below set off (a 503 frees a slot again, a crash
  // or an ejection changes availability) is appended and settled in turn, until nothing is left.
  std::size_t next = 0;
  for (;;) {
    if ((!changed_.empty() || all_changed_) && recompute_availability()) {
      notify_fleet_change();
      if (any_max_connections_) {
        for (std::uint32_t i = 0; i < instances_.size(); ++i) {
          if (instances_[i].queue.empty()) continue;
          for (std::uint32_t s = 0; s < available_.size(); ++s) drain(now, i, s);
        }
      }
      continue;
    }
    if (next == freed_.size()) break;
    const auto [instance, server] = freed_[next++];
    drain(now, instance, server);
  }
  freed_.clear();
}

}  // namespace lbsim
