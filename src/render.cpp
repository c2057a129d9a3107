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

// The values a template can name, and the context kainjow renders from.
// Top-level names live in a flat map filled by moving values in: kainjow's
// own object type copies every value it is given, and those copies were
// half the cost of a render. Names inside a section ({{word}} in
// {{#program}}) resolve through kainjow's context stack first; a name found
// nowhere is remembered, so that render() can fail instead of printing an
// empty string.
class PlanContext : public mu::context<std::string> {
 public:
  PlanContext() : mu::context<std::string>(&m_root) { m_values.reserve(48); }

  // `name` must be a string literal: only the view is kept.
  void set(std::string_view name, mu::data value) { m_values.emplace_back(name, std::move(value)); }

  const mu::data* get(const std::string& name) const override {
    if (const mu::data* found = mu::context<std::string>::get(name)) {
      return found;
    }
    // About 25 names: a scan beats hashing them.
    for (const auto& [key, value] : m_values) {
      if (key == name) {
        return &value;
      }
    }
    m_missing.insert(name);
    return nullptr;
  }

  // Partials were put in place at load time, so none is looked up here.
  const mu::data* get_partial(const std::string& name) const override {
    m_missing.insert("> " + name);
    return nullptr;
  }

  const std::set<std::string>& missing() const { return m_missing; }

 private:
  mu::data m_root{mu::data::type::object};  // empty: the stack's bottom
  std::vector<std::pair<std::string_view, mu::data>> m_values;
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

// Compacts `text` in place: drops lines that hold only sentinels, and the
// sentinels on other lines.
void remove_sentinel_lines(std::string& text) {
  const std::size_t size = text.size();
  std::size_t write = 0;
  std::size_t start = 0;
  while (start < size) {
    const auto newline = text.find('\n', start);
    const std::size_t end = newline == std::string::npos ? size : newline;
    const std::string_view line(text.data() + start, end - start);
    const bool only_sentinels =
        !line.empty() && line.find_first_not_of(k_sentinel) == std::string_view::npos;
    if (!only_sentinels) {
      for (std::size_t i = start; i < end; ++i) {
        if (text[i] != k_sentinel) {
          text[write++] = text[i];
        }
      }
      if (newline != std::string::npos) {
        text[write++] = '\n';
      }
    }
    start = end + 1;
  }
  text.resize(write);
}

// Partials ({{> name}}) are put in place at load time, so that a template
// set is one text, parsed once; kainjow would parse a partial again on every
// render. Each partial is checked on its own first, so an error names the
// file it is in.
class PartialInliner {
 public:
  PartialInliner(const std::vector<std::string>& dirs, std::string main_path)
      : m_dirs(dirs), m_main_path(std::move(main_path)) {}

  Expected<std::string> expand(const std::string& text, int depth = 0) {
    std::string out;
    std::size_t from = 0;
    for (auto at = text.find("{{>"); at != std::string::npos; at = text.find("{{>", from)) {
      const auto end = text.find("}}", at);
      if (end == std::string::npos) {
        break;  // an unclosed tag: the parser reports it
      }
      std::string name = text.substr(at + 3, end - at - 3);
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      auto body = partial(name, depth);
      if (!body) {
        return body;
      }
      out.append(text, from, at - from);
      out += *body;
      from = end + 2;
    }
    out.append(text, from, std::string::npos);
    return out;
  }

 private:
  static constexpr int k_max_depth = 16;

  Expected<std::string> partial(const std::string& name, int depth) {
    if (depth >= k_max_depth) {
      return fail(ErrorKind::render,
                  fmt::format("{}: partials nest more than {} deep; does '{}' include itself?",
                              m_main_path, k_max_depth, name));
    }
    const auto path = find_template(m_dirs, name + ".mustache");
    if (!path) {
      return fail(ErrorKind::render,
                  fmt::format("{}: partial '{}' not found ({}.mustache in {})", m_main_path, name,
                              name, fmt::join(m_dirs, ", ")));
    }
    auto text = read_template(*path);
    if (!text) {
      return text;
    }
    if (mu::mustache check(*text); !check.is_valid()) {
      return fail(ErrorKind::render, fmt::format("{}: {}", *path, check.error_message()));
    }
    return expand(mark_standalone_tags(*text), depth + 1);
  }

