// Config files: parsed with yaml-cpp into sections of key -> values, each
// with its position, then merged for one system (see mlsub/config.hpp).

#include "mlsub/config.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <system_error>

#include "mlsub/account.hpp"
#include "mlsub/file.hpp"
#include "mlsub/suggest.hpp"
#include "yaml_reader.hpp"

namespace fs = std::filesystem;

namespace mlsub {
namespace {

using detail::Problems;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A scalar's text, or a problem: NUL bytes cannot reach a script.
std::optional<std::string> scalar_of(const YAML::Node& node, const std::string& name,
                                     Problems& problems) {
  if (!node.IsScalar()) {
    problems.add(node.Mark(), fmt::format("{}: expected a value, got a list or map", name));
    return std::nullopt;
  }
  if (node.Scalar().find('\0') != std::string::npos) {
    problems.add(node.Mark(), fmt::format("{}: holds a NUL byte", name));
    return std::nullopt;
  }
  return node.Scalar();
}

// One key's value: a scalar, a list of scalars, or a map of scalars
// (KEY=VALUE items).
std::optional<ConfigEntry> read_entry(const std::string& key, const YAML::Node& key_node,
                                      const YAML::Node& value, const std::string& name,
                                      Problems& problems) {
  ConfigEntry entry;
  entry.key = key;
  entry.line = key_node.Mark().line + 1;
  entry.column = key_node.Mark().column + 1;
  if (!value.IsDefined() || value.IsNull()) {
    problems.add(key_node.Mark(), fmt::format("{}: no value; give one or leave the key out",
                                              name));
    return std::nullopt;
  }
  bool ok = true;
  if (value.IsScalar()) {
    if (auto text = scalar_of(value, name, problems)) {
      entry.values.push_back(*text);
    } else {
      ok = false;
    }
  } else if (value.IsSequence()) {
    entry.list = true;
    for (const auto& item : value) {
      if (auto text = scalar_of(item, name, problems)) {
        entry.values.push_back(*text);
      } else {
        ok = false;
      }
    }
  } else if (value.IsMap()) {
    entry.list = true;
    for (const auto& item : value) {
      auto k = scalar_of(item.first, name, problems);
      auto v = item.second.IsNull() ? std::optional<std::string>("")
                                    : scalar_of(item.second, fmt::format("{}.{}", name,
                                                                         k.value_or("?")),
                                                problems);
      if (k && v) {
        entry.values.push_back(*k + "=" + *v);
      } else {
        ok = false;
      }
    }
  }
  if (ok && entry.values.empty()) {
    problems.add(value.Mark(), fmt::format("{}: an empty list; give a value or leave the key out",
                                           name));
    return std::nullopt;
  }
  return ok ? std::optional<ConfigEntry>(std::move(entry)) : std::nullopt;
}

// A section's name as the catalogue spells it ("all" or a system), or a
// problem with a suggestion.
std::optional<std::string> section_name(const std::string& name, const YAML::Node& node,
                                        const ConfigSchema& schema, Problems& problems) {
  if (name == "all") {
    return name;
  }
  for (const auto& system : schema.systems) {
    if (lower(system) == lower(name)) {
      return system;
    }
  }
  if (std::find(schema.keys.begin(), schema.keys.end(), name) != schema.keys.end()) {
    problems.add(node.Mark(), fmt::format("{}: settings go in a section: under all: for every "
                                          "system, or under a system's name (e.g. lumi:)",
                                          name));
    return std::nullopt;
  }
  std::vector<std::string> names = schema.systems;
  names.emplace_back("all");
  problems.add(node.Mark(),
               fmt::format("'{}' is not a system mlsub knows, nor all;{} sections are all: and "
                           "system names (mlsub systems lists them)",
                           name, did_you_mean(name, names)));
  return std::nullopt;
}

void read_section(ConfigSection& section, const YAML::Node& body, const ConfigSchema& schema,
                  Problems& problems) {
  if (body.IsNull()) {
    return;
  }
  if (!body.IsMap()) {
    problems.add(body.Mark(), fmt::format("{}: expected a map of setting: value", section.name));
    return;
  }
  for (const auto& item : body) {
    auto key = scalar_of(item.first, section.name, problems);
    if (!key) {
      continue;
    }
    const std::string name = fmt::format("{}.{}", section.name, *key);
    if (std::find(schema.keys.begin(), schema.keys.end(), *key) == schema.keys.end()) {
      problems.add(item.first.Mark(),
                   fmt::format("{}: unknown setting '{}';{} settings are the long flags of "
                               "mlsub plan and submit, without -- (mlsub config --help)",
                               name, *key, did_you_mean(*key, schema.keys)));
      continue;
    }
    if (auto entry = read_entry(*key, item.first, item.second, name, problems)) {
      section.entries.push_back(std::move(*entry));
    }
  }
}

}  // namespace

const ConfigSection* ConfigFile::section(std::string_view name) const {
  for (const auto& s : sections) {
    if (s.name == name) {
      return &s;
    }
  }
  return nullptr;
}

const Setting* ResolvedConfig::find(std::string_view key) const {
  for (const auto& s : settings) {
    if (s.key == key) {
      return &s;
    }
  }
  return nullptr;
}

Expected<ConfigFile> parse_config(std::string_view yaml_text, const std::string& path,
                                  ConfigScope scope, const ConfigSchema& schema) {
  Problems problems(path);
  ConfigFile file;
  file.path = path;
  file.scope = scope;
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    if (root.IsMap()) {
      for (const auto& item : root) {
        auto name = scalar_of(item.first, "the file", problems);
        if (!name) {
          continue;
        }
        auto canonical = section_name(*name, item.first, schema, problems);
        if (!canonical) {
          continue;
        }
        if (file.section(*canonical) != nullptr) {
          problems.add(item.first.Mark(),
                       fmt::format("{}: a second {}: section; merge the two", *name, *canonical));
          continue;
        }
        ConfigSection section;
        section.name = *canonical;
        section.line = item.first.Mark().line + 1;
        section.column = item.first.Mark().column + 1;
        read_section(section, item.second, schema, problems);
        file.sections.push_back(std::move(section));
      }
    } else if (root.IsDefined() && !root.IsNull()) {
      problems.add(root.Mark(), "expected a map of sections: all: and system names (e.g. lumi:)");
    }
  } catch (const YAML::Exception& e) {
    problems.add(e.mark, fmt::format("not valid YAML: {}", e.msg));
  }
  if (!problems.empty()) {
    return fail(ErrorKind::config, problems.joined());
  }
  return file;
}

