// Reading #SBATCH directives the way sbatch does. The rules, from Slurm's
// sbatch(1) ("Once the first non-comment, non-whitespace line has been
// reached in the script, no more #SBATCH directives will be processed") and
// its src/sbatch/opt.c (_opt_batch_script, _get_argument), are listed in
// include/mlsub/check.hpp.

#include <algorithm>
#include <cctype>

#include "mlsub/check.hpp"
#include "mlsub/sbatch_options.hpp"

namespace mlsub {
namespace {

enum class Arg { none, required, optional };

struct OptionSpec {
  const char* name;
  char short_name;  // 0: none
  Arg arg;
};

// sbatch's options (Slurm 22.05-24.x), and the options of site plugins
// that the catalogue's sites document (CSCS: uenv, view, environment).
constexpr OptionSpec k_options[] = {
    {"account", 'A', Arg::required},
    {"acctg-freq", 0, Arg::required},
    {"array", 'a', Arg::required},
    {"batch", 0, Arg::required},
    {"bb", 0, Arg::required},
    {"bbf", 0, Arg::required},
    {"begin", 'b', Arg::required},
    {"chdir", 'D', Arg::required},
    {"cluster-constraint", 0, Arg::required},
    {"clusters", 'M', Arg::required},
    {"comment", 0, Arg::required},
    {"constraint", 'C', Arg::required},
    {"container", 0, Arg::required},
    {"container-id", 0, Arg::required},
    {"contiguous", 0, Arg::none},
    {"core-spec", 'S', Arg::required},
    {"cores-per-socket", 0, Arg::required},
    {"cpu-freq", 0, Arg::required},
    {"cpus-per-gpu", 0, Arg::required},
    {"cpus-per-task", 'c', Arg::required},
    {"deadline", 0, Arg::required},
    {"delay-boot", 0, Arg::required},
    {"dependency", 'd', Arg::required},
    {"distribution", 'm', Arg::required},
    {"environment", 0, Arg::required},
    {"error", 'e', Arg::required},
    {"exclude", 'x', Arg::required},
    {"exclusive", 0, Arg::optional},
    {"export", 0, Arg::required},
    {"export-file", 0, Arg::required},
    {"extra-node-info", 'B', Arg::required},
    {"get-user-env", 0, Arg::optional},
    {"gid", 0, Arg::required},
    {"gpu-bind", 0, Arg::required},
    {"gpu-freq", 0, Arg::required},
    {"gpus", 'G', Arg::required},
    {"gpus-per-node", 0, Arg::required},
    {"gpus-per-socket", 0, Arg::required},
    {"gpus-per-task", 0, Arg::required},
    {"gres", 0, Arg::required},
    {"gres-flags", 0, Arg::required},
    {"help", 'h', Arg::none},
    {"hint", 0, Arg::required},
    {"hold", 'H', Arg::none},
    {"ignore-pbs", 0, Arg::none},
    {"input", 'i', Arg::required},
    {"job-name", 'J', Arg::required},
    {"kill-on-invalid-dep", 0, Arg::required},
    {"licenses", 'L', Arg::required},
    {"mail-type", 0, Arg::required},
    {"mail-user", 0, Arg::required},
    {"mcs-label", 0, Arg::required},
    {"mem", 0, Arg::required},
    {"mem-bind", 0, Arg::required},
    {"mem-per-cpu", 0, Arg::required},
    {"mem-per-gpu", 0, Arg::required},
    {"mincpus", 0, Arg::required},
    {"network", 0, Arg::required},
    {"nice", 0, Arg::optional},
    {"no-kill", 'k', Arg::optional},
    {"no-requeue", 0, Arg::none},
    {"nodefile", 'F', Arg::required},
    {"nodelist", 'w', Arg::required},
    {"nodes", 'N', Arg::required},
    {"ntasks", 'n', Arg::required},
    {"ntasks-per-core", 0, Arg::required},
    {"ntasks-per-gpu", 0, Arg::required},
    {"ntasks-per-node", 0, Arg::required},
    {"ntasks-per-socket", 0, Arg::required},
    {"open-mode", 0, Arg::required},
    {"output", 'o', Arg::required},
    {"overcommit", 'O', Arg::none},
    {"oversubscribe", 's', Arg::none},
    {"parsable", 0, Arg::none},
    {"partition", 'p', Arg::required},
    {"power", 0, Arg::required},
    {"prefer", 0, Arg::required},
    {"priority", 0, Arg::required},
    {"profile", 0, Arg::required},
    {"propagate", 0, Arg::optional},
    {"qos", 'q', Arg::required},
    {"quiet", 'Q', Arg::none},
    {"reboot", 0, Arg::none},
    {"requeue", 0, Arg::none},
    {"reservation", 0, Arg::required},
    {"signal", 0, Arg::required},
    {"sockets-per-node", 0, Arg::required},
    {"spread-job", 0, Arg::none},
    {"switches", 0, Arg::required},
    // Slurm's older spelling of --ntasks-per-node, still accepted (opt.c's
    // long options list; the LUMI AI Guide's scripts use it).
    {"tasks-per-node", 0, Arg::required},
    {"test-only", 0, Arg::none},
    {"thread-spec", 0, Arg::required},
    {"threads-per-core", 0, Arg::required},
    {"time", 't', Arg::required},
    {"time-min", 0, Arg::required},
    {"tmp", 0, Arg::required},
    {"uenv", 0, Arg::required},
    {"use-min-nodes", 0, Arg::none},
    {"verbose", 'v', Arg::none},
    {"view", 0, Arg::required},
    {"wait", 'W', Arg::none},
    {"wait-all-nodes", 0, Arg::required},
    {"wckey", 0, Arg::required},
};

// The option a spelling stands for: --tasks-per-node is --ntasks-per-node.
std::string canonical(std::string_view name) {
  return name == "tasks-per-node" ? "ntasks-per-node" : std::string(name);
}

const OptionSpec* find_short(char c) {
  for (const auto& o : k_options) {
    if (o.short_name == c) {
      return &o;
    }
  }
  return nullptr;
}

// getopt_long: an exact name, else the one option the text is a prefix of.
const OptionSpec* find_long(std::string_view name) {
  const OptionSpec* prefix_match = nullptr;
  int prefix_matches = 0;
  for (const auto& o : k_options) {
    const std::string_view full = o.name;
    if (full == name) {
      return &o;
    }
    if (!name.empty() && full.substr(0, name.size()) == name) {
      prefix_match = &o;
      ++prefix_matches;
    }
  }
  return prefix_matches == 1 ? prefix_match : nullptr;
}

// The arguments of one directive line after "#SBATCH" (_get_argument).
std::vector<std::string> split_arguments(std::string_view rest) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && std::isspace(static_cast<unsigned char>(rest[i]))) {
      ++i;
    }
    if (i >= rest.size() || rest[i] == '#') {
      break;  // an unquoted # at the start of an argument: a comment
    }
    std::string arg;
    char quote = 0;
    bool comment = false;
    for (; i < rest.size(); ++i) {
      const char c = rest[i];
      if (quote == 0 && std::isspace(static_cast<unsigned char>(c))) {
        break;
      }
      if (c == '\\') {
        if (i + 1 < rest.size()) {  // a backslash at the end is dropped, as in sbatch
          arg += rest[++i];
        }
      } else if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          arg += c;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '#') {
        comment = true;  // the rest of the line is a comment
        break;
      } else {
        arg += c;
      }
    }
    if (!arg.empty()) {
      out.push_back(std::move(arg));
    }
    if (comment) {
      break;
    }
  }
  return out;
}

