// mlsub check: lints the directives of a batch script against a system.
// Every site fact comes from the catalogue (System); the partition limits
// are the planner's own (planner_limits.hpp), so plan and check agree.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <cctype>
#include <set>

#include "gpu_request.hpp"
#include "mlsub/account.hpp"
#include "mlsub/check.hpp"
#include "mlsub/duration.hpp"
#include "mlsub/launcher.hpp"
#include "mlsub/size.hpp"
#include "mlsub/suggest.hpp"
#include "planner_limits.hpp"

namespace mlsub {
namespace {

// CPUs per GPU under this fraction of the site's advice starve the GPU's
// data loaders: a warning. (A heuristic, not a site fact.)
constexpr int k_far_under_divisor = 2;

// How the launch checks find commands in a script line: a word at the
// start of the line or after whitespace or one of `before`, followed by
// whitespace or the end. Written out rather than as std::regex, which was
// most of the time `mlsub check` took and recurses once per character.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool has_command_word(std::string_view line, std::string_view word, std::string_view before) {
  for (auto at = line.find(word); at != std::string_view::npos; at = line.find(word, at + 1)) {
    const bool starts = at == 0 || is_space(line[at - 1]) ||
                        before.find(line[at - 1]) != std::string_view::npos;
    const auto end = at + word.size();
    if (starts && (end == line.size() || is_space(line[end]))) {
      return true;
    }
  }
  return false;
}

bool any_command_word(std::string_view line, std::initializer_list<std::string_view> words,
                      std::string_view before) {
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view w) { return has_command_word(line, w, before); });
}

constexpr std::string_view k_shell_before = ";&|(`'\"$";

bool is_srun(std::string_view line) {
  return any_command_word(line, {"srun", "mpirun", "mpiexec"}, k_shell_before);
}

// A launcher that starts several processes (srun, torchrun, "accelerate launch", ...).
bool is_multi_process(std::string_view line) {
  if (any_command_word(line, {"srun", "mpirun", "mpiexec", "torchrun", "deepspeed"},
                       k_shell_before) ||
      line.find("torch.distributed.run") != std::string_view::npos ||
      line.find("torch.distributed.launch") != std::string_view::npos) {
    return true;
  }
  for (auto at = line.find("accelerate"); at != std::string_view::npos;
       at = line.find("accelerate", at + 1)) {
    auto next = at + std::string_view("accelerate").size();
    const auto blanks = next;
    while (next < line.size() && is_space(line[next])) {
      ++next;
    }
    if (next > blanks && line.substr(next, 6) == "launch") {
      return true;
    }
  }
  return false;
}

bool is_program(std::string_view line) {
  return any_command_word(line, {"python", "python3", "apptainer", "singularity"}, ";&|(");
}

bool has_command(const std::vector<ScriptLine>& lines, bool (*matches)(std::string_view),
                 int* at = nullptr) {
  for (const auto& l : lines) {
    if (matches(l.text)) {
      if (at) {
        *at = l.line;
      }
      return true;
    }
  }
  return false;
}

class Linter {
 public:
  Linter(const System& s, const SbatchScript& script) : m_s(s), m_script(script) {}

  std::vector<Finding> run() {
    check_unread();
    const Partition* p = check_partition();
    const auto ask = gpu_ask(m_script);
    const NodeType& node = check_gpus(p, ask);
    read_shape();
    if (m_gpus_per_node > 0) {
      check_gpu_syntax(node);
      check_cpus(node);
      check_limits(p, node);
    }
    check_memory(p, node);
    check_account();
    check_launch();
    std::stable_sort(m_out.begin(), m_out.end(),
                     [](const Finding& a, const Finding& b) { return a.line < b.line; });
    return std::move(m_out);
  }

 private:
  void add(int line, Severity sev, std::string id, std::string message) {
    m_out.push_back({line, sev, std::move(id), std::move(message)});
  }

