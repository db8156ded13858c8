#pragma once
// Row-by-row CSV reading for fleets, traces and empirical distributions, on top of
// fast-cpp-csv-parser's io::LineReader (the project's CSV library). Fields are split here rather
// than by io::CSVReader because every error must name the file line and the 1-based character
// column where the bad cell starts, and the column set is only known at run time.
//
// Dialect: comma-separated; a header row first; spaces and tabs around a field are trimmed; a
// field may be double-quoted ("a, b" and "say ""hi""" as in RFC 4180) but may not span lines;
// blank lines are skipped; a UTF-8 byte-order mark and CRLF line ends are accepted.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/error.hpp"

namespace io {
class LineReader;
}

namespace lbsim::csv {

class Reader {
 public:
  // Opens `path` and reads the header row. Locations inside the file name `display_name`.
  // A file that cannot be opened is reported at `referenced_from` (where the scenario names it)
  // with `what` ("fleet CSV", "trace", ...); an empty file, a duplicated column name or a
  // malformed header at the header. Throws ConfigError.
  Reader(const std::string& path, std::string display_name, const SourceLocation& referenced_from,
         std::string_view what);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  [[nodiscard]] const std::vector<std::string>& header() const { return header_; }
  // Index of the column named `name`, or -1.
  [[nodiscard]] int column_index(std::string_view name) const;
  // "a, b, c": the header's names, for messages.
  [[nodiscard]] std::string column_list() const;
  [[nodiscard]] SourceLocation header_location(std::size_t column) const;

  // Advances to the next data row; false at the end of the file. A row whose field count differs
  // from the header's is an error.
  [[nodiscard]] bool next();
  // The current row's field (unquoted, trimmed) and where it starts.
  [[nodiscard]] const std::string& cell(std::size_t column) const { return cells_[column]; }
  [[nodiscard]] SourceLocation location(std::size_t column) const;
  [[nodiscard]] std::size_t rows_read() const { return rows_read_; }
  [[nodiscard]] const std::string& display_name() const { return display_name_; }

  // Throws ConfigError at the header when the file has no data rows (call after next() == false).
  void require_rows() const;

 private:
  // Splits `line` into cells_/columns_; false for a blank line.
  bool split(const char* line);

  std::unique_ptr<io::LineReader> lines_;
  std::string display_name_;
  std::vector<std::string> header_;
  std::vector<int> header_columns_;
  int header_line_ = 0;
  std::vector<std::string> cells_;
  std::vector<int> columns_;  // 1-based character column of each cell's start
  int line_ = 0;
  std::size_t rows_read_ = 0;
};

}  // namespace lbsim::csv
