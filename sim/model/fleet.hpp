#pragma once
// The fleet: servers with their workers, queues and speed; service, overload (the thrashing
// knee, a crash on a full queue, restarts, cold start, the server-side queue timeout); and each
// server's standing as a set of health flags collapsed into one "in rotation" state, as Envoy's
// Host keeps its health flags (FAILED_ACTIVE_HC, FAILED_OUTLIER_CHECK, ...) behind coarseHealth().
//
// A change of standing is recorded here and reported to the observer at once; what it means for
// routing (which servers strategies may pick) is settled by the Balancer once after the current
// event (Model::fleet_changed), as HAProxy records srv_set_stopped() and then updates its lb_ops
// once: a failure never re-enters the failure path through the balancer.
#include <cstdint>
#include <string_view>
#include <vector>

#include "sim/core/ring_queue.hpp"
#include "sim/core/time.hpp"
#include "sim/model/config.hpp"
#include "sim/model/observer.hpp"
#include "sim/model/run_info.hpp"

namespace lbsim {

struct Model;

// Why a server is out of rotation; 0 = in rotation.
enum HealthFlag : std::uint8_t {
  kNotMember = 1,    // not joined yet, or removed
  kDown = 2,         // crashed or killed
  kFailedCheck = 4,  // failing its active health checks
  kEjected = 8,      // ejected by outlier detection
  kDrained = 16,     // taken out of rotation for a restart
  kBanned = 32,      // skipped after max_fails failures (nginx passive health), even in panic
};

class Fleet {
 public:
  Fleet(Model& model, const SimulationConfig& config);

  [[nodiscard]] std::uint32_t size() const { return static_cast<std::uint32_t>(servers_.size()); }
  // The server's group is configured `down` (nginx down, HAProxy disabled).
  [[nodiscard]] bool configured_down(std::uint32_t server) const {
    return config_down_[server] != 0;
  }
  [[nodiscard]] const std::vector<ServerInfo>& info() const { return info_; }
  [[nodiscard]] const std::vector<std::string>& names() const { return names_; }
  [[nodiscard]] std::uint32_t group_of(std::uint32_t server) const { return group_[server]; }

  // Standing.
  [[nodiscard]] std::uint8_t flags(std::uint32_t server) const { return flags_[server]; }
  [[nodiscard]] bool has(std::uint32_t server, HealthFlag flag) const {
    return (flags_[server] & flag) != 0;
  }
  [[nodiscard]] bool member(std::uint32_t server) const { return !has(server, kNotMember); }
  [[nodiscard]] bool up(std::uint32_t server) const { return !has(server, kDown); }
  [[nodiscard]] ServerStatus status(std::uint32_t server) const;
  // Members that are not drained (the balancer's host set, for the panic rule too), and of them
  // those neither failing checks nor ejected.
  [[nodiscard]] std::uint32_t hosts() const { return hosts_; }
  [[nodiscard]] std::uint32_t healthy_hosts() const { return healthy_hosts_; }
  [[nodiscard]] std::uint32_t members() const { return members_; }
  // Sets or clears a flag other than kDown (crash() and restart() own that one): the new status
  // is reported now and routing is settled after the event.
  void set_flag(SimTime now, std::uint32_t server, HealthFlag flag, bool on);

  // Membership. join() records it (slow start applies); leave() takes the server out (it
  // finishes what it holds).
  void join(SimTime now, std::uint32_t server);
  void leave(SimTime now, std::uint32_t server);
  void handle_group_join(SimTime now, std::uint32_t group);

  // Requests. receive() hands an attempt to a server: service starts, it queues, the server
  // crashes on a full queue, or it is refused (down) or rejected (queue full).
  void receive(SimTime now, std::uint32_t slot, std::uint32_t server);
  void handle_departure(SimTime now, std::uint32_t slot);
  // A probe: served like a request unless the server is down or full. False: it failed at once.
  [[nodiscard]] bool admit_probe(SimTime now, std::uint32_t slot, std::uint32_t server);

  // Crashes and restarts. `why` is the incident-log kind: server_crash (overload: restarts
  // after its group's restart time), server_kill or server_stop (stays down until started).
  void crash(SimTime now, std::uint32_t server, std::string_view why);
  // Brings a down server back (cold start applies); `supersede`: a pending automatic restart is
  // void. No effect on a server that is up.
  void restart(SimTime now, std::uint32_t server, bool supersede = true);
  void handle_restart(SimTime now, std::uint32_t server, std::uint32_t incarnation);
  void set_speed(std::uint32_t server, double speed);
  [[nodiscard]] SimTime restart_time(std::uint32_t server) const;

  // Load for the global view: in service + queued.
  [[nodiscard]] std::uint32_t load(std::uint32_t server) const;
  // The server would refuse a request now with a full queue (the balancer does not feed it
  // from its own queue).
  [[nodiscard]] bool queue_full(std::uint32_t server) const;

  void report_initial_status();

 private:
  struct Server {
    std::int32_t workers = 1;
    std::int32_t busy = 0;
    std::int64_t queue_limit = kUnlimitedQueue;
    double ns_per_demand_s = 1e9;  // 1e9 / speed
    RingQueue<std::uint32_t> queue;
    bool overload = false;          // any of the overload settings is on
    std::uint32_t incarnation = 0;  // bumped at each crash: stale restarts are ignored
    SimTime restarted_at = -1;      // for cold start; -1 = never restarted
    const OverloadConfig* settings = nullptr;
    std::vector<std::uint32_t> in_service;  // attempt slots in service (lost if it crashes)
  };

  void start_service(SimTime now, std::uint32_t server, std::uint32_t slot);
  void enqueue(SimTime now, std::uint32_t server, std::uint32_t slot);
  void reject(SimTime now, std::uint32_t slot, std::uint32_t server, ErrorKind error);
  [[nodiscard]] double service_factor(SimTime now, std::uint32_t server) const;
  [[nodiscard]] bool serve_next(SimTime now, std::uint32_t server);
  void finish(SimTime now, std::uint32_t slot, std::uint32_t server);
  void state_changed(SimTime now, std::uint32_t server);
  void report_status(SimTime now, std::uint32_t server);
  void count(std::uint32_t server, int sign);

  Model& m_;
  std::vector<Server> servers_;
  std::vector<ServerInfo> info_;
  std::vector<std::string> names_;
  std::vector<std::uint32_t> group_;
  std::vector<std::uint8_t> flags_;
  std::vector<std::uint8_t> config_down_;  // per server: its group is configured down
  std::vector<ServerStatus> reported_;
  std::uint32_t members_ = 0;
  std::uint32_t hosts_ = 0;
  std::uint32_t healthy_hosts_ = 0;
  std::vector<std::uint32_t> lost_scratch_;
};

}  // namespace lbsim
