#include "sim/scenario/csv_reader.hpp"

// fccp's error classes copy file names with strncpy; GCC 12 at -O3 warns about that inside the
// library's header. The warning is about the library, not our use of it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
#include <libfccp/csv.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace lbsim::csv {
namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

// 1-based character column of byte offset `offset` in a UTF-8 line: continuation bytes
// (10xxxxxx) do not start a character.
int character_column(const char* line, std::size_t offset) {
  int column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0U) != 0x80U) ++column;
  }
  return column;
}

}  // namespace

Reader::Reader(const std::string& path, std::string display_name,
               const SourceLocation& referenced_from, std::string_view what)
    : display_name_(std::move(display_name)) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw ConfigError(referenced_from, "expected a " + std::string(what) + " file; \"" +
                                           display_name_ + "\" is a directory");
  }
  try {
    lines_ = std::make_unique<io::LineReader>(path);
  } catch (const io::error::can_not_open_file& error) {
    throw ConfigError(referenced_from, "cannot open " + std::string(what) + " \"" + display_name_ +
                                           "\": " + std::strerror(error.errno_value));
  }
  // The header is the first non-blank line.
  bool found = false;
  try {
    while (const char* line = lines_->next_line()) {
      line_ = static_cast<int>(lines_->get_file_line());
      if (split(line)) {
        found = true;
        break;
      }
    }
  } catch (const io::error::base& error) {
    throw ConfigError(SourceLocation{display_name_, line_ + 1, 0}, error.what());
  }
  if (!found) {
    throw ConfigError(SourceLocation{display_name_, 1, 0},
                      "expected a header row naming the columns; got an empty file");
  }
  header_ = cells_;
  header_columns_ = columns_;
  header_line_ = line_;
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i].empty()) {
      throw ConfigError(header_location(i), "expected a column name; got an empty header cell");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (header_[j] == header_[i]) {
        throw ConfigError(header_location(i), "duplicate column \"" + header_[i] +
                                                  "\" (also column " + std::to_string(j + 1) + ")");
      }
    }
  }
}

Reader::~Reader() = default;

int Reader::column_index(std::string_view name) const {
  for (std::size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return static_cast<int>(i);
  }
  return -1;
}

std::string Reader::column_list() const {
  std::string list;
  for (const std::string& name : header_) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  return list;
}

SourceLocation Reader::header_location(std::size_t column) const {
  return SourceLocation{display_name_, header_line_, header_columns_[column]};
}

SourceLocation Reader::location(std::size_t column) const {
  return SourceLocation{display_name_, line_, columns_[column]};
}

bool Reader::next() {
  try {
    while (const char* line = lines_->next_line()) {
      line_ = static_cast<int>(lines_->get_file_line());
      if (!split(line)) continue;
      if (cells_.size() != header_.size()) {
        const std::size_t shown = std::min(cells_.size(), header_.size());
        const int column = shown < columns_.size() ? columns_[shown] : columns_.back();
        throw ConfigError(SourceLocation{display_name_, line_, column},
                          "expected " + std::to_string(header_.size()) +
                              " fields as in the header; got " + std::to_string(cells_.size()));
      }
      ++rows_read_;
      return true;
    }
  } catch (const io::error::base& error) {
    throw ConfigError(SourceLocation{display_name_, line_ + 1, 0}, error.what());
  }
  return false;
}

void Reader::require_rows() const {
  if (rows_read_ == 0) {
    throw ConfigError(SourceLocation{display_name_, header_line_, 0},
                      "expected at least one data row after the header; got none");
  }
}

bool Reader::split(const char* line) {
  cells_.clear();
  columns_.clear();
  const std::size_t length = std::strlen(line);
  std::size_t i = 0;
  while (i < length && is_blank(line[i])) ++i;
  if (i == length) return false;

  i = 0;
  while (true) {
    while (i < length && is_blank(line[i])) ++i;
    columns_.push_back(character_column(line, i));
    std::string cell;
    if (i < length && line[i] == '"') {
      const std::size_t quote = i;
      ++i;
      bool closed = false;
      while (i < length) {
        if (line[i] == '"') {
          if (i + 1 < length && line[i + 1] == '"') {
            cell += '"';
            i += 2;
            continue;
          }
          closed = true;
          ++i;
          break;
        }
        cell += line[i++];
      }
      if (!closed) {
        throw ConfigError(SourceLocation{display_name_, line_, character_column(line, quote)},
                          "expected a closing '\"' on the same line; got the end of the line");
      }
      while (i < length && is_blank(line[i])) ++i;
      if (i < length && line[i] != ',') {
        throw ConfigError(
            SourceLocation{display_name_, line_, character_column(line, i)},
            "expected ',' after a quoted field; got '" + std::string(1, line[i]) + "'");
      }
    } else {
      const std::size_t start = i;
      while (i < length && line[i] != ',') ++i;
      std::size_t end = i;
      while (end > start && is_blank(line[end - 1])) --end;
      cell.assign(line + start, end - start);
    }
    cells_.push_back(std::move(cell));
    if (i >= length) break;
    ++i;  // the comma
  }
  return true;
}

}  // namespace lbsim::csv