  // Where a missing directive belongs: after the last one.
  int directive_end() const {
    return m_script.directives.empty() ? 1 : m_script.directives.back().line;
  }

  void check_unread() {
    std::set<int> lines;
    for (const auto& d : m_script.ignored) {
      if (lines.insert(d.line).second) {
        add(d.line, Severity::warning, "ignored-directive",
            fmt::format("sbatch ignores this #SBATCH line: directives stop at the first command "
                        "(line {}); move it above line {}",
                        m_script.first_command_line, m_script.first_command_line));
      }
    }
    // sbatch refuses the whole script for an option it does not know.
    for (const auto& d : m_script.directives) {
      if (!d.known) {
        add(d.line, Severity::error, "unknown-option",
            fmt::format("sbatch has no option {} and refuses the script; check its spelling "
                        "(sbatch --help)",
                        d.spelling));
      } else if (!plugin_available(d.option)) {
        add(d.line, Severity::error, "unknown-option",
            fmt::format("{} comes from a Slurm plugin that {} does not have (the catalogue lists "
                        "no {} there), so sbatch refuses the script; remove it",
                        d.spelling, m_s.name,
                        d.option == "environment" ? "Container Engine" : "uenv"));
      }
    }
  }

  // Options that only a site's Slurm plugin adds: CSCS's uenv plugin
  // (--uenv, --view) and Container Engine (--environment). The catalogue
  // says which systems have them.
  bool plugin_available(const std::string& option) const {
    if (option == "uenv" || option == "view") {
      return m_s.environment.uenv.has_value();
    }
    if (option == "environment") {
      return m_s.environment.container_engine.has_value();
    }
    return true;
  }

  const Partition* check_partition() {
    std::vector<std::string> names;
    for (const auto& p : m_s.partitions) {
      names.push_back(p.name);
    }
    const auto* d = m_script.last("partition");
    if (!d) {
      add(directive_end(), Severity::warning, "partition",
          fmt::format("no --partition: the job goes to the site's default partition, which may "
                      "have no GPUs; add #SBATCH --partition=P with P one of {}",
                      fmt::join(names, ", ")));
      return nullptr;
    }
    // A list (-p a,b): the job runs in whichever starts it first; judge the first.
    const Partition* first = nullptr;
    for (const auto& name : split_at(d->value, ',')) {
      const Partition* p = m_s.find_partition(name);
      if (!p) {
        add(d->line, Severity::error, "partition",
            fmt::format("{} has no partition '{}';{} its GPU partitions are {}", m_s.name, name,
                        did_you_mean(name, names), fmt::join(names, ", ")));
      } else if (!first) {
        first = p;
      }
    }
    return first;
  }

  const NodeType& default_node(const Partition* p) const {
    if (p && !p->node_types.empty()) {
      if (const NodeType* n = m_s.find_node_type(p->node_types.front())) {
        return *n;
      }
    }
    return m_s.node_types.front();
  }

  const NodeType& check_gpus(const Partition* p, const std::optional<GpuAsk>& ask) {
    if (!ask) {
      add(directive_end(), Severity::warning, "no-gpus",
          fmt::format("no GPUs are requested, so the job gets none; add #SBATCH {}",
                      format_request(m_s, default_node(p).gpu_type, 1)));
      return default_node(p);
    }
    m_ask = *ask;
    const SbatchDirective& d = *ask->directive;
    if (ask->bad) {
      add(d.line, Severity::error, "bad-value",
          fmt::format("cannot read the GPU request {}; write it as {}", written(d),
                      format_request(m_s, default_node(p).gpu_type, 1)));
      return default_node(p);
    }
    const NodeType* node = nullptr;
    if (ask->type) {
      std::vector<std::string> types;
      for (const auto& n : m_s.node_types) {
        types.push_back(n.gpu_type);
        if (n.gpu_type == *ask->type) {
          node = &n;
        }
      }
      if (!node) {
        for (const auto& n : m_s.node_types) {
          if (lower_case(n.gpu_type) == lower_case(*ask->type)) {
            node = &n;
            add(d.line, Severity::error, "gpu-type",
                fmt::format("Slurm GPU types are case-sensitive: {} calls this GPU '{}', not "
                            "'{}'; write {}",
                            m_s.name, n.gpu_type, *ask->type,
                            format_request(m_s, n.gpu_type, ask->count)));
            break;
          }
        }
      }
      if (!node) {
        add(d.line, Severity::error, "gpu-type",
            fmt::format("{} has no GPU type '{}'; its GPU types are {}", m_s.name, *ask->type,
                        fmt::join(types, ", ")));
      }
    }
    const NodeType& chosen = node ? *node : default_node(p);
    return chosen;
  }

