// sbatch options mlsub does not plan (see planner_sbatch.hpp). Nothing here
// names a site: what a site accepts (its constraint names, its memory
// rule, its nodes' cores and memory) comes from the catalogue.

#include "planner_sbatch.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <set>
#include <string>
#include <vector>

#include "mlsub/sbatch_options.hpp"
#include "mlsub/shell.hpp"
#include "mlsub/suggest.hpp"

namespace mlsub {
namespace {

bool is_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// A value for an #SBATCH line: one line of printable ASCII; `word` values
// (names, lists) hold no blank either.
Expected<void> check_value(std::string_view flag, const std::string& value, bool word) {
  if (value.empty()) {
    return fail(ErrorKind::usage, fmt::format("{} is empty: give a value or leave it out", flag));
  }
  if (has_control_char(value) || !is_sbatch_safe(value)) {
    return fail(ErrorKind::usage,
                fmt::format("{} holds a newline, a control character or a byte that is not "
                            "ASCII; it goes into an #SBATCH line, which sbatch cannot read "
                            "such a byte from: remove it",
                            flag));
  }
  if (word && value.find(' ') != std::string::npos) {
    return fail(ErrorKind::usage, fmt::format("{} '{}' holds a blank; Slurm's names have none",
                                              flag, value));
  }
  return {};
}

void set_reason(Plan& plan, std::string_view field, std::string value, std::string why) {
  for (auto& reason : plan.reasons) {
    if (reason.field == field) {
      reason.value = std::move(value);
      reason.why = std::move(why);
      return;
    }
  }
  plan.reasons.push_back({std::string(field), std::move(value), std::move(why), ""});
}

// --- --constraint

bool is_constraint_operator(char c) {
  return c == '&' || c == '|' || c == '[' || c == ']' || c == '(' || c == ')' || c == '*';
}

bool is_feature_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.' ||
         c == ':' || c == '=' || c == '+';
}

// The feature names of a constraint expression, without operators and the
// counts after '*'; empty when the expression is not of Slurm's form.
std::vector<std::string> constraint_features(std::string_view expr) {
  std::vector<std::string> out;
  std::string current;
  bool after_star = false;
  const auto flush = [&]() {
    if (!current.empty() && !(after_star && is_digits(current))) {
      out.push_back(current);
    }
    current.clear();
  };
  for (const char c : expr) {
    if (is_constraint_operator(c)) {
      flush();
      after_star = c == '*';
    } else if (is_feature_char(c)) {
      current += c;
    } else {
      return {};
    }
  }
  flush();
  return out;
}

// The constraint names the site documents, and each feature within them.
std::vector<std::string> known_features(const System& s) {
  std::vector<std::string> known;
  for (const auto& c : s.constraints) {
    known.push_back(c.name);
    for (auto& f : constraint_features(c.name)) {
      if (std::find(known.begin(), known.end(), f) == known.end()) {
        known.push_back(std::move(f));
      }
    }
  }
  return known;
}

// The features of a --constraint, sorted against the catalogue: what the
// documented ones mean (and the first one's source), and those it lacks.
struct ConstraintReading {
  std::vector<std::string> meanings;
  std::string source;
  std::vector<std::string> unknown;
};

Expected<ConstraintReading> read_constraint(const System& s, const std::string& expr,
                                            const std::vector<std::string>& features,
                                            const std::vector<std::string>& known) {
  ConstraintReading out;
  const auto describe = [&](const std::string& name) {
    for (const auto& c : s.constraints) {
      if (c.name == name) {
        out.meanings.push_back(fmt::format("{}: {}", c.name, c.meaning));
        out.source = out.source.empty() ? c.source.url : out.source;
        return true;
      }
    }
    return false;
  };
  if (describe(expr)) {
    return out;
  }
  for (const auto& f : features) {
    if (std::find(known.begin(), known.end(), f) != known.end()) {
      describe(f);
    } else if (auto close = closest_match(f, known)) {
      return fail(ErrorKind::usage,
                  fmt::format("--constraint: {} documents no feature '{}'; did you mean "
                              "'{}'? (mlsub show {} lists them)",
                              s.name, f, *close, s.name));
    } else {
      out.unknown.push_back(f);
    }
  }
  return out;
}

Expected<void> choose_constraint(const System& s, const Request& r, Plan& plan) {
  if (!r.slurm.constraint) {
    return {};
  }
  const std::string& expr = *r.slurm.constraint;
  if (auto ok = check_value("--constraint", expr, true); !ok) {
    return ok;
  }
  const auto features = constraint_features(expr);
  if (features.empty()) {
    return fail(ErrorKind::usage,
                fmt::format("--constraint '{}' is not Slurm's constraint syntax; write feature "
                            "names joined by & (all) or | (any), e.g. -C 'a&b'",
                            expr));
  }
  plan.slurm.constraint = expr;
  if (s.constraints.empty()) {
    plan.reasons.push_back({"constraint", expr,
                            fmt::format("asked for with --constraint; the catalogue records no "
                                        "constraint names for {}, so only Slurm checks it, when "
                                        "the job is submitted",
                                        s.name),
                            ""});
    return {};
  }
  const auto known = known_features(s);
  auto reading = read_constraint(s, expr, features, known);
  if (!reading) {
    return tl::unexpected(reading.error());
  }
  if (!reading->unknown.empty()) {
    plan.warnings.push_back(fmt::format(
        "{}: the catalogue does not list the feature{} {} (it lists {}); sbatch refuses the job "
        "if the site has no such feature",
        s.name, reading->unknown.size() == 1 ? "" : "s", fmt::join(reading->unknown, ", "),
        fmt::join(known, ", ")));
  }
  std::string why = "asked for with --constraint";
  if (!reading->meanings.empty()) {
    why += fmt::format("; {}", fmt::join(reading->meanings, "; "));
  }
  if (!reading->unknown.empty()) {
    why += fmt::format("; not in the catalogue: {} (Slurm checks it when the job is submitted)",
                       fmt::join(reading->unknown, ", "));
  }
  plan.reasons.push_back({"constraint", expr, why, reading->source});
  return {};
}

// --- --dependency, --mail-type, the names

constexpr std::array<std::string_view, 6> k_dependency_types = {
    "after", "afterany", "afterburstbuffer", "aftercorr", "afternotok", "afterok"};

// 123, 123_4, and for "after" 123+10.
bool is_dependency_job(std::string_view job, bool after) {
  if (const auto plus = job.find('+'); plus != std::string_view::npos) {
    if (!after || !is_digits(job.substr(plus + 1))) {
      return false;
    }
    job = job.substr(0, plus);
  }
  if (const auto underscore = job.find('_'); underscore != std::string_view::npos) {
    return is_digits(job.substr(0, underscore)) && is_digits(job.substr(underscore + 1));
  }
  return is_digits(job);
}

bool is_dependency_item(std::string_view item) {
  if (item == "singleton") {
    return true;
  }
  const auto colon = item.find(':');
  const std::string_view type = item.substr(0, colon);
  if (colon == std::string_view::npos ||
      std::find(k_dependency_types.begin(), k_dependency_types.end(), type) ==
          k_dependency_types.end()) {
    return false;
  }
  std::string_view jobs = item.substr(colon + 1);
  for (;;) {
    const auto next = jobs.find(':');
    if (!is_dependency_job(jobs.substr(0, next), type == "after")) {
      return false;
    }
    if (next == std::string_view::npos) {
      return true;
    }
    jobs = jobs.substr(next + 1);
  }
}

constexpr std::array<std::string_view, 13> k_mail_types = {
    "NONE",       "BEGIN",         "END",           "FAIL",          "REQUEUE",
    "ALL",        "INVALID_DEPEND", "STAGE_OUT",    "TIME_LIMIT",    "TIME_LIMIT_90",
    "TIME_LIMIT_80", "TIME_LIMIT_50", "ARRAY_TASKS"};

Expected<void> choose_mail(const Request& r, Plan& plan) {
  if (r.slurm.mail_type) {
    if (auto ok = check_value("--mail-type", *r.slurm.mail_type, true); !ok) {
      return ok;
    }
    const std::vector<std::string> names(k_mail_types.begin(), k_mail_types.end());
    std::string_view rest = *r.slurm.mail_type;
    for (;;) {
      const auto comma = rest.find(',');
      std::string type(rest.substr(0, comma));
      std::transform(type.begin(), type.end(), type.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      if (std::find(names.begin(), names.end(), type) == names.end()) {
        return fail(ErrorKind::usage,
                    fmt::format("--mail-type: Slurm has no mail type '{}';{} write a comma-"
                                "separated list of {}",
                                rest.substr(0, comma), did_you_mean(type, names),
                                fmt::join(names, ", ")));
      }
      if (comma == std::string_view::npos) {
        break;
      }
      rest = rest.substr(comma + 1);
    }
    plan.slurm.mail_type = r.slurm.mail_type;
    plan.reasons.push_back({"mail-type", *r.slurm.mail_type,
                            r.slurm.mail_user ? "asked for with --mail-type"
                                        : "asked for with --mail-type; the mail goes to the "
                                          "submitting user (--mail-user names another address)",
                            ""});
  }
  if (r.slurm.mail_user) {
    if (auto ok = check_value("--mail-user", *r.slurm.mail_user, true); !ok) {
      return ok;
    }
    plan.slurm.mail_user = r.slurm.mail_user;
    plan.reasons.push_back({"mail-user", *r.slurm.mail_user, "asked for with --mail-user", ""});
    if (!r.slurm.mail_type) {
      plan.warnings.push_back("--mail-user without --mail-type: Slurm sends no mail; add e.g. "
                              "--mail-type END,FAIL");
    }
  }
  return {};
}

// Names Slurm looks up itself: letters, digits and _ - . (and , between
// several reservations).
Expected<void> check_name(std::string_view flag, const std::string& value, bool list) {
  if (auto ok = check_value(flag, value, true); !ok) {
    return ok;
  }
  const bool ok = std::all_of(value.begin(), value.end(), [list](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' ||
           c == '.' || (list && c == ',');
  });
  if (!ok) {
    return fail(ErrorKind::usage,
                fmt::format("{} '{}': a name is made of letters, digits, _, - and .", flag, value));
  }
  return {};
}

Expected<void> choose_scheduling(const System& s, const NodeType& node, const Partition& p,
                                 const Request& r, Plan& plan) {
  if (r.slurm.qos) {
    if (auto ok = check_name("--qos", *r.slurm.qos, false); !ok) {
      return ok;
    }
    plan.slurm.qos = r.slurm.qos;
    plan.reasons.push_back({"qos", *r.slurm.qos,
                            fmt::format("asked for with --qos; the catalogue records no QOS "
                                        "names for {}, so only Slurm checks it (and that your "
                                        "account may use it), when the job is submitted",
                                        s.name),
                            ""});
  }
  if (r.slurm.reservation) {
    if (auto ok = check_name("--reservation", *r.slurm.reservation, true); !ok) {
      return ok;
    }
    plan.slurm.reservation = r.slurm.reservation;
    plan.reasons.push_back({"reservation", *r.slurm.reservation,
                            "asked for with --reservation; Slurm checks the name, its time "
                            "window and that you may use it when the job is submitted",
                            ""});
  }
  if (r.slurm.dependency) {
    if (auto ok = check_value("--dependency", *r.slurm.dependency, true); !ok) {
      return ok;
    }
    if (!is_dependency_spec(*r.slurm.dependency)) {
      return fail(ErrorKind::usage,
                  fmt::format("--dependency '{}' is not Slurm's dependency syntax; write "
                              "TYPE:JOBID[:JOBID...] with TYPE one of {}, or singleton; join "
                              "several with , (all must hold) or ? (any)",
                              *r.slurm.dependency, fmt::join(k_dependency_types, ", ")));
    }
    plan.slurm.dependency = r.slurm.dependency;
    plan.reasons.push_back({"dependency", *r.slurm.dependency,
                            "asked for with --dependency: the job waits until it holds", ""});
  }
  if (r.slurm.exclusive) {
    plan.slurm.exclusive = true;
    std::string why = "asked for with --exclusive: no other job shares the job's nodes";
    if (p.whole_node) {
      why += fmt::format(" (partition {} gives whole nodes anyway)", p.name);
    } else if (plan.gpus_per_node < node.gpus) {
      plan.warnings.push_back(fmt::format(
          "--exclusive takes whole nodes: the job is billed for {} GPUs per node and uses {}",
          node.gpus, plan.gpus_per_node));
    }
    plan.reasons.push_back({"exclusive", "yes", why, ""});
  }
  return {};
}

// --- --sbatch KEY=VALUE

// Options mlsub plans itself: what to use instead.
struct Planned {
  std::string_view option;
  std::string_view instead;
};

constexpr Planned k_planned[] = {
    {"account", "mlsub plans the account: use --account"},
    {"partition", "mlsub plans the partition: use --partition"},
    {"nodes", "mlsub plans the nodes: use --nodes (or --gpus)"},
    {"ntasks", "mlsub plans the tasks from the launcher: use --launcher"},
    {"ntasks-per-node", "mlsub plans the tasks from the launcher: use --launcher"},
    {"tasks-per-node", "mlsub plans the tasks from the launcher: use --launcher"},
    {"ntasks-per-gpu", "mlsub plans the tasks from the launcher: use --launcher"},
    {"ntasks-per-socket", "mlsub plans the tasks from the launcher: use --launcher"},
    {"ntasks-per-core", "mlsub plans the tasks from the launcher: use --launcher"},
    {"gres", "mlsub writes the GPU request: use --gpus, --gpus-per-node, --gpu-type (and "
             "--local-disk)"},
    {"gpus", "mlsub writes the GPU request: use --gpus"},
    {"gpus-per-node", "mlsub writes the GPU request: use --gpus-per-node (with --nodes)"},
    {"gpus-per-task", "mlsub writes the GPU request: use --gpus and --launcher"},
    {"gpus-per-socket", "mlsub writes the GPU request: use --gpus"},
    {"cpus-per-gpu", "mlsub plans cpus-per-task: raise it with --sbatch cpus-per-task=N"},
    {"mem-per-cpu", "mlsub plans the memory per node: raise it with --sbatch mem=SIZE"},
    {"mem-per-gpu", "mlsub plans the memory per node: raise it with --sbatch mem=SIZE"},
    {"time", "use --time"},
    {"job-name", "use --job-name"},
    {"output", "use --output"},
    {"array", "use --array (or --sweep)"},
    {"uenv", "use --uenv"},
    {"view", "mlsub writes the view with --uenv"},
    {"environment", "use --edf"},
    {"constraint", "use --constraint"},
    {"qos", "use --qos"},
    {"reservation", "use --reservation"},
    {"dependency", "use --dependency"},
    {"mail-type", "use --mail-type"},
    {"mail-user", "use --mail-user"},
    {"exclusive", "use --exclusive"},
    {"test-only", "it is not a job option: use mlsub submit --test-only"},
    {"wait", "it is not a job option: use mlsub submit --wait"},
    {"parsable", "it changes what sbatch prints, not the job"},
    {"help", "it is not a job option"},
};

// With --requeue-on-timeout, mlsub writes these itself.
constexpr std::array<std::string_view, 4> k_requeue_options = {"signal", "requeue", "no-requeue",
                                                               "open-mode"};

Expected<void> raise_memory(const System& s, const NodeType& node, const std::string& value,
                            Plan& plan) {
  auto size = parse_size(value);
  if (!size) {
    return fail(ErrorKind::usage, fmt::format("--sbatch mem={}: {}", value, size.error().message));
  }
  if (node.memory_per_gpu) {
    return fail(ErrorKind::rejected,
                fmt::format("{}: each {} comes with {} of memory and no other amount; leave out "
                            "--sbatch mem",
                            s.name, node.gpu_type, format_size(*node.memory_per_gpu)));
  }
  if (size->mib == 0 || *size > node.memory) {
    return fail(ErrorKind::rejected,
                fmt::format("{}: {} nodes have {} of memory; --sbatch mem={} asks for {}; ask "
                            "for {} or less",
                            s.name, node.name, format_size(node.memory), value,
                            size->mib == 0 ? "all of it (mem=0)" : "more",
                            format_size(node.memory)));
  }
  const std::string before =
      plan.memory_per_node ? format_size(*plan.memory_per_node) : "(not set)";
  if (plan.memory_per_node && *size < *plan.memory_per_node) {
    return fail(ErrorKind::usage,
                fmt::format("--sbatch mem={} is less than the {} mlsub plans; --sbatch mem may "
                            "only raise it (leave it out for {})",
                            value, before, before));
  }
  std::string old_why;
  for (const auto& reason : plan.reasons) {
    if (reason.field == "mem") {
      old_why = reason.why;
    }
  }
  if (plan.memory_per_node && s.memory.per_gpu && *size > *plan.memory_per_node) {
    plan.warnings.push_back(fmt::format(
        "--sbatch mem={} is more than {}'s {} per GPU ({}); the site may bill the job for the "
        "GPUs whose share of memory it takes",
        value, s.name, format_size(*s.memory.per_gpu), s.memory.why));
  }
  plan.memory_per_node = *size;
  set_reason(plan, "mem", format_size(*size),
             fmt::format("overridden with --sbatch mem={} (mlsub planned {}: {}); a node has {}",
                         value, before, old_why, format_size(node.memory)));
  return {};
}

Expected<void> raise_cpus(const System& s, const NodeType& node, const std::string& value,
                          Plan& plan) {
  int cpus = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), cpus);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || cpus < 1) {
    return fail(ErrorKind::usage,
                fmt::format("--sbatch cpus-per-task={}: give a whole number", value));
  }
  // The site's share: cpus_per_gpu for each GPU of the node's tasks (at
  // most the node's cores, checked when the catalogue was loaded). mlsub
  // check holds a script to the same rule.
  const int most = node.cpus_per_gpu * plan.gpus_per_node / plan.tasks_per_node;
  if (cpus > most) {
    return fail(ErrorKind::rejected,
                fmt::format("{}: --sbatch cpus-per-task={} is over the site's {} CPU cores per "
                            "GPU ({}); with {} GPU{} and {} task{} per node, it can be at most "
                            "{}: ask for more GPUs for more cores",
                            s.name, value, node.cpus_per_gpu,
                            node.why_cpus.empty() ? "the catalogue's cpus_per_gpu" : node.why_cpus,
                            plan.gpus_per_node, plan.gpus_per_node == 1 ? "" : "s",
                            plan.tasks_per_node, plan.tasks_per_node == 1 ? "" : "s", most));
  }
  if (cpus < plan.cpus_per_task) {
    return fail(ErrorKind::usage,
                fmt::format("--sbatch cpus-per-task={} is less than the {} mlsub plans; it may "
                            "only raise it (leave it out for {})",
                            value, plan.cpus_per_task, plan.cpus_per_task));
  }
  const int before = plan.cpus_per_task;
  plan.cpus_per_task = cpus;
  set_reason(plan, "cpus-per-task", std::to_string(cpus),
             fmt::format("overridden with --sbatch cpus-per-task={} (mlsub planned {}; the "
                         "site allows {} per GPU)",
                         value, before, node.cpus_per_gpu));
  set_reason(plan, "threads", std::to_string(cpus / plan.processes_per_task),
             fmt::format("OMP_NUM_THREADS and MLSUB_NUM_WORKERS (for DataLoader(num_workers=...)): "
                         "the task's {} CPUs (--sbatch cpus-per-task) over the {} process{} it "
                         "starts",
                         cpus, plan.processes_per_task,
                         plan.processes_per_task == 1 ? "" : "es"));
  return {};
}

