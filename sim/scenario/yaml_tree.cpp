#include "sim/scenario/yaml_tree.hpp"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <system_error>

namespace lbsim::yaml {
namespace {

constexpr int kMaxDepth = 64;
// Aliases are copied when converting: a chain of aliases to aliases ("billion laughs") could
// expand exponentially. No hand-written scenario comes near this many nodes.
constexpr std::size_t kMaxNodes = 100'000;

struct ConvertContext {
  const std::string& file;
  const std::string& override_label;  // non-empty: locate every node here
  std::size_t nodes = 0;
};

// yaml-cpp marks are 0-based; a null mark (line -1) becomes "unknown" (0).
SourceLocation location_of(const YAML::Mark& mark, const std::string& file) {
  if (mark.is_null()) return SourceLocation{file, 0, 0};
  return SourceLocation{file, mark.line + 1, mark.column + 1};
}

// With an override label every node is located there instead of at its mark (the marks point
// into the override's text, not into any file).
Node convert(const YAML::Node& source, ConvertContext& context, int depth) {
  const std::string& file = context.file;
  const std::string& override_label = context.override_label;
  Node node;
  node.where = override_label.empty() ? location_of(source.Mark(), file)
                                      : SourceLocation{override_label, 0, 0};
  if (++context.nodes > kMaxNodes) {
    throw ConfigError(node.where, "expected at most " + std::to_string(kMaxNodes) +
                                      " values; got more (aliases expanding?)");
  }
  if (depth > kMaxDepth) {
    throw ConfigError(node.where, "expected nesting at most " + std::to_string(kMaxDepth) +
                                      " levels deep; got deeper (a recursive alias?)");
  }
  switch (source.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      node.kind = NodeKind::kNull;
      break;
    case YAML::NodeType::Scalar:
      node.kind = NodeKind::kScalar;
      node.scalar = source.Scalar();
      break;
    case YAML::NodeType::Sequence:
      node.kind = NodeKind::kList;
      for (const YAML::Node& item : source) {
        node.items.push_back(convert(item, context, depth + 1));
      }
      break;
    case YAML::NodeType::Map:
      node.kind = NodeKind::kMap;
      for (const auto& pair : source) {
        const SourceLocation key_where = override_label.empty()
                                             ? location_of(pair.first.Mark(), file)
                                             : SourceLocation{override_label, 0, 0};
        if (!pair.first.IsScalar()) {
          throw ConfigError(key_where, "expected a plain key (a name); got a " +
                                           std::string(pair.first.IsSequence() ? "list" : "map") +
                                           " as a key");
        }
        const std::string& key = pair.first.Scalar();
        // yaml-cpp keeps both entries of a duplicated key but lookups see only the first.
        for (const MapEntry& earlier : node.entries) {
          if (earlier.key == key) {
            std::string message = "duplicate key \"" + key + "\"";
            if (earlier.key_where.line > 0) {
              message += " (first at line " + std::to_string(earlier.key_where.line) + ")";
            }
            throw ConfigError(key_where, message);
          }
        }
        Node value = convert(pair.second, context, depth + 1);
        // `key:` with nothing after it: yaml-cpp marks the next token, often on a later line;
        // the key is where the reader should look.
        if (value.kind == NodeKind::kNull &&
            (value.where.line == 0 || value.where.line > key_where.line)) {
          value.where = key_where;
        }
        node.entries.push_back(MapEntry{key, key_where, std::move(value)});
      }
      break;
  }
  return node;
}

YAML::Node load(const std::string& text, const std::string& file,
                const std::string& override_label) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& error) {
    const SourceLocation where = override_label.empty() ? location_of(error.mark, file)
                                                        : SourceLocation{override_label, 0, 0};
    throw ConfigError(where, "expected valid YAML; got a syntax error: " + error.msg);
  }
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    segments.emplace_back(path.substr(start, dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return segments;
}

bool parse_index(std::string_view text, std::size_t& index) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), index);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

const Node* Node::find(std::string_view key) const {
  for (const MapEntry& entry : entries) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

Node* Node::find(std::string_view key) {
  for (MapEntry& entry : entries) {
    if (entry.key == key) return &entry.value;
  }
  return nullptr;
}

std::string Node::describe() const {
  switch (kind) {
    case NodeKind::kNull:
      return "nothing";
    case NodeKind::kScalar: {
      constexpr std::size_t kMaxShown = 60;
      return "\"" + (scalar.size() > kMaxShown ? scalar.substr(0, kMaxShown) + "..." : scalar) +
             "\"";
    }
    case NodeKind::kList:
      return "a list";
    case NodeKind::kMap:
      return "a map";
  }
  return "?";
}

Node parse(const std::string& text, const std::string& display_name) {
  const std::string no_label;
  ConvertContext context{display_name, no_label};
  Node root = convert(load(text, display_name, no_label), context, 0);
  if (root.where.line == 0) root.where = SourceLocation{display_name, 1, 1};
  return root;
}

void apply_override(Node& root, std::string_view assignment) {
  const std::size_t equals = assignment.find('=');
  const std::string_view path = assignment.substr(0, equals);
  const std::string label = "--set " + std::string(path);
  if (equals == std::string_view::npos || path.empty()) {
    throw ConfigError(SourceLocation{"--set " + std::string(assignment), 0, 0},
                      "expected key.path=value; got \"" + std::string(assignment) + "\"");
  }
  const std::vector<std::string> segments = split_path(path);
  for (const std::string& segment : segments) {
    if (segment.empty()) {
      throw ConfigError(SourceLocation{label, 0, 0},
                        "expected a key path like servers.0.count; got an empty segment in \"" +
                            std::string(path) + "\"");
    }
  }
  const std::string value_text(assignment.substr(equals + 1));
  ConvertContext context{label, label};
  Node value = convert(load(value_text, label, label), context, 0);

  Node* current = &root;
  std::string walked;  // the path so far, for messages
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const std::string& segment = segments[i];
    const bool last = i + 1 == segments.size();
    if (current->kind == NodeKind::kNull) {
      // An empty section (`client:`) gets the keys the override puts in it.
      current->kind = NodeKind::kMap;
    }
    Node* next = nullptr;
    if (current->kind == NodeKind::kMap) {
      next = current->find(segment);
      if (next == nullptr) {
        Node created;
        created.kind = last ? NodeKind::kNull : NodeKind::kMap;
        created.where = SourceLocation{label, 0, 0};
        current->entries.push_back(MapEntry{segment, SourceLocation{label, 0, 0}, created});
        next = &current->entries.back().value;
      }
    } else if (current->kind == NodeKind::kList) {
      std::size_t index = 0;
      if (!parse_index(segment, index) || index >= current->items.size()) {
        throw ConfigError(SourceLocation{label, 0, 0},
                          "expected a list index in [0, " + std::to_string(current->items.size()) +
                              ") after \"" + walked + "\"; got \"" + segment + "\"");
      }
      next = &current->items[index];
    } else {
      throw ConfigError(
          SourceLocation{label, 0, 0},
          "expected \"" + walked + "\" to be a map or a list; it is " + current->describe());
    }
    walked += (walked.empty() ? "" : ".") + segment;
    current = next;
  }
  *current = std::move(value);
}

}  // namespace lbsim::yaml