  void read_shape() {
    auto int_of = [this](const char* option) -> std::optional<int> {
      const auto* d = m_script.last(option);
      if (!d) {
        return std::nullopt;
      }
      // --nodes=MIN[-MAX]: the minimum is what the job needs.
      const std::string v = d->value.substr(0, d->value.find('-'));
      auto n = parse_count(v);
      if (!n || *n == 0) {
        add(d->line, Severity::error, "bad-value",
            fmt::format("cannot read {} as a positive count; write e.g. --{}=1", written(*d),
                        d->option));
        return std::nullopt;
      }
      return n;
    };
    m_nodes = int_of("nodes").value_or(1);
    const auto ntasks = int_of("ntasks");
    const auto per_node = int_of("ntasks-per-node");
    m_tasks_per_node = per_node ? *per_node : ntasks ? (*ntasks + m_nodes - 1) / m_nodes : 1;
    m_cpus_per_task = int_of("cpus-per-task");
    m_cpus_per_gpu = int_of("cpus-per-gpu");
    if (const auto* t = m_script.last("time")) {
      if (auto d = parse_duration(t->value)) {
        m_time = *d;
        m_time_line = t->line;
      } else if (t->value != "UNLIMITED" && t->value != "INFINITE") {
        add(t->line, Severity::error, "bad-value",
            fmt::format("cannot read {}: {}", written(*t), d.error().message));
      }
    }
    if (!m_ask.directive || m_ask.bad) {
      return;
    }
    const std::string& option = m_ask.directive->option;
    if (option == "gpus") {
      m_gpus_per_node = (m_ask.count + m_nodes - 1) / m_nodes;
    } else if (option == "gpus-per-task") {
      m_gpus_per_node = m_ask.count * m_tasks_per_node;
    } else {
      m_gpus_per_node = m_ask.count;
    }
  }

  void check_gpu_syntax(const NodeType& node) {
    const SbatchDirective& d = *m_ask.directive;
    const std::string fix = format_request(m_s, node.gpu_type, m_gpus_per_node);
    // Slurm itself takes any of its GPU options (the lab's sbatch accepts
    // --gres=gpu:4 on the LUMI replica): another site's form is a warning.
    if (d.option != m_s.gpu_request.option) {
      add(d.line, Severity::warning, "gpu-syntax",
          fmt::format("{} asks for GPUs with --{} ({}), not {}; use {}", m_s.name,
                      m_s.gpu_request.option, m_s.gpu_request.why, written(d), fix));
    } else if (!matches_format(m_s, m_ask)) {
      add(d.line, Severity::warning, "gpu-syntax",
          fmt::format("{} writes this request as {}, not {}; use {}", m_s.name, fix, written(d),
                      fix));
    }
  }

