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
#include "mlsub/words.hpp"
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

// ---- The job a script describes -----------------------------------------

/// What a script asks for, read once from its directives; the checks below
/// are free functions over it.
struct ScriptShape {
  const Partition* partition = nullptr;  // named (the first of a list), or the site's default
  bool partition_named = false;
  const NodeType* node = nullptr;  // from the GPU type, else the partition's first
  std::optional<GpuAsk> ask;
  bool gpus_implicit = false;  // no GPU option, yet the job sees every GPU of its nodes
  int nodes = 1;
  int tasks_per_node = 1;
  int gpus_per_node = 0;
  int cpus_node = 0;  // CPUs per node the script asks for; 0: it does not say
  std::optional<int> cpus_per_task;
  std::optional<int> cpus_per_gpu;
  Duration time{};
  int time_line = 0;
  long long jobs = 1;     // the tasks of its --array: each a job to per-user limits
  int directive_end = 1;  // where a missing directive belongs: after the last one
};

// The tasks of an --array value: "0-9", "1,3,5-7", "0-20:2", "0-99%10"
// (the %N throttle does not matter: pending tasks count). 1 when unread.
long long array_tasks(std::string_view value) {
  value = value.substr(0, value.find('%'));
  long long tasks = 0;
  for (const auto& range : split_at(value, ',')) {
    const auto colon = range.find(':');
    const auto step = colon == std::string::npos ? std::optional<int>(1)
                                                 : parse_count(range.substr(colon + 1));
    const std::string span = range.substr(0, colon);
    const auto dash = span.find('-');
    const auto first = parse_count(span.substr(0, dash));
    const auto last = dash == std::string::npos ? first : parse_count(span.substr(dash + 1));
    if (!first || !last || !step || *step == 0 || *last < *first) {
      return 1;
    }
    tasks += (*last - *first) / *step + 1;
  }
  return std::max(1LL, tasks);
}

using Out = std::vector<Finding>;

void add(Out& out, int line, Severity sev, std::string id, std::string message,
         std::vector<FixEdit> fix = {}) {
  out.push_back({line, sev, std::move(id), std::move(message), std::move(fix)});
}

const NodeType& default_node(const System& s, const Partition* p) {
  if (p && !p->node_types.empty()) {
    if (const NodeType* n = s.find_node_type(p->node_types.front())) {
      return *n;
    }
  }
  return s.node_types.front();
}

// The gres entries of the script's last --gres other than GPUs (nvme:100).
std::vector<std::string> other_gres(const SbatchScript& script) {
  std::vector<std::string> out;
  if (const auto* d = script.last("gres")) {
    for (auto& entry : split_at(d->value, ',')) {
      if (split_at(entry, ':').front() != "gpu" && !entry.empty()) {
        out.push_back(entry);
      }
    }
  }
  return out;
}

// The edits that make the GPU request the site's own form for `count` GPUs
// of `type` per node, keeping other GRES (node-local disk).
std::vector<FixEdit> gpu_fix(const System& s, const SbatchScript& script, const std::string& type,
                             int count) {
  std::vector<FixEdit> edits;
  auto gres = other_gres(script);
  const std::string value = format_request_value(s, type, count);
  for (const char* option : {"gpus", "gpus-per-node", "gpus-per-task"}) {
    if (option != s.gpu_request.option && script.last(option)) {
      edits.push_back({option, std::nullopt});
    }
  }
  if (s.gpu_request.option == "gres") {
    gres.push_back(value);
    edits.push_back({"gres", fmt::format("{}", fmt::join(gres, ","))});
    return edits;
  }
  if (script.last("gres")) {
    edits.push_back({"gres", gres.empty() ? std::nullopt
                                          : std::optional<std::string>(
                                                fmt::format("{}", fmt::join(gres, ",")))});
  }
  edits.push_back({s.gpu_request.option, value});
  return edits;
}

std::optional<int> read_count(const SbatchScript& script, const char* option, Out& out) {
  const auto* d = script.last(option);
  if (!d) {
    return std::nullopt;
  }
  // --nodes=MIN[-MAX]: the minimum is what the job needs.
  auto n = parse_count(d->value.substr(0, d->value.find('-')));
  if (!n || *n == 0) {
    add(out, d->line, Severity::error, "bad-value",
        fmt::format("cannot read {} as a positive count; write e.g. --{}=1", written(*d),
                    d->option));
    return std::nullopt;
  }
  return n;
}

// The partition, read and checked: an unknown name is an error.
void read_partition(const System& s, const SbatchScript& script, ScriptShape& shape, Out& out) {
  const std::vector<std::string> names = s.partition_names();
  const auto* d = script.last("partition");
  if (!d) {
    for (const auto& p : s.partitions) {
      if (p.is_default) {
        shape.partition = &p;
      }
    }
    return;
  }
  shape.partition_named = true;
  // A list (-p a,b): the job runs in whichever starts it first; judge the first.
  for (const auto& name : split_at(d->value, ',')) {
    const Partition* p = s.find_partition(name);
    if (!p) {
      add(out, d->line, Severity::error, "partition",
          fmt::format("{} has no partition '{}';{} its GPU partitions are {}", s.name, name,
                      did_you_mean(name, names), fmt::join(names, ", ")));
    } else if (!shape.partition) {
      shape.partition = p;
    }
  }
}