// One --sbatch KEY[=VALUE], checked: sbatch has the option, mlsub does not
// plan it, it is given once, and its value fits the option.
Expected<void> check_pass_through(const std::string& entry, const Request& r,
                                  std::set<std::string>& seen) {
  const auto eq = entry.find('=');
  const std::string key = entry.substr(0, eq);
  const bool has_value = eq != std::string::npos;
  const std::string value = has_value ? entry.substr(eq + 1) : std::string();
  if (key.rfind('-', 0) == 0) {
    const auto first = key.find_first_not_of('-');
    const std::string bare = first == std::string::npos ? std::string() : key.substr(first);
    return fail(ErrorKind::usage,
                fmt::format("--sbatch {}: write the option without dashes, e.g. --sbatch {}",
                            shell_quote(entry.substr(0, 60)),
                            shell_quote((bare + (has_value ? "=" + value : "")).substr(0, 60))));
  }
  const auto arg = sbatch_option_arg(key);
  if (!arg) {
    return fail(ErrorKind::usage,
                fmt::format("--sbatch: sbatch has no option {};{} write --sbatch KEY=VALUE "
                            "with sbatch's long option name (man sbatch)",
                            shell_quote(key.substr(0, 60)),
                            did_you_mean(key, sbatch_option_names())));
  }
  if (const auto instead = sbatch_option_planned(key); !instead.empty()) {
    return fail(ErrorKind::usage, fmt::format("--sbatch {}: {}", key, instead));
  }
  if (r.requeue_lead_seconds &&
      std::find(k_requeue_options.begin(), k_requeue_options.end(), key) !=
          k_requeue_options.end()) {
    return fail(ErrorKind::usage,
                fmt::format("--sbatch {}: --requeue-on-timeout sets the signal, requeue and "
                            "open mode itself; leave one of them out",
                            key));
  }
  if (!seen.insert(key).second) {
    return fail(ErrorKind::usage, fmt::format("--sbatch {} is given twice; give it once", key));
  }
  if (*arg == SbatchArg::none && has_value) {
    return fail(ErrorKind::usage,
                fmt::format("--sbatch {}: the option takes no value; write --sbatch {}", key,
                            key));
  }
  if (*arg == SbatchArg::required && (!has_value || value.empty())) {
    return fail(ErrorKind::usage,
                fmt::format("--sbatch {}: the option needs a value; write --sbatch {}=VALUE", key,
                            key));
  }
  if (has_value) {
    return check_value(fmt::format("--sbatch {}", key), value, false);
  }
  return {};
}

