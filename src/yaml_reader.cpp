#include "yaml_reader.hpp"

#include <charconv>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mlsub/suggest.hpp"

namespace mlsub::detail {

void Problems::add(const YAML::Mark& mark, const std::string& what) {
  // yaml-cpp counts from 0 and uses -1 for "no position".
  const int line = mark.line >= 0 ? mark.line + 1 : 1;
  const int column = mark.column >= 0 ? mark.column + 1 : 1;
  m_lines.push_back(fmt::format("{}:{}:{}: {}", m_file, line, column, what));
}

std::string Problems::joined() const {
  std::string out;
  for (const auto& l : m_lines) {
    if (!out.empty()) {
      out += '\n';
    }
    out += l;
  }
  return out;
}

MapReader::MapReader(const YAML::Node& node, std::string path, Problems& problems)
    : m_node(node), m_path(std::move(path)), m_problems(problems) {
  m_is_map = node.IsMap();
  if (!m_is_map) {
    m_problems.add(node.Mark(), fmt::format("{}: expected a map of key: value",
                                            m_path.empty() ? "the file" : m_path));
  }
}

std::string MapReader::name_of(const char* key) const {
  return m_path.empty() ? std::string(key) : fmt::format("{}.{}", m_path, key);
}

void MapReader::problem(const char* key, const std::string& what) {
  const YAML::Node value = m_is_map ? m_node[key] : YAML::Node();
  const YAML::Mark mark = value.IsDefined() ? value.Mark() : m_node.Mark();
  m_problems.add(mark, fmt::format("{}: {}", name_of(key), what));
}

YAML::Node MapReader::child(const char* key, bool required) {
  m_read.insert(key);
  if (!m_is_map) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
  YAML::Node value = m_node[key];
  if (!value.IsDefined() || value.IsNull()) {
    if (required) {
      problem(key, "missing (required)");
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }
  return value;
}

std::optional<std::string> MapReader::scalar(const char* key, bool required) {
  const YAML::Node value = child(key, required);
  if (!value.IsDefined()) {
    return std::nullopt;
  }
  if (!value.IsScalar()) {
    problem(key, "expected a single value, got a list or map");
    return std::nullopt;
  }
  // A YAML "\0" is a NUL byte, which no script can hold (bash would cut
  // the value there).
  if (value.Scalar().find('\0') != std::string::npos) {
    problem(key, "holds a NUL byte");
    return std::nullopt;
  }
  return value.Scalar();
}

std::optional<std::string> MapReader::text(const char* key, bool required) {
  auto value = scalar(key, required);
  if (value && value->empty() && required) {
    problem(key, "must not be empty");
    return std::nullopt;
  }
  return value;
}

std::optional<int> MapReader::integer(const char* key, bool required, int min, int max) {
  const auto value = scalar(key, required);
  if (!value) {
    return std::nullopt;
  }
  int n = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec != std::errc() || end != value->data() + value->size()) {
    problem(key, fmt::format("expected a whole number, got '{}'", *value));
    return std::nullopt;
  }
  if (n < min || n > max) {
    problem(key, fmt::format("must be between {} and {}, got {}", min, max, n));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> MapReader::boolean(const char* key) {
  const auto value = scalar(key, false);
  if (!value) {
    return std::nullopt;
  }
  if (*value == "true") {
    return true;
  }
  if (*value == "false") {
    return false;
  }
  problem(key, fmt::format("expected true or false, got '{}'", *value));
  return std::nullopt;
}

std::optional<Duration> MapReader::duration(const char* key, bool required) {
  const auto value = scalar(key, required);
  if (!value) {
    return std::nullopt;
  }
  auto d = parse_duration(*value);
  if (!d) {
    problem(key, fmt::format("'{}' is not a Slurm duration (use \"HH:MM:SS\" or \"D-HH:MM:SS\")",
                             *value));
    return std::nullopt;
  }
  return *d;
}

std::optional<Size> MapReader::size(const char* key, bool required) {
  const auto value = scalar(key, required);
  if (!value) {
    return std::nullopt;
  }
  auto s = parse_size(*value);
  if (!s || s->mib == 0) {
    problem(key, fmt::format("'{}' is not a size (use a number with M, G or T, like 64G)", *value));
    return std::nullopt;
  }
  return *s;
}

std::optional<std::string> MapReader::choice(const char* key,
                                             const std::vector<std::string>& choices,
                                             bool required) {
  const auto value = scalar(key, required);
  if (!value) {
    return std::nullopt;
  }
  for (const auto& c : choices) {
    if (c == *value) {
      return value;
    }
  }
  problem(key, fmt::format("must be one of {}, got '{}'", fmt::join(choices, ", "), *value));
  return std::nullopt;
}

std::vector<std::string> MapReader::text_list(const char* key) {
  std::vector<std::string> out;
  const YAML::Node value = child(key, false);
  if (!value.IsDefined()) {
    return out;
  }
  if (!value.IsSequence()) {
    problem(key, "expected a list, like [a, b]");
    return out;
  }
  for (const auto& item : value) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      m_problems.add(item.Mark(), fmt::format("{}: every entry must be a non-empty value",
                                              name_of(key)));
      continue;
    }
    if (item.Scalar().find('\0') != std::string::npos) {
      m_problems.add(item.Mark(), fmt::format("{}: an entry holds a NUL byte", name_of(key)));
      continue;
    }
    out.push_back(item.Scalar());
  }
  return out;
}

void MapReader::finish() {
  if (!m_is_map) {
    return;
  }
  const std::vector<std::string> known(m_read.begin(), m_read.end());
  for (const auto& entry : m_node) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string("?");
    if (m_read.count(key) == 0) {
      const std::string hint = did_you_mean(key, known);
      m_problems.add(entry.first.Mark(),
                     fmt::format("{}: unknown key;{}", name_of(key.c_str()),
                                 hint.empty() ? " see docs/catalogue.md for the schema" : hint));
    }
  }
}

}  // namespace mlsub::detail
