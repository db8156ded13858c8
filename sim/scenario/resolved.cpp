#include "sim/scenario/resolved.hpp"

#include <cctype>
#include <cstdio>
#include <filesystem>

namespace lbsim::yaml {

namespace {

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7F) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\x%02X", byte);
      out += escape;
    } else {
      out += c;  // UTF-8 passes through
    }
  }
  return out + "\"";
}

// A key the loader's names are made of (letters, digits, _ . -) needs no quotes; anything else is
// quoted.
std::string key_text(const std::string& key) {
  const bool plain = !key.empty() && (std::isalpha(static_cast<unsigned char>(key[0])) != 0 ||
                                      key[0] == '_') &&
                     key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789_.-") == std::string::npos;
  return plain ? key : quoted(key);
}

bool is_inline(const Node& node) {
  return node.kind == NodeKind::kNull || node.kind == NodeKind::kScalar ||
         (node.kind == NodeKind::kList && node.items.empty()) ||
         (node.kind == NodeKind::kMap && node.entries.empty());
}

std::string inline_text(const Node& node) {
  switch (node.kind) {
    case NodeKind::kNull:
      return "null";
    case NodeKind::kScalar:
      return quoted(node.scalar);
    case NodeKind::kList:
      return "[]";
    case NodeKind::kMap:
      return "{}";
  }
  return "null";
}

void emit_node(std::string& out, const Node& node, int indent);

void emit_entries(std::string& out, const Node& map, int indent, bool first_inline) {
  bool first = true;
  for (const MapEntry& entry : map.entries) {
    if (!(first && first_inline)) out.append(static_cast<std::size_t>(indent), ' ');
    first = false;
    out += key_text(entry.key) + ":";
    if (is_inline(entry.value)) {
      out += " " + inline_text(entry.value) + "\n";
    } else {
      out += "\n";
      emit_node(out, entry.value, indent + 2);
    }
  }
}

void emit_node(std::string& out, const Node& node, int indent) {
  if (is_inline(node)) {
    out.append(static_cast<std::size_t>(indent), ' ');
    out += inline_text(node) + "\n";
    return;
  }
  if (node.kind == NodeKind::kMap) {
    emit_entries(out, node, indent, false);
    return;
  }
  for (const Node& item : node.items) {
    out.append(static_cast<std::size_t>(indent), ' ');
    out += "- ";
    if (is_inline(item)) {
      out += inline_text(item) + "\n";
    } else if (item.kind == NodeKind::kMap) {
      emit_entries(out, item, indent + 2, true);
    } else {
      out += "\n";
      emit_node(out, item, indent + 2);
    }
  }
}

}  // namespace

void make_file_paths_absolute(Node& root, const std::string& base_dir) {
  if (root.kind == NodeKind::kList) {
    for (Node& item : root.items) make_file_paths_absolute(item, base_dir);
    return;
  }
  if (root.kind != NodeKind::kMap) return;
  for (MapEntry& entry : root.entries) {
    if (entry.key == "file" && entry.value.kind == NodeKind::kScalar &&
        !entry.value.scalar.empty()) {
      std::filesystem::path path(entry.value.scalar);
      if (path.is_relative()) path = std::filesystem::path(base_dir) / path;
      entry.value.scalar = std::filesystem::absolute(path).lexically_normal().string();
    } else {
      make_file_paths_absolute(entry.value, base_dir);
    }
  }
}

std::string emit(const Node& root) {
  std::string out;
  emit_node(out, root, 0);
  return out;
}

}  // namespace lbsim::yaml
