#pragma once

#include <string>
#include <vector>

namespace mlsub::cli {

/// A plain-text table: columns padded to their widest cell, two spaces
/// apart, no trailing spaces. The first row is the heading.
class Table {
 public:
  explicit Table(std::vector<std::string> heading) { m_rows.push_back(std::move(heading)); }
  void add(std::vector<std::string> row) { m_rows.push_back(std::move(row)); }
  std::string str(const std::string& indent = "") const;

 private:
  std::vector<std::vector<std::string>> m_rows;
};

}  // namespace mlsub::cli
