#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "sim/core/distributions.hpp"
#include "sim/model/observer.hpp"
#include "sim/scenario/clock.hpp"
#include "sim/scenario/csv_reader.hpp"
#include "sim/scenario/fleet.hpp"
#include "sim/scenario/sections.hpp"
#include "sim/scenario/trace.hpp"
#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::loader {
namespace {

using yaml::MapEntry;
using yaml::Node;
using yaml::NodeKind;

std::string_view trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const std::size_t last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

SourceLocation variant_location(std::string_view text) {
  return SourceLocation{"--strategies " + std::string(text), 0, 0};
}

}  // namespace
}  // namespace lbsim::loader

namespace lbsim::loader {

using yaml::MapEntry;
using yaml::Node;
using yaml::NodeKind;

void apply_variant(Node& root, const StrategyVariant& variant) {
  if (root.kind != NodeKind::kMap) return;
  const SourceLocation where = variant_location(variant.text);
  Node* balancer = root.find("balancer");
  if (balancer != nullptr && balancer->kind != NodeKind::kNull) {
    (void)read_strategy_options(read_strategy_name(balancer), *balancer, "balancer");
  }
  if (balancer == nullptr) {
    root.entries.push_back(MapEntry{"balancer", where, Node{}});
    balancer = &root.entries.back().value;
  }
  if (balancer->kind == NodeKind::kNull) {
    balancer->kind = NodeKind::kMap;
    balancer->where = where;
  }
  const KeyList& generic = balancer_generic_keys();
  std::erase_if(balancer->entries, [&](const MapEntry& entry) {
    return entry.key == "strategy" ||
           std::find(generic.begin(), generic.end(), entry.key) == generic.end();
  });
  const auto scalar_at = [&](const std::string& text) {
    Node node;
    node.kind = NodeKind::kScalar;
    node.scalar = text;
    node.where = where;
    return node;
  };
  balancer->entries.push_back(MapEntry{"strategy", where, scalar_at(variant.strategy)});
  for (const auto& [key, value] : variant.options) {
    balancer->entries.push_back(MapEntry{key, where, scalar_at(value)});
  }
}

}  // namespace lbsim::loader

namespace lbsim {

using namespace loader;  // NOLINT: the module's own readers

std::vector<std::string> split_strategy_list(std::string_view list) {
  const SourceLocation where{"--strategies " + std::string(list), 0, 0};
  std::vector<std::string> variants;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = list.find(',', start);
    const std::string_view entry =
        trim(list.substr(start, comma == std::string_view::npos ? list.npos : comma - start));
    if (entry.empty()) {
      throw ConfigError(where,
                        "expected a comma-separated list of strategies like "
                        "round_robin,least_request:choices=3; got an empty entry");
    }
    variants.emplace_back(entry);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return variants;
}

StrategyVariant parse_strategy_variant(std::string_view text) {
  StrategyVariant variant;
  variant.text = std::string(text);
  const SourceLocation where = variant_location(text);
  std::vector<std::string_view> parts;
  for (std::size_t start = 0;;) {
    const std::size_t colon = text.find(':', start);
    parts.push_back(
        text.substr(start, colon == std::string_view::npos ? text.npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.front().empty()) {
    throw ConfigError(where,
                      "expected a strategy name, optionally with options like "
                      "least_request:choices=3; got \"" +
                          variant.text + "\"");
  }
  const StrategyInfo* info = find_strategy(parts.front());
  if (info == nullptr) {
    throw ConfigError(where, "unknown strategy \"" + std::string(parts.front()) +
                                 "\"; expected one of " + strategy_names());
  }
  variant.strategy = info->name;
  KeyList declared;
  for (const OptionSpec& spec : info->options) declared.push_back(spec.name);
  const std::string declared_text =
      declared.empty() ? "strategy " + info->name + " takes no options"
                       : "options of strategy " + info->name + ": " + join(declared);
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::size_t equals = parts[i].find('=');
    const std::string_view key = parts[i].substr(0, equals);
    if (equals == std::string_view::npos || key.empty() || equals + 1 == parts[i].size()) {
      throw ConfigError(where, "expected option=value after \":\"; got \"" + std::string(parts[i]) +
                                   "\" (" + declared_text + ")");
    }
    if (std::find(declared.begin(), declared.end(), key) == declared.end()) {
      throw ConfigError(where, "unknown option \"" + std::string(key) + "\"; " + declared_text);
    }
    for (const auto& [given, value] : variant.options) {
      if (given == key) {
        throw ConfigError(where, "option \"" + std::string(key) + "\" given twice");
      }
    }
    variant.options.emplace_back(std::string(key), std::string(parts[i].substr(equals + 1)));
  }
  return variant;
}

}  // namespace lbsim