  void check_cpus(const NodeType& node) {
    const int advice = node.cpus_per_gpu;
    const auto* where = m_script.last("cpus-per-task");
    int cpus_node = 0;
    if (m_cpus_per_gpu) {
      cpus_node = *m_cpus_per_gpu * m_gpus_per_node;
      where = m_script.last("cpus-per-gpu");
    } else if (m_cpus_per_task) {
      cpus_node = *m_cpus_per_task * m_tasks_per_node;
    }
    const int want_per_task = std::max(1, advice * m_gpus_per_node / m_tasks_per_node);
    if (cpus_node == 0) {
      add(directive_end(), Severity::warning, "cpus-per-gpu",
          fmt::format("no --cpus-per-task: each task gets 1 CPU core, and the GPUs' data loaders "
                      "starve; {} advises {} per GPU ({}); add #SBATCH --cpus-per-task={}",
                      m_s.name, advice, node.why_cpus, want_per_task));
      return;
    }
    m_cpus_node = cpus_node;
    if (cpus_node > advice * m_gpus_per_node) {
      add(where->line, Severity::error, "cpus-per-gpu",
          fmt::format("{} CPU core{} for {} GPU{} per node is over {}'s {} per GPU ({}); use "
                      "--cpus-per-task={}",
                      cpus_node, cpus_node == 1 ? "" : "s", m_gpus_per_node,
                      m_gpus_per_node == 1 ? "" : "s", m_s.name, advice, node.why_cpus,
                      want_per_task));
    } else if (cpus_node * k_far_under_divisor < advice * m_gpus_per_node) {
      add(where->line, Severity::warning, "cpus-per-gpu",
          fmt::format("{} CPU core{} for {} GPU{} per node is far under {}'s advice of {} per "
                      "GPU ({}); use --cpus-per-task={}",
                      cpus_node, cpus_node == 1 ? "" : "s", m_gpus_per_node,
                      m_gpus_per_node == 1 ? "" : "s", m_s.name, advice, node.why_cpus,
                      want_per_task));
    }
  }

  void check_limits(const Partition* p, const NodeType& node) {
    const int line = m_ask.directive->line;
    if (m_gpus_per_node > node.gpus) {
      add(line, Severity::error, "gpus-limit",
          fmt::format("a {} {} node has {} GPUs, the script asks for {} per node; ask for at "
                      "most {} per node and more nodes",
                      m_s.name, node.gpu_type, node.gpus, m_gpus_per_node, node.gpus));
      return;
    }
    if (!p) {
      return;
    }
    // The planner's limits, for the shape the script asks for; CPUs as the
    // script asks for them.
    NodeType as_asked = node;
    if (m_cpus_node > 0) {
      as_asked.cpus_per_gpu = std::max(1, (m_cpus_node + m_gpus_per_node - 1) / m_gpus_per_node);
    }
    const Shape shape{m_nodes, m_gpus_per_node, as_asked, m_time};
    for (const Violation& v : violations(*p, shape)) {
      int at = line;
      if (v.id == "time-limit" && m_time_line > 0) {
        at = m_time_line;
      } else if (v.id == "nodes-limit" && m_script.last("nodes")) {
        at = m_script.last("nodes")->line;
      } else if (v.id == "gpu-type") {
        add(line, Severity::error, "gpu-type",
            fmt::format("{} partition {} has no {} nodes; use a partition that has them, or its "
                        "GPU type ({})",
                        m_s.name, p->name, node.gpu_type, fmt::join(p->node_types, ", ")));
        continue;
      }
      add(at, Severity::error, v.id, rejection(m_s, *p, shape, v));
    }
  }