// The node type the GPU request names (an unknown type is an error).
const NodeType& read_gpu_type(const System& s, const SbatchScript& script,
                              const ScriptShape& shape, Out& out) {
  const NodeType& fallback = default_node(s, shape.partition);
  if (!shape.ask || !shape.ask->type) {
    return fallback;
  }
  const GpuAsk& ask = *shape.ask;
  const SbatchDirective& d = *ask.directive;
  for (const auto& n : s.node_types) {
    if (n.gpu_type == *ask.type) {
      return n;
    }
  }
  for (const auto& n : s.node_types) {
    if (lower_case(n.gpu_type) == lower_case(*ask.type)) {
      add(out, d.line, Severity::error, "gpu-type",
          fmt::format("Slurm GPU types are case-sensitive: {} calls this GPU '{}', not '{}'; "
                      "write {}",
                      s.name, n.gpu_type, *ask.type, format_request(s, n.gpu_type, ask.count)),
          gpu_fix(s, script, n.gpu_type, std::max(1, ask.count)));
      return n;
    }
  }
  add(out, d.line, Severity::error, "gpu-type",
      fmt::format("{} has no GPU type '{}'; its GPU types are {}", s.name, *ask.type,
                  fmt::join(s.gpu_types(), ", ")),
      gpu_fix(s, script, fallback.gpu_type, std::max(1, ask.count)));
  return fallback;
}

ScriptShape read_shape(const System& s, const SbatchScript& script, Out& out) {
  ScriptShape shape;
  shape.directive_end = script.directives.empty() ? 1 : script.directives.back().line;
  read_partition(s, script, shape, out);
  shape.ask = gpu_ask(script);
  if (shape.ask && shape.ask->bad) {
    const SbatchDirective& d = *shape.ask->directive;
    const NodeType& n = default_node(s, shape.partition);
    add(out, d.line, Severity::error, "bad-value",
        fmt::format("cannot read the GPU request {}; write it as {}", written(d),
                    format_request(s, n.gpu_type, 1)),
        gpu_fix(s, script, n.gpu_type, 1));
  }
  shape.node = &read_gpu_type(s, script, shape, out);
  shape.nodes = read_count(script, "nodes", out).value_or(1);
  const auto ntasks = read_count(script, "ntasks", out);
  const auto per_node = read_count(script, "ntasks-per-node", out);
  shape.tasks_per_node =
      per_node ? *per_node : ntasks ? (*ntasks + shape.nodes - 1) / shape.nodes : 1;
  shape.cpus_per_task = read_count(script, "cpus-per-task", out);
  shape.cpus_per_gpu = read_count(script, "cpus-per-gpu", out);
  if (const auto* a = script.last("array")) {
    shape.jobs = array_tasks(a->value);
  }
  if (const auto* t = script.last("time")) {
    if (auto d = parse_duration(t->value)) {
      shape.time = *d;
      shape.time_line = t->line;
    } else if (t->value != "UNLIMITED" && t->value != "INFINITE") {
      add(out, t->line, Severity::error, "bad-value",
          fmt::format("cannot read {}: {}", written(*t), d.error().message));
    }
  }
  if (!shape.ask) {
    if (s.gpu_request.all_gpus_without_request) {
      shape.gpus_implicit = true;
      shape.gpus_per_node = shape.node->gpus;
    }
  } else if (!shape.ask->bad) {
    const std::string& option = shape.ask->directive->option;
    if (option == "gpus") {
      shape.gpus_per_node = (shape.ask->count + shape.nodes - 1) / shape.nodes;
    } else if (option == "gpus-per-task") {
      shape.gpus_per_node = shape.ask->count * shape.tasks_per_node;
    } else {
      shape.gpus_per_node = shape.ask->count;
    }
  }
  if (shape.cpus_per_gpu) {
    shape.cpus_node = *shape.cpus_per_gpu * shape.gpus_per_node;
  } else if (shape.cpus_per_task) {
    shape.cpus_node = *shape.cpus_per_task * shape.tasks_per_node;
  }
  return shape;
}

// ---- The checks ------------------------------------------------------------

void check_retired(const System& s, Out& out) {
  if (s.retired) {
    std::string note = s.retired->note;
    while (!note.empty() && (note.back() == '.' || note.back() == ' ')) {
      note.pop_back();
    }
    add(out, 1, Severity::warning, "retired",
        fmt::format("{} was retired on {} and runs no new jobs ({}); move the job to {} "
                    "(mlsub plan --system {} ...)",
                    s.name, s.retired->date, note, s.retired->successor,
                    s.retired->successor));
  }
}

// Options that only a site's Slurm plugin adds: CSCS's uenv plugin
// (--uenv, --view) and Container Engine (--environment). The catalogue
// says which systems have them.
bool plugin_available(const System& s, const std::string& option) {
  if (option == "uenv" || option == "view") {
    return s.environment.uenv.has_value();
  }
  if (option == "environment") {
    return s.environment.container_engine.has_value();
  }
  return true;
}

void check_unread(const System& s, const SbatchScript& script, Out& out) {
  std::set<int> lines;
  for (const auto& d : script.ignored) {
    if (lines.insert(d.line).second) {
      add(out, d.line, Severity::warning, "ignored-directive",
          fmt::format("sbatch ignores this #SBATCH line: directives stop at the first command "
                      "(line {}); move it above line {}",
                      script.first_command_line, script.first_command_line));
    }
  }
  // sbatch refuses the whole script for an option it does not know.
  for (const auto& d : script.directives) {
    if (!d.known) {
      add(out, d.line, Severity::error, "unknown-option",
          fmt::format("sbatch has no option {} and refuses the script; check its spelling "
                      "(sbatch --help)",
                      d.spelling));
    } else if (!plugin_available(s, d.option)) {
      add(out, d.line, Severity::error, "unknown-option",
          fmt::format("{} comes from a Slurm plugin that {} does not have (the catalogue lists "
                      "no {} there), so sbatch refuses the script; remove it",
                      d.spelling, s.name,
                      d.option == "environment" ? "Container Engine" : "uenv"),
          {{d.option, std::nullopt}});
    }
  }
}

