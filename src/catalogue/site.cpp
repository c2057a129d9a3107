// The catalogue against the live site: reading the site, and comparing.

#include <algorithm>
#include <fmt/format.h>
#include <map>
#include <set>

#include "mlsub/catalogue_verify.hpp"
#include "mlsub/duration.hpp"
#include "mlsub/size.hpp"

namespace mlsub {
namespace {

bool has_any(const std::vector<std::string>& have, const std::vector<std::string>& wanted) {
  for (const auto& w : wanted) {
    if (std::find(have.begin(), have.end(), w) != have.end()) {
      return true;
    }
  }
  return false;
}

// Collects the findings of one block (a partition, a node type, the system).
class FactChecks {
 public:
  FactChecks(std::vector<FactCheck>& out, std::string subject, const SourceRef& block,
           const FactNotes* notes)
      : m_out(out), m_subject(std::move(subject)), m_block(block), m_notes(notes) {}

  void compare(const std::string& field, const std::string& catalogue, const std::string& site,
               bool changes_plan) {
    add(field, catalogue == site ? FactStatus::holds : FactStatus::differs, catalogue, site,
        catalogue != site && changes_plan);
  }
  void differs(const std::string& field, const std::string& catalogue, const std::string& site,
               bool changes_plan) {
    add(field, FactStatus::differs, catalogue, site, changes_plan);
  }
  void holds(const std::string& field, const std::string& catalogue, const std::string& site) {
    add(field, FactStatus::holds, catalogue, site, false);
  }
  void not_checked(const std::string& field, const std::string& catalogue,
                   const std::string& why) {
    add(field, FactStatus::not_checked, catalogue, why, false);
  }

 private:
  void add(const std::string& field, FactStatus status, const std::string& catalogue,
           const std::string& site, bool changes_plan) {
    const SourceRef& src = m_notes ? m_notes->source(field, m_block) : m_block;
    m_out.push_back(FactCheck{m_subject, field, status, catalogue, site, changes_plan, src});
  }

