#pragma once

// A checked walk over a yaml-cpp map: each accessor reads one key, records a
// "FILE:LINE:COL: path.key: what is wrong" problem instead of throwing, and
// finish() reports every key nobody asked for. Private to the catalogue
// loader and the config files (config.cpp, which uses Problems only); the
// only code besides catalogue_yaml.cpp and config.cpp that includes yaml-cpp.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "mlsub/duration.hpp"
#include "mlsub/enum_names.hpp"
#include "mlsub/size.hpp"

namespace mlsub::detail {

/// Problems found in one file, in the order found.
class Problems {
 public:
  explicit Problems(std::string file) : m_file(std::move(file)) {}

  void add(const YAML::Mark& mark, const std::string& what);
  bool empty() const { return m_lines.empty(); }
  std::string joined() const;  // one problem per line
  const std::string& file() const { return m_file; }

 private:
  std::string m_file;
  std::vector<std::string> m_lines;
};

class MapReader {
 public:
  // `path` is how the map is named in messages ("partitions[1]"); "" at top.
  MapReader(const YAML::Node& node, std::string path, Problems& problems);

  bool ok() const { return m_is_map; }
  const YAML::Node& node() const { return m_node; }

  std::optional<std::string> text(const char* key, bool required = true);
  std::optional<int> integer(const char* key, bool required, int min, int max);
  std::optional<bool> boolean(const char* key);
  std::optional<Duration> duration(const char* key, bool required = true);
  std::optional<Size> size(const char* key, bool required = true);
  // A value that must be one of `choices`.
  std::optional<std::string> choice(const char* key, const std::vector<std::string>& choices,
                                    bool required = true);
  // A value named in an enum's name table (mlsub/enum_names.hpp).
  template <typename E, std::size_t N>
  std::optional<E> enumerated(const char* key, const EnumNames<E, N>& names,
                              bool required = true) {
    const auto text = choice(key, all_names(names), required);
    return text ? value_of(names, *text) : std::nullopt;
  }
  std::vector<std::string> text_list(const char* key);
  // The node under `key` (for nested maps and lists), or an undefined node.
  YAML::Node child(const char* key, bool required = true);

  // Reports every key that no accessor read. Call once, last.
  void finish();

  std::string name_of(const char* key) const;
  Problems& problems() { return m_problems; }
  void problem(const char* key, const std::string& what);

 private:
  std::optional<std::string> scalar(const char* key, bool required);

  const YAML::Node m_node;  // const: operator[] must never insert
  std::string m_path;
  Problems& m_problems;
  std::set<std::string> m_read;
  bool m_is_map = false;
};

}  // namespace mlsub::detail