Shape limits_shape(const ScriptShape& shape, NodeType& as_asked) {
  as_asked = *shape.node;
  if (shape.cpus_node > 0 && shape.gpus_per_node > 0) {
    as_asked.cpus_per_gpu =
        std::max(1, (shape.cpus_node + shape.gpus_per_node - 1) / shape.gpus_per_node);
  }
  return Shape{shape.nodes, std::max(1, shape.gpus_per_node), as_asked, shape.time, shape.jobs};
}

// A partition the planner could choose by itself for this shape, billed
// per GPU when `shared` is set.
const Partition* fitting_partition(const System& s, const ScriptShape& shape, bool shared) {
  NodeType as_asked;
  const Shape sh = limits_shape(shape, as_asked);
  for (const auto& p : s.partitions) {
    if (p.auto_select == AutoSelect::never || (shared && p.whole_node) ||
        (p.auto_max_time && shape.time.seconds == 0)) {
      continue;
    }
    if (violations(p, sh).empty() && auto_eligible(p, sh)) {
      return &p;
    }
  }
  return nullptr;
}

void check_missing_partition(const System& s, const ScriptShape& shape, Out& out) {
  if (shape.partition_named || shape.partition) {
    return;  // named, or the site's default partition is a GPU partition
  }
  std::vector<std::string> names;
  for (const auto& p : s.partitions) {
    names.push_back(p.name);
  }
  const Partition* fit = fitting_partition(s, shape, false);
  add(out, shape.directive_end, Severity::warning, "partition",
      fmt::format("no --partition: the job goes to {}'s default partition, which is not one of "
                  "its GPU partitions; add #SBATCH --partition=P with P one of {}",
                  s.name, fmt::join(names, ", ")),
      fit ? std::vector<FixEdit>{{"partition", fit->name}} : std::vector<FixEdit>{});
}

void check_gpu_request(const System& s, const SbatchScript& script, const ScriptShape& shape,
                       Out& out) {
  if (!shape.ask) {
    if (!shape.gpus_implicit) {
      const std::string& type = shape.node->gpu_type;
      add(out, shape.directive_end, Severity::warning, "no-gpus",
          fmt::format("no GPUs are requested, so the job gets none; add #SBATCH {}",
                      format_request(s, type, 1)),
          gpu_fix(s, script, type, 1));
    }
    return;
  }
  const GpuAsk& ask = *shape.ask;
  const SbatchDirective& d = *ask.directive;
  // --gpus-per-task means more than its count: each task sees only its own
  // GPUs (CSCS documents it as the way to give each rank its GPU).
  if (ask.bad || d.option == "gpus-per-task" || shape.gpus_per_node <= 0) {
    return;
  }
  const std::string fix = format_request(s, shape.node->gpu_type, shape.gpus_per_node);
  const bool wants_type = s.gpu_request.format.find("{type}") != std::string::npos;
  // The GPU types the job could land on: the partition's, else the system's.
  std::vector<std::string> types;
  for (const auto& n : s.node_types) {
    if (!shape.partition || shape.partition->has_node_type(n.name)) {
      types.push_back(n.gpu_type);
    }
  }
  if (wants_type && !ask.type && types.size() > 1) {
    add(out, d.line, Severity::warning, "gpu-syntax",
        fmt::format("{} names no GPU type, so the job may get any of {}'s ({}); name the type, "
                    "e.g. {}",
                    written(d), s.name, fmt::join(types, ", "), fix),
        gpu_fix(s, script, shape.node->gpu_type, shape.gpus_per_node));
  } else if (d.option != s.gpu_request.option || !matches_format(s, ask)) {
    // Slurm takes any of its GPU options and they mean the same here: the
    // site's own form is advice, not a problem.
    add(out, d.line, Severity::note, "gpu-syntax",
        fmt::format("{} means the same as {}, the form {} documents ({})", written(d), fix,
                    s.name, s.gpu_request.why),
        gpu_fix(s, script, shape.node->gpu_type, shape.gpus_per_node));
  }
}

void check_cpus(const System& s, const SbatchScript& script, const ScriptShape& shape, Out& out) {
  if (shape.gpus_per_node <= 0 || shape.gpus_implicit) {
    return;  // no GPUs asked for: no CPUs per GPU to judge
  }
  const NodeType& node = *shape.node;
  const int advice = node.cpus_per_gpu;
  const int want_per_task =
      std::max(1, advice * shape.gpus_per_node / std::max(1, shape.tasks_per_node));
  std::vector<FixEdit> fix;
  if (script.last("cpus-per-gpu")) {
    fix = {{"cpus-per-gpu", std::nullopt}};
  }
  fix.push_back({"cpus-per-task", std::to_string(want_per_task)});
  if (shape.cpus_node == 0) {
    // No CPU request: what the job gets is the site's Slurm default, which
    // the catalogue does not record (Slurm's own is one CPU per task; Alps
    // gives more, and no C3SE example sets -c). Say nothing rather than
    // state it as a fact (issue 15).
    return;
  }
  const auto* where = script.last(shape.cpus_per_gpu ? "cpus-per-gpu" : "cpus-per-task");
  const int line = where ? where->line : shape.directive_end;
  const std::string asked = fmt::format("{} for {} per node", plural(shape.cpus_node, "CPU core"),
                                        plural(shape.gpus_per_node, "GPU"));
  if (shape.cpus_node > advice * shape.gpus_per_node) {
    add(out, line, Severity::error, "cpus-per-gpu",
        fmt::format("{} is over {}'s {} per GPU ({}); use --cpus-per-task={}", asked, s.name,
                    advice, node.why_cpus, want_per_task),
        fix);
  } else if (shape.cpus_node * k_far_under_divisor < advice * shape.gpus_per_node) {
    add(out, line, Severity::warning, "cpus-per-gpu",
        fmt::format("{} is far under {}'s advice of {} per GPU ({}); use --cpus-per-task={}",
                    asked, s.name, advice, node.why_cpus, want_per_task),
        fix);
  }
}

