#include "sim/model/strategies/maglev.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <utility>

#include "sim/model/strategies/ring_hash.hpp"
#include "sim/model/strategies/view_util.hpp"

namespace lbsim {

bool is_prime(std::uint64_t n) {
  if (n < 2) return false;
  if (n % 2 == 0) return n == 2;
  for (std::uint64_t d = 3; d * d <= n; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

namespace {

std::string table_size_error(std::uint64_t table_size) {
  if (is_prime(table_size)) return {};
  return "maglev: table_size must be a prime number, got " + std::to_string(table_size) +
         " (Envoy's default is 65537)";
}

}  // namespace

MaglevStrategy::MaglevStrategy(std::vector<std::string> server_names, std::uint64_t table_size,
                               std::optional<BoundedLoad> bounded)
    : names_(std::move(server_names)), table_size_(table_size), bounded_(std::move(bounded)) {
  if (const std::string error = table_size_error(table_size_); !error.empty()) {
    throw std::invalid_argument(error);
  }
  ensure_server_data(static_cast<std::uint32_t>(names_.size()));
  table_.assign(table_size_, kNoServer);
}

void MaglevStrategy::ensure_server_data(std::uint32_t server_count) {
  if (offset_.size() >= server_count) return;
  for (auto s = static_cast<std::uint32_t>(offset_.size()); s < server_count; ++s) {
    const std::string name = hashing_name(names_, s);
    offset_.push_back(xxhash64(name, 0) % table_size_);
    skip_.push_back(table_size_ > 1 ? xxhash64(name, 1) % (table_size_ - 1) + 1 : 1);
  }
  name_order_.resize(server_count);
  std::iota(name_order_.begin(), name_order_.end(), 0U);
  std::stable_sort(name_order_.begin(), name_order_.end(), [&](std::uint32_t a, std::uint32_t b) {
    return hashing_name(names_, a) < hashing_name(names_, b);
  });
}

void MaglevStrategy::rebuild(const BackendView& view) {
  built_ = true;
  weights_version_ = view.weights_version;
  ++rebuild_count_;
  const auto n = static_cast<std::uint32_t>(view.available.size());
  ensure_server_data(n);
  std::fill(table_.begin(), table_.end(), kNoServer);
  if (bounded_) bounded_->rebuild(view);

  std::vector<BuildEntry>& entries = entries_;
  entries.clear();
  double weight_sum = 0.0;
  for (const std::uint32_t s : name_order_) {
    if (s < n && is_member(view, s)) weight_sum += view.weight[s];
  }
  if (weight_sum <= 0.0) return;
  double max_normalized = 0.0;
  for (const std::uint32_t s : name_order_) {
    if (s >= n || !is_member(view, s)) continue;
    entries.push_back({s, view.weight[s] / weight_sum, 0.0, 0});
    max_normalized = std::max(max_normalized, entries.back().weight);
  }

  // Paper's Listing 1 with Envoy's weighting: in round r an entry takes a slot only when
  // r * weight has reached its target, which then grows by the largest weight.
  std::uint64_t filled = 0;
  for (std::uint64_t iteration = 1; filled < table_size_; ++iteration) {
    for (std::size_t i = 0; i < entries.size() && filled < table_size_; ++i) {
      BuildEntry& entry = entries[i];
      if (static_cast<double>(iteration) * entry.weight < entry.target_weight) continue;
      entry.target_weight += max_normalized;
      const std::uint64_t offset = offset_[entry.server];
      const std::uint64_t skip = skip_[entry.server];
      std::uint64_t slot = (offset + skip * entry.next) % table_size_;
      while (table_[slot] != kNoServer) {
        ++entry.next;
        slot = (offset + skip * entry.next) % table_size_;
      }
      table_[slot] = entry.server;
      ++entry.next;
      ++filled;
    }
  }
}

std::uint32_t MaglevStrategy::lookup(std::uint64_t hash_key) const {
  return table_[hash_key % table_size_];
}

void MaglevStrategy::on_fleet_change(const BackendView& view) {
  rebuild(view);
}

void MaglevStrategy::on_load_change(std::uint32_t server, std::uint32_t outstanding) {
  if (bounded_) bounded_->load_changed(server, outstanding);
}

std::uint32_t MaglevStrategy::pick(const BackendView& view, const PickRequest& request,
                                   Rng& /*rng*/) {
  if (view.available_count == 0) return kNoServer;
  if (!built_ || view.weights_version != weights_version_) rebuild(view);
  // A slot of a server at its cap: walk on to the next slots (at most one lap of the table).
  std::uint64_t slot = request.hash_key % table_size_;
  for (std::uint64_t step = 0; step < table_size_; ++step) {
    const std::uint32_t server = table_[slot];
    if (server == kNoServer) return kNoServer;  // empty table: no healthy server
    if (server < view.available.size() && view.available[server] != 0) {
      if (!bounded_ || bounded_->accepts(view, server)) return server;
      return bounded_->envoy_walk(view, server, request.hash_key);
    }
    if (++slot == table_size_) slot = 0;
  }
  return kNoServer;
}

StrategyInfo maglev_info() {
  OptionSpec table_size;
  table_size.name = "table_size";
  table_size.type = OptionType::kInteger;
  table_size.default_value = 65537.0;
  table_size.min = 2;
  table_size.max = 5000011;  // Envoy's upper bound
  table_size.help = "lookup table slots; must be prime (Envoy default 65537)";
  return {
      .name = "maglev",
      .summary =
          "Maglev consistent hashing (Envoy, weighted) of the user's hash over the "
          "available servers",
      .options = {table_size,
                  hash_balance_factor_option(
                      "bounded loads: no server above factor/100 x its weighted share of the "
                      "requests in flight (Envoy hash_balance_factor, >= 100); unset: no bound")},
      .make = [](const StrategyContext& context) -> std::unique_ptr<Strategy> {
        std::optional<BoundedLoad> bounded;
        if (option_given(context.options, "hash_balance_factor")) {
          bounded.emplace(
              static_cast<std::uint32_t>(option_number(context.options, "hash_balance_factor")),
              BoundedLoad::Flavor::kEnvoy);
        }
        return std::make_unique<MaglevStrategy>(
            std::vector<std::string>(context.server_names.begin(), context.server_names.end()),
            static_cast<std::uint64_t>(option_number(context.options, "table_size")),
            std::move(bounded));
      },
      .load_aware_with =
          [](const StrategyOptions& options) {
            return option_given(options, "hash_balance_factor");
          },
      .weighted = true,
      .check_options =
          [](const StrategyOptions& options) {
            return table_size_error(
                static_cast<std::uint64_t>(option_number(options, "table_size")));
          },
      .thread_aware = true,
  };
}

}  // namespace lbsim
