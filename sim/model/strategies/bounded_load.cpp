#include "sim/model/strategies/bounded_load.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "sim/model/strategies/view_util.hpp"

namespace lbsim {

namespace {

// Envoy's uniform_int: random() / ((max + 1) / k), redrawn while >= k; uniform in [0, k).
std::uint32_t uniform_below(std::mt19937& random, std::uint32_t k) {
  const std::uint64_t divisor = (static_cast<std::uint64_t>(std::mt19937::max()) + 1) / k;
  while (true) {
    const std::uint64_t r = static_cast<std::uint64_t>(random()) / divisor;
    if (r < k) return static_cast<std::uint32_t>(r);
  }
}

}  // namespace

OptionSpec hash_balance_factor_option(const char* owner_help) {
  OptionSpec factor;
  factor.name = "hash_balance_factor";
  factor.type = OptionType::kInteger;
  factor.default_value = 0.0;  // documents "unset": no bound
  factor.min = 100;
  factor.max = 1e9;
  factor.optional = true;
  factor.help = owner_help;
  return factor;
}

BoundedLoad::BoundedLoad(std::uint32_t factor_percent, Flavor flavor)
    : factor_(factor_percent), flavor_(flavor) {}

void BoundedLoad::rebuild(const BackendView& view) {
  const auto n = static_cast<std::uint32_t>(view.available.size());
  hosts_.clear();
  normalized_.assign(n, 0.0);
  cumulative_.assign(n, 0.0);
  weight_total_ = 0.0;
  for (std::uint32_t s = 0; s < n; ++s) {
    if (!is_member(view, s)) continue;
    hosts_.push_back(s);
    cumulative_[s] = weight_total_;
    weight_total_ += view.weight[s];
  }
  for (const std::uint32_t s : hosts_) normalized_[s] = view.weight[s] / weight_total_;
  last_load_.assign(view.outstanding.begin(), view.outstanding.end());
  total_ = 0;
  for (const std::uint32_t load : last_load_) total_ += load;
  permutation_.reserve(hosts_.size());
}

void BoundedLoad::load_changed(std::uint32_t server, std::uint32_t outstanding) {
  if (server >= last_load_.size()) last_load_.resize(server + std::size_t{1}, 0);
  total_ += outstanding;
  total_ -= last_load_[server];
  last_load_[server] = outstanding;
}

double BoundedLoad::overload_factor(const BackendView& view, std::uint32_t server) const {
  const std::uint64_t total_slots = ((total_ + 1) * factor_ + 99) / 100;
  const double weight = server < normalized_.size() ? normalized_[server] : 0.0;
  const double slots = std::max(std::ceil(static_cast<double>(total_slots) * weight), 1.0);
  return static_cast<double>(view.outstanding[server]) / slots;
}

bool BoundedLoad::haproxy_eligible(const BackendView& view, std::uint32_t server) const {
  const std::uint64_t total_slots = ((total_ + 1) * factor_ + 99) / 100;
  if (server >= normalized_.size() || weight_total_ <= 0.0) return true;
  const double before = cumulative_[server];
  const double through = before + view.weight[server];
  const auto t = static_cast<double>(total_slots);
  double slots = std::floor(through * t / weight_total_) - std::floor(before * t / weight_total_);
  if (slots < 1.0) slots = 1.0;
  return static_cast<double>(view.outstanding[server]) < slots;
}

std::uint32_t BoundedLoad::envoy_walk(const BackendView& view, std::uint32_t first,
                                      std::uint64_t hash) {
  const auto count = static_cast<std::uint32_t>(hosts_.size());
  permutation_.resize(count);
  for (std::uint32_t i = 0; i < count; ++i) permutation_[i] = i;
  std::mt19937 random(static_cast<std::mt19937::result_type>(hash));
  std::uint32_t least = first;
  double least_factor = overload_factor(view, first);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t j = uniform_below(random, count - i);
    std::swap(permutation_[i], permutation_[i + j]);
    const std::uint32_t server = hosts_[permutation_[i]];
    if (server == first || view.available[server] == 0) continue;
    const double factor = overload_factor(view, server);
    if (factor <= 1.0) return server;
    if (factor < least_factor) {
      least = server;
      least_factor = factor;
    }
  }
  return least;
}

std::vector<std::uint32_t> envoy_shuffle(std::uint64_t hash, std::uint32_t count) {
  std::vector<std::uint32_t> permutation(count);
  for (std::uint32_t i = 0; i < count; ++i) permutation[i] = i;
  std::mt19937 random(static_cast<std::mt19937::result_type>(hash));
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t j = uniform_below(random, count - i);
    std::swap(permutation[i], permutation[i + j]);
  }
  return permutation;
}

}  // namespace lbsim