void check_limits(const System& s, const SbatchScript& script, const ScriptShape& shape,
                  Out& out) {
  if (shape.gpus_per_node <= 0 || !shape.ask) {
    return;
  }
  const NodeType& node = *shape.node;
  const int line = shape.ask->directive->line;
  if (shape.gpus_per_node > node.gpus) {
    add(out, line, Severity::error, "gpus-limit",
        fmt::format("{} {} node has {}, the script asks for {} per node; ask for at most "
                    "{} per node and more nodes",
                    with_article(s.name), node.gpu_type, plural(node.gpus, "GPU"),
                    shape.gpus_per_node, node.gpus));
    return;
  }
  // A MIG slice type (Mahti's a100_1g.5gb): at most max_per_job per job.
  if (node.max_per_job && shape.nodes * shape.gpus_per_node > *node.max_per_job) {
    add(out, line, Severity::error, "gpus-limit",
        fmt::format("{} allows at most {} {} per job, the script asks for {}; ask for {}", s.name,
                    *node.max_per_job, node.gpu_type, shape.nodes * shape.gpus_per_node,
                    *node.max_per_job));
  }
  const Partition* p = shape.partition;
  if (!p) {
    return;
  }
  NodeType as_asked;
  const Shape sh = limits_shape(shape, as_asked);
  for (const Violation& v : violations(*p, sh)) {
    int at = line;
    if (v.id == "time-limit" && shape.time_line > 0) {
      at = shape.time_line;
    } else if (v.id == "jobs-limit" && script.last("array")) {
      at = script.last("array")->line;
    } else if (v.id == "nodes-limit" && script.last("nodes")) {
      at = script.last("nodes")->line;
    } else if (v.id == "gpu-type") {
      add(out, line, Severity::error, "gpu-type",
          fmt::format("{} partition {} has no {} nodes; use a partition that has them, or its "
                      "GPU type ({})",
                      s.name, p->name, node.gpu_type, fmt::join(p->node_types, ", ")));
      continue;
    }
    add(out, at, Severity::error, v.id, rejection(s, *p, sh, v));
  }
  // Billed for the whole node, used in part (plan says the same).
  if (p->whole_node && shape.gpus_per_node < node.gpus) {
    const Partition* shared = fitting_partition(s, shape, true);
    add(out, line, Severity::warning, "whole-node",
        fmt::format("{} gives whole nodes: the job is billed for {} GPUs per node and uses {}; {}",
                    p->name, node.gpus, shape.gpus_per_node,
                    shared ? fmt::format("use --partition={}, billed per GPU", shared->name)
                           : fmt::format("ask for all {} and use them", node.gpus)),
        shared ? std::vector<FixEdit>{{"partition", shared->name}} : std::vector<FixEdit>{});
  }
}

void check_memory(const System& s, const ScriptShape& shape, const SbatchScript& script,
                  Out& out) {
  const Partition* p = shape.partition;
  const NodeType& node = *shape.node;
  const MemoryPolicy policy = p && p->memory ? *p->memory : s.memory.policy;
  const SbatchDirective* mem = nullptr;
  for (const auto& d : script.directives) {  // Slurm takes the last of the three
    if (d.option == "mem" || d.option == "mem-per-cpu" || d.option == "mem-per-gpu") {
      mem = &d;
    }
  }
  const int gpus = std::max(1, shape.gpus_per_node);
  const Size want{s.memory.per_gpu.value_or(Size{}).mib * static_cast<std::uint64_t>(gpus)};
  if (!mem) {
    if (policy == MemoryPolicy::per_gpu) {
      add(out, shape.directive_end, Severity::warning, "memory",
          fmt::format("no --mem: the job gets the partition's small default; {} asks for memory "
                      "per GPU ({}); add #SBATCH --mem={}",
                      s.name, s.memory.why, format_size(want)),
          {{"mem", format_size(want)}});
    }
    return;
  }
  auto size = parse_size(mem->value);
  if (!size) {
    add(out, mem->line, Severity::error, "bad-value",
        fmt::format("cannot read {}; write e.g. --mem={}", written(*mem),
                    format_size(policy == MemoryPolicy::per_gpu ? want : node.memory)));
    return;
  }
  std::uint64_t times = 1;
  std::string per;
  if (mem->option == "mem-per-gpu") {
    times = static_cast<std::uint64_t>(gpus);
    per = fmt::format(" x {}", plural(gpus, "GPU"));
  } else if (mem->option == "mem-per-cpu") {
    const int cpus = shape.cpus_node > 0 ? shape.cpus_node : shape.tasks_per_node;
    times = static_cast<std::uint64_t>(cpus);
    per = fmt::format(" x {}", plural(cpus, "CPU"));
  }
  const Size total{size->mib * times};
  if (total.mib > node.memory.mib) {
    std::vector<FixEdit> fix{{mem->option, std::nullopt}};
    if (policy == MemoryPolicy::per_gpu) {
      fix.push_back({"mem", format_size(want)});
    }
    add(out, mem->line, Severity::error, "memory",
        fmt::format("{}{} is {} per node; {} {} node has {} for jobs, so the job cannot run; "
                    "{}",
                    written(*mem), per, format_size(total), with_article(s.name), node.gpu_type,
                    format_size(node.memory),
                    policy == MemoryPolicy::per_gpu
                        ? fmt::format("use --mem={}", format_size(want))
                        : fmt::format("remove it ({})", s.memory.why)),
        fix);
  }
}

