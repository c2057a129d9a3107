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

#include "mlsub/file.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <kainjow/mustache.hpp>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include "mlsub/shell.hpp"

namespace fs = std::filesystem;
namespace mu = kainjow::mustache;

namespace mlsub {
namespace {

// The values a template can name, and the context kainjow renders from.
//
// Top-level names are made on first use from the table in
// `context_keys()` (found through a hash of the names), so a render pays
// only for the keys its template names (a false section's keys are never
// made), and each key at most once.
//
// A list of records ({{#directives}}--{{option}}={{value}}{{/directives}})
// is a list of placeholders for the section to walk, and the records'
// fields in one flat array, `width` per item: kainjow's own objects are hash
// maps, and building one per directive was an eighth of a render.
//
// A name found nowhere is remembered, so that render() can fail instead of
// printing an empty string.
struct Value {
  mu::data data;                          // what {{#name}} or {{name}} sees
  const std::string_view* fields = nullptr;  // records: the field names
  std::size_t width = 0;                  // records: fields per item
  std::vector<mu::data> values;           // records: item i's field k at i * width + k
};

// What a render has besides the plan: the version for the header, and the
// plan's #SBATCH lines, which render() has already made to check them.
struct RenderInputs {
  const std::string& version;
  std::vector<Directive> directives;  // moved out by the "directives" key
};

struct ContextKey {
  std::string_view name;
  Value (*make)(const Plan& plan, RenderInputs& inputs);
};

const std::vector<ContextKey>& context_keys();

// Where each key of context_keys() is in that table, by name.
const std::unordered_map<std::string_view, std::size_t>& key_index();

class PlanContext : public mu::basic_context<std::string> {
 public:
  PlanContext(const Plan& plan, RenderInputs& inputs) : m_plan(plan), m_inputs(inputs) {
    // Never grows past the table, so pointers into it stay valid.
    m_made.reserve(context_keys().size());
    m_slot.assign(context_keys().size(), k_not_made);
    m_stack.reserve(8);
  }

  void push(const mu::data* item) override { m_stack.push_back(item); }
  void pop() override { m_stack.pop_back(); }

  const mu::data* get(const std::string& name) const override {
    if (name == ".") {
      return m_stack.empty() ? nullptr : m_stack.back();
    }
    // The sections around this tag, innermost first: a record's fields.
    if (!m_records.empty()) {
      for (auto item = m_stack.rbegin(); item != m_stack.rend(); ++item) {
        if (const mu::data* found = field_of(**item, name)) {
          return found;
        }
      }
    }
    const auto& index = key_index();
    const auto key = index.find(std::string_view(name));
    if (key == index.end()) {
      m_missing.insert(name);
      return nullptr;
    }
    std::size_t& slot = m_slot[key->second];
    if (slot == k_not_made) {
      slot = m_made.size();
      m_made.push_back(context_keys()[key->second].make(m_plan, m_inputs));
      if (m_made.back().width != 0) {
        m_records.push_back(&m_made.back());
      }
    }
    return &m_made[slot].data;
  }

  // Partials were put in place at load time, so none is looked up here.
  const mu::data* get_partial(const std::string& name) const override {
    m_missing.insert("> " + name);
    return nullptr;
  }

  const std::set<std::string>& missing() const { return m_missing; }

 private:
  static constexpr std::size_t k_not_made = static_cast<std::size_t>(-1);

  // `name` in `item` when the item is one of a record list's placeholders.
  const mu::data* field_of(const mu::data& item, const std::string& name) const {
    for (const Value* value : m_records) {
      const auto& items = value->data.list_value();
      if (items.empty() || &item < items.data() || &item >= items.data() + items.size()) {
        continue;
      }
      const auto index = static_cast<std::size_t>(&item - items.data());
      for (std::size_t k = 0; k < value->width; ++k) {
        if (value->fields[k] == name) {
          return &value->values[index * value->width + k];
        }
      }
      return nullptr;
    }
    return nullptr;
  }

