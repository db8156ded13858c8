#include "sim/model/strategies/ring_hash.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "sim/model/strategies/view_util.hpp"

namespace lbsim {
namespace {

constexpr std::uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr std::uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr std::uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr std::uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr std::uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

constexpr std::uint64_t rotl(std::uint64_t x, int r) {
  return (x << r) | (x >> (64 - r));
}

// The spec reads lanes little-endian; memcpy is exact on the little-endian hosts we build for.
std::uint64_t read64(const char* p) {
  std::uint64_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}
std::uint32_t read32(const char* p) {
  std::uint32_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

constexpr std::uint64_t round(std::uint64_t acc, std::uint64_t lane) {
  acc += lane * kPrime2;
  return rotl(acc, 31) * kPrime1;
}
constexpr std::uint64_t merge(std::uint64_t acc, std::uint64_t v) {
  acc ^= round(0, v);
  return acc * kPrime1 + kPrime4;
}

}  // namespace

std::uint64_t xxhash64(std::string_view data, std::uint64_t seed) {
  const char* p = data.data();
  const char* const end = p + data.size();
  std::uint64_t h = 0;
  if (data.size() >= 32) {
    std::uint64_t v1 = seed + kPrime1 + kPrime2;
    std::uint64_t v2 = seed + kPrime2;
    std::uint64_t v3 = seed;
    std::uint64_t v4 = seed - kPrime1;
    for (; end - p >= 32; p += 32) {
      v1 = round(v1, read64(p));
      v2 = round(v2, read64(p + 8));
      v3 = round(v3, read64(p + 16));
      v4 = round(v4, read64(p + 24));
    }
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = merge(h, v1);
    h = merge(h, v2);
    h = merge(h, v3);
    h = merge(h, v4);
  } else {
    h = seed + kPrime5;
  }
  h += static_cast<std::uint64_t>(data.size());
  for (; end - p >= 8; p += 8) {
    h ^= round(0, read64(p));
    h = rotl(h, 27) * kPrime1 + kPrime4;
  }
  if (end - p >= 4) {
    h ^= static_cast<std::uint64_t>(read32(p)) * kPrime1;
    h = rotl(h, 23) * kPrime2 + kPrime3;
    p += 4;
  }
  for (; p < end; ++p) {
    h ^= static_cast<std::uint64_t>(static_cast<unsigned char>(*p)) * kPrime5;
    h = rotl(h, 11) * kPrime1;
  }
  h ^= h >> 33;
  h *= kPrime2;
  h ^= h >> 29;
  h *= kPrime3;
  h ^= h >> 32;
  return h;
}

std::string hashing_name(std::span<const std::string> names, std::uint32_t server) {
  if (server < names.size()) return names[server];
  return "server-" + std::to_string(server);
}

namespace {

std::string ring_size_error(std::uint64_t minimum, std::uint64_t maximum) {
  if (minimum >= 1 && minimum <= maximum) return {};
  return "ring_hash: minimum_ring_size (" + std::to_string(minimum) + ") must be >= 1 and <= " +
         "maximum_ring_size (" + std::to_string(maximum) + ")";
}

std::string ring_options_error(const StrategyOptions& options) {
  std::string error =
      ring_size_error(static_cast<std::uint64_t>(option_number(options, "minimum_ring_size")),
                      static_cast<std::uint64_t>(option_number(options, "maximum_ring_size")));
  if (!error.empty()) return error;
  const bool factor = option_given(options, "hash_balance_factor");
  if (option_given(options, "bounded_load") && !factor) {
    return "ring_hash: bounded_load has no meaning without hash_balance_factor";
  }
  if (factor && option_given(options, "bounded_load") &&
      option_choice(options, "bounded_load") == "haproxy" &&
      option_number(options, "hash_balance_factor") <= 100) {
    return "ring_hash: HAProxy's hash-balance-factor must be greater than 100 (100 would allow "
           "no server above the mean, which HAProxy rejects)";
  }
  return {};
}

}  // namespace

RingHashStrategy::RingHashStrategy(std::vector<std::string> server_names,
                                   std::uint64_t minimum_ring_size, std::uint64_t maximum_ring_size,
                                   std::optional<BoundedLoad> bounded)
    : names_(std::move(server_names)),
      minimum_ring_size_(minimum_ring_size),
      maximum_ring_size_(maximum_ring_size),
      bounded_(std::move(bounded)) {
  if (const std::string error = ring_size_error(minimum_ring_size_, maximum_ring_size_);
      !error.empty()) {
    throw std::invalid_argument(error);
  }
  point_cache_.resize(names_.size());
}

std::uint64_t RingHashStrategy::point_hash(std::uint32_t server, std::uint64_t i) {
  if (point_cache_.size() <= server) point_cache_.resize(server + 1);
  std::vector<std::uint64_t>& points = point_cache_[server];
  if (points.size() <= i) {
    std::string key = hashing_name(names_, server);
    key += '_';
    const std::size_t prefix = key.size();
    for (std::uint64_t k = points.size(); k <= i; ++k) {
      key.resize(prefix);
      key += std::to_string(k);
      points.push_back(xxhash64(key, 0));
    }
  }
  return points[i];
}

void RingHashStrategy::rebuild(const BackendView& view) {
  built_ = true;
  weights_version_ = view.weights_version;
  ++rebuild_count_;
  ring_hashes_.clear();
  ring_servers_.clear();
  if (bounded_) bounded_->rebuild(view);
  const auto n = static_cast<std::uint32_t>(view.available.size());
  double weight_sum = 0.0;
  for (std::uint32_t s = 0; s < n; ++s) {
    if (is_member(view, s)) weight_sum += view.weight[s];
  }
  if (weight_sum <= 0.0) return;
  double min_normalized = 1.0;
  for (std::uint32_t s = 0; s < n; ++s) {
    if (is_member(view, s)) min_normalized = std::min(min_normalized, view.weight[s] / weight_sum);
  }
  // Envoy: the lightest host gets a whole number of points and the ring at least the minimum size.
  const double scale =
      std::min(std::ceil(min_normalized * static_cast<double>(minimum_ring_size_)) / min_normalized,
               static_cast<double>(maximum_ring_size_));
  const auto ring_size = static_cast<std::uint64_t>(std::ceil(scale));

  std::vector<std::pair<std::uint64_t, std::uint32_t>>& ring = scratch_;
  ring.clear();
  ring.reserve(ring_size + n);
  // Running sums place fractional point counts stably (Envoy's current/target hashes).
  double current_hashes = 0.0;
  double target_hashes = 0.0;
  for (std::uint32_t s = 0; s < n; ++s) {
    if (!is_member(view, s)) continue;
    target_hashes += scale * (view.weight[s] / weight_sum);
    for (std::uint64_t i = 0; current_hashes < target_hashes; ++i, current_hashes += 1.0) {
      ring.emplace_back(point_hash(s, i), s);
    }
  }
  // Envoy sorts by hash only; the server index breaks (astronomically rare) ties reproducibly.
  std::sort(ring.begin(), ring.end());
  ring_hashes_.reserve(ring.size());
  ring_servers_.reserve(ring.size());
  for (const auto& [hash, server] : ring) {
    ring_hashes_.push_back(hash);
    ring_servers_.push_back(server);
  }
}

std::size_t RingHashStrategy::point_index(std::uint64_t hash_key) const {
  // ketama_get_server: the first point with hash >= key, else wrap to the first point.
  const auto it = std::lower_bound(ring_hashes_.begin(), ring_hashes_.end(), hash_key);
  return it == ring_hashes_.end() ? 0 : static_cast<std::size_t>(it - ring_hashes_.begin());
}

std::uint32_t RingHashStrategy::lookup(std::uint64_t hash_key) const {
  if (ring_hashes_.empty()) return kNoServer;
  return ring_servers_[point_index(hash_key)];
}

void RingHashStrategy::on_fleet_change(const BackendView& view) {
  rebuild(view);
}

void RingHashStrategy::on_load_change(std::uint32_t server, std::uint32_t outstanding) {
  if (bounded_) bounded_->load_changed(server, outstanding);
}

std::uint32_t RingHashStrategy::pick(const BackendView& view, const PickRequest& request,
                                     Rng& /*rng*/) {
  if (view.available_count == 0) return kNoServer;
  if (!built_ || view.weights_version != weights_version_) rebuild(view);
  const std::size_t size = ring_servers_.size();
  if (size == 0) return kNoServer;
  // A point of a server at its cap: walk on along the ring, as the key would go if that server
  // were removed; each step is one point, so at most one lap.
  std::size_t index = point_index(request.hash_key);
  std::uint32_t first = kNoServer;
  std::size_t step = 0;
  for (; step < size; ++step) {
    const std::uint32_t server = ring_servers_[index];
    if (server < view.available.size() && view.available[server] != 0) {
      first = server;
      break;
    }
    if (++index == size) index = 0;
  }
  if (first == kNoServer || !bounded_ || bounded_->accepts(view, first)) return first;
  if (bounded_->flavor() == BoundedLoad::Flavor::kEnvoy) {
    return bounded_->envoy_walk(view, first, request.hash_key);
  }
  // HAProxy: on clockwise to the first eligible server; after a lap, the first pick.
  for (; step < size; ++step) {
    if (++index == size) index = 0;
    const std::uint32_t server = ring_servers_[index];
    if (server < view.available.size() && view.available[server] != 0 &&
        bounded_->haproxy_eligible(view, server)) {
      return server;
    }
  }
  return first;
}

StrategyInfo ring_hash_info() {
  OptionSpec minimum;
  minimum.name = "minimum_ring_size";
  minimum.type = OptionType::kInteger;
  minimum.default_value = 1024.0;
  minimum.min = 1;
  minimum.max = 8388608;
  minimum.help = "fewest ring entries (Envoy default 1024); larger spreads keys more evenly";
  OptionSpec maximum;
  maximum.name = "maximum_ring_size";
  maximum.type = OptionType::kInteger;
  maximum.default_value = 8388608.0;
  maximum.min = 1;
  maximum.max = 8388608;
  maximum.help = "most ring entries (Envoy default 8M); must be >= minimum_ring_size";
  OptionSpec bounded;
  bounded.name = "bounded_load";
  bounded.type = OptionType::kChoice;
  bounded.default_value = std::string("envoy");
  bounded.choices = {"envoy", "haproxy"};
  bounded.optional = true;
  bounded.help =
      "with hash_balance_factor: envoy (slots ceil(total x w), active <= slots, a hash-seeded "
      "shuffle of the hosts) or haproxy (slots spread by cumulative weight, served < slots, on "
      "clockwise along the ring)";
  return {
      .name = "ring_hash",
      .summary =
          "Envoy ring hash (ketama, xxHash64) on the user's hash over the available "
          "servers, points proportional to weight",
      .options = {minimum, maximum,
                  hash_balance_factor_option(
                      "bounded loads: no server above factor/100 x its weighted share of the "
                      "requests in flight (Envoy hash_balance_factor, >= 100; HAProxy "
                      "hash-balance-factor, > 100); unset: no bound"),
                  bounded},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        if (const std::string error = ring_options_error(context.options); !error.empty()) {
          throw std::invalid_argument(error);
        }
        std::optional<BoundedLoad> bounded_load;
        if (option_given(context.options, "hash_balance_factor")) {
          const bool haproxy = option_given(context.options, "bounded_load") &&
                               option_choice(context.options, "bounded_load") == "haproxy";
          bounded_load.emplace(
              static_cast<std::uint32_t>(option_number(context.options, "hash_balance_factor")),
              haproxy ? BoundedLoad::Flavor::kHaproxy : BoundedLoad::Flavor::kEnvoy);
        }
        return std::make_unique<RingHashStrategy>(
            std::vector<std::string>(context.server_names.begin(), context.server_names.end()),
            static_cast<std::uint64_t>(option_number(context.options, "minimum_ring_size")),
            static_cast<std::uint64_t>(option_number(context.options, "maximum_ring_size")),
            std::move(bounded_load));
      },
      .load_aware_with = [](const StrategyOptions& options) {
        return option_given(options, "hash_balance_factor");
      },
      .weighted = true,
      .check_options = ring_options_error,
      .thread_aware = true,
  };
}

}  // namespace lbsim