// Node-local disk reserved as GRES (CSC's nvme:GB): at most what a node has.
void check_local_disk(const System& s, const ScriptShape& shape, const SbatchScript& script,
                      Out& out) {
  const auto* d = script.last("gres");
  if (!d) {
    return;
  }
  const NodeType& node = *shape.node;
  std::vector<std::string> kept;
  std::optional<std::string> problem;
  for (const auto& entry : split_at(d->value, ',')) {
    const auto parts = split_at(entry, ':');
    if (parts.front() != "nvme") {
      kept.push_back(entry);
      continue;
    }
    if (!node.local_disk_gres || *node.local_disk_gres != "nvme" || !node.local_disk_max) {
      problem = fmt::format("{} {} nodes have no node-local disk to reserve with --gres=nvme "
                            "(Slurm refuses the job); remove nvme:{}",
                            s.name, node.gpu_type, parts.size() > 1 ? parts[1] : "");
      continue;
    }
    const auto gb = parts.size() > 1 ? parse_count(parts[1]) : std::nullopt;
    const std::uint64_t max_gb = node.local_disk_max->mib / 1024;
    if (gb && static_cast<std::uint64_t>(*gb) > max_gb) {
      problem = fmt::format("{} asks for {} GB of node-local disk; {} node has at most {} GB; "
                            "use nvme:{}",
                            entry, *gb, with_article(s.name), max_gb, max_gb);
      kept.push_back(fmt::format("nvme:{}", max_gb));
    } else {
      kept.push_back(entry);
    }
  }
  if (problem) {
    add(out, d->line, Severity::error, "local-disk", *problem,
        {{"gres", kept.empty() ? std::nullopt
                               : std::optional<std::string>(fmt::format("{}", fmt::join(kept, ",")))}});
  }
}

// The forms the sites write where the user must put their project:
// <ACCOUNT>, <project>, project_xxxxxxxxx, project_46YXXXXXX, ACCOUNT.
bool is_placeholder_account(const AccountRule& rule, std::string_view value) {
  if (value == rule.placeholder || value.find('<') != std::string_view::npos ||
      value.find('>') != std::string_view::npos) {
    return true;
  }
  const std::string lower = lower_case(value);
  for (const char* word : {"account", "project", "your_project", "yourproject", "my_project",
                           "myproject", "project_id", "projectid", "your_account"}) {
    if (lower == word) {
      return true;
    }
  }
  return lower.find("xxx") != std::string::npos || lower.find("yyyy") != std::string::npos;
}

void check_account(const System& s, const ScriptShape& shape, const SbatchScript& script,
                   Out& out) {
  const AccountRule& rule = s.account;
  const auto* d = script.last("account");
  if (!d) {
    // Sites that require an account reject jobs without one (an error where
    // the account has a documented form); where the site bills a default
    // project (CSCS: "no longer required"), nothing is missing.
    if (rule.required) {
      add(out, shape.directive_end, rule.pattern ? Severity::error : Severity::warning, "account",
          fmt::format("no --account ({}); add #SBATCH --account={} with your project",
                      rule.why, rule.placeholder));
    }
    return;
  }
  if (is_placeholder_account(rule, d->value)) {
    add(out, d->line, Severity::error, "account",
        fmt::format("--account={} is a placeholder; replace it with your project{}", d->value,
                    rule.pattern ? fmt::format(" ({})", rule.why) : std::string()));
    return;
  }
  const auto form = account_form(s, d->value);
  if (!form) {
    add(out, d->line, Severity::error, "account", form.error().message);
  } else if (*form == AccountForm::differs) {
    add(out, d->line, Severity::error, "account",
        fmt::format("--account={} is not {} account ({}): {} accounts look like {}", d->value,
                    with_article(s.name), rule.why, s.name, rule.placeholder));
  }
}

// ---- The launch --------------------------------------------------------

// A program that starts its own processes, one per GPU.
std::optional<std::string> launcher_in(std::string_view line) {
  if (has_command_word(line, "torchrun", k_shell_before)) {
    return "torchrun";
  }
  if (line.find("torch.distributed.run") != std::string_view::npos) {
    return "python -m torch.distributed.run";
  }
  if (line.find("torch.distributed.launch") != std::string_view::npos) {
    return "python -m torch.distributed.launch";
  }
  if (has_command_word(line, "deepspeed", k_shell_before)) {
    return "deepspeed";
  }
  if (has_command_word(line, "accelerate", k_shell_before) &&
      line.find("launch") != std::string_view::npos) {
    return "accelerate launch";
  }
  return std::nullopt;
}

// The value of `--name=V` or `--name V` on a command line.
std::optional<std::string> option_value(std::string_view line,
                                        std::initializer_list<std::string_view> names) {
  for (const auto name : names) {
    for (auto at = line.find(name); at != std::string_view::npos; at = line.find(name, at + 1)) {
      auto v = at + name.size();
      if (v >= line.size() || (line[v] != '=' && !is_space(line[v]))) {
        continue;
      }
      ++v;
      while (v < line.size() && is_space(line[v])) {
        ++v;
      }
      auto e = v;
      while (e < line.size() && !is_space(line[e]) && line[e] != '\'' && line[e] != '"' &&
             line[e] != ';') {
        ++e;
      }
      return std::string(line.substr(v, e - v));
    }
  }
  return std::nullopt;
}

// Processes a launcher line starts per task: --nproc_per_node=N, else one
// per GPU of the node (torchrun's "gpu", or a variable).
int launcher_processes(std::string_view line, int gpus_per_node) {
  const auto v = option_value(
      line, {"--nproc_per_node", "--nproc-per-node", "--num_processes", "--num_gpus"});
  if (v) {
    if (auto n = parse_count(*v)) {
      return *n;
    }
  }
  return std::max(1, gpus_per_node);
}

