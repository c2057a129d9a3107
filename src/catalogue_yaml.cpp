// Reading one systems/NAME.yaml into a System, checking every field.
//
// The loader never throws and never stops at the first problem: a catalogue
// author sees every mistake in a file at once, each as FILE:LINE:COL, the
// way a compiler reports them. Checks that span fields (CPUs per GPU times
// GPUs within the node's cores, partitions naming known node types) run
// after the fields themselves were read.

#include <fmt/format.h>

#include <set>

#include "mlsub/catalogue.hpp"
#include "mlsub/words.hpp"
#include "yaml_reader.hpp"

namespace mlsub {
namespace {

using detail::MapReader;
using detail::Problems;

constexpr int k_schema_version = 1;
constexpr int k_max_count = 1'000'000;

// Fixed shapes are checked by hand: compiling a std::regex costs more than
// reading a whole catalogue file, and every `mlsub plan` pays for it.
constexpr std::string_view k_lower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view k_lower_digit = "abcdefghijklmnopqrstuvwxyz0123456789";

// `first` holds the characters a word may start with; `more` the others it
// may contain besides.
bool is_word(std::string_view text, std::string_view first, std::string_view more) {
  if (text.empty() || first.find(text.front()) == std::string_view::npos) {
    return false;
  }
  for (const char c : text) {
    if (first.find(c) == std::string_view::npos && more.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// YYYY-MM-DD, digits where digits belong.
bool is_iso_date(std::string_view text) {
  if (text.size() != 10) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 4 || i == 7;
    if (dash ? text[i] != '-' : (text[i] < '0' || text[i] > '9')) {
      return false;
    }
  }
  return true;
}

// A word the catalogue writes into the script as shell text: not empty,
// one line, no control bytes, and no blank outside double quotes.
bool is_shell_word(std::string_view word) {
  bool quoted = false;
  for (const char c : word) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return false;
    }
    if (c == '"') {
      quoted = !quoted;
    } else if (!quoted && (c == ' ' || c == ';' || c == '&' || c == '|' || c == '<' || c == '>')) {
      return false;
    }
  }
  return !word.empty() && !quoted;
}

SourceRef read_source(MapReader& r) {
  SourceRef s;
  if (auto url = r.text("source")) {
    // slurm://CLUSTER: what that cluster's Slurm reported to `mlsub
    // catalogue import` on the date checked.
    if (url->rfind("https://", 0) != 0 && url->rfind("http://", 0) != 0 &&
        (url->rfind("slurm://", 0) != 0 || url->size() == 8)) {
      r.problem("source", fmt::format("expected a URL (or slurm://CLUSTER), got '{}'", *url));
    }
    s.url = *url;
  }
  if (auto date = r.text("checked")) {
    if (!is_iso_date(*date)) {
      r.problem("checked", fmt::format("expected a date YYYY-MM-DD, got '{}'", *date));
    }
    s.checked = *date;
  }
  return s;
}

// The name of an environment variable, as a site's shell sets it.
std::optional<std::string> read_variable_name(MapReader& r, const char* key, bool required) {
  auto name = r.text(key, required);
  if (name && !is_word(*name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_", "0123456789")) {
    r.problem(key, fmt::format("'{}' is not an upper-case variable name", *name));
  }
  return name;
}

// A list of KEY=VALUE entries (variables a job exports).
std::vector<std::string> read_key_values(MapReader& r, const char* key) {
  std::vector<std::string> out = r.text_list(key);
  for (const auto& kv : out) {
    if (kv.find('=') == std::string::npos || kv.front() == '=') {
      r.problem(key, fmt::format("'{}' is not KEY=VALUE", kv));
    }
  }
  return out;
}

// `assumed:` and `sources:` of one block: maps from a field of the block
// to why it is assumed, or to the page that states it. A note must name a
// field the block sets (a typo would otherwise hide an assumption), and a
// field is either assumed or sourced, not both.
FactNotes read_facts(MapReader& r, const std::string& path) {
  FactNotes out;
  const auto names_a_fact = [&r](const std::string& field) {
    static const std::set<std::string> not_facts = {"assumed", "sources", "source", "checked",
                                                    "why"};
    return not_facts.count(field) == 0 && r.node()[field].IsDefined();
  };
  if (const YAML::Node a = r.child("assumed", false); a.IsDefined()) {
    MapReader ar(a, path + "assumed", r.problems());
    if (ar.ok()) {
      for (const auto& entry : a) {
        const auto field = entry.first.as<std::string>();
        auto why = ar.text(field.c_str());
        if (!names_a_fact(field)) {
          ar.problem(field.c_str(), "names no field of this block; note only a field it sets");
        } else if (why) {
          out.notes.push_back({field, *why, {}});
        }
      }
      ar.finish();
    }
  }
  if (const YAML::Node srcs = r.child("sources", false); srcs.IsDefined()) {
    MapReader sr(srcs, path + "sources", r.problems());
    if (sr.ok()) {
      for (const auto& entry : srcs) {
        const auto field = entry.first.as<std::string>();
        MapReader fr(sr.child(field.c_str()), path + "sources." + field, r.problems());
        const SourceRef source = read_source(fr);
        fr.finish();
        if (!names_a_fact(field)) {
          sr.problem(field.c_str(), "names no field of this block; note only a field it sets");
        } else if (out.find(field) != nullptr) {
          sr.problem(field.c_str(), "is also under assumed: a fact is either assumed or sourced");
        } else {
          out.notes.push_back({field, "", source});
        }
      }
      sr.finish();
    }
  }
  return out;
}

std::optional<Retirement> read_retired(MapReader& top) {
  const YAML::Node node = top.child("retired", false);
  if (!node.IsDefined()) {
    return std::nullopt;
  }
  MapReader r(node, "retired", top.problems());
  Retirement out;
  out.date = r.text("date").value_or("");
  out.successor = r.text("successor").value_or("");
  out.note = r.text("note", false).value_or("");
  out.source = read_source(r);
  r.finish();
  return out;
}

AccountRule read_account(MapReader& top) {
  AccountRule out;
  MapReader r(top.child("account"), "account", top.problems());
  if (!r.ok()) {
    return out;
  }
  out.pattern = r.text("pattern", false);
  out.case_insensitive = r.boolean("case_insensitive").value_or(false);
  // std::regex compiles by recursion: a long pattern (deeply nested groups)
  // could overflow the stack. A project-name pattern is short. The pattern
  // is compiled where an account is checked (planner.cpp), which reports a
  // pattern std::regex cannot read, so that a plan without --account does
  // not pay for compiling it.
  constexpr std::size_t k_max_pattern = 200;
  if (out.pattern && out.pattern->size() > k_max_pattern) {
    r.problem("pattern", fmt::format("longer than {} characters", k_max_pattern));
    out.pattern.reset();
  }
  out.required = r.boolean("required").value_or(true);
  out.placeholder = r.text("placeholder", out.required).value_or("");
  out.why = r.text("why").value_or("");
  out.source = read_source(r);
  out.facts = read_facts(r, "account.");
  r.finish();
  return out;
}

GpuRequestSyntax read_gpu_request(MapReader& top) {
  GpuRequestSyntax out;
  MapReader r(top.child("gpu_request"), "gpu_request", top.problems());
  if (!r.ok()) {
    return out;
  }
  out.option = r.text("option").value_or("");
  out.format = r.text("format").value_or("");
  if (!out.format.empty() && out.format.find("{count}") == std::string::npos) {
    r.problem("format", "must contain {count}, the GPUs per node");
  }
  if (!out.option.empty() && !is_word(out.option, k_lower, "-")) {
    r.problem("option", fmt::format("expected an sbatch option name without dashes "
                                    "(gres, gpus-per-node), got '{}'",
                                    out.option));
  }
  out.all_gpus_without_request = r.boolean("all_gpus_without_request").value_or(false);
  out.why = r.text("why").value_or("");
  out.source = read_source(r);
  out.facts = read_facts(r, "gpu_request.");
  r.finish();
  return out;
}

MemoryRule read_memory(MapReader& top) {
  MemoryRule out;
  MapReader r(top.child("memory"), "memory", top.problems());
  if (!r.ok()) {
    return out;
  }
  out.policy = r.enumerated("policy", k_memory_policy_names).value_or(MemoryPolicy::site);
  out.per_gpu = r.size("per_gpu", out.policy == MemoryPolicy::per_gpu);
  if (out.policy == MemoryPolicy::site && out.per_gpu) {
    r.problem("per_gpu", "only allowed with policy: per_gpu");
  }
  out.why = r.text("why").value_or("");
  out.source = read_source(r);
  out.facts = read_facts(r, "memory.");
  r.finish();
  return out;
}

LaunchRule read_launch(MapReader& top) {
  LaunchRule out;
  MapReader r(top.child("launch"), "launch", top.problems());
  if (!r.ok()) {
    return out;
  }
  if (auto name = r.text("multi_gpu")) {
    if (auto l = parse_launcher(*name)) {
      out.multi_gpu = *l;
    } else {
      r.problem("multi_gpu", fmt::format("unknown launcher '{}'; known: {}", *name,
                                         launcher_names()));
    }
  }
  out.why = r.text("why").value_or("");
  if (const YAML::Node b = r.child("binding", false); b.IsDefined()) {
    MapReader br(b, "launch.binding", top.problems());
    out.cpu_bind = br.text("cpu_bind");
    out.binding_why = br.text("why").value_or("");
    (void)read_source(br);
    br.finish();
  }
  if (const YAML::Node v = r.child("rendezvous", false); v.IsDefined()) {
    MapReader vr(v, "launch.rendezvous", top.problems());
    out.rendezvous_host_variable = read_variable_name(vr, "host_variable", true);
    out.rendezvous_port_variable = read_variable_name(vr, "port_variable", true);
    out.rendezvous_source = read_source(vr);
    vr.finish();
  }
  out.source = read_source(r);
  out.facts = read_facts(r, "launch.");
  r.finish();
  return out;
}

Environment read_environment(MapReader& top) {
  Environment out;
  const YAML::Node node = top.child("environment", false);
  if (!node.IsDefined()) {
    return out;
  }
  MapReader r(node, "environment", top.problems());
  out.module_use = r.text_list("module_use");
  out.modules = r.text_list("modules");
  out.why = r.text("why", false).value_or("");
  out.no_default = r.text("no_default", false).value_or("");
  if (const YAML::Node u = r.child("uenv", false); u.IsDefined()) {
    MapReader ur(u, "environment.uenv", top.problems());
    UenvRule rule;
    rule.view = ur.text("view").value_or("");
    rule.variables = read_key_values(ur, "variables");
    rule.job_variables = read_key_values(ur, "job_variables");
    if (const YAML::Node js = ur.child("job_variables_source", false); js.IsDefined()) {
      MapReader jr(js, "environment.uenv.job_variables_source", top.problems());
      rule.job_variables_source = read_source(jr);
      jr.finish();
    }
    rule.source = read_source(ur);
    ur.finish();
    out.uenv = rule;
  }
  if (const YAML::Node c = r.child("container_engine", false); c.IsDefined()) {
    MapReader cr(c, "environment.container_engine", top.problems());
    out.container_engine_arch = cr.text("arch", false).value_or("x86_64");
    if (out.container_engine_arch != "x86_64" && out.container_engine_arch != "aarch64") {
      cr.problem("arch",
                 fmt::format("must be x86_64 or aarch64, got '{}'", out.container_engine_arch));
    }
    out.container_engine_srun_options = cr.text_list("srun_options");
    for (const auto& o : out.container_engine_srun_options) {
      if (o.rfind("--", 0) != 0 || !is_shell_word(o)) {
        cr.problem("srun_options", fmt::format("'{}' is not one srun option (--name=value)", o));
      }
    }
    out.container_engine_why = cr.text("why", false).value_or("");
    out.container_engine = read_source(cr);
    cr.finish();
  }
  out.job_cache_dirs = r.text_list("job_cache_dirs");
  for (const auto& name : out.job_cache_dirs) {
    if (!is_word(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_",
                 "0123456789")) {
      r.problem("job_cache_dirs", fmt::format("'{}' is not a variable name", name));
    }
  }
  out.distributed_variables = read_key_values(r, "distributed_variables");
  if (const YAML::Node d = r.child("deprecated_modules", false); d.IsDefined()) {
    if (!d.IsSequence()) {
      r.problem("deprecated_modules", "expected a list of {module, warning}");
    } else {
      std::size_t i = 0;
      for (const auto& item : d) {
        MapReader dr(item, fmt::format("environment.deprecated_modules[{}]", i++),
                     top.problems());
        DeprecatedModule m;
        m.prefix = dr.text("module").value_or("");
        m.warning = dr.text("warning").value_or("");
        (void)read_source(dr);
        dr.finish();
        out.deprecated_modules.push_back(std::move(m));
      }
    }
  }
  if (const YAML::Node c = r.child("container", false); c.IsDefined()) {
    MapReader cr(c, "environment.container", top.problems());
    ContainerRule rule;
    rule.runtime = cr.text("runtime", false).value_or("apptainer");
    if (rule.runtime != "apptainer" && rule.runtime != "singularity") {
      cr.problem("runtime",
                 fmt::format("must be apptainer or singularity, got '{}'", rule.runtime));
    }
    rule.arch = cr.text("arch", false).value_or("x86_64");
    if (rule.arch != "x86_64" && rule.arch != "aarch64") {
      cr.problem("arch", fmt::format("must be x86_64 or aarch64, got '{}'", rule.arch));
    }
    rule.verb = cr.text("verb", false).value_or("exec");
    if (rule.verb != "exec" && rule.verb != "run") {
      cr.problem("verb", fmt::format("must be exec or run, got '{}'", rule.verb));
    }
    rule.flags = cr.text_list("flags");
    for (const auto& f : rule.flags) {
      if (f.rfind("-", 0) != 0 || !is_shell_word(f)) {
        cr.problem("flags", fmt::format("'{}' is not one option word (no spaces or control "
                                        "characters outside quotes)",
                                        f));
      }
    }
    rule.image = cr.text("image", false);
    if (rule.image && (rule.image->empty() || !is_shell_word(*rule.image) ||
                       rule.image->find_first_of("'\"$`\\") != std::string::npos)) {
      cr.problem("image", fmt::format("'{}' is not a plain path", *rule.image));
    }
    rule.image_why = cr.text("image_why", false).value_or("");
    rule.modules = cr.text_list("modules");
    rule.modules_why = cr.text("modules_why", false).value_or("");
    rule.source = read_source(cr);
    cr.finish();
    out.container = rule;
  }
  out.source = read_source(r);
  out.facts = read_facts(r, "environment.");
  r.finish();
  return out;
}

std::optional<MonitoringRule> read_monitoring(MapReader& top) {
  const YAML::Node node = top.child("monitoring", false);
  if (!node.IsDefined()) {
    return std::nullopt;
  }
  MapReader r(node, "monitoring", top.problems());
  if (!r.ok()) {
    return std::nullopt;
  }
  MonitoringRule out;
  out.energy_counter = r.text("energy_counter", false);
  if (out.energy_counter &&
      (out.energy_counter->empty() ||
       out.energy_counter->find_first_of(" \t'\"$`;&|") != std::string::npos)) {
    r.problem("energy_counter", fmt::format("must be one command name or path without spaces, "
                                            "got '{}'",
                                            *out.energy_counter));
  }
  out.efficiency_tool = r.text("efficiency_tool", false).value_or("");
  if (!out.efficiency_tool.empty() && out.efficiency_tool.find("{job}") == std::string::npos) {
    r.problem("efficiency_tool",
              fmt::format("must name the job as {{job}}, e.g. 'seff {{job}}', got '{}'",
                          out.efficiency_tool));
  }
  out.site_tool = r.text("site_tool", false).value_or("");
  out.none_documented = r.boolean("none_documented").value_or(false);
  const bool any_tool =
      out.energy_counter || !out.efficiency_tool.empty() || !out.site_tool.empty();
  if (out.none_documented && any_tool) {
    r.problem("none_documented", "is true, but the block also names a tool; drop one");
  } else if (!out.none_documented && !any_tool) {
    r.problem("none_documented",
              "missing: name the site's tool (energy_counter, efficiency_tool or site_tool), or "
              "say none_documented: true with the page that shows it documents none");
  }
  out.why = r.text("why", false).value_or("");
  out.source = read_source(r);
  out.facts = read_facts(r, "monitoring.");
  r.finish();
  return out;
}

NodeType read_node_type(const YAML::Node& node, const std::string& path, Problems& problems) {
  NodeType out;
  MapReader r(node, path, problems);
  if (!r.ok()) {
    return out;
  }
  out.name = r.text("name").value_or("");
  out.gpu_type = r.text("gpu_type").value_or("");
  out.gpu_model = r.text("gpu_model").value_or("");
  out.gpu_vendor = r.enumerated("gpu_vendor", k_gpu_vendor_names).value_or(GpuVendor::nvidia);
  out.gpu_memory = r.size("gpu_memory").value_or(Size{});
  out.gpus = r.integer("gpus", true, 1, 64).value_or(0);
  out.cores = r.integer("cores", true, 1, 100'000).value_or(0);
  out.memory = r.size("memory").value_or(Size{});
  out.cpus_per_gpu = r.integer("cpus_per_gpu", true, 1, 100'000).value_or(0);
  out.count = r.integer("count", true, 1, k_max_count).value_or(0);
  out.why_cpus = r.text("why_cpus", false).value_or("");
  if (const YAML::Node d = r.child("local_disk", false); d.IsDefined()) {
    // Either a disk reserved with the GPUs (gres and max), or one that
    // comes without a reservation (size, and advice for --local-disk).
    MapReader dr(d, path + ".local_disk", problems);
    out.local_disk_gres = dr.text("gres", false);
    out.local_disk_max = dr.size("max", out.local_disk_gres.has_value());
    out.local_disk_variable = read_variable_name(dr, "variable", true).value_or("");
    out.local_disk_size = dr.size("size", false);
    out.local_disk_advice = dr.text("advice", !out.local_disk_gres).value_or("");
    if (out.local_disk_max && !out.local_disk_gres) {
      dr.problem("max", "only with gres (a disk reserved with the GPUs)");
    }
    (void)read_source(dr);
    dr.finish();
  }
  out.max_per_job = r.integer("max_per_job", false, 1, 64);
  out.memory_per_gpu = r.size("memory_per_gpu", false);
  out.multi_node_advice = r.text("multi_node_advice", false).value_or("");
  out.source = read_source(r);
  out.facts = read_facts(r, path + ".");
  if (out.max_per_job && out.gpus > 0 && *out.max_per_job > out.gpus) {
    r.problem("max_per_job", fmt::format("{} is more than the node's {}", *out.max_per_job,
                                         plural(out.gpus, "GPU")));
  }
  if (out.gpus > 0 && out.cpus_per_gpu > 0 && out.cores > 0 &&
      out.cpus_per_gpu * out.gpus > out.cores) {
    r.problem("cpus_per_gpu",
              fmt::format("{} per GPU x {} = {} is more than the node's {}",
                          plural(out.cpus_per_gpu, "CPU"), plural(out.gpus, "GPU"),
                          out.cpus_per_gpu * out.gpus, plural(out.cores, "core")));
  }
  r.finish();
  return out;
}

Partition read_partition(const YAML::Node& node, const std::string& path, Problems& problems) {
  Partition out;
  MapReader r(node, path, problems);
  if (!r.ok()) {
    return out;
  }
  out.name = r.text("name").value_or("");
  out.max_time = r.duration("max_time").value_or(Duration{});
  out.max_nodes = r.integer("max_nodes", true, 1, k_max_count).value_or(1);
  out.min_nodes = r.integer("min_nodes", false, 1, k_max_count).value_or(1);
  out.max_gpus = r.integer("max_gpus", false, 1, k_max_count);
  out.min_gpus = r.integer("min_gpus", false, 1, k_max_count).value_or(1);
  out.max_cpus = r.integer("max_cpus", false, 1, 100'000'000);
  out.max_node_minutes = r.integer("max_node_minutes", false, 1, 100'000'000);
  out.whole_node = r.boolean("whole_node").value_or(false);
  out.is_default = r.boolean("default").value_or(false);
  out.memory = r.enumerated("memory", k_memory_policy_names, false);
  out.node_types = r.text_list("node_types");
  out.auto_select = r.enumerated("auto", k_auto_select_names, false).value_or(AutoSelect::always);
  out.auto_max_time = r.duration("auto_max_time", false);
  out.max_jobs_per_user = r.integer("max_jobs_per_user", false, 1, k_max_count);
  out.max_running_per_user = r.integer("max_running_per_user", false, 1, k_max_count);
  out.why = r.text("why").value_or("");
  out.note = r.text("note", false).value_or("");
  out.source = read_source(r);
  out.facts = read_facts(r, path + ".");
  if (out.min_nodes > out.max_nodes) {
    r.problem("min_nodes", fmt::format("{} is more than max_nodes {}", out.min_nodes,
                                       out.max_nodes));
  }
  if (out.max_gpus && out.min_gpus > *out.max_gpus) {
    r.problem("min_gpus", fmt::format("{} is more than max_gpus {}", out.min_gpus,
                                      *out.max_gpus));
  }
  if (out.max_jobs_per_user && out.max_running_per_user &&
      *out.max_running_per_user > *out.max_jobs_per_user) {
    r.problem("max_running_per_user",
              fmt::format("{} is more than max_jobs_per_user {}", *out.max_running_per_user,
                          *out.max_jobs_per_user));
  }
  if (out.auto_max_time && out.max_time.seconds > 0 && *out.auto_max_time > out.max_time) {
    r.problem("auto_max_time", "is longer than max_time");
  }
  r.finish();
  return out;
}

SiteConstraint read_constraint(const YAML::Node& node, const std::string& path,
                               Problems& problems) {
  SiteConstraint out;
  MapReader r(node, path, problems);
  if (!r.ok()) {
    return out;
  }
  out.name = r.text("name").value_or("");
  // Feature names joined by & (all) or | (any), as sbatch -C takes them.
  if (!out.name.empty() && !is_word(out.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
                                    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_&|")) {
    r.problem("name", fmt::format("'{}' is not a feature list like a&b", out.name));
  }
  out.meaning = r.text("meaning").value_or("");
  out.source = read_source(r);
  r.finish();
  return out;
}

template <typename T, typename ReadOne>
std::vector<T> read_list(MapReader& top, const char* key, ReadOne read_one) {
  std::vector<T> out;
  const YAML::Node node = top.child(key);
  if (!node.IsDefined()) {
    return out;
  }
  if (!node.IsSequence() || node.size() == 0) {
    top.problem(key, "expected a non-empty list");
    return out;
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    out.push_back(read_one(node[i], fmt::format("{}[{}]", key, i), top.problems()));
  }
  return out;
}

// Checks that need several fields: unique names, known references.
void check_references(const System& s, const YAML::Node& root, Problems& problems) {
  std::set<std::string> node_names;
  for (std::size_t i = 0; i < s.node_types.size(); ++i) {
    if (!node_names.insert(s.node_types[i].name).second) {
      problems.add(root["node_types"][i].Mark(),
                   fmt::format("node_types[{}].name: '{}' appears twice", i,
                               s.node_types[i].name));
    }
  }
  std::set<std::string> partition_names;
  int defaults = 0;
  for (std::size_t i = 0; i < s.partitions.size(); ++i) {
    const Partition& p = s.partitions[i];
    const YAML::Node node = root["partitions"][i];
    if (p.is_default && ++defaults > 1) {
      problems.add(node["default"].Mark(),
                   fmt::format("partitions[{}].default: only one partition can be the default", i));
    }
    if (!partition_names.insert(p.name).second) {
      problems.add(node.Mark(), fmt::format("partitions[{}].name: '{}' appears twice", i, p.name));
    }
    for (const auto& t : p.node_types) {
      if (node_names.count(t) == 0) {
        problems.add(node["node_types"].Mark(),
                     fmt::format("partitions[{}].node_types: unknown node type '{}'", i, t));
      }
    }
    if (p.memory == MemoryPolicy::per_gpu && !s.memory.per_gpu) {
      problems.add(node["memory"].Mark(),
                   fmt::format("partitions[{}].memory: per_gpu needs memory.per_gpu", i));
    }
  }
  if (s.memory.per_gpu) {
    for (std::size_t i = 0; i < s.node_types.size(); ++i) {
      const NodeType& n = s.node_types[i];
      const auto need = s.memory.per_gpu->mib * static_cast<std::uint64_t>(n.gpus);
      if (n.gpus > 0 && n.memory.mib > 0 && need > n.memory.mib) {
        problems.add(root["memory"].Mark(),
                     fmt::format("memory.per_gpu: {} x {} is more than node type '{}' has "
                                 "({})",
                                 format_size(*s.memory.per_gpu), plural(n.gpus, "GPU"), n.name,
                                 format_size(n.memory)));
      }
    }
  }
  if (s.retired && s.retired->successor == s.name) {
    problems.add(root["retired"].Mark(), "retired.successor: a system cannot succeed itself");
  }
}

System read_system(const YAML::Node& root, const std::string& file, Problems& problems) {
  System s;
  s.file = file;
  MapReader top(root, "", problems);
  if (!top.ok()) {
    return s;
  }
  if (auto v = top.integer("schema", true, 0, 1000); v && *v != k_schema_version) {
    top.problem("schema", fmt::format("this mlsub reads schema {}, the file has {}",
                                      k_schema_version, *v));
  }
  s.name = top.text("name").value_or("");
  if (!s.name.empty() && !is_word(s.name, k_lower_digit, "-")) {
    top.problem("name", "use lower-case letters, digits and '-'");
  }
  s.title = top.text("title").value_or("");
  s.site = top.text("site").value_or("");
  s.docs = top.text("docs").value_or("");
  s.family = top.text("family", false).value_or("");
  s.retired = read_retired(top);
  s.default_time = top.duration("default_time").value_or(Duration{3600});
  s.account = read_account(top);
  s.gpu_request = read_gpu_request(top);
  s.memory = read_memory(top);
  s.launch = read_launch(top);
  s.environment = read_environment(top);
  s.monitoring = read_monitoring(top);
  s.node_types = read_list<NodeType>(top, "node_types", read_node_type);
  s.partitions = read_list<Partition>(top, "partitions", read_partition);
  if (top.node()["constraints"].IsDefined()) {
    s.constraints = read_list<SiteConstraint>(top, "constraints", read_constraint);
  }
  top.finish();
  if (problems.empty()) {
    check_references(s, root, problems);
  }
  return s;
}

}  // namespace

Expected<System> parse_system(std::string_view yaml_text, const std::string& file) {
  Problems problems(file);
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    System s = read_system(root, file, problems);
    if (!problems.empty()) {
      return fail(ErrorKind::catalogue, problems.joined());
    }
    return s;
  } catch (const YAML::Exception& e) {
    // Malformed YAML: report yaml-cpp's position and its short message, not
    // the exception text (which repeats the position in its own format).
    problems.add(e.mark, fmt::format("not valid YAML: {}", e.msg));
    return fail(ErrorKind::catalogue, problems.joined());
  }
}

}  // namespace mlsub
