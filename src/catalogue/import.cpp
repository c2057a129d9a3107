// `mlsub catalogue import`: a system file written from a cluster's Slurm.

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <set>
#include <unistd.h>

#include "mlsub/catalogue_verify.hpp"
#include "mlsub/duration.hpp"
#include "mlsub/size.hpp"

namespace mlsub {
namespace {

// A YAML double-quoted scalar (JSON's escapes are YAML's).
std::string q(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

bool all_gpus_typed(const std::vector<SiteNodeType>& types) {
  return std::all_of(types.begin(), types.end(),
                     [](const SiteNodeType& t) { return !t.gpu_type.empty(); });
}

// A node type's name from its GPU type: letters, digits, '_', '-', '.'.
std::string type_name(const SiteNodeType& t) {
  if (t.gpu_type.empty()) {
    return "gpu";
  }
  std::string out;
  for (const char c : t.gpu_type) {
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')
               ? c
               : '_';
  }
  return out;
}

// AMD's GPUs by the names sites give them in gres.conf (mi250, MI300A).
bool looks_amd(const std::string& type) {
  std::string lower;
  for (const char c : type) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return lower.rfind("mi", 0) == 0 || lower.find("amd") != std::string::npos ||
         lower.find("instinct") != std::string::npos;
}

std::string source_lines(const std::string& indent, const std::string& source,
                         const std::string& today) {
  return fmt::format("{}source: {}\n{}checked: {}\n", indent, source, indent, today);
}

}  // namespace

std::vector<GpuForm> gpu_forms(const SiteView& site) {
  const auto types = site_node_types(site);
  const bool typed = all_gpus_typed(types);
  const auto select = site.config.count("SelectType") ? site.config.at("SelectType") : "";
  std::vector<GpuForm> out;
  const GpuForm per_node{"gpus-per-node", typed ? "{type}:{count}" : "{count}",
                         "Slurm's select/cons_tres takes GPUs per node" +
                             std::string(typed ? ", with their gres type" : ""),
                         false};
  const GpuForm gres{"gres", typed ? "gpu:{type}:{count}" : "gpu:{count}",
                     "the nodes' gres: GPUs per node" +
                         std::string(typed ? ", with their type" : ""),
                     false};
  if (select.find("cons_tres") != std::string::npos) {
    out = {per_node, gres};
  } else {
    out = {gres};  // --gpus-per-node needs cons_tres
  }
  return out;
}

std::optional<GpuForm> probe_gpu_form(SlurmClient& slurm, const SiteView& site,
                                      const std::string& scratch_dir) {
  const auto parts = gpu_partitions(site);
  // One name per process: imports on one machine run side by side.
  const std::string script =
      (std::filesystem::path(scratch_dir) / fmt::format("mlsub-gpu-probe-{}.sh", ::getpid()))
          .string();
  // A partition may refuse one GPU for its own reasons (a minimum, a GPU
  // type it does not hold for this shape): each form is tried on each GPU
  // partition and type, at most k_tries jobs in all.
  constexpr int k_tries = 12;
  int tries = 0;
  for (GpuForm form : gpu_forms(site)) {
    for (const auto& [p, held] : parts) {
      for (const auto& type : held) {
        if (++tries > k_tries) {
          return std::nullopt;
        }
        std::string value = form.format;
        value.replace(value.find("{count}"), 7, "1");
        if (const auto at = value.find("{type}"); at != std::string::npos) {
          value.replace(at, 6, type);
        }
        {
          std::ofstream f(script, std::ios::trunc);
          f << "#!/bin/bash\n#SBATCH --partition=" << p->name << "\n#SBATCH --nodes=1\n"
            << "#SBATCH --ntasks=1\n#SBATCH --time=1\n#SBATCH --" << form.option << "=" << value
            << "\ntrue\n";
          if (!f) {
            return std::nullopt;
          }
        }
        const auto verdict = slurm.test_only(script, SubmitFlags{});
        std::error_code ignored;
        std::filesystem::remove(script, ignored);
        if (verdict) {
          form.probed = true;
          form.why = fmt::format("{}; sbatch --test-only accepted --{}={} on partition {}",
                                 form.why, form.option, value, p->name);
          return form;
        }
      }
    }
  }
  return std::nullopt;
}

namespace {

using GpuPartitions = std::vector<std::pair<const SlurmPartition*, std::vector<std::string>>>;
using TypeNames = std::map<std::string, std::string>;  // gpu type -> node type name

// Where every imported fact comes from, and the day it was read.
struct Stamp {
  std::string src;
  std::string today;
};

// The cluster's name for comments and plain scalars: only the characters
// Slurm's own examples use, at most 64.
std::string safe_cluster(const std::string& name) {
  std::string cluster;
  for (const char c : name.substr(0, 64)) {
    cluster += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')
                   ? c
                   : '-';
  }
  return cluster;
}

// Each GPU type's node type name, made unique with -2, -3, ... in types' order.
TypeNames node_type_names(const std::vector<SiteNodeType>& types) {
  TypeNames names;
  std::set<std::string> used;
  for (const auto& t : types) {
    std::string n = type_name(t);
    for (int i = 2; used.count(n); ++i) {
      n = type_name(t) + "-" + std::to_string(i);
    }
    used.insert(n);
    names[t.gpu_type] = n;
  }
  return names;
}

// The file's opening comment and its identity: schema, name, title, site, docs.
std::string header_yaml(const ImportOptions& o, const std::string& cluster, const Stamp& st) {
  std::string y = fmt::format(
      "# Written by `mlsub catalogue import {}` from the Slurm of cluster {} on {}.\n"
      "# What Slurm reports (partitions and their limits, GPU nodes) has source\n"
      "# {}; what Slurm cannot tell (the launcher, the software environment, the\n"
      "# memory policy, the account's form, the GPUs' memory) is a conservative\n"
      "# choice listed under `assumed:`, which `mlsub show` and --explain flag.\n"
      "# Replace each with the site's documented rule and its page (see\n"
      "# docs/guides/catalogue-entry.md), then check it with\n"
      "# `mlsub catalogue verify --system {}` on the cluster.\n",
      o.name, cluster, o.today, st.src, o.name);
  y += "schema: 1\n";
  y += fmt::format("name: {}\n", o.name);
  y += fmt::format("title: {}\n", q(fmt::format("{} (imported from Slurm cluster {})", o.name,
                                                 cluster)));
  y += fmt::format("site: {}\n", q(fmt::format("Slurm cluster {} (name the site here)",
                                                cluster)));
  y += fmt::format("docs: {}\n", q(o.docs.empty() ? st.src : o.docs));
  return y;
}

// mlsub's own default time: the (last) default partition's DefaultTime, else one hour.
std::string default_time_yaml(const GpuPartitions& parts) {
  std::optional<Duration> default_time;
  for (const auto& [p, held] : parts) {
    if (p->is_default && p->default_time) {
      default_time = p->default_time;
    }
  }
  return fmt::format("default_time: {}\n",
                     q(format_duration(default_time.value_or(Duration{3600}))));
}

// The account: not required, as Slurm cannot tell the site's rule (assumed).
std::string account_yaml(const Stamp& st) {
  std::string y = "account:\n  required: false\n";
  y += "  why: Slurm bills your default account when a job names none; give --account to bill "
       "another\n";
  y += source_lines("  ", st.src, st.today);
  y += "  assumed:\n    required: Slurm does not say whether the site requires --account or the "
       "form of its accounts; add pattern and placeholder from the site's guide\n";
  return y;
}

// The GPU request form: the probed one, else the config's best (assumed).
std::string gpu_request_yaml(const SiteView& site, const ImportOptions& o, const Stamp& st) {
  const GpuForm form = o.gpu_form ? *o.gpu_form : gpu_forms(site).front();
  std::string y = fmt::format("gpu_request:\n  option: {}\n  format: {}\n  why: {}\n",
                              form.option, q(form.format), q(form.why));
  y += source_lines("  ", st.src, st.today);
  if (!form.probed) {
    y += "  assumed:\n    option: chosen from Slurm's SelectType and the nodes' gres; sbatch "
         "--test-only was not asked or refused every form, so use the site's own examples' form\n";
  }
  return y;
}

// The smallest node's memory per GPU, in whole GiB (at least 1), as MiB.
std::uint64_t smallest_share_mib(const std::vector<SiteNodeType>& types) {
  std::uint64_t share = UINT64_MAX;
  for (const auto& t : types) {
    share = std::min<std::uint64_t>(share, t.memory.mib / static_cast<std::uint64_t>(t.gpus));
  }
  return std::max<std::uint64_t>(1, share / 1024) * 1024;
}

// Memory: what Slurm gives with each GPU (DefMemPerGPU on every GPU
// partition), else an explicit share of the smallest node per GPU (assumed).
std::string memory_yaml(const GpuPartitions& parts, const std::vector<SiteNodeType>& types,
                        const Stamp& st) {
  const bool slurm_gives = std::all_of(parts.begin(), parts.end(), [](const auto& p) {
    return p.first->def_mem_per_gpu.has_value();
  });
  if (slurm_gives) {
    return "memory:\n  policy: site\n  why: every GPU partition has a DefMemPerGPU, so memory "
           "comes with the GPUs\n" +
           source_lines("  ", st.src, st.today);
  }
  const std::uint64_t share = smallest_share_mib(types);
  std::string y = fmt::format(
      "memory:\n  policy: per_gpu\n  per_gpu: {}\n  why: {}\n", format_size(Size{share}),
      q(fmt::format("an equal share of the smallest GPU node's memory per GPU ({}), so that "
                    "jobs sharing a node fit",
                    format_size(Size{share}))));
  y += source_lines("  ", st.src, st.today);
  y += "  assumed:\n"
       "    policy: Slurm sets no DefMemPerGPU, and whether the site wants --mem is its rule; "
       "asking for a GPU's share of memory is safe either way\n"
       "    per_gpu: the node's memory divided by its GPUs, rounded down to whole GiB\n";
  return y;
}

// The launcher and the software environment: srun and no modules (assumed).
std::string launch_and_environment_yaml(const Stamp& st) {
  std::string y = "launch:\n  multi_gpu: srun\n  why: one task per GPU, started by srun, works "
                  "under any Slurm\n";
  y += source_lines("  ", st.src, st.today);
  y += "  assumed:\n    multi_gpu: Slurm does not say how the site starts multi-GPU jobs; srun "
       "needs nothing installed; set torchrun if the site's examples use it\n";
  y += "environment:\n  modules: []\n  why: the job runs the python3 it finds on PATH; name the "
       "site's PyTorch module here\n";
  y += source_lines("  ", st.src, st.today);
  y += "  assumed:\n    modules: Slurm does not know the site's software; no module is loaded "
       "until the site's PyTorch module is named\n";
  return y;
}

// Slurm's DefCpuPerGPU for a type when every partition of the type that sets
// one agrees and it fits the node; unset otherwise.
std::optional<int> slurm_cpus_per_gpu(const SiteNodeType& t, const GpuPartitions& parts) {
  std::set<int> defaults;
  for (const auto& [p, held] : parts) {
    if (p->def_cpu_per_gpu && std::find(held.begin(), held.end(), t.gpu_type) != held.end()) {
      defaults.insert(*p->def_cpu_per_gpu);
    }
  }
  if (defaults.size() == 1 && *defaults.begin() * t.gpus <= t.cores) {
    return *defaults.begin();
  }
  return std::nullopt;
}

// One node type's entry: Slurm's shape; vendor, GPU memory and (without a
// DefCpuPerGPU) cores per GPU assumed.
std::string node_type_yaml(const SiteNodeType& t, const std::string& name,
                           const GpuPartitions& parts, const Stamp& st) {
  const bool amd = looks_amd(t.gpu_type);
  const auto from_slurm = slurm_cpus_per_gpu(t, parts);
  const int per_gpu = from_slurm ? *from_slurm : std::max(1, t.cores / t.gpus);
  std::string y = fmt::format("  - name: {}\n", q(name));
  y += fmt::format("    gpu_type: {}\n", q(t.gpu_type.empty() ? "gpu" : t.gpu_type));
  y += fmt::format("    gpu_model: {}\n",
                   q(t.gpu_type.empty() ? "GPU (untyped gres)" : t.gpu_type + " (from gres)"));
  y += fmt::format("    gpu_vendor: {}\n", amd ? "amd" : "nvidia");
  y += "    gpu_memory: 16G\n";
  y += fmt::format("    gpus: {}\n    cores: {}\n    memory: {}\n    cpus_per_gpu: {}\n"
                   "    count: {}\n",
                   t.gpus, t.cores, format_size(t.memory), per_gpu, t.count);
  y += fmt::format("    why_cpus: {}\n",
                   q(from_slurm ? fmt::format("Slurm's DefCpuPerGPU for these nodes")
                                : fmt::format("{} cores / {} GPUs", t.cores, t.gpus)));
  y += source_lines("    ", st.src, st.today);
  y += "    assumed:\n";
  y += fmt::format("      gpu_vendor: guessed from the gres type name {}\n",
                   q(t.gpu_type.empty() ? "gpu" : t.gpu_type));
  y += "      gpu_memory: Slurm does not know a GPU's memory; 16G is a low guess (report's "
       "advice uses it)\n";
  if (!from_slurm) {
    y += "      cpus_per_gpu: the node's cores divided by its GPUs; the site may advise fewer\n";
  }
  return y;
}

// How many of the site's GPU nodes are in the partition.
int gpu_nodes_in(const SiteView& site, const std::string& partition) {
  int nodes_in = 0;
  for (const auto& n : site.nodes) {
    if (n.gpu() && std::find(n.partitions.begin(), n.partitions.end(), partition) !=
                       n.partitions.end()) {
      ++nodes_in;
    }
  }
  return nodes_in;
}

// A partition's time and node limits: Slurm's, else one day and its GPU
// nodes (each default added to `assumed`).
std::string partition_limits_yaml(const SlurmPartition& p, int nodes_in,
                                  std::vector<std::string>& assumed) {
  std::string y;
  if (p.max_time) {
    y += fmt::format("    max_time: {}\n", q(format_duration(*p.max_time)));
  } else {
    y += "    max_time: \"1-00:00:00\"\n";
    assumed.push_back("max_time: the partition has no MaxTime (a QOS may set one); one day is "
                      "mlsub's cap");
  }
  const int max_nodes = p.max_nodes ? *p.max_nodes : std::max(1, nodes_in);
  y += fmt::format("    max_nodes: {}\n", max_nodes);
  if (!p.max_nodes) {
    assumed.push_back("max_nodes: the partition has no MaxNodes (a QOS may set one); its GPU "
                      "nodes are the cap");
  }
  const int min_nodes = std::min(std::max(1, p.min_nodes), max_nodes);
  if (min_nodes > 1) {
    y += fmt::format("    min_nodes: {}\n", min_nodes);
  }
  return y;
}

// The partition's node types, listed only when it holds fewer than all.
std::string partition_node_types_yaml(const std::vector<std::string>& held,
                                      std::size_t all_types, const TypeNames& names) {
  if (held.size() == all_types) {
    return "";
  }
  std::string y = "    node_types: [";
  for (std::size_t i = 0; i < held.size(); ++i) {
    y += (i ? ", " : "") + q(names.at(held[i]));
  }
  return y + "]\n";
}

// One partition's entry: Slurm's limits, whole nodes, types, state, source.
std::string partition_yaml(const SiteView& site, const SlurmPartition& p,
                           const std::vector<std::string>& held, std::size_t all_types,
                           const TypeNames& names, const Stamp& st) {
  std::vector<std::string> assumed;
  std::string y = fmt::format("  - name: {}\n", q(p.name));
  if (p.is_default) {
    y += "    default: true\n";
  }
  y += partition_limits_yaml(p, gpu_nodes_in(site, p.name), assumed);
  if (p.exclusive) {
    y += "    whole_node: true\n";
  }
  y += partition_node_types_yaml(held, all_types, names);
  if (p.state != "UP") {
    y += fmt::format("    note: {}\n", q("Slurm reports the partition " + p.state));
  }
  y += fmt::format("    why: {}\n", q(fmt::format("Slurm's partition {}{}", p.name,
                                                   p.exclusive ? ", whole nodes" : "")));
  y += source_lines("    ", st.src, st.today);
  if (!assumed.empty()) {
    y += "    assumed:\n";
    for (const auto& a : assumed) {
      y += "      " + a + "\n";
    }
  }
  return y;
}

}  // namespace

Expected<std::string> import_system(const SiteView& site, const ImportOptions& o) {
  const auto types = site_node_types(site);
  const auto parts = gpu_partitions(site);
  if (types.empty() || parts.empty()) {
    return fail(ErrorKind::rejected,
                fmt::format("cluster {} has no nodes with GPUs (gres gpu) in a partition; mlsub "
                            "plans GPU jobs only",
                            site.cluster));
  }
  const std::string cluster = safe_cluster(site.cluster);
  const Stamp st{"slurm://" + cluster, o.today};
  const TypeNames names = node_type_names(types);
  std::string y = header_yaml(o, cluster, st);
  y += default_time_yaml(parts);
  y += account_yaml(st);
  y += gpu_request_yaml(site, o, st);
  y += memory_yaml(parts, types, st);
  y += launch_and_environment_yaml(st);
  y += "node_types:\n";
  for (const auto& t : types) {
    y += node_type_yaml(t, names.at(t.gpu_type), parts, st);
  }
  y += "partitions:\n";
  for (const auto& [p, held] : parts) {
    y += partition_yaml(site, *p, held, types.size(), names, st);
  }
  return y;
}

}  // namespace mlsub
