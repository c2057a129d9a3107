// Rendering a Plan through mustache templates.
//
// kainjow::mustache does the template work; this file adds the three rules
// that make it safe for shell scripts:
//   * every {{value}} goes through shell_quote (kainjow's default escape is
//     HTML, which would turn a&b into a&amp;b);
//   * a key the template names but the plan does not provide fails the
//     render (kainjow would print an empty string: `--gres=`);
//   * partials ({{> header}}) come from the same template directories.
// The context below is the complete list of keys a template may use; it is
// documented in templates/README.md.

#include "mlsub/render.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <kainjow/mustache.hpp>
#include <map>
#include <set>
#include <sstream>

#include "mlsub/shell.hpp"

namespace fs = std::filesystem;
namespace mu = kainjow::mustache;

namespace mlsub {
namespace {

// A context that remembers names it could not resolve, and serves partials
// from the template set rather than from the data.
class StrictContext : public mu::context<std::string> {
 public:
  StrictContext(const mu::data* data, const std::map<std::string, mu::data>& partials)
      : mu::context<std::string>(data), m_partials(partials) {}

  const mu::data* get(const std::string& name) const override {
    const mu::data* found = mu::context<std::string>::get(name);
    if (found == nullptr) {
      m_missing.insert(name);
    }
    return found;
  }

  const mu::data* get_partial(const std::string& name) const override {
    const auto it = m_partials.find(name);
    if (it == m_partials.end()) {
      m_missing.insert("> " + name);
      return nullptr;
    }
    return &it->second;
  }

  const std::set<std::string>& missing() const { return m_missing; }

 private:
  const std::map<std::string, mu::data>& m_partials;
  mutable std::set<std::string> m_missing;
};

Expected<std::string> read_template(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorKind::render, fmt::format("cannot read template {}", path));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The last directory that has `file_name` wins, as for systems.
std::optional<std::string> find_template(const std::vector<std::string>& dirs,
                                         const std::string& file_name) {
  for (auto dir = dirs.rbegin(); dir != dirs.rend(); ++dir) {
    const fs::path p = fs::path(*dir) / file_name;
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      return p.string();
    }
  }
  return std::nullopt;
}

// Mustache's "standalone line" rule: a line holding only a section, comment
// or partial tag leaves no trace in the output. kainjow 4.1 gets it wrong
// both ways (a false section leaves an empty line; a blank line next to a
// true section disappears), so mlsub applies the rule itself: at load time
// each standalone tag line becomes the tag followed by a sentinel byte, and
// after rendering every line that is only the sentinel is removed. The
// sentinel is a control character, which no value can put into a script:
// shell_quote writes control characters as $'\x..' escapes.
constexpr char k_sentinel = '\x1e';

bool is_standalone_tag(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  const auto last = line.find_last_not_of(" \t");
  if (first == std::string_view::npos || last < first + 4) {
    return false;
  }
  const std::string_view tag = line.substr(first, last - first + 1);
  return tag.substr(0, 2) == "{{" && std::string_view("#^/!>").find(tag[2]) != std::string_view::npos &&
         tag.substr(tag.size() - 2) == "}}" && tag.find("{{", 2) == std::string_view::npos;
}

std::string mark_standalone_tags(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 64);
  std::size_t start = 0;
  while (start < text.size()) {
    const auto newline = text.find('\n', start);
    const auto end = newline == std::string::npos ? text.size() : newline;
    const std::string_view line(text.data() + start, end - start);
    if (newline != std::string::npos && is_standalone_tag(line)) {
      const auto first = line.find_first_not_of(" \t");
      const auto last = line.find_last_not_of(" \t");
      out.append(line.substr(first, last - first + 1));
      out += k_sentinel;
    } else {
      out.append(line);
    }
    if (newline != std::string::npos) {
      out += '\n';
    }
    start = end + 1;
  }
  return out;
}

std::string remove_sentinel_lines(const std::string& rendered) {
  std::string out;
  out.reserve(rendered.size());
  std::size_t start = 0;
  while (start < rendered.size()) {
    const auto newline = rendered.find('\n', start);
    const auto end = newline == std::string::npos ? rendered.size() : newline;
    const std::string_view line(rendered.data() + start, end - start);
    const bool only_sentinels = !line.empty() && line.find_first_not_of(k_sentinel) == std::string_view::npos;
    if (!only_sentinels) {
      for (const char c : line) {
        if (c != k_sentinel) {
          out += c;
        }
      }
      if (newline != std::string::npos) {
        out += '\n';
      }
    }
    start = end + 1;
  }
  return out;
}

// Names of the partials a template text refers to: {{> name}}.
std::vector<std::string> partial_names(const std::string& text) {
  std::vector<std::string> names;
  for (auto at = text.find("{{>"); at != std::string::npos; at = text.find("{{>", at + 3)) {
    const auto end = text.find("}}", at);
    if (end == std::string::npos) {
      break;
    }
    std::string name = text.substr(at + 3, end - at - 3);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    names.push_back(name);
  }
  return names;
}