  std::vector<FactCheck>& m_out;
  std::string m_subject;
  const SourceRef& m_block;
  const FactNotes* m_notes;
};

const char* k_qos = "Slurm's partition does not say; a QOS or a submit plugin enforces it";

// The system's default partition against Slurm's (the last Default=YES of each side).
void verify_default_partition(const System& s, const SiteView& site,
                              std::vector<FactCheck>& out) {
  const Partition* cat_default = nullptr;
  for (const auto& p : s.partitions) {
    if (p.is_default) {
      cat_default = &p;
    }
  }
  std::string site_default = "(none)";
  for (const auto& p : site.partitions) {
    if (p.is_default) {
      site_default = p.name;
    }
  }
  FactChecks sys(out, "system", cat_default ? cat_default->source : s.gpu_request.source, nullptr);
  if (cat_default) {
    sys.compare("default partition", cat_default->name, site_default, true);
  } else if (s.find_partition(site_default)) {
    sys.differs("default partition", "(none)", site_default, false);
  } else {
    sys.holds("default partition", "(none of its partitions)", site_default);
  }
}

// whole_node against OverSubscribe=EXCLUSIVE; without it, a plugin may still give whole nodes.
void verify_whole_node(FactChecks& f, const Partition& p, const SlurmPartition& sp) {
  if (sp.exclusive && p.whole_node) {
    f.holds("whole_node", "true", "true (OverSubscribe=EXCLUSIVE)");
  } else if (sp.exclusive) {
    f.differs("whole_node", "false", "true (OverSubscribe=EXCLUSIVE)", true);
  } else if (p.whole_node) {
    f.not_checked("whole_node", "true",
                  "the partition is not OverSubscribe=EXCLUSIVE; a submit plugin may give "
                  "whole nodes");
  } else {
    f.holds("whole_node", "false", "false");
  }
}

// State, time and node limits: compared where Slurm's partition sets them.
void verify_partition_limits(FactChecks& f, const Partition& p, const SlurmPartition& sp) {
  if (sp.state != "UP") {
    f.differs("state", "UP", sp.state, false);
  }
  if (sp.max_time) {
    f.compare("max_time", format_duration(p.max_time), format_duration(*sp.max_time), true);
  } else {
    f.not_checked("max_time", format_duration(p.max_time),
                  "the partition has no MaxTime; a QOS may set one");
  }
  if (sp.max_nodes) {
    f.compare("max_nodes", std::to_string(p.max_nodes), std::to_string(*sp.max_nodes), true);
  } else {
    f.not_checked("max_nodes", std::to_string(p.max_nodes),
                  "the partition has no MaxNodes; a QOS may set one");
  }
  f.compare("min_nodes", std::to_string(p.min_nodes), std::to_string(std::max(1, sp.min_nodes)),
            true);
  verify_whole_node(f, p, sp);
}

// Each node type the partition names holds when the site has its GPU type there.
void verify_partition_types(FactChecks& f, const System& s, const Partition& p,
                            const std::vector<SiteNodeType>& site_types) {
  std::set<std::string> site_has;
  for (const auto& t : site_types) {
    if (std::find(t.partitions.begin(), t.partitions.end(), p.name) != t.partitions.end()) {
      site_has.insert(t.gpu_type);
    }
  }
  for (const auto& t : s.node_types) {
    if (!p.has_node_type(t.name)) {
      continue;
    }
    if (site_has.count(t.gpu_type)) {
      f.holds("node_types", t.name, "gpu:" + t.gpu_type);
    } else {
      f.differs("node_types", t.name, "no gpu:" + t.gpu_type + " nodes in the partition",
                true);
    }
  }
}

// cpus_per_gpu against DefCpuPerGPU, where it fits the node; never plan-changing.
void verify_cpu_default(FactChecks& f, const System& s, const Partition& p,
                        const SlurmPartition& sp) {
  if (!sp.def_cpu_per_gpu) {
    return;
  }
  for (const auto& t : s.node_types) {
    if (!p.has_node_type(t.name)) {
      continue;
    }
    const std::string what = "DefCpuPerGPU (" + t.name + " cpus_per_gpu)";
    if (*sp.def_cpu_per_gpu * t.gpus > t.cores) {
      f.not_checked(what, std::to_string(t.cpus_per_gpu),
                    fmt::format("Slurm's DefCpuPerGPU={} does not fit {} GPUs in {} cores",
                                *sp.def_cpu_per_gpu, t.gpus, t.cores));
    } else {
      // mlsub writes --cpus-per-task itself: the default does not change a plan.
      f.compare(what, std::to_string(t.cpus_per_gpu), std::to_string(*sp.def_cpu_per_gpu),
                false);
    }
  }
}

// memory against DefMemPerGPU (mlsub writes --mem itself: never plan-changing).
void verify_mem_default(FactChecks& f, const System& s, const SlurmPartition& sp) {
  if (!sp.def_mem_per_gpu) {
    return;
  }
  if (s.memory.policy == MemoryPolicy::per_gpu && s.memory.per_gpu) {
    f.compare("DefMemPerGPU (memory.per_gpu)", format_size(*s.memory.per_gpu),
              format_size(*sp.def_mem_per_gpu), false);
  } else {
    f.holds("DefMemPerGPU (memory.policy)", "site: memory comes with the GPUs",
            format_size(*sp.def_mem_per_gpu) + " per GPU");
  }
}

// Each node type's memory under MaxMemPerNode; over it changes a plan when
// mlsub asks for it (per-GPU share over the cap, or whole nodes).
void verify_mem_cap(FactChecks& f, const System& s, const Partition& p,
                    const SlurmPartition& sp) {
  if (!sp.max_mem_per_node) {
    return;
  }
  for (const auto& t : s.node_types) {
    if (!p.has_node_type(t.name)) {
      continue;
    }
    const bool fits = t.memory <= *sp.max_mem_per_node;
    const bool per_gpu_over = s.memory.policy == MemoryPolicy::per_gpu && s.memory.per_gpu &&
                              s.memory.per_gpu->mib * static_cast<std::uint64_t>(t.gpus) >
                                  sp.max_mem_per_node->mib;
    const std::string what = "MaxMemPerNode (" + t.name + " memory)";
    if (fits) {
      f.holds(what, format_size(t.memory), format_size(*sp.max_mem_per_node));
    } else {
      f.differs(what, format_size(t.memory), format_size(*sp.max_mem_per_node),
                per_gpu_over || p.whole_node);
    }
  }
}

// Limits Slurm's partition cannot tell: not checked, each one the catalogue sets.
void note_qos_limits(FactChecks& f, const Partition& p) {
  if (p.max_gpus) {
    f.not_checked("max_gpus", std::to_string(*p.max_gpus), k_qos);
  }
  if (p.min_gpus > 1) {
    f.not_checked("min_gpus", std::to_string(p.min_gpus), k_qos);
  }
  if (p.max_cpus) {
    f.not_checked("max_cpus", std::to_string(*p.max_cpus), k_qos);
  }
  if (p.max_node_minutes) {
    f.not_checked("max_node_minutes", std::to_string(*p.max_node_minutes), k_qos);
  }
  if (p.max_jobs_per_user) {
    f.not_checked("max_jobs_per_user", std::to_string(*p.max_jobs_per_user), k_qos);
  }
  if (p.max_running_per_user) {
    f.not_checked("max_running_per_user", std::to_string(*p.max_running_per_user), k_qos);
  }
}

// The default partition, then each catalogue partition against Slurm's of that name.
void verify_partitions(const System& s, const SiteView& site,
                       const std::vector<SiteNodeType>& site_types, std::vector<FactCheck>& out) {
  verify_default_partition(s, site, out);
  for (const auto& p : s.partitions) {
    FactChecks f(out, "partition " + p.name, p.source, &p.facts);
    const auto it = std::find_if(site.partitions.begin(), site.partitions.end(),
                                 [&](const SlurmPartition& sp) { return sp.name == p.name; });
    if (it == site.partitions.end()) {
      f.differs("exists", "yes", "no such partition", true);
      continue;
    }
    const SlurmPartition& sp = *it;
    f.holds("exists", "yes", "yes");
    verify_partition_limits(f, p, sp);
    verify_partition_types(f, s, p, site_types);
    verify_cpu_default(f, s, p, sp);
    verify_mem_default(f, s, sp);
    verify_mem_cap(f, s, p, sp);
    note_qos_limits(f, p);
  }
}

void verify_node_types(const System& s, const SiteView& site,
                       const std::vector<SiteNodeType>& site_types, std::vector<FactCheck>& out) {
  for (const auto& t : s.node_types) {
    FactChecks f(out, "node type " + t.name, t.source, &t.facts);
    const auto it = std::find_if(site_types.begin(), site_types.end(),
                                 [&](const SiteNodeType& st) { return st.gpu_type == t.gpu_type; });
    const SiteNodeType* st = it == site_types.end() ? nullptr : &*it;
    if (!st && s.node_types.size() == 1 && site_types.size() == 1) {
      st = &site_types.front();  // one type each side: compare, and say the names differ
    }
    if (!st) {
      f.differs("gpu_type", t.gpu_type, "no node has gres gpu:" + t.gpu_type, true);
      continue;
    }
    f.compare("gpu_type", t.gpu_type, st->gpu_type.empty() ? "(untyped gres gpu)" : st->gpu_type,
              true);
    f.compare("gpus", std::to_string(t.gpus), std::to_string(st->gpus), true);
    f.compare("cores", std::to_string(t.cores), std::to_string(st->cores), true);
    f.compare("memory", format_size(t.memory), format_size(st->memory), true);
    f.compare("count", std::to_string(t.count), std::to_string(st->count), true);
    // The CPUs-per-GPU advice: only a DefCpuPerGPU (per partition, above)
    // says anything about it.
    f.not_checked("cpus_per_gpu", std::to_string(t.cpus_per_gpu),
                  "Slurm does not say how many cores a site advises per GPU");
    if (t.max_per_job) {
      f.not_checked("max_per_job", std::to_string(*t.max_per_job), k_qos);
    }
  }
  (void)site;
}

// The rules Slurm cannot tell (GPU form, launcher, memory policy, account,
// modules): each not checked.
void note_site_rules(const System& s, std::vector<FactCheck>& out) {
  FactChecks(out, "gpu_request", s.gpu_request.source, &s.gpu_request.facts)
      .not_checked("option", "--" + s.gpu_request.option + "=" + s.gpu_request.format,
                   "not asked of Slurm here (mlsub plan --validate asks sbatch --test-only)");
  FactChecks(out, "launch", s.launch.source, &s.launch.facts)
      .not_checked("multi_gpu", std::string(launcher_name(s.launch.multi_gpu)),
                   "Slurm does not say how a site starts multi-GPU jobs");
  FactChecks(out, "memory", s.memory.source, &s.memory.facts)
      .not_checked("policy", s.memory.policy == MemoryPolicy::per_gpu ? "per_gpu" : "site",
                   "a submit plugin may set or require --mem; Slurm does not say");
  FactChecks(out, "account", s.account.source, &s.account.facts)
      .not_checked("pattern", s.account.pattern.value_or("(any)"),
                   "the account's form is the site's rule (sacctmgr, a submit plugin)");
  std::string software;
  for (const auto& m : s.environment.modules) {
    software += (software.empty() ? "" : " ") + m;
  }
  FactChecks(out, "environment", s.environment.source, &s.environment.facts)
      .not_checked("modules", software.empty() ? "(none)" : software,
                   "Slurm does not know the software environment");
}

// The environment's paths on the site (module directories, the container
// image): they must exist where the host is the site's and the path is plain.
void verify_dirs(const System& s, const std::optional<PathProbe>& paths,
                 std::vector<FactCheck>& out) {
  std::vector<std::pair<std::string, std::string>> dirs;  // field, path
  for (const auto& d : s.environment.module_use) {
    dirs.emplace_back("module_use", d);
  }
  if (s.environment.container && s.environment.container->image) {
    dirs.emplace_back("container.image", *s.environment.container->image);
  }
  FactChecks env(out, "environment", s.environment.source, &s.environment.facts);
  for (const auto& [field, path] : dirs) {
    if (!paths) {
      env.not_checked(field, path, "not on the site's host (pass --check-paths on its login node)");
    } else if (path.empty() || path.front() != '/' || path.find('$') != std::string::npos) {
      env.not_checked(field, path, "not a plain absolute path");
    } else if (paths->exists(path)) {
      env.holds(field, path, "exists");
    } else {
      env.differs(field, path, "does not exist", true);
    }
  }
}

// The monitoring tools (energy counter, efficiency tool): found as a file or
// on PATH where the host is the site's; a missing one does not change a plan.
void verify_tools(const System& s, const std::optional<PathProbe>& paths,
                  std::vector<FactCheck>& out) {
  std::vector<std::pair<std::string, std::string>> tools;  // field, file or command
  if (s.monitoring) {
    if (s.monitoring->energy_counter) {
      tools.emplace_back("energy_counter", *s.monitoring->energy_counter);
    }
    if (!s.monitoring->efficiency_tool.empty()) {
      const auto& t = s.monitoring->efficiency_tool;
      tools.emplace_back("efficiency_tool", t.substr(0, t.find(' ')));
    }
  }
  FactChecks tool(out, "monitoring", s.monitoring ? s.monitoring->source : s.environment.source,
                s.monitoring ? &s.monitoring->facts : nullptr);
  for (const auto& [field, name] : tools) {
    if (!paths) {
      tool.not_checked(field, name,
                       "not on the site's host (pass --check-paths on its login node)");
    } else if (name.find('/') != std::string::npos ? paths->exists(name) : paths->on_path(name)) {
      tool.holds(field, name, "found");
    } else {
      // Reports use it after the job; a plan does not change.
      tool.differs(field, name, "not found (neither a file nor a command on PATH)", false);
    }
  }
}

// What Slurm cannot tell (not checked), and the paths and tools the catalogue names.
void verify_unknowable(const System& s, const std::optional<PathProbe>& paths,
                       std::vector<FactCheck>& out) {
  note_site_rules(s, out);
  verify_dirs(s, paths, out);
  verify_tools(s, paths, out);
}

}  // namespace

Expected<SiteView> read_site(SlurmClient& slurm, const std::vector<std::string>& skip_features) {
  SiteView site;
  auto config = slurm.config_text();
  if (!config) {
    return tl::unexpected(config.error());
  }
  site.config = parse_config(*config);
  site.cluster = site.config.count("ClusterName") ? site.config["ClusterName"] : "";
  if (site.cluster.empty()) {
    return fail(ErrorKind::slurm,
                "scontrol show config printed no ClusterName; is this a Slurm login node?");
  }
  auto partitions_text = slurm.partitions_text();
  if (!partitions_text) {
    return tl::unexpected(partitions_text.error());
  }
  auto partitions = parse_partitions(*partitions_text);
  if (!partitions) {
    return tl::unexpected(partitions.error());
  }
  site.partitions = std::move(*partitions);
  auto nodes_text = slurm.nodes_text();
  if (!nodes_text) {
    return tl::unexpected(nodes_text.error());
  }
  auto nodes = parse_nodes(*nodes_text);
  if (!nodes) {
    return tl::unexpected(nodes.error());
  }
  for (auto& n : *nodes) {
    if (has_any(n.features, skip_features)) {
      site.skipped_nodes.push_back(n.name);
    } else {
      site.nodes.push_back(std::move(n));
    }
  }
  // A node's Partitions= is missing for cloud nodes on some versions: take
  // membership from the partitions' node lists instead.
  std::map<std::string, std::vector<std::string>> member;
  for (const auto& p : site.partitions) {
    auto names = expand_hostlist(p.nodes);
    if (!names) {
      return tl::unexpected(Error{ErrorKind::slurm,
                                  fmt::format("partition {}: {}", p.name, names.error().message)});
    }
    for (const auto& n : *names) {
      member[n].push_back(p.name);
    }
  }
  for (auto& n : site.nodes) {
    if (auto it = member.find(n.name); it != member.end()) {
      n.partitions = it->second;
    }
  }
  return site;
}

std::vector<SiteNodeType> site_node_types(const SiteView& site) {
  std::map<std::string, std::vector<const SlurmNode*>> by_type;
  for (const auto& n : site.nodes) {
    if (auto g = n.gpu(); g && g->count > 0) {
      by_type[g->type].push_back(&n);
    }
  }
  std::vector<SiteNodeType> out;
  for (const auto& [type, nodes] : by_type) {
    std::map<long, int> per_count;
    for (const auto* n : nodes) {
      ++per_count[n->gpu()->count];
    }
    long gpus = 0;
    int most = 0;
    for (const auto& [count, how_many] : per_count) {
      if (how_many >= most) {  // ties: the larger count
        gpus = count;
        most = how_many;
      }
    }
    SiteNodeType t;
    t.gpu_type = type;
    t.gpus = static_cast<int>(gpus);
    t.count = static_cast<int>(nodes.size());
    bool first = true;
    std::set<std::string> parts;
    for (const auto* n : nodes) {
      parts.insert(n->partitions.begin(), n->partitions.end());
      if (n->gpu()->count != gpus) {
        continue;
      }
      t.cores = first ? n->cores() : std::min(t.cores, n->cores());
      t.memory = first ? n->memory : std::min(t.memory, n->memory);
      first = false;
    }
    // In Slurm's order of partitions.
    for (const auto& p : site.partitions) {
      if (parts.count(p.name)) {
        t.partitions.push_back(p.name);
      }
    }
    out.push_back(std::move(t));
  }
  std::stable_sort(out.begin(), out.end(), [](const SiteNodeType& a, const SiteNodeType& b) {
    return a.count > b.count;
  });
  return out;
}

std::vector<std::pair<const SlurmPartition*, std::vector<std::string>>> gpu_partitions(
    const SiteView& site) {
  const auto types = site_node_types(site);
  std::vector<std::pair<const SlurmPartition*, std::vector<std::string>>> out;
  for (const auto& p : site.partitions) {
    std::vector<std::string> held;
    for (const auto& t : types) {
      if (std::find(t.partitions.begin(), t.partitions.end(), p.name) != t.partitions.end()) {
        held.push_back(t.gpu_type);
      }
    }
    if (!held.empty()) {
      out.emplace_back(&p, std::move(held));
    }
  }
  return out;
}

std::vector<FactCheck> verify_system(const System& system, const SiteView& site,
                                   const std::optional<PathProbe>& paths) {
  std::vector<FactCheck> out;
  const auto types = site_node_types(site);
  verify_partitions(system, site, types, out);
  verify_node_types(system, site, types, out);
  verify_unknowable(system, paths, out);
  return out;
}

}  // namespace mlsub