Expected<std::optional<ConfigFile>> read_config(const std::string& path, ConfigScope scope,
                                                const ConfigSchema& schema) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return std::optional<ConfigFile>();
  }
  auto text = read_file(path);
  if (!text) {
    return tl::unexpected(text.error());
  }
  auto file = parse_config(*text, path, scope, schema);
  if (!file) {
    return tl::unexpected(file.error());
  }
  return std::optional<ConfigFile>(std::move(*file));
}

std::string user_config_path(const char* xdg_config_home, const char* home) {
  if (xdg_config_home != nullptr && *xdg_config_home != '\0') {
    return (fs::path(xdg_config_home) / "mlsub" / "config.yaml").string();
  }
  if (home != nullptr && *home != '\0') {
    return (fs::path(home) / ".config" / "mlsub" / "config.yaml").string();
  }
  return "";
}

std::optional<std::string> find_project_config(const std::string& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec);
  if (ec) {
    return std::nullopt;
  }
  dir = dir.lexically_normal();
  while (true) {
    const fs::path candidate = dir / ".mlsub.yaml";
    if (fs::exists(candidate, ec)) {
      return candidate.string();
    }
    if (fs::exists(dir / ".git", ec) || !dir.has_relative_path()) {
      return std::nullopt;
    }
    dir = dir.parent_path();
  }
}

std::string Origin::location() const {
  if (kind == Kind::project || kind == Kind::user) {
    return fmt::format("{}:{}:{}", where, line, column);
  }
  return describe();
}

std::string Origin::describe() const {
  switch (kind) {
    case Kind::flag:
      return where;
    case Kind::project:
      return fmt::format("project file {} ({}:)", location(), section);
    case Kind::user:
      return fmt::format("user file {} ({}:)", location(), section);
    case Kind::environment:
      return "$" + where;
    case Kind::catalogue:
      break;
  }
  return "the catalogue";
}

