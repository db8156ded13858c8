#pragma once
// Cookie affinity (sticky sessions), as ingress-nginx's `affinity: cookie` and HAProxy's `cookie`
// persistence behave: a user is sent to the server its cookie names; a user without one (first
// request) or whose server is unavailable is assigned by an inner choice and keeps that server
// from then on. Option `fallback` picks the inner choice: `round_robin` (default: a rotating index
// from a random start per instance, skipping unavailable servers, as the round_robin strategy) or
// `random` (uniform among available servers, from the instance's stream).
//
// Why it matters (lb-reference §3.4, kubernetes/ingress-nginx#4093 and #5944): existing users
// never move to a server that is added or comes back, so new servers receive only new users and
// load stays concentrated after a scale-out; a server's departure dumps all its users on the
// others at once.
//
// State: one uint32 per user (4 bytes x user_population per instance), kNoServer = no cookie yet.
// Limitation: the table is per balancer instance, while a real cookie travels with the user and
// every instance honours it. With balancer.instances > 1 a user reaching another instance gets a
// second, independent assignment there (exact with one instance). Users outside the population
// are served by the inner choice without stickiness.
#include <cstdint>
#include <vector>

#include "sim/model/strategy.hpp"

namespace lbsim {

[[nodiscard]] StrategyInfo sticky_info();

enum class StickyFallback { kRoundRobin, kRandom };

class StickyStrategy final : public Strategy {
 public:
  StickyStrategy(StickyFallback fallback, std::uint64_t user_population, std::uint64_t start);
  std::uint32_t pick(const BackendView& view, const PickRequest& request, Rng& rng) override;

  // The server `user` is pinned to, or kNoServer.
  [[nodiscard]] std::uint32_t assigned(std::uint64_t user) const {
    return user < assignment_.size() ? assignment_[user] : kNoServer;
  }

 private:
  std::uint32_t choose(const BackendView& view, Rng& rng);

  StickyFallback fallback_;
  std::vector<std::uint32_t> assignment_;
  std::uint64_t next_;  // round-robin position
};

}  // namespace lbsim