  const Plan& m_plan;
  RenderInputs& m_inputs;
  std::vector<const mu::data*> m_stack;
  mutable std::vector<Value> m_made;             // the keys made so far
  mutable std::vector<std::size_t> m_slot;       // key -> its place in m_made
  mutable std::vector<const Value*> m_records;   // the record lists among them
  mutable std::set<std::string> m_missing;
};

Expected<std::string> read_template(const std::string& path) {
  auto text = read_file(path);
  if (!text) {
    return fail(ErrorKind::render, fmt::format("cannot read template {}", path));
  }
  return text;
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

// kainjow's parser makes every space and tab of a template's text its own
// component (to apply the standalone-line rule), and rendering walks each
// through a std::function: in mlsub's templates that was most of a render.
// So at load time the spaces in a line's literal text become a placeholder
// byte, which the parser keeps inside the text around it, and after
// rendering the placeholders become spaces again. Left alone: text inside
// tags, lines whose literal text is only blanks (kainjow's own rule looks at
// those), and any template that sets other delimiters or already holds the
// placeholder. Like the sentinel, the placeholder is a control character,
// which shell_quote never lets a value put into a script.
constexpr char k_space = '\x1f';

// Where the tag starting at `at` ("{{" or "{{{") ends, just past it.
std::size_t tag_end(const std::string& text, std::size_t at) {
  const bool triple = text.compare(at, 3, "{{{") == 0;
  const auto end = text.find(triple ? "}}}" : "}}", at + 2);
  return end == std::string::npos ? text.size() : end + (triple ? 3 : 2);
}

std::string encode_spaces(std::string text) {
  if (text.find("{{=") != std::string::npos || text.find(k_space) != std::string::npos) {
    return text;
  }
  std::size_t start = 0;
  while (start < text.size()) {
    const auto newline = text.find('\n', start);
    const auto end = newline == std::string::npos ? text.size() : newline;
    // First pass: does the line have literal text other than blanks?
    bool literal = false;
    for (std::size_t i = start; i < end && !literal;) {
      if (text.compare(i, 2, "{{") == 0) {
        i = tag_end(text, i);
      } else {
        literal = text[i] != ' ' && text[i] != '\t';
        ++i;
      }
    }
    for (std::size_t i = start; literal && i < end;) {
      if (text.compare(i, 2, "{{") == 0) {
        i = tag_end(text, i);
      } else {
        if (text[i] == ' ') {
          text[i] = k_space;
        }
        ++i;
      }
    }
    start = end + 1;
  }
  return text;
}

// Compacts `text` in place: drops lines that hold only sentinels, and the
// sentinels on other lines. Only the lines around a sentinel are looked at;
// the text between them moves as one block.
void remove_sentinel_lines(std::string& text) {
  std::size_t sentinel = text.find(k_sentinel);
  if (sentinel == std::string::npos) {
    return;
  }
  std::size_t write = 0;
  std::size_t read = 0;  // text before `read` is done
  const auto move_to = [&](std::size_t end) {  // copies [read, end) to `write`
    if (write != read) {
      // write < read: a forward copy never overwrites what it reads.
      std::copy(text.begin() + static_cast<std::ptrdiff_t>(read),
                text.begin() + static_cast<std::ptrdiff_t>(end),
                text.begin() + static_cast<std::ptrdiff_t>(write));
    }
    write += end - read;
    read = end;
  };
  while (sentinel != std::string::npos) {
    const std::size_t previous_newline = text.rfind('\n', sentinel);
    const std::size_t line_start =
        previous_newline == std::string::npos ? 0 : previous_newline + 1;
    const std::size_t newline = text.find('\n', sentinel);
    const std::size_t line_end = newline == std::string::npos ? text.size() : newline;
    move_to(line_start);
    const std::string_view line(text.data() + line_start, line_end - line_start);
    if (line.find_first_not_of(k_sentinel) == std::string_view::npos) {
      read = newline == std::string::npos ? line_end : line_end + 1;  // the whole line goes
    } else {
      for (std::size_t i = line_start; i < line_end; ++i) {
        if (text[i] != k_sentinel) {
          text[write++] = text[i];
        }
      }
      read = line_end;  // its newline, if any, moves with the next block
    }
    sentinel = text.find(k_sentinel, read);
  }
  move_to(text.size());
  text.resize(write);
}

// Partials ({{> name}}) are put in place at load time, so that a template
// set is one text, parsed once; kainjow would parse a partial again on every
// render. The whole text is parsed once; only when it does not parse is each
// file parsed on its own (diagnose()), so that the error names the file it
// is in.
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
    m_files.emplace_back(*path, *text);
    return expand(mark_standalone_tags(*text), depth + 1);
  }