  void check_memory(const Partition* p, const NodeType& node) {
    const MemoryPolicy policy = p && p->memory ? *p->memory : m_s.memory.policy;
    const SbatchDirective* mem = nullptr;
    for (const char* option : {"mem", "mem-per-cpu", "mem-per-gpu"}) {
      if (const auto* d = m_script.last(option)) {
        mem = d;
      }
    }
    if (policy == MemoryPolicy::site) {
      if (mem) {
        add(mem->line, Severity::warning, "memory",
            fmt::format("{} assigns memory with the GPUs{} ({}); remove {}", m_s.name,
                        p ? fmt::format(" on {}", p->name) : std::string(), m_s.memory.why,
                        written(*mem)));
      }
      return;
    }
    const int gpus = std::max(1, m_gpus_per_node);
    const Size want{m_s.memory.per_gpu.value_or(Size{}).mib * static_cast<std::uint64_t>(gpus)};
    if (!mem) {
      add(directive_end(), Severity::warning, "memory",
          fmt::format("no --mem: the job gets the partition's small default; {} asks for memory "
                      "per GPU ({}); add #SBATCH --mem={}",
                      m_s.name, m_s.memory.why, format_size(want)));
      return;
    }
    if (mem->option == "mem") {
      auto size = parse_size(mem->value);
      if (!size) {
        add(mem->line, Severity::error, "bad-value",
            fmt::format("cannot read {}; write e.g. --mem={}", written(*mem), format_size(want)));
      } else if (*size > node.memory) {
        add(mem->line, Severity::error, "memory",
            fmt::format("a {} {} node has {} for jobs, {} cannot run; use --mem={}", m_s.name,
                        node.gpu_type, format_size(node.memory), written(*mem), format_size(want)));
      }
    }
  }

  void check_account() {
    const AccountRule& rule = m_s.account;
    const auto* d = m_script.last("account");
    if (!d) {
      // Sites whose accounts have a documented form reject jobs without one.
      add(directive_end(), rule.pattern ? Severity::error : Severity::warning, "account",
          fmt::format("no --account ({}); add #SBATCH --account={} with your project",
                      rule.why.empty() ? std::string("the job is billed to your default account")
                                       : rule.why,
                      rule.placeholder));
      return;
    }
    if (d->value == rule.placeholder) {
      add(d->line, Severity::error, "account",
          fmt::format("--account={} is the placeholder; replace it with your project", d->value));
      return;
    }
    const auto form = account_form(m_s, d->value);
    if (!form) {
      add(d->line, Severity::error, "account", form.error().message);
    } else if (*form == AccountForm::differs) {
      add(d->line, Severity::error, "account",
          fmt::format("--account={} is not a {} account ({}): {} accounts look like {}", d->value,
                      m_s.name, rule.why, m_s.name, rule.placeholder));
    }
  }

  void check_launch() {
    if (m_script.commands.empty()) {
      return;
    }
    int program_line = 0;
    const bool srun = has_command(m_script.commands, is_srun);
    const bool multi = has_command(m_script.commands, is_multi_process);
    has_command(m_script.commands, is_program, &program_line);
    const int at = program_line > 0 ? program_line : m_script.first_command_line;
    if (m_nodes > 1 && !srun) {
      add(at, Severity::error, "no-srun",
          fmt::format("a {}-node job runs its batch script on the first node only, and nothing "
                      "here starts tasks on the others; start the program with srun (one task "
                      "per GPU, or one torchrun per node: {})",
                      m_nodes, m_s.launch.why));
    } else if (m_nodes * m_gpus_per_node > 1 && !multi) {
      add(at, Severity::warning, "single-process",
          fmt::format("{} GPUs, but one process starts the program (no srun or torchrun): it "
                      "drives them only if it spawns its own workers; start one process per GPU, "
                      "e.g. with {} ({})",
                      m_nodes * m_gpus_per_node, launcher_name(m_s.launch.multi_gpu),
                      m_s.launch.why));
    }
  }

  const System& m_s;
  const SbatchScript& m_script;
  std::vector<Finding> m_out;
  GpuAsk m_ask;
  int m_nodes = 1;
  int m_tasks_per_node = 1;
  int m_gpus_per_node = 0;
  int m_cpus_node = 0;
  std::optional<int> m_cpus_per_task;
  std::optional<int> m_cpus_per_gpu;
  Duration m_time{};
  int m_time_line = 0;
};

}  // namespace

std::string_view to_string(Severity s) {
  switch (s) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::note:
      return "note";
  }
  return "error";
}

std::vector<Finding> check_script(const System& system, const SbatchScript& script) {
  return Linter(system, script).run();
}

}  // namespace mlsub
