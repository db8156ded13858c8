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

using yaml::Node;
using yaml::NodeKind;

std::vector<LocatedWhatIf> read_what_ifs(const Node& root) {
  std::vector<LocatedWhatIf> all;
  const Node* list = root.find("what_ifs");
  if (list == nullptr) return all;
  expect_list(*list, "what_ifs",
              "a list of what-ifs like {name: auto_rollback, set: [\"key.path=value\"]}");
  std::map<std::string, SourceLocation, std::less<>> seen;
  for (std::size_t i = 0; i < list->items.size(); ++i) {
    const Node& item = list->items[i];
    const std::string path = child("what_ifs", std::to_string(i));
    expect_map(item, path, "a what-if like {name: no_change, skip: [lb_change]}");
    check_keys(item, path, {"name", "text", "set", "skip"});
    LocatedWhatIf located;
    located.node = &item;
    WhatIf& what_if = located.what_if;
    const Node& name = require(item, path, "name");
    what_if.name = read_name(name, child(path, "name"));
    if (const auto [it, inserted] = seen.try_emplace(what_if.name, name.where); !inserted) {
      fail(name, child(path, "name"),
           "duplicate what-if name \"" + what_if.name + "\" (first at " + it->second.to_string() +
               ")");
    }
    if (const Node* text = item.find("text")) {
      what_if.text = scalar(*text, child(path, "text"), "a text");
    }
    for (const char* key : {"set", "skip"}) {
      const Node* values = item.find(key);
      if (values == nullptr) continue;
      const std::string values_path = child(path, key);
      expect_list(*values, values_path,
                  std::string(key) == "set"
                      ? "a list of overrides like \"balancer.strategy=random\""
                      : "a list of timeline action names");
      for (std::size_t k = 0; k < values->items.size(); ++k) {
        const std::string& text =
            scalar(values->items[k], child(values_path, std::to_string(k)), "a text");
        (std::string(key) == "set" ? what_if.set : what_if.skip).push_back(text);
      }
    }
    if (what_if.set.empty() && what_if.skip.empty()) {
      fail(item, path, "expected set (overrides) or skip (actions that never happen)");
    }
    all.push_back(std::move(located));
  }
  return all;
}

}  // namespace lbsim::loader

namespace lbsim::loader {
namespace {

using yaml::Node;
using yaml::NodeKind;

bool is_named_or_rollback_to(const Node& action, const std::vector<std::string>& names) {
  for (const char* key : {"name", "to_before"}) {
    const Node* value = action.find(key);
    if (value == nullptr || value->kind != NodeKind::kScalar) continue;
    if (std::find(names.begin(), names.end(), value->scalar) != names.end()) return true;
  }
  return false;
}

}  // namespace
}  // namespace lbsim::loader

namespace lbsim::loader {

using yaml::Node;
using yaml::NodeKind;

void apply_what_if(Node& root, const LocatedWhatIf& located) {
  const WhatIf& what_if = located.what_if;
  const Node* set = located.node->find("set");
  for (std::size_t k = 0; k < what_if.set.size(); ++k) {
    try {
      yaml::apply_override(root, what_if.set[k]);
    } catch (const ConfigError& error) {
      throw ConfigError(set->items[k].where, "what-if " + what_if.name + ": " + error.message());
    }
  }
  if (what_if.skip.empty()) return;
  const Node* skip = located.node->find("skip");
  Node* timeline = root.find("timeline");
  for (std::size_t k = 0; k < what_if.skip.size(); ++k) {
    bool found = false;
    if (timeline != nullptr) {
      for (const Node& action : timeline->items) {
        const Node* name = action.find("name");
        found = found || (name != nullptr && name->scalar == what_if.skip[k]);
      }
    }
    if (!found) {
      fail(skip->items[k], "what_ifs skip",
           "expected the name of a timeline action; got " + skip->items[k].describe());
    }
  }
  auto& items = timeline->items;
  items.erase(std::remove_if(items.begin(), items.end(),
                             [&](const Node& action) {
                               return is_named_or_rollback_to(action, what_if.skip);
                             }),
              items.end());
  if (Node* alerts = root.find("alerts"); alerts != nullptr && alerts->kind == NodeKind::kList) {
    for (Node& rule : alerts->items) {
      Node* on_fire = rule.find("on_fire");
      if (on_fire == nullptr || on_fire->kind != NodeKind::kList) continue;
      auto& fired = on_fire->items;
      fired.erase(std::remove_if(fired.begin(), fired.end(),
                                 [&](const Node& action) {
                                   return is_named_or_rollback_to(action, what_if.skip);
                                 }),
                  fired.end());
    }
  }
}

}  // namespace lbsim::loader
