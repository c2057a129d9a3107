#include "mlsub/catalogue.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <set>
#include <sstream>

#include "mlsub/catalogue_pack.hpp"
#include "mlsub/file.hpp"
#include "mlsub/suggest.hpp"

namespace fs = std::filesystem;

namespace mlsub {
namespace {

constexpr std::string_view k_extension = ".yaml";

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

bool Partition::has_node_type(std::string_view type_name) const {
  return node_types.empty() ||
         std::find(node_types.begin(), node_types.end(), type_name) != node_types.end();
}

const FactNote* FactNotes::find(std::string_view field) const {
  for (const auto& n : notes) {
    if (n.field == field) {
      return &n;
    }
  }
  return nullptr;
}

std::string FactNotes::assumed(std::string_view field) const {
  const FactNote* n = find(field);
  return n != nullptr ? n->assumed : std::string();
}

const SourceRef& FactNotes::source(std::string_view field, const SourceRef& block) const {
  const FactNote* n = find(field);
  return n != nullptr && n->assumed.empty() ? n->source : block;
}

const NodeType* System::find_node_type(std::string_view wanted) const {
  for (const auto& n : node_types) {
    if (iequals(n.name, wanted) || iequals(n.gpu_type, wanted)) {
      return &n;
    }
  }
  return nullptr;
}

const Partition* System::find_partition(std::string_view wanted) const {
  for (const auto& p : partitions) {
    if (p.name == wanted) {
      return &p;
    }
  }
  return nullptr;
}

std::vector<std::string> System::partition_names() const {
  std::vector<std::string> names;
  for (const auto& p : partitions) {
    names.push_back(p.name);
  }
  return names;
}

std::vector<std::string> System::gpu_types() const {
  std::vector<std::string> types;
  for (const auto& n : node_types) {
    types.push_back(n.gpu_type);
  }
  return types;
}

Catalogue::Catalogue(std::vector<std::string> dirs, const std::vector<PackedSystem>* packed)
    : m_dirs(std::move(dirs)), m_packed(packed) {}

Expected<System> Catalogue::load_file(const std::string& path,
                                      std::string_view expected_name) const {
  auto text = read_file(path);
  if (!text) {
    return fail(ErrorKind::io, fmt::format("cannot read {}: check that it exists and is readable",
                                           path));
  }
  if (m_packed != nullptr) {
    for (const auto& entry : *m_packed) {
      if (entry.name == expected_name && entry.yaml == *text) {
        if (auto system = unpack_system(entry.packed)) {
          system->file = path;
          return std::move(*system);
        }
        break;  // cannot happen with bytes this binary wrote; parse the text instead
      }
    }
  }
  auto system = parse_system(*text, path);
  if (system && system->name != expected_name) {
    return fail(ErrorKind::catalogue,
                fmt::format("{}:1:1: name: '{}' does not match the file name; rename the file "
                            "to {}.yaml or set name: {}",
                            path, system->name, system->name, expected_name));
  }
  return system;
}

std::optional<std::string> Catalogue::path_of(std::string_view name) const {
  // Later directories override earlier ones, so look from the back.
  for (auto dir = m_dirs.rbegin(); dir != m_dirs.rend(); ++dir) {
    fs::path candidate = fs::path(*dir) / (std::string(name) + std::string(k_extension));
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) {
      return candidate.string();
    }
  }
  return std::nullopt;
}

std::vector<std::string> Catalogue::names() const {
  std::set<std::string> names;
  for (const auto& dir : m_dirs) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& p = it->path();
      if (p.extension() == k_extension) {
        names.insert(p.stem().string());
      }
    }
  }
  return {names.begin(), names.end()};
}

Error Catalogue::unknown_system(std::string_view name) const {
  const auto known = names();
  // A family name ("alps") stands for several systems: list them. This
  // reads every file, which is fine on the way to an error.
  std::vector<std::string> members;
  for (const auto& candidate : known) {
    if (auto path = path_of(candidate)) {
      auto system = load_file(*path, candidate);
      if (system && iequals(system->family, name)) {
        members.push_back(candidate);
      }
    }
  }
  if (!members.empty()) {
    return Error{ErrorKind::usage,
                 fmt::format("'{}' has several clusters: {}; name one, e.g. --system {}", name,
                             fmt::join(members, ", "), members.front())};
  }
  if (known.empty()) {
    return Error{ErrorKind::catalogue,
                 fmt::format("no systems found in {}; set MLSUB_DATA_DIR to the directory "
                             "holding systems/ and templates/, or pass --catalogue DIR",
                             fmt::join(m_dirs, ", "))};
  }
  // A cluster's own name without its family ("daint" for alps-daint) is
  // the likeliest slip: a part of a name between hyphens, matched as a
  // typo would be.
  std::string suggestion = did_you_mean(name, known);
  if (suggestion.empty()) {
    std::vector<std::string> parts;
    std::vector<std::string> owners;
    for (const auto& candidate : known) {
      std::string_view rest(candidate);
      for (auto dash = rest.find('-'); dash != std::string_view::npos; dash = rest.find('-')) {
        rest.remove_prefix(dash + 1);
        parts.emplace_back(rest.substr(0, rest.find('-')));
        owners.push_back(candidate);
      }
    }
    if (const auto part = closest_match(name, parts)) {
      const auto at = std::find(parts.begin(), parts.end(), *part) - parts.begin();
      suggestion = fmt::format(" did you mean '{}'?", owners[static_cast<std::size_t>(at)]);
    }
  }
  return Error{ErrorKind::usage,
               fmt::format("unknown system '{}';{} known systems: {} (mlsub systems lists them)",
                           name, suggestion, fmt::join(known, ", "))};
}

Expected<System> Catalogue::load(std::string_view name) const {
  // A name is a file name: refuse anything that could walk out of the
  // catalogue directories ("../x").
  const bool plain = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  if (!plain) {
    return tl::unexpected(unknown_system(name));
  }
  auto path = path_of(name);
  if (!path) {
    // System names are case-insensitive: LUMI is lumi.
    for (const auto& known : names()) {
      if (iequals(known, name)) {
        return load(known);
      }
    }
    return tl::unexpected(unknown_system(name));
  }
  return load_file(*path, name);
}

Expected<std::vector<System>> Catalogue::load_all() const {
  std::vector<System> out;
  for (const auto& name : names()) {
    auto s = load(name);
    if (!s) {
      return tl::unexpected(s.error());
    }
    out.push_back(std::move(*s));
  }
  return out;
}

std::vector<std::string> catalogue_search_path(const std::string& builtin_dir,
                                               const std::vector<std::string>& extra_dirs) {
  std::vector<std::string> dirs{builtin_dir};
  if (const char* path = std::getenv("MLSUB_SYSTEMS_PATH"); path != nullptr) {
    std::string_view rest(path);
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const auto dir = rest.substr(0, colon);
      if (!dir.empty()) {
        dirs.emplace_back(dir);
      }
      if (colon == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(colon + 1);
    }
  }
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    dirs.push_back((fs::path(xdg) / "mlsub" / "systems").string());
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dirs.push_back((fs::path(home) / ".config" / "mlsub" / "systems").string());
  }
  dirs.insert(dirs.end(), extra_dirs.begin(), extra_dirs.end());
  return dirs;
}

}  // namespace mlsub