// getopt_long over one line's arguments; appends to `out`.
void parse_arguments(const std::vector<std::string>& args, int line,
                     std::vector<SbatchDirective>& out) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    SbatchDirective d;
    d.line = line;
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      const auto eq = a.find('=');
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      d.spelling = "--" + name;
      const OptionSpec* spec = find_long(name);
      d.known = spec != nullptr;
      d.option = spec ? canonical(spec->name) : name;
      if (eq != std::string::npos) {
        d.value = a.substr(eq + 1);
        d.has_value = true;
      } else if (spec && spec->arg == Arg::required && i + 1 < args.size()) {
        d.value = args[++i];
        d.has_value = true;
      }
      out.push_back(std::move(d));
    } else if (a.size() > 1 && a[0] == '-' && a[1] != '-') {
      // A cluster of short options: flags, then at most one with a value
      // (attached, "-N2", or the next argument, "-N 2").
      for (std::size_t k = 1; k < a.size(); ++k) {
        SbatchDirective s;
        s.line = line;
        s.spelling = std::string("-") + a[k];
        const OptionSpec* spec = find_short(a[k]);
        s.known = spec != nullptr;
        s.option = spec ? spec->name : std::string(1, a[k]);
        if (spec && spec->arg != Arg::none) {
          if (k + 1 < a.size()) {
            s.value = a.substr(k + 1);
            s.has_value = true;
          } else if (spec->arg == Arg::required && i + 1 < args.size()) {
            s.value = args[++i];
            s.has_value = true;
          }
          out.push_back(std::move(s));
          break;
        }
        out.push_back(std::move(s));
      }
    } else {
      // Not an option: sbatch's getopt would stop or complain; keep it.
      d.option = a;
      d.spelling = a;
      d.known = false;
      out.push_back(std::move(d));
    }
  }
}

}  // namespace

std::optional<SbatchArg> sbatch_option_arg(std::string_view name) {
  for (const auto& o : k_options) {
    if (name == o.name) {
      return o.arg == Arg::none       ? SbatchArg::none
             : o.arg == Arg::required ? SbatchArg::required
                                      : SbatchArg::optional;
    }
  }
  return std::nullopt;
}

std::vector<std::string> sbatch_option_names() {
  std::vector<std::string> names;
  for (const auto& o : k_options) {
    names.emplace_back(o.name);
  }
  return names;
}

const SbatchDirective* SbatchScript::last(std::string_view option) const {
  for (auto it = directives.rbegin(); it != directives.rend(); ++it) {
    if (it->option == option) {
      return &*it;
    }
  }
  return nullptr;
}

SbatchScript parse_sbatch_directives(std::string_view text) {
  constexpr std::string_view magic = "#SBATCH";
  SbatchScript script;
  script.text = std::string(text.substr(0, 4096));  // the header is at the top
  int line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.substr(0, magic.size()) == magic) {
      std::vector<SbatchDirective>& into =
          script.first_command_line == 0 ? script.directives : script.ignored;
      parse_arguments(split_arguments(line.substr(magic.size())), line_no, into);
      continue;
    }
    const auto first = line.find_first_not_of(" \t\v\f");
    if (first == std::string_view::npos || line[first] == '#') {
      continue;  // blank or a comment: directives go on
    }
    if (script.first_command_line == 0) {
      script.first_command_line = line_no;
    }
    script.commands.push_back({line_no, std::string(line)});
  }
  return script;
}

}  // namespace mlsub