Expected<void> choose_pass_through(const System& s, const NodeType& node, const Request& r,
                                   Plan& plan) {
  std::set<std::string> seen;
  for (const auto& entry : r.sbatch) {
    if (auto ok = check_pass_through(entry, r, seen); !ok) {
      return ok;
    }
    const auto eq = entry.find('=');
    const std::string key = entry.substr(0, eq);
    const bool has_value = eq != std::string::npos;
    const std::string value = has_value ? entry.substr(eq + 1) : std::string();
    if (key == "mem") {
      if (auto ok = raise_memory(s, node, value, plan); !ok) {
        return ok;
      }
      continue;
    }
    if (key == "cpus-per-task") {
      if (auto ok = raise_cpus(s, node, value, plan); !ok) {
        return ok;
      }
      continue;
    }
    plan.extra_directives.push_back({key, value});
    plan.reasons.push_back({key, has_value ? value : "(flag)",
                            "passed through with --sbatch; mlsub checked that sbatch has the "
                            "option, not its value",
                            ""});
  }
  return {};
}

}  // namespace

std::string_view sbatch_option_planned(std::string_view name) {
  for (const auto& planned : k_planned) {
    if (name == planned.option) {
      return planned.instead;
    }
  }
  return {};
}

bool is_dependency_spec(std::string_view spec) {
  const bool any = spec.find('?') != std::string_view::npos;
  if (spec.empty() || (any && spec.find(',') != std::string_view::npos)) {
    return false;
  }
  const char separator = any ? '?' : ',';
  for (;;) {
    const auto next = spec.find(separator);
    if (!is_dependency_item(spec.substr(0, next))) {
      return false;
    }
    if (next == std::string_view::npos) {
      return true;
    }
    spec = spec.substr(next + 1);
  }
}

Expected<void> choose_sbatch_options(const System& s, const NodeType& node, const Partition& p,
                                     const Request& r, Plan& plan) {
  if (auto ok = choose_constraint(s, r, plan); !ok) {
    return ok;
  }
  if (auto ok = choose_scheduling(s, node, p, r, plan); !ok) {
    return ok;
  }
  if (auto ok = choose_mail(r, plan); !ok) {
    return ok;
  }
  return choose_pass_through(s, node, r, plan);
}

}  // namespace mlsub