int srun_tasks_per_node(std::string_view line, int fallback) {
  if (auto v = option_value(line, {"--ntasks-per-node"})) {
    if (auto n = parse_count(*v)) {
      return *n;
    }
  }
  return fallback;
}

// `VAR=$SLURM_LOCALID` (or ${SLURM_LOCALID}, \$SLURM_LOCALID in a here-document).
bool assigns_localid(std::string_view line, std::string_view var) {
  for (auto at = line.find(var); at != std::string_view::npos; at = line.find(var, at + 1)) {
    if (at > 0 && (std::isalnum(static_cast<unsigned char>(line[at - 1])) || line[at - 1] == '_')) {
      continue;
    }
    auto v = at + var.size();
    if (v >= line.size() || line[v] != '=') {
      continue;
    }
    ++v;
    while (v < line.size() && (line[v] == '\\' || line[v] == '$' || line[v] == '{' ||
                               line[v] == '"')) {
      ++v;
    }
    if (line.substr(v, 13) == "SLURM_LOCALID") {
      return true;
    }
  }
  return false;
}

// The script's commands as the shell reads them: a line ending in a
// backslash, or inside an open double quote (srun ... bash -c "...), goes on
// on the next line. Each keeps the number of its first line.
std::vector<ScriptLine> logical_lines(const std::vector<ScriptLine>& lines) {
  std::vector<ScriptLine> out;
  bool open = false;
  for (const auto& l : lines) {
    std::string_view text = l.text;
    if (open) {
      out.back().text += ' ';
      out.back().text += text;
    } else {
      out.push_back(l);
    }
    bool quoted = false;
    const std::string& all = out.back().text;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (all[i] == '\\') {
        ++i;
      } else if (all[i] == '"') {
        quoted = !quoted;
      }
    }
    open = quoted || (!text.empty() && text.back() == '\\');
    if (!open) {
      continue;
    }
    if (!quoted && !out.back().text.empty()) {
      out.back().text.pop_back();  // the backslash
    }
  }
  return out;
}

// A multi-node job with no srun, or several GPUs driven by one process.
void check_starts_tasks(const System& s, const SbatchScript& script, const ScriptShape& shape,
                        Out& out) {
  int program_line = 0;
  const bool srun = has_command(script.commands, is_srun);
  const bool multi = has_command(script.commands, is_multi_process);
  has_command(script.commands, is_program, &program_line);
  const int at = program_line > 0 ? program_line : script.first_command_line;
  // GPUs the script asked for (a job that sees its nodes' GPUs without
  // asking may mean to use one).
  const int gpus = shape.gpus_implicit ? 0 : shape.nodes * shape.gpus_per_node;
  if (shape.nodes > 1 && !srun) {
    add(out, at, Severity::error, "no-srun",
        fmt::format("{} {}-node job runs its batch script on the first node only, and nothing "
                    "here starts tasks on the others; start the program with srun (one task "
                    "per GPU, or one torchrun per node: {})",
                    article(std::to_string(shape.nodes)), shape.nodes, s.launch.why));
  } else if (gpus > 1 && !multi) {
    add(out, at, Severity::warning, "single-process",
        fmt::format("{} GPUs, but one process starts the program (no srun or torchrun): it "
                    "drives them only if it spawns its own workers; start one process per GPU, "
                    "e.g. with {} ({})",
                    gpus, launcher_name(s.launch.multi_gpu), s.launch.why));
  }
}

// A launcher started once per GPU: N x N processes. Returns the processes
// per node the launch lines start.
int check_launcher_per_gpu(const SbatchScript& script, const std::vector<ScriptLine>& commands,
                           const ScriptShape& shape, Out& out) {
  int processes_per_node = has_command(script.commands, is_srun) ? shape.tasks_per_node : 1;
  for (const auto& l : commands) {
    const auto launcher = launcher_in(l.text);
    if (!launcher) {
      continue;
    }
    const int nproc = launcher_processes(l.text, shape.gpus_per_node);
    const int tasks = is_srun(l.text) ? srun_tasks_per_node(l.text, shape.tasks_per_node) : 1;
    processes_per_node = tasks * nproc;
    if (tasks > 1 && nproc > 1) {
      std::vector<FixEdit> fix;
      if (!option_value(l.text, {"--ntasks-per-node"}) && shape.ask &&
          shape.ask->directive->option != "gpus-per-task") {
        if (script.last("ntasks")) {
          fix.push_back({"ntasks", std::nullopt});
        }
        fix.push_back({"ntasks-per-node", "1"});
        if (shape.cpus_per_task) {
          fix.push_back({"cpus-per-task", std::to_string(*shape.cpus_per_task * tasks)});
        }
      }
      add(out, l.line, Severity::error, "launcher-per-gpu",
          fmt::format("{} starts {} processes itself, and srun starts it {} times per node: {} "
                      "processes for {}; run one {} per node (--ntasks-per-node=1), or let "
                      "srun start one task per GPU without it",
                      *launcher, nproc, tasks, tasks * nproc,
                      plural(shape.gpus_per_node, "GPU"), *launcher),
          fix);
    }
  }
  return processes_per_node;
}