mu::data words(const std::vector<std::string>& items) {
  mu::data list{mu::data::type::list};
  bool first = true;
  for (const auto& w : items) {
    mu::data item;
    item.set("word", w);
    item.set("first", first);
    list.push_back(item);
    first = false;
  }
  return list;
}

mu::data context_for(const Plan& plan, const std::string& version) {
  mu::data d;
  d.set("version", version);
  d.set("command", words(plan.command_line));
  d.set("system", plan.system);
  d.set("partition", plan.partition);
  d.set("nodes", std::to_string(plan.nodes));
  d.set("gpus_per_node", std::to_string(plan.gpus_per_node));
  d.set("gpus", std::to_string(plan.gpus_total()));
  d.set("tasks_per_node", std::to_string(plan.tasks_per_node));
  d.set("tasks", std::to_string(plan.tasks_total()));
  d.set("cpus_per_task", std::to_string(plan.cpus_per_task));
  d.set("time", format_duration(plan.time));
  d.set("job_name", plan.job_name);
  d.set("account", plan.account);
  d.set("account_placeholder", plan.account_is_placeholder);
  d.set("launcher", std::string(launcher_name(plan.launcher)));
  d.set("multi_node", plan.nodes > 1);
  mu::data directives{mu::data::type::list};
  for (const auto& dir : plan.directives()) {
    mu::data item;
    item.set("option", dir.option);
    item.set("value", dir.value);
    item.set("has_value", !dir.value.empty());
    directives.push_back(item);
  }
  d.set("directives", directives);
  d.set("has_modules", !plan.modules.empty() || !plan.module_use.empty());
  d.set("module_use", words(plan.module_use));
  d.set("modules", words(plan.modules));
  d.set("program", words(plan.program_argv));
  return d;
}

}  // namespace

struct TemplateSet::Impl {
  std::string main_path;
  std::unique_ptr<mu::mustache> main;
  std::map<std::string, mu::data> partials;
};

TemplateSet::TemplateSet(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
TemplateSet::TemplateSet(TemplateSet&&) noexcept = default;
TemplateSet& TemplateSet::operator=(TemplateSet&&) noexcept = default;
TemplateSet::~TemplateSet() = default;

Expected<TemplateSet> TemplateSet::load(const std::vector<std::string>& dirs, Launcher launcher,
                                        const std::string& override_file) {
  auto impl = std::make_unique<Impl>();
  const std::string main_name = fmt::format("{}.sbatch.mustache", launcher_name(launcher));
  if (!override_file.empty()) {
    impl->main_path = override_file;
  } else if (auto found = find_template(dirs, main_name)) {
    impl->main_path = *found;
  } else {
    return fail(ErrorKind::render,
                fmt::format("no template {} in {}; set MLSUB_DATA_DIR to the directory holding "
                            "templates/",
                            main_name, fmt::join(dirs, ", ")));
  }
  auto text = read_template(impl->main_path);
  if (!text) {
    return tl::unexpected(text.error());
  }
  impl->main = std::make_unique<mu::mustache>(mark_standalone_tags(*text));
  if (!impl->main->is_valid()) {
    return fail(ErrorKind::render,
                fmt::format("{}: {}", impl->main_path, impl->main->error_message()));
  }
  // Load partials, and the partials they name in turn.
  std::vector<std::string> pending = partial_names(*text);
  while (!pending.empty()) {
    const std::string name = pending.back();
    pending.pop_back();
    if (impl->partials.count(name) != 0) {
      continue;
    }
    const auto path = find_template(dirs, name + ".mustache");
    if (!path) {
      return fail(ErrorKind::render,
                  fmt::format("{}: partial '{}' not found ({}.mustache in {})", impl->main_path,
                              name, name, fmt::join(dirs, ", ")));
    }
    auto partial_text = read_template(*path);
    if (!partial_text) {
      return tl::unexpected(partial_text.error());
    }
    if (mu::mustache check(*partial_text); !check.is_valid()) {
      return fail(ErrorKind::render, fmt::format("{}: {}", *path, check.error_message()));
    }
    for (auto& inner : partial_names(*partial_text)) {
      pending.push_back(std::move(inner));
    }
    std::string body = mark_standalone_tags(*partial_text);
    impl->partials.emplace(name, mu::data(mu::partial([body]() { return body; })));
  }
  impl->main->set_custom_escape([](const std::string& s) { return shell_quote(s); });
  return TemplateSet(std::move(impl));
}

Expected<std::string> TemplateSet::render(const Plan& plan, const std::string& version) const {
  const mu::data data = context_for(plan, version);
  StrictContext ctx(&data, m_impl->partials);
  std::string out = remove_sentinel_lines(m_impl->main->render(ctx));
  if (!m_impl->main->is_valid()) {
    return fail(ErrorKind::render,
                fmt::format("{}: {}", m_impl->main_path, m_impl->main->error_message()));
  }
  if (!ctx.missing().empty()) {
    return fail(ErrorKind::render,
                fmt::format("{}: the template uses {} which the plan does not provide; see "
                            "templates/README.md for the keys",
                            m_impl->main_path, fmt::join(ctx.missing(), ", ")));
  }
  return out;
}

}  // namespace mlsub
