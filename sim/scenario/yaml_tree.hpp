#pragma once
// A YAML document as a plain tree in which every node and every map key carries its SourceLocation
// (file:line:column, 1-based). yaml-cpp's own nodes are not used past parsing because (1) they
// silently keep only the first of two equal keys, (2) nodes put in by --set overrides would carry
// marks of the override text that look like positions in the file, and (3) indexing a const node
// with a missing key is easy to get wrong. Internal to the scenario module (and its tests).
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/error.hpp"

namespace lbsim::yaml {

enum class NodeKind { kNull, kScalar, kList, kMap };

struct MapEntry;

struct Node {
  NodeKind kind = NodeKind::kNull;
  std::string scalar;             // kScalar: the text as written (quotes removed)
  std::vector<Node> items;        // kList
  std::vector<MapEntry> entries;  // kMap, in document order; keys are unique
  SourceLocation where;

  // The value of `key` in a map, or nullptr (also when this is not a map).
  [[nodiscard]] const Node* find(std::string_view key) const;
  [[nodiscard]] Node* find(std::string_view key);
  // What this node is, for "got ..." in messages: "\"text\"", "a list", "a map", "nothing".
  [[nodiscard]] std::string describe() const;
};

struct MapEntry {
  std::string key;
  SourceLocation key_where;
  Node value;
};

// Parses one YAML document. Locations name `display_name`. Throws ConfigError at the position of
// a syntax error, a duplicate key ("duplicate key ... (first at line N)"), a key that is not a
// scalar, or nesting deeper than 64 levels. An empty document gives a kNull node at 1:1.
[[nodiscard]] Node parse(const std::string& text, const std::string& display_name);

// Applies one command-line override "key.path=value" to `root` (DESIGN: applied before
// validation). The path's segments are map keys, or list indices for lists (servers.0.count);
// a missing map key is created (as a map when more segments follow); a missing list index, or a
// path through a scalar, is an error. The value is parsed as YAML; every node it creates, and a
// created key, is located at SourceLocation{"--set key.path"}. Throws ConfigError.
void apply_override(Node& root, std::string_view assignment);

}  // namespace lbsim::yaml