// Each task sees only its own GPU (as device 0), yet LOCAL_RANK counts
// the tasks of the node: set_device(LOCAL_RANK) fails on all but the first.
void check_local_rank(const std::vector<ScriptLine>& commands, const ScriptShape& shape,
                      Out& out) {
  const SbatchDirective* per_task_directive =
      shape.ask && shape.ask->directive->option == "gpus-per-task" ? shape.ask->directive
                                                                   : nullptr;
  int visibility_line = per_task_directive ? per_task_directive->line : 0;
  int local_rank_line = 0;
  int tasks = shape.tasks_per_node;
  for (const auto& l : commands) {
    if (visibility_line == 0 &&
        (assigns_localid(l.text, "ROCR_VISIBLE_DEVICES") ||
         assigns_localid(l.text, "CUDA_VISIBLE_DEVICES") ||
         assigns_localid(l.text, "HIP_VISIBLE_DEVICES") ||
         (is_srun(l.text) && option_value(l.text, {"--gpus-per-task"})))) {
      visibility_line = l.line;
    }
    if (local_rank_line == 0 && assigns_localid(l.text, "LOCAL_RANK")) {
      local_rank_line = l.line;
    }
    if (is_srun(l.text)) {
      tasks = std::max(tasks, srun_tasks_per_node(l.text, shape.tasks_per_node));
    }
  }
  if (visibility_line > 0 && local_rank_line > 0 && tasks > 1) {
    add(out, local_rank_line, Severity::error, "local-rank",
        fmt::format("each task sees only its own GPU, as device 0 (line {}), but LOCAL_RANK="
                    "$SLURM_LOCALID counts the {} tasks of the node: torch.cuda.set_device("
                    "LOCAL_RANK) fails on every task but the first; keep every GPU of the node "
                    "visible (what the LUMI AI Guide and CSCS's PyTorch examples do) or set "
                    "LOCAL_RANK=0",
                    visibility_line, tasks));
  }
}

// OpenMP threads x processes over the CPUs of the node.
void check_threads(const std::vector<ScriptLine>& commands, const ScriptShape& shape,
                   int processes_per_node, Out& out) {
  int cpus = shape.cpus_node;
  if (cpus == 0 && shape.partition && shape.partition->whole_node) {
    cpus = shape.node->cores;
  }
  if (cpus == 0) {
    return;
  }
  for (const auto& l : commands) {
    const auto v = option_value(l.text, {"OMP_NUM_THREADS"});
    if (!v || l.text.find("OMP_NUM_THREADS=") == std::string::npos) {
      continue;
    }
    std::optional<int> threads = parse_count(*v);
    std::string value = *v;
    if (!threads && (*v == "$SLURM_CPUS_PER_TASK" || *v == "${SLURM_CPUS_PER_TASK}")) {
      threads = shape.cpus_per_task;
      value = fmt::format("{} ({})", *v, threads.value_or(0));
    }
    if (threads && *threads * processes_per_node > cpus) {
      add(out, l.line, Severity::warning, "threads",
          fmt::format("OMP_NUM_THREADS={} in each of {} per node is {} threads for the "
                      "job's {} per node: they compete for the cores; set it to {}",
                      value, plural(processes_per_node, "process", "processes"),
                      *threads * processes_per_node, plural(cpus, "CPU"),
                      std::max(1, cpus / processes_per_node)));
    }
    break;
  }
}

void check_launch(const System& s, const SbatchScript& script, const ScriptShape& shape,
                  Out& out) {
  if (script.commands.empty()) {
    return;
  }
  const std::vector<ScriptLine> commands = logical_lines(script.commands);
  check_starts_tasks(s, script, shape, out);
  const int processes_per_node = check_launcher_per_gpu(script, commands, shape, out);
  check_local_rank(commands, shape, out);
  check_threads(commands, shape, processes_per_node, out);
}

// ---- Rationales (mlsub check --explain ID) -----------------------------