namespace {

// The sections that apply to `system`, first first, with the environment's
// place among them marked by nullptr.
std::vector<std::pair<const ConfigFile*, const ConfigSection*>> layers(
    const std::vector<ConfigFile>& files, const std::string& system) {
  std::vector<const ConfigFile*> ordered;
  for (const auto scope : {ConfigScope::project, ConfigScope::user}) {
    for (const auto& f : files) {
      if (f.scope == scope) {
        ordered.push_back(&f);
      }
    }
  }
  std::vector<std::pair<const ConfigFile*, const ConfigSection*>> out;
  for (const auto* f : ordered) {
    if (const auto* s = f->section(system)) {
      out.emplace_back(f, s);
    }
  }
  out.emplace_back(nullptr, nullptr);  // the environment
  for (const auto* f : ordered) {
    if (const auto* s = f->section("all")) {
      out.emplace_back(f, s);
    }
  }
  return out;
}

// $MLSUB_ACCOUNT, then $SBATCH_ACCOUNT: the first of the site's form.
Expected<void> environment_account(const System& system, const AccountEnvironment& environment,
                                   ResolvedConfig& out) {
  const std::pair<const char*, const std::optional<std::string>*> vars[] = {
      {"MLSUB_ACCOUNT", &environment.mlsub_account},
      {"SBATCH_ACCOUNT", &environment.sbatch_account}};
  for (const auto& [var, value] : vars) {
    if (!*value || (*value)->empty()) {
      continue;
    }
    auto form = account_form(system, **value);
    if (!form) {
      return tl::unexpected(form.error());
    }
    if (*form == AccountForm::matches) {
      Setting s;
      s.key = "account";
      s.values = {**value};
      s.origin.kind = Origin::Kind::environment;
      s.origin.where = var;
      out.settings.push_back(std::move(s));
      return {};
    }
    out.notes.push_back(fmt::format(
        "${} ({}) is not of {}'s account form (like {}), so it is left aside for {}; give {}'s "
        "account with --account, or in a config file under {}: (mlsub config --help)",
        var, **value, system.name, system.account.placeholder, system.name, system.name,
        system.name));
  }
  return {};
}

bool is_flag_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
}

// Whether `text` names the flag --KEY as a whole word.
bool mentions(std::string_view text, const std::string& key) {
  const std::string flag = "--" + key;
  for (auto at = text.find(flag); at != std::string_view::npos; at = text.find(flag, at + 1)) {
    const bool starts = at == 0 || !is_flag_char(text[at - 1]);
    const auto end = at + flag.size();
    const bool ends = end == text.size() || !is_flag_char(text[end]);
    if (starts && ends) {
      return true;
    }
  }
  return false;
}

// Whether an error message is about setting `s`: it names --KEY, or
// quotes one of its values ('1h'), as the value checks do.
bool about(std::string_view message, const Setting& s) {
  if (mentions(message, s.key)) {
    return true;
  }
  return std::any_of(s.values.begin(), s.values.end(), [&](const std::string& v) {
    return message.find(fmt::format("'{}'", v)) != std::string_view::npos;
  });
}

bool from_file(const Setting& s) {
  return s.origin.kind == Origin::Kind::project || s.origin.kind == Origin::Kind::user;
}

}  // namespace

Expected<ResolvedConfig> resolve_config(const std::vector<ConfigFile>& files, const System& system,
                                        const AccountEnvironment& environment,
                                        const std::set<std::string>& given) {
  ResolvedConfig out;
  std::set<std::string> taken = given;
  for (const auto& [file, section] : layers(files, system.name)) {
    if (file == nullptr) {
      if (taken.count("account") == 0) {
        if (auto ok = environment_account(system, environment, out); !ok) {
          return tl::unexpected(ok.error());
        }
        if (out.find("account") != nullptr) {
          taken.insert("account");
        }
      }
      continue;
    }
    for (const auto& entry : section->entries) {
      if (!taken.insert(entry.key).second) {
        continue;
      }
      Setting s;
      s.key = entry.key;
      s.values = entry.values;
      s.list = entry.list;
      s.origin.kind = file->scope == ConfigScope::project ? Origin::Kind::project
                                                          : Origin::Kind::user;
      s.origin.where = file->path;
      s.origin.section = section->name;
      s.origin.line = entry.line;
      s.origin.column = entry.column;
      out.settings.push_back(std::move(s));
    }
  }
  return out;
}

void attribute_reasons(Plan& plan, const std::vector<Setting>& settings) {
  for (const auto& s : settings) {
    if (s.origin.kind == Origin::Kind::flag || s.origin.kind == Origin::Kind::catalogue) {
      continue;
    }
    const std::string origin = s.origin.describe();
    bool named = false;
    for (auto& r : plan.reasons) {
      if (r.why.find(origin) != std::string::npos) {
        named = true;
      } else if (r.field == s.key || mentions(r.why, s.key)) {
        r.why += fmt::format(" (--{} from {})", s.key, origin);
        named = true;
      }
    }
    if (!named) {
      plan.reasons.push_back({s.key, fmt::format("{}", fmt::join(s.values, " ")),
                              fmt::format("--{} from {}", s.key, origin), ""});
    }
  }
}

Error attribute_error(Error error, const std::vector<Setting>& settings) {
  for (const auto& s : settings) {
    if (!from_file(s) || !about(error.message, s)) {
      continue;
    }
    if (error.kind == ErrorKind::usage) {
      error.kind = ErrorKind::config;
      error.message = fmt::format("{}: {}.{}: {}; fix it in that file", s.origin.location(),
                                  s.origin.section, s.key, error.message);
    } else {
      error.message += fmt::format(" (--{} from {})", s.key, s.origin.location());
    }
    return error;
  }
  return error;
}

}  // namespace mlsub
