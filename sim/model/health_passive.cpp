// nginx passive health: a server's max_fails and fail_timeout as ngx_http_upstream_round_robin.c
// keeps them (nginx/nginx, ngx_http_upstream_get_peer and
// ngx_http_upstream_free_round_robin_peer), on nginx's one-second clock (ngx_time()).
//
// A failed attempt (an error or a timeout always; the server's own 503s with http_503, as with
// proxy_next_upstream http_503) counts: fails + 1, and `checked` and `accessed` become now. A
// server with fails >= max_fails is skipped while now - checked <= fail_timeout, so a failure at
// second 0 bans it through second 10 with the default 10 s; at second 11 it may take one request
// again, and picking it sets checked = now, so it is skipped for another fail_timeout unless that
// probe succeeds. A success resets fails only for a request picked after `checked` moved past the
// last failure (accessed < checked): successes within fail_timeout of a failure do not, and
// failures spaced up to fail_timeout apart accumulate, as in nginx (there is no sliding window).
// A fleet of one server is never banned (nginx: "If there is only a single server in a group,
// max_fails, fail_timeout ... are ignored"). The state is shared by the balancer instances, as
// in an upstream with a shared memory `zone`; nginx without a zone keeps it per worker.
// Not modelled: the effective-weight penalty nginx's round robin applies after a failure
// (weight / max_fails, recovered by 1 per selection).
#include "sim/model/health.hpp"
#include "sim/model/model.hpp"

namespace lbsim {

namespace {

std::int64_t whole_seconds(SimTime t) {
  return t / kSecond;
}

}  // namespace

void Health::passive_dispatched(SimTime now, std::uint32_t server) {
  const BalancerConfig::PassiveHealth& passive = m_.config.balancer.passive_health;
  if (!passive.enabled || passive.max_fails == 0 || m_.fleet.members() <= 1) return;
  PassivePeer& peer = passive_[server];
  const std::int64_t now_s = whole_seconds(now);
  if (now_s - peer.checked_s > whole_seconds(passive.fail_timeout_ns)) peer.checked_s = now_s;
  // The one request a banned server gets when its fail_timeout is over: until it succeeds the
  // server is skipped again (checked is now).
  if (peer.fails >= passive.max_fails) passive_ban(now, server);
}

void Health::passive_observe(SimTime now, std::uint32_t server, ErrorKind error) {
  const BalancerConfig::PassiveHealth& passive = m_.config.balancer.passive_health;
  if (!passive.enabled || passive.max_fails == 0 || m_.fleet.members() <= 1) return;
  PassivePeer& peer = passive_[server];
  if (error == ErrorKind::kNone) {
    if (peer.accessed_s < peer.checked_s) {
      peer.fails = 0;
      if (m_.fleet.has(server, kBanned)) {
        ++peer.serial;  // the pending release is moot
        m_.observer->on_log(now, "passive_up", m_.fleet.info()[server].name,
                            "a request succeeded after fail_timeout");
        m_.fleet.set_flag(now, server, kBanned, false);
      }
    }
    return;
  }
  const bool counts =
      error == ErrorKind::kRefused || error == ErrorKind::kCrashLost ||
      error == ErrorKind::kTimeout ||
      (passive.http_503 && (error == ErrorKind::kQueueFull || error == ErrorKind::kQueueTimeout));
  if (!counts) return;
  const std::int64_t now_s = whole_seconds(now);
  ++peer.fails;
  peer.accessed_s = now_s;
  peer.checked_s = now_s;
  if (peer.fails >= passive.max_fails) passive_ban(now, server);
}

void Health::passive_ban(SimTime now, std::uint32_t server) {
  const BalancerConfig::PassiveHealth& passive = m_.config.balancer.passive_health;
  PassivePeer& peer = passive_[server];
  // Eligible again at the first whole second with now - checked > fail_timeout.
  const SimTime release = (peer.checked_s + whole_seconds(passive.fail_timeout_ns) + 1) * kSecond;
  ++peer.serial;
  m_.events.schedule(std::max(release, now), kPassiveRelease, server, peer.serial);
  if (!m_.fleet.has(server, kBanned)) {
    m_.observer->on_log(now, "passive_down", m_.fleet.info()[server].name,
                        std::to_string(peer.fails) + " failed attempts (max_fails " +
                            std::to_string(passive.max_fails) + "); skipped until " +
                            std::to_string(release / kSecond) + " s");
    m_.fleet.set_flag(now, server, kBanned, true);
  }
}

void Health::server_removed(SimTime now, std::uint32_t server) {
  if (m_.fleet.has(server, kEjected)) {
    --ejected_count_;
    m_.fleet.set_flag(now, server, kEjected, false);
  }
  outlier_[server] = OutlierHost{};
  if (m_.fleet.has(server, kBanned)) m_.fleet.set_flag(now, server, kBanned, false);
  passive_[server].fails = 0;
  ++passive_[server].serial;
  observed_errors_[server] = 0;
}

void Health::handle_passive_release(SimTime now, std::uint32_t server, std::uint32_t serial) {
  if (passive_[server].serial != serial || !m_.fleet.has(server, kBanned)) return;
  m_.observer->on_log(now, "passive_probe", m_.fleet.info()[server].name,
                      "fail_timeout over: one request may try it");
  m_.fleet.set_flag(now, server, kBanned, false);
}

}  // namespace lbsim
