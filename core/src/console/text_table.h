// Aligned columns for console output: `core show channels`, `module show`. Any thread.
#pragma once
#include <string>
#include <vector>

#include "zvon/console.h"

namespace zvon {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headings);
  // Missing cells are empty; extra cells are ignored.
  void add_row(std::vector<std::string> cells);
  size_t rows() const { return rows_.size(); }
  // Columns are as wide as their widest cell, two spaces apart; the last is not padded.
  void print(CommandOutput& out) const;

 private:
  std::vector<std::string> headings_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace zvon