 public:
  // Why the whole text did not parse: the first file that does not parse
  // on its own, or else the main template (a section opened in one file and
  // closed in another, say).
  Error diagnose(const std::string& main_text, const std::string& whole_error) const {
    if (mu::mustache check(main_text); !check.is_valid()) {
      return Error{ErrorKind::render, fmt::format("{}: {}", m_main_path, check.error_message())};
    }
    for (const auto& [path, text] : m_files) {
      if (mu::mustache check(text); !check.is_valid()) {
        return Error{ErrorKind::render, fmt::format("{}: {}", path, check.error_message())};
      }
    }
    return Error{ErrorKind::render, fmt::format("{}: {}", m_main_path, whole_error)};
  }

 private:
  const std::vector<std::string>& m_dirs;
  std::string m_main_path;
  std::vector<std::pair<std::string, std::string>> m_files;  // partials read: path, text
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

// A string value, moved in (kainjow's string constructor copies).
mu::data text(std::string value) {
  mu::data d(mu::data::type::string);
  const_cast<std::string&>(d.string_value()) = std::move(value);
  return d;
}

mu::data number(int value) { return text(std::to_string(value)); }

mu::data flag(bool value) { return mu::data(value); }

// A record list of `count` items with the fields `names`; the caller
// fills values[i * names.size() + k].
template <std::size_t Width>
Value records(std::size_t count, const std::array<std::string_view, Width>& names) {
  Value v{list_of(count), names.data(), Width, {}};
  // Placeholders that cost no allocation (kainjow's default value is an
  // empty object, a hash map).
  v.values = std::vector<mu::data>(count * Width, mu::data(false));
  return v;
}

Value plain(mu::data data) { return Value{std::move(data), nullptr, 0, {}}; }

// The complete list of keys a template may name (templates/README.md
// documents each).
const std::vector<ContextKey>& context_keys() {
  using V = RenderInputs&;
  static constexpr std::array<std::string_view, 3> directive_fields = {"option", "has_value",
                                                                       "value"};
  static constexpr std::array<std::string_view, 2> env_fields = {"name", "value"};
  static constexpr std::array<std::string_view, 2> sweep_fields = {"index", "args"};
  static const std::vector<ContextKey> keys = {
      {"version", [](const Plan&, V in) { return plain(text(in.version)); }},
      // The words after "mlsub".
      {"mlsub_args",
       [](const Plan& p, V) {
         return plain(p.command_line.empty()
                          ? mu::data(mu::data::type::list)
                          : words(p.command_line.begin() + 1, p.command_line.end()));
       }},
      {"system", [](const Plan& p, V) { return plain(text(p.system)); }},
      {"partition", [](const Plan& p, V) { return plain(text(p.partition)); }},
      {"nodes", [](const Plan& p, V) { return plain(number(p.nodes)); }},
      {"gpus_per_node", [](const Plan& p, V) { return plain(number(p.gpus_per_node)); }},
      {"gpus", [](const Plan& p, V) { return plain(number(p.gpus_total())); }},
      {"tasks_per_node", [](const Plan& p, V) { return plain(number(p.tasks_per_node)); }},
      {"tasks", [](const Plan& p, V) { return plain(number(p.tasks_total())); }},
      {"cpus_per_task", [](const Plan& p, V) { return plain(number(p.cpus_per_task)); }},
      {"time", [](const Plan& p, V) { return plain(text(format_duration(p.time))); }},
      {"job_name", [](const Plan& p, V) { return plain(text(p.job_name)); }},
      {"account", [](const Plan& p, V) { return plain(text(p.account)); }},
      {"account_placeholder", [](const Plan& p, V) { return plain(flag(p.account_is_placeholder)); }},
      {"launcher",
       [](const Plan& p, V) { return plain(text(std::string(launcher_name(p.launcher)))); }},
      {"multi_node", [](const Plan& p, V) { return plain(flag(p.nodes > 1)); }},
      {"directives",
       [](const Plan&, V in) {
         // Made once per render (the key is cached), so the lines can move.
         auto lines = std::move(in.directives);
         Value v = records(lines.size(), directive_fields);
         for (std::size_t i = 0; i < lines.size(); ++i) {
           v.values[i * 3] = text(std::move(lines[i].option));
           v.values[i * 3 + 1] = flag(!lines[i].value.empty());
           v.values[i * 3 + 2] = text(std::move(lines[i].value));
         }
         return v;
       }},
      {"has_modules",
       [](const Plan& p, V) {
         return plain(flag(p.module_purge || !p.modules.empty() || !p.module_use.empty()));
       }},
      {"module_use", [](const Plan& p, V) { return plain(words(p.module_use)); }},
      {"modules", [](const Plan& p, V) { return plain(words(p.modules)); }},
      {"has_venv", [](const Plan& p, V) { return plain(flag(p.venv.has_value())); }},
      {"venv_activate", [](const Plan& p, V) { return plain(text(p.venv.value_or(""))); }},
      {"host_venv", [](const Plan& p, V) { return plain(flag(p.venv && !p.venv_in_task)); }},
      {"venv_in_task", [](const Plan& p, V) { return plain(flag(p.venv && p.venv_in_task)); }},
      {"task_wrapper",
       [](const Plan& p, V) {
         return plain(flag((p.venv && p.venv_in_task) || p.requeue_lead_seconds.has_value()));
       }},
      {"processes_per_task", [](const Plan& p, V) { return plain(number(p.processes_per_task)); }},
      {"per_process_cpus", [](const Plan& p, V) { return plain(flag(p.processes_per_task > 1)); }},
      {"several_gpus", [](const Plan& p, V) { return plain(flag(p.gpus_total() > 1)); }},
      {"env",
       [](const Plan& p, V) {
         Value v = records(p.env.size(), env_fields);
         for (std::size_t i = 0; i < p.env.size(); ++i) {
           v.values[i * 2] = text(p.env[i].first);
           v.values[i * 2 + 1] = text(p.env[i].second);
         }
         return v;
       }},
      {"has_cache_dirs", [](const Plan& p, V) { return plain(flag(!p.cache_dirs.empty())); }},
      {"cache_dirs", [](const Plan& p, V) { return plain(words(p.cache_dirs)); }},
      {"run_prefix", [](const Plan& p, V) { return plain(words(p.run_prefix)); }},
      {"srun_options", [](const Plan& p, V) { return plain(words(p.srun_options)); }},
      {"srun_single", [](const Plan& p, V) { return plain(flag(!p.srun_options.empty())); }},
      {"has_sweep", [](const Plan& p, V) { return plain(flag(!p.sweep.empty())); }},
      {"sweep",
       [](const Plan& p, V) {
         Value v = records(p.sweep.size(), sweep_fields);
         for (std::size_t i = 0; i < p.sweep.size(); ++i) {
           v.values[i * 2] = number(static_cast<int>(i));
           v.values[i * 2 + 1] = words(p.sweep[i]);
         }
         return v;
       }},
      {"requeue", [](const Plan& p, V) { return plain(flag(p.requeue_lead_seconds.has_value())); }},
      {"requeue_signal", [](const Plan& p, V) { return plain(text(p.requeue_signal)); }},
      {"requeue_wait", [](const Plan& p, V) { return plain(number(p.requeue_wait_seconds.value_or(0))); }},
      {"has_cpu_bind", [](const Plan& p, V) { return plain(flag(p.cpu_bind.has_value())); }},
      {"cpu_bind", [](const Plan& p, V) { return plain(text(p.cpu_bind.value_or(""))); }},
      {"gpu_visibility_var", [](const Plan& p, V) { return plain(text(p.gpu_visibility_var)); }},
      {"program", [](const Plan& p, V) { return plain(text(p.program)); }},
      {"program_args", [](const Plan& p, V) { return plain(words(p.program_args)); }},
      {"python_program", [](const Plan& p, V) { return plain(flag(p.python_program)); }},
      // The job's command as its first word and the rest.
      {"exec",
       [](const Plan& p, V) {
         return plain(text(p.program_argv.empty() ? std::string() : p.program_argv.front()));
       }},
      {"exec_args",
       [](const Plan& p, V) {
         return plain(p.program_argv.empty()
                          ? mu::data(mu::data::type::list)
                          : words(p.program_argv.begin() + 1, p.program_argv.end()));
       }},
      // The GPU sampler (templates/monitor.mustache).
      {"monitor", [](const Plan& p, V) { return plain(flag(p.monitor.enabled)); }},
      {"monitor_interval",
       [](const Plan& p, V) { return plain(number(p.monitor.interval_seconds)); }},
      {"monitor_command", [](const Plan& p, V) { return plain(words(p.monitor.command)); }},
      {"monitor_loop", [](const Plan& p, V) { return plain(flag(p.monitor.loop)); }},
      {"monitor_tool", [](const Plan& p, V) { return plain(text(p.monitor.sampler)); }},
      {"monitor_query", [](const Plan& p, V) { return plain(text(p.monitor.query)); }},
      {"monitor_probe_fields",
       [](const Plan& p, V) { return plain(words(p.monitor.probe_fields)); }},
      {"monitor_nvml_energy", [](const Plan& p, V) { return plain(flag(p.monitor.nvml_energy)); }},
      {"has_energy_counter",
       [](const Plan& p, V) { return plain(flag(p.monitor.energy_counter.has_value())); }},
      {"energy_counter",
       [](const Plan& p, V) { return plain(text(p.monitor.energy_counter.value_or(""))); }},
  };
  return keys;
}

const std::unordered_map<std::string_view, std::size_t>& key_index() {
  static const auto index = [] {
    std::unordered_map<std::string_view, std::size_t> by_name;
    const auto& keys = context_keys();
    for (std::size_t i = 0; i < keys.size(); ++i) {
      by_name.emplace(keys[i].name, i);
    }
    return by_name;
  }();
  return index;
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
  PartialInliner inliner(dirs, impl->main_path);
  auto whole = inliner.expand(mark_standalone_tags(*text));
  if (!whole) {
    return tl::unexpected(whole.error());
  }
  impl->main = std::make_unique<mu::mustache>(encode_spaces(std::move(*whole)));
  if (!impl->main->is_valid()) {
    return tl::unexpected(inliner.diagnose(*text, impl->main->error_message()));
  }
  impl->main->set_custom_escape([](const std::string& s) { return shell_quote(s); });
  return TemplateSet(std::move(impl));
}

Expected<std::string> TemplateSet::render(const Plan& plan, const std::string& version) const {
  // A directive's value goes into an #SBATCH line, which sbatch reads with
  // its own rules: only printable ASCII reads back the same there. The
  // planner refuses other user values; this catches the catalogue's.
  RenderInputs inputs{version, plan.directives()};
  for (const Directive& d : inputs.directives) {
    if (!is_sbatch_safe(d.option) || !is_sbatch_safe(d.value)) {
      return fail(ErrorKind::render,
                  fmt::format("#SBATCH --{}: the value holds a control character or a byte "
                              "that is not ASCII, which sbatch cannot read from a script",
                              shell_quote(d.option)));
    }
  }
  PlanContext ctx(plan, inputs);
  std::string rendered;
  rendered.reserve(4096);
  StringSink sink{rendered};
  m_impl->main->render(ctx, sink);
  remove_sentinel_lines(rendered);
  for (char& c : rendered) {
    c = c == k_space ? ' ' : c;  // a store on every byte: the compiler vectorizes this
  }
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