  const std::vector<std::string>& m_dirs;
  std::string m_main_path;
};

// kainjow renders into a stream; this one appends to a string.
struct StringSink {
  std::string& out;
  StringSink& operator<<(const std::string& text) {
    out += text;
    return *this;
  }
};

// kainjow's data API copies every value it is given (set, push_back), and
// its lists grow by copying (its move constructor is not noexcept): those
// copies were a third of a render. So lists are made at their final size,
// of placeholders (bools, which copy without allocating), and values are
// moved into place. Objects and lists own their values, none of which is
// const, so the const_casts are sound.
mu::data list_of(std::size_t size) { return mu::data(mu::list(size, mu::data(false))); }

mu::data& slot(mu::data& list, std::size_t index) {
  return const_cast<mu::data&>(list.list_value()[index]);
}

void put(mu::data& object, const std::string& key, mu::data value) {
  object.set(key, mu::data(false));
  const_cast<mu::data&>(*object.get(key)) = std::move(value);
}

// A list of strings, for {{#list}} {{.}}{{/list}}: the separator goes before
// each word, so templates need no "first item" flag (which would make every
// item an object, several times slower to build).
mu::data words(std::vector<std::string>::const_iterator begin,
               std::vector<std::string>::const_iterator end) {
  mu::data list = list_of(static_cast<std::size_t>(end - begin));
  for (std::size_t i = 0; begin != end; ++begin, ++i) {
    slot(list, i) = mu::data(*begin);
  }
  return list;
}

mu::data words(const std::vector<std::string>& items) { return words(items.begin(), items.end()); }

void fill_context(PlanContext& c, const Plan& plan, const std::string& version) {
  c.set("version", mu::data(version));
  // The words after "mlsub", and the job's command as its first word and
  // the rest.
  c.set("mlsub_args", plan.command_line.empty()
                          ? mu::data(mu::data::type::list)
                          : words(plan.command_line.begin() + 1, plan.command_line.end()));
  c.set("system", mu::data(plan.system));
  c.set("partition", mu::data(plan.partition));
  c.set("nodes", mu::data(std::to_string(plan.nodes)));
  c.set("gpus_per_node", mu::data(std::to_string(plan.gpus_per_node)));
  c.set("gpus", mu::data(std::to_string(plan.gpus_total())));
  c.set("tasks_per_node", mu::data(std::to_string(plan.tasks_per_node)));
  c.set("tasks", mu::data(std::to_string(plan.tasks_total())));
  c.set("cpus_per_task", mu::data(std::to_string(plan.cpus_per_task)));
  c.set("time", mu::data(format_duration(plan.time)));
  c.set("job_name", mu::data(plan.job_name));
  c.set("account", mu::data(plan.account));
  c.set("account_placeholder", mu::data(plan.account_is_placeholder));
  c.set("launcher", mu::data(std::string(launcher_name(plan.launcher))));
  c.set("multi_node", mu::data(plan.nodes > 1));
  const auto lines = plan.directives();
  mu::data directives = list_of(lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const Directive& dir = lines[i];
    mu::data& item = slot(directives, i);
    item = mu::data(mu::data::type::object);
    put(item, "option", mu::data(dir.option));
    put(item, "value", mu::data(dir.value));
    put(item, "has_value", mu::data(!dir.value.empty()));
  }
  c.set("directives", std::move(directives));
  c.set("has_modules", mu::data(!plan.modules.empty() || !plan.module_use.empty()));
  c.set("has_venv", mu::data(plan.venv.has_value()));
  c.set("venv_activate", mu::data(plan.venv.value_or("")));
  mu::data env = list_of(plan.env.size());
  for (std::size_t i = 0; i < plan.env.size(); ++i) {
    mu::data& item = slot(env, i);
    item = mu::data(mu::data::type::object);
    put(item, "name", mu::data(plan.env[i].first));
    put(item, "value", mu::data(plan.env[i].second));
  }
  c.set("env", std::move(env));
  c.set("has_cache_dirs", mu::data(!plan.cache_dirs.empty()));
  c.set("cache_dirs", words(plan.cache_dirs));
  c.set("run_prefix", words(plan.run_prefix));
  c.set("srun_options", words(plan.srun_options));
  c.set("srun_single", mu::data(!plan.srun_options.empty()));
  mu::data sweep = list_of(plan.sweep.size());
  for (std::size_t i = 0; i < plan.sweep.size(); ++i) {
    mu::data& item = slot(sweep, i);
    item = mu::data(mu::data::type::object);
    put(item, "index", mu::data(std::to_string(i)));
    put(item, "args", words(plan.sweep[i]));
  }
  c.set("has_sweep", mu::data(!plan.sweep.empty()));
  c.set("sweep", std::move(sweep));
  c.set("requeue", mu::data(plan.requeue_lead_seconds.has_value()));
  c.set("requeue_signal", mu::data(plan.requeue_signal));
  c.set("has_cpu_bind", mu::data(plan.cpu_bind.has_value()));
  c.set("cpu_bind", mu::data(plan.cpu_bind.value_or("")));
  c.set("gpu_per_task", mu::data(plan.gpu_per_task));
  c.set("gpu_visibility_var", mu::data(plan.gpu_visibility_var));
  c.set("program", mu::data(plan.program));
  c.set("program_args", words(plan.program_args));
  c.set("python_program", mu::data(plan.python_program));
  c.set("module_use", words(plan.module_use));
  c.set("modules", words(plan.modules));
  const Monitor& m = plan.monitor;
  c.set("monitor", mu::data(m.enabled));
  c.set("monitor_interval", mu::data(std::to_string(m.interval_seconds)));
  c.set("monitor_command", words(m.command));
  c.set("monitor_loop", mu::data(m.loop));
  c.set("monitor_tool", mu::data(m.sampler));
  c.set("has_monitor_dir", mu::data(!m.dir.empty()));
  c.set("monitor_dir", mu::data(m.dir));
  c.set("has_energy_counter", mu::data(m.energy_counter.has_value()));
  c.set("energy_counter", mu::data(m.energy_counter.value_or("")));
  c.set("exec", mu::data(plan.program_argv.empty() ? std::string() : plan.program_argv.front()));
  c.set("exec_args", plan.program_argv.empty()
                         ? mu::data(mu::data::type::list)
                         : words(plan.program_argv.begin() + 1, plan.program_argv.end()));
}

}  // namespace

struct TemplateSet::Impl {
  std::string main_path;
  std::unique_ptr<mu::mustache> main;
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
  if (mu::mustache check(*text); !check.is_valid()) {
    return fail(ErrorKind::render, fmt::format("{}: {}", impl->main_path, check.error_message()));
  }
  auto whole = PartialInliner(dirs, impl->main_path).expand(mark_standalone_tags(*text));
  if (!whole) {
    return tl::unexpected(whole.error());
  }
  impl->main = std::make_unique<mu::mustache>(*whole);
  if (!impl->main->is_valid()) {
    return fail(ErrorKind::render,
                fmt::format("{}: {}", impl->main_path, impl->main->error_message()));
  }
  impl->main->set_custom_escape([](const std::string& s) { return shell_quote(s); });
  return TemplateSet(std::move(impl));
}

Expected<std::string> TemplateSet::render(const Plan& plan, const std::string& version) const {
  PlanContext ctx;
  fill_context(ctx, plan, version);
  std::string rendered;
  rendered.reserve(4096);
  StringSink sink{rendered};
  m_impl->main->render(ctx, sink);
  remove_sentinel_lines(rendered);
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
  return rendered;
}

}  // namespace mlsub