const std::vector<FindingInfo> k_finding_ids = {
    {"retired",
     "The system was shut down: Slurm there runs no new jobs, and a script for it needs its "
     "successor's partitions, GPU request and account. The finding names the successor.",
     "the system's retired.source in the catalogue, e.g. "
     "https://docs.csc.fi/computing/systems-mahti/"},
    {"ignored-directive",
     "sbatch stops reading #SBATCH lines at the first command; a directive after it is a "
     "comment, so the job runs without it.",
     "sbatch(1): \"no more #SBATCH directives will be processed\" once the first non-comment "
     "line is reached, https://slurm.schedmd.com/sbatch.html"},
    {"unknown-option",
     "sbatch refuses the whole script for an option it does not have, or one that only a "
     "plugin the site lacks provides (CSCS's --uenv, --view, --environment).",
     "https://slurm.schedmd.com/sbatch.html; https://docs.cscs.ch/software/uenv/using/"},
    {"bad-value", "sbatch cannot read the value (a count, a time, a size, a GPU request).",
     "https://slurm.schedmd.com/sbatch.html"},
    {"partition",
     "The partition does not exist on the system, or the script names none and the site's "
     "default partition has no GPUs. Where the site's default is its GPU partition (Alps "
     "normal, Alvis alvis) no --partition is fine.",
     "the catalogue's partitions (default: true); https://docs.cscs.ch/running/slurm/ "
     "(\"This is the default partition\")"},
    {"no-gpus",
     "Without a GPU option the job gets no GPU, except where the site leaves devices "
     "unconstrained (Alps: nodes are exclusive and a job sees all 4 GPUs).",
     "https://slurm.schedmd.com/gres.html; https://docs.cscs.ch/running/slurm/ (\"Omitting "
     "the --gpus-per-task results in CUDA_VISIBLE_DEVICES being unset\")"},
    {"gpu-syntax",
     "A note when the GPU request is written with another option or form that Slurm reads "
     "the same way (--gres=gpu:4 for --gpus-per-node=4); a warning when it names no GPU type "
     "on a system with several, so the job may get any of them. --gpus-per-task is never "
     "reported: it also gives each task its own GPU.",
     "the catalogue's gpu_request.source, e.g. https://docs.cscs.ch/running/slurm/, "
     "https://www.c3se.chalmers.se/documentation/"},
    {"gpu-type",
     "The GPU type is not one the system has, or is spelled in another case (Slurm GPU types "
     "are case-sensitive), or the partition has no nodes of it; Slurm refuses the job.",
     "https://slurm.schedmd.com/gres.html; the catalogue's node_types"},
    {"cpus-per-gpu",
     "CPUs per GPU against the site's advice: more than the node has per GPU is an error, "
     "far fewer starves the data loaders (a warning). No CPU request is not reported: what "
     "the job then gets is the site's Slurm default, which the catalogue does not record.",
     "the catalogue's node_types[].why_cpus, e.g. https://docs.csc.fi/computing/running/"
     "creating-job-scripts-mahti/; https://slurm.schedmd.com/sbatch.html (--cpus-per-task)"},
    {"gpus-limit", "More GPUs per node than a node has, or per job than the partition allows.",
     "the catalogue's node_types and partitions"},
    {"nodes-limit", "More (or fewer) nodes than the partition allows.",
     "the catalogue's partitions[].source"},
    {"cpus-limit", "More CPU cores than the partition allows per job.",
     "the catalogue's partitions[].source"},
    {"time-limit", "A time over the partition's limit: Slurm keeps the job pending forever.",
     "the catalogue's partitions[].source"},
    {"jobs-limit",
     "An --array with more tasks than the partition lets one user have submitted (LUMI: 210 "
     "jobs in small-g and standard-g); pending tasks count, so a %N throttle does not help: "
     "split the sweep.",
     "the catalogue's partitions[].max_jobs_per_user, e.g. "
     "https://docs.lumi-supercomputer.eu/runjobs/scheduled-jobs/partitions/"},
    {"whole-node",
     "The partition gives whole nodes: a job that uses part of a node is billed for all of "
     "it (mlsub plan warns the same). The fix names a partition billed per GPU where there is "
     "one.",
     "https://docs.lumi-supercomputer.eu/runjobs/lumi_env/billing/; "
     "https://docs.cscs.ch/running/slurm/"},
    {"memory",
     "Memory per node (--mem, or --mem-per-gpu x GPUs, --mem-per-cpu x CPUs) over what a node "
     "has: Slurm refuses the job. On partitions that give memory per GPU, no --mem leaves the "
     "job the small default. A --mem within the node is never reported (LUMI's training "
     "advises --mem=480G on whole GPU nodes).",
     "https://slurm.schedmd.com/sbatch.html; the catalogue's memory.source; "
     "Lumi-supercomputer/LUMI-training-materials docs/2day-20260422/201-Slurm.md:1000"},
    {"local-disk",
     "Node-local disk (--gres=nvme:GB) over what a node has, or on nodes that have none: "
     "Slurm refuses the job.",
     "https://docs.csc.fi/computing/running/creating-job-scripts-mahti/ (NVMe, at most "
     "3500 GB per node)"},
    {"account",
     "The account is missing where the site requires one, a placeholder the site's examples "
     "use (<ACCOUNT>, <project>, project_xxxxxxxxx), or not of the site's form.",
     "the catalogue's account.source, e.g. https://docs.lumi-supercomputer.eu/runjobs/"
     "scheduled-jobs/batch-job/; https://docs.csc.fi/computing/running/"
     "creating-job-scripts-roihu/"},
    {"no-srun",
     "The batch script runs on the first node only; without srun nothing runs on the others.",
     "https://slurm.schedmd.com/sbatch.html (\"the batch script ... on the first node\")"},
    {"single-process",
     "One process for several GPUs uses one of them unless the program spawns its own "
     "workers; start one process per GPU (srun or torchrun).",
     "the catalogue's launch.source, e.g. Lumi-supercomputer/LUMI-AI-Guide"},
    {"launcher-per-gpu",
     "torchrun, accelerate launch and deepspeed start one process per GPU themselves; srun "
     "starting them once per GPU makes N x N processes.",
     "https://pytorch.org/docs/stable/elastic/run.html; https://docs.csc.fi/support/"
     "tutorials/ml-multi/ (one torchrun task per node)"},
    {"local-rank",
     "With --gpus-per-task or a per-task ROCR_/CUDA_VISIBLE_DEVICES=$SLURM_LOCALID each task "
     "sees its GPU as device 0, so LOCAL_RANK=$SLURM_LOCALID names a device only the first "
     "task has and torch.cuda.set_device(LOCAL_RANK) fails on the others.",
     "https://docs.cscs.ch/running/slurm/ (--gpus-per-task \"is equivalent to setting "
     "CUDA_VISIBLE_DEVICES to SLURM_LOCALID\"); Lumi-supercomputer/LUMI-AI-Guide "
     "(set_device(LOCAL_RANK))"},
    {"threads",
     "OMP_NUM_THREADS times the processes on a node over the job's CPUs there: threads "
     "compete for cores.",
     "https://docs.cscs.ch/software/ml/pytorch/ (\"The number of threads should be not "
     "greater than the number of cores per task\", divided by the processes)"},
};

}  // namespace

const std::vector<FindingInfo>& finding_ids() { return k_finding_ids; }

const FindingInfo* explain_finding(std::string_view id) {
  for (const auto& f : k_finding_ids) {
    if (f.id == id) {
      return &f;
    }
  }
  return nullptr;
}

std::string_view to_string(Severity s) { return name_of(k_severity_names, s); }

std::vector<Finding> check_script(const System& system, const SbatchScript& script) {
  Out out;
  check_retired(system, out);
  check_unread(system, script, out);
  const ScriptShape shape = read_shape(system, script, out);
  check_missing_partition(system, shape, out);
  check_gpu_request(system, script, shape, out);
  check_cpus(system, script, shape, out);
  check_limits(system, script, shape, out);
  check_memory(system, shape, script, out);
  check_local_disk(system, shape, script, out);
  check_account(system, shape, script, out);
  check_launch(system, script, shape, out);
  std::stable_sort(out.begin(), out.end(),
                   [](const Finding& a, const Finding& b) { return a.line < b.line; });
  return out;
}

}  // namespace mlsub
