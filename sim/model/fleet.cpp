#include "sim/model/fleet.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "sim/model/model.hpp"

namespace lbsim {

Fleet::Fleet(Model& model, const SimulationConfig& config) : m_(model) {
  std::uint32_t group_index = 0;
  for (const ServerGroupConfig& group : config.servers) {
    if (group.count < 1 || group.workers < 1 || !(group.speed > 0.0) || !(group.weight > 0.0) ||
        group.join_at_ns < 0) {
      throw std::invalid_argument("server group '" + group.group + "' has invalid parameters");
    }
    if (group.first_index < 0) throw std::invalid_argument("server group first_index < 0");
    const bool present = group.join_at_ns == 0;
    const OverloadConfig& o = group.overload;
    for (int i = 0; i < group.count; ++i) {
      Server server;
      server.workers = group.workers;
      server.in_service.reserve(static_cast<std::size_t>(group.workers));
      server.queue_limit = group.queue_limit;
      server.ns_per_demand_s = 1e9 / group.speed;
      server.settings = &group.overload;
      server.overload =
          o.knee > 0 || o.crash_queue >= 0 || o.cold_start_ns > 0 || o.queue_timeout_ns > 0;
      servers_.push_back(std::move(server));
      info_.push_back({server_name(group.group, group.first_index + i), group.group, group.workers,
                       group.speed, group.join_at_ns, group.weight});
      names_.push_back(info_.back().name);
      group_.push_back(group_index);
      const std::uint8_t drained = group.down ? kDrained : 0;
      config_down_.push_back(group.down ? 1 : 0);
      flags_.push_back(static_cast<std::uint8_t>((present ? 0 : kNotMember) | drained));
      reported_.emplace_back();
      count(static_cast<std::uint32_t>(flags_.size() - 1), +1);
    }
    ++group_index;
  }
  if (servers_.empty()) throw std::invalid_argument("the fleet has no servers");
  if (servers_.size() >= kNoServer) throw std::invalid_argument("too many servers");
}

ServerStatus Fleet::status(std::uint32_t server) const {
  const std::uint8_t f = flags_[server];
  return {(f & kNotMember) == 0, (f & kDown) == 0, (f & kFailedCheck) == 0,
          (f & (kEjected | kBanned)) != 0, (f & kDrained) != 0};
}

// The balancer's host set is the members that are not drained; of them, the healthy ones pass
// their checks and are not ejected (being down is not health: without checks the balancer keeps
// sending to a dead server).
void Fleet::count(std::uint32_t server, int sign) {
  const std::uint8_t f = flags_[server];
  const auto delta = static_cast<std::uint32_t>(sign);
  if ((f & kNotMember) != 0) return;
  members_ += delta;
  if ((f & kDrained) != 0) return;
  hosts_ += delta;
  if ((f & (kFailedCheck | kEjected)) == 0) healthy_hosts_ += delta;
}

void Fleet::set_flag(SimTime now, std::uint32_t server, HealthFlag flag, bool on) {
  const auto updated =
      static_cast<std::uint8_t>(on ? (flags_[server] | flag) : (flags_[server] & ~flag));
  if (updated == flags_[server]) return;
  count(server, -1);
  flags_[server] = updated;
  count(server, +1);
  report_status(now, server);
  m_.balancer.mark_changed(server);
}

void Fleet::report_status(SimTime now, std::uint32_t server) {
  const ServerStatus current = status(server);
  if (current == reported_[server] && now > 0) return;
  reported_[server] = current;
  m_.observer->on_server_status(now, server, current);
}

void Fleet::report_initial_status() {
  for (std::uint32_t s = 0; s < size(); ++s) report_status(0, s);
}

// ---- membership
// ----------------------------------------------------------------------------------

void Fleet::join(SimTime now, std::uint32_t server) {
  m_.balancer.joined(now, server);
  m_.observer->on_server_join(now, server);
  set_flag(now, server, kNotMember, false);
  m_.balancer.start_slow_start(now, server);
}

void Fleet::leave(SimTime now, std::uint32_t server) {
  m_.balancer.left(server);
  m_.observer->on_server_leave(now, server);
  set_flag(now, server, kNotMember, true);
}

void Fleet::handle_group_join(SimTime now, std::uint32_t group) {
  std::uint32_t joined = 0;
  for (std::uint32_t s = 0; s < size(); ++s) {
    if (group_[s] != group || member(s)) continue;
    join(now, s);
    ++joined;
  }
  m_.health.update_panic(now);
  m_.observer->on_log(now, "servers_join", m_.config.servers[group].group,
                      std::to_string(joined) + " servers join the fleet");
}

// ---- requests
// ------------------------------------------------------------------------------------

void Fleet::receive(SimTime now, std::uint32_t slot, std::uint32_t server_index) {
  Request& request = m_.requests[slot];
  request.server = server_index;
  request.stage = Stage::kAtServer;
  m_.observer->on_dispatch(now, server_index);
  m_.health.passive_dispatched(now, server_index);
  Server& server = servers_[server_index];
  if (has(server_index, kDown)) {
    reject(now, slot, server_index, ErrorKind::kRefused);
  } else if (server.busy < server.workers) {
    start_service(now, server_index, slot);
  } else if (server.overload && server.settings->crash_queue >= 0 &&
             static_cast<std::int64_t>(server.queue.size()) >= server.settings->crash_queue) {
    // Out of memory: the arriving request finds the queue at the crash threshold.
    request.enqueued = now;
    server.queue.push_back(slot);
    crash(now, server_index, "server_crash");
  } else if (server.queue_limit == kUnlimitedQueue ||
             static_cast<std::int64_t>(server.queue.size()) < server.queue_limit) {
    enqueue(now, server_index, slot);
  } else {
    reject(now, slot, server_index, ErrorKind::kQueueFull);
  }
}

bool Fleet::admit_probe(SimTime now, std::uint32_t slot, std::uint32_t server_index) {
  Server& server = servers_[server_index];
  if (server.busy < server.workers) {
    start_service(now, server_index, slot);
    return true;
  }
  if (server.queue_limit == kUnlimitedQueue ||
      static_cast<std::int64_t>(server.queue.size()) < server.queue_limit) {
    enqueue(now, server_index, slot);
    return true;
  }
  return false;  // 503
}

void Fleet::enqueue(SimTime now, std::uint32_t server, std::uint32_t slot) {
  m_.requests[slot].enqueued = now;
  servers_[server].queue.push_back(slot);
  state_changed(now, server);
}

// An immediate answer: a 503 from a full queue, or a refused connection.
void Fleet::reject(SimTime now, std::uint32_t slot, std::uint32_t server, ErrorKind error) {
  m_.balancer.on_response(m_.requests[slot].instance, server, 0, now);
  m_.client.attempt_failed(now, slot, error);
  finish(now, slot, server);
}

// The server is done with the attempt: its balancer slot is returned and the slot freed.
void Fleet::finish(SimTime now, std::uint32_t slot, std::uint32_t /*server*/) {
  m_.balancer.release(now, slot);
  m_.free_request(slot);
}

double Fleet::service_factor(SimTime now, std::uint32_t server_index) const {
  const Server& server = servers_[server_index];
  const OverloadConfig& o = *server.settings;
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

void Fleet::start_service(SimTime now, std::uint32_t server_index, std::uint32_t slot) {
  Server& server = servers_[server_index];
  ++server.busy;
  Request& request = m_.requests[slot];
  request.service_start = now;
  request.service_index = static_cast<std::uint32_t>(server.in_service.size());
  server.in_service.push_back(slot);
  double ns = request.demand_s * server.ns_per_demand_s;
  if (server.overload) ns *= service_factor(now, server_index);
  // ns >= 0: adding 0.5 and truncating rounds to nearest, as every golden run was recorded with.
  m_.events.schedule(now + static_cast<SimTime>(ns + 0.5),  // NOLINT(bugprone-incorrect-roundings)
                     kDeparture, slot, request.generation);
  state_changed(now, server_index);
}

// The server's own queue is served first (FIFO), before a freed balancer slot can bring a
// request from the balancer's queue. Requests that waited past the queue timeout are dropped.
// True: a queued request started service.
bool Fleet::serve_next(SimTime now, std::uint32_t server_index) {
  Server& server = servers_[server_index];
  const SimTime limit = server.overload ? server.settings->queue_timeout_ns : 0;
  while (!server.queue.empty()) {
    const std::uint32_t next = server.queue.pop_front();
    Request& queued = m_.requests[next];
    if (limit > 0 && now - queued.enqueued > limit) {
      if (queued.probe) {
        m_.health.probe_done(now, next, false);
        continue;
      }
      if (queued.client_waiting) {
        m_.balancer.on_response(queued.instance, server_index, 0, now);
        m_.client.attempt_failed(now, next, ErrorKind::kQueueTimeout);
      }
      finish(now, next, server_index);
      continue;
    }
    start_service(now, server_index, next);
    return true;
  }
  return false;
}

void Fleet::handle_departure(SimTime now, std::uint32_t slot) {
  const std::uint32_t server_index = m_.requests[slot].server;
  Server& server = servers_[server_index];
  --server.busy;
  {  // O(1) removal from the in-service list: move the last entry into this one's place
    const std::uint32_t index = m_.requests[slot].service_index;
    const std::uint32_t last = server.in_service.back();
    server.in_service[index] = last;
    m_.requests[last].service_index = index;
    server.in_service.pop_back();
  }
  if (!serve_next(now, server_index)) {
    state_changed(now, server_index);
    if (server.busy == 0) m_.balancer.server_idle(server_index);
  }
  Request& request = m_.requests[slot];
  if (request.probe) {
    m_.health.probe_done(now, slot, true);
    return;
  }
  const bool client_waiting = request.client_waiting;
  m_.observer->on_service_done(now, server_index, client_waiting);
  if (client_waiting) {
    m_.balancer.on_response(request.instance, server_index, now - request.sent, now);
    m_.client.attempt_succeeded(now, slot);
  }
  finish(now, slot, server_index);
}

// ---- crashes and restarts
// ------------------------------------------------------------------------

void Fleet::crash(SimTime now, std::uint32_t server_index, std::string_view why) {
  Server& server = servers_[server_index];
  if (has(server_index, kDown)) return;
  flags_[server_index] |= kDown;  // not health: the host set and its counts do not change
  ++server.incarnation;
  // Everything the server held is lost: queued, and in service (their departure events become
  // stale when the slots are freed). The list is this crash's own: settling the failures below
  // happens after the event, but a scratch buffer shared with a nested crash would not survive.
  std::vector<std::uint32_t> lost;
  lost.swap(lost_scratch_);
  lost.clear();
  while (!server.queue.empty()) lost.push_back(server.queue.pop_front());
  lost.insert(lost.end(), server.in_service.begin(), server.in_service.end());
  server.in_service.clear();
  server.busy = 0;
  // The server is down before its lost requests fail, so what their failures set off (an
  // ejection, a retry elsewhere) follows the crash in the log.
  state_changed(now, server_index);
  m_.observer->on_server_down(now, server_index,
                              why == "server_crash" ? DownCause::kCrash : DownCause::kKill);
  m_.observer->on_log(now, why, info_[server_index].name,
                      std::to_string(lost.size()) + " requests lost");
  report_status(now, server_index);
  for (const std::uint32_t slot : lost) {
    Request& request = m_.requests[slot];
    if (request.probe) {
      m_.health.probe_done(now, slot, false);
      continue;
    }
    if (request.client_waiting) {
      m_.balancer.on_response(request.instance, server_index, now - request.sent, now);
      m_.client.attempt_failed(now, slot, ErrorKind::kCrashLost);
    }
    finish(now, slot, server_index);
  }
  lost.swap(lost_scratch_);  // keeps the capacity for the next crash
  m_.balancer.server_crashed(now, server_index);
  if (why == "server_crash") {
    m_.events.schedule(now + server.settings->restart_ns, kServerRestart, server_index,
                       server.incarnation);
  }
}

void Fleet::handle_restart(SimTime now, std::uint32_t server, std::uint32_t incarnation) {
  if (servers_[server].incarnation != incarnation) return;
  restart(now, server, false);
}

void Fleet::restart(SimTime now, std::uint32_t server_index, bool supersede) {
  Server& server = servers_[server_index];
  if (supersede) ++server.incarnation;  // a pending automatic restart is superseded
  if (!has(server_index, kDown)) return;
  flags_[server_index] &= static_cast<std::uint8_t>(~kDown);
  server.restarted_at = now;
  m_.observer->on_server_up(now, server_index);
  m_.observer->on_log(now, "server_restart", info_[server_index].name, "serving again");
  report_status(now, server_index);
}

void Fleet::set_speed(std::uint32_t server, double speed) {
  if (server >= size() || !(speed > 0.0) || !std::isfinite(speed)) {
    throw std::invalid_argument("set_speed: bad server or speed");
  }
  servers_[server].ns_per_demand_s = 1e9 / speed;
}

SimTime Fleet::restart_time(std::uint32_t server) const {
  return servers_[server].settings->restart_ns;
}

std::uint32_t Fleet::load(std::uint32_t server) const {
  return static_cast<std::uint32_t>(servers_[server].busy +
                                    static_cast<std::int64_t>(servers_[server].queue.size()));
}

bool Fleet::queue_full(std::uint32_t server_index) const {
  const Server& server = servers_[server_index];
  return !has(server_index, kDown) && server.busy >= server.workers &&
         server.queue_limit != kUnlimitedQueue &&
         static_cast<std::int64_t>(server.queue.size()) >= server.queue_limit;
}

void Fleet::state_changed(SimTime now, std::uint32_t server_index) {
  const Server& server = servers_[server_index];
  const auto queued = static_cast<std::int64_t>(server.queue.size());
  m_.observer->on_server_state(now, server_index, server.busy, queued);
  m_.balancer.load_changed(server_index, static_cast<std::uint32_t>(server.busy + queued));
}

}  // namespace lbsim
