#pragma once
// One run of the model: workload -> balancer instances -> servers, driven by the event queue.
// An ordinary object with no globals: several can run side by side in one process (replications
// on threads). Build with a validated SimulationConfig; attach an Observer; run().
//
// The model's components (sim/model/model.hpp) each keep their own state: Traffic (arrivals),
// Client (calls, attempts, retries), Balancer (instances, routing, the balancer-side queue),
// Fleet (servers and their standing), Health (checks, ejection, panic), Timeline (actions) and
// Alerts. This class owns them, runs the event loop and settles fleet changes after each event.
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sim/model/config.hpp"
#include "sim/model/observer.hpp"
#include "sim/model/run_info.hpp"

namespace lbsim {

struct Model;
struct Event;

class Simulation {
 public:
  // Throws std::invalid_argument on a configuration the loader should have rejected.
  explicit Simulation(SimulationConfig config);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  // Not owned; must outlive run(). Without one, observations are dropped.
  void set_observer(Observer* observer);
  // Called about every `every_events` events and once at the end.
  void set_progress(std::function<void(const Progress&)> callback,
                    std::uint64_t every_events = 1u << 20);
  // The alert rules, which take each closed window from whoever measures them (the Recorder).
  [[nodiscard]] WindowListener& window_listener();

  // Runs from time 0 to warmup + duration. Call once.
  RunStats run();

  // Runs `action` at simulated time `at`, in order with the other events (ties: in the order
  // scheduled). Before run(): at >= 0; from inside the run: at >= now. Tests use it to change
  // the fleet mid-run; timeline and alert actions use the same mechanism.
  void schedule_action(SimTime at, std::function<void(Simulation&, SimTime)> action);
  // Runs one timeline action now, as the timeline would.
  void run_action(const ActionConfig& action);

  // Changes a server's configured weight now (its effective weight also reflects slow start).
  void set_weight(std::uint32_t server, double weight);
  // Takes a server down now, as a crash: everything queued and in service is lost (crash_lost)
  // and requests sent to it are refused until restart_server(). Logged as `kind`.
  void kill_server(std::uint32_t server, std::string_view kind = "server_kill");
  // Brings a down server back now (cold start applies). No effect on a server that is up.
  void restart_server(std::uint32_t server);
  [[nodiscard]] bool server_up(std::uint32_t server) const;
  [[nodiscard]] ServerStatus server_status(std::uint32_t server) const;

  // The configuration as loaded (never changed by the run).
  [[nodiscard]] const SimulationConfig& config() const { return config_; }
  // What the balancer applies now: the loaded settings as timeline actions changed them.
  [[nodiscard]] const BalancerSettings& settings() const;
  [[nodiscard]] const std::vector<ServerInfo>& servers() const;
  [[nodiscard]] std::uint64_t user_population() const { return config_.workload.users; }
  [[nodiscard]] SimTime end_time() const { return config_.warmup_ns + config_.duration_ns; }
  [[nodiscard]] std::span<const double> effective_weights() const;

 private:
  void schedule_start();
  void dispatch(const Event& event);

  SimulationConfig config_;
  std::unique_ptr<Model> model_;
  std::function<void(const Progress&)> progress_;
  std::uint64_t progress_every_ = 1u << 20;
  bool ran_ = false;
};

}  // namespace lbsim
