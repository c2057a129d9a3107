// The planner: from (System, Request) to a Plan, or to an Error that says
// which limit was hit and what request would pass.
//
// It runs as a fixed sequence of steps, each deciding one part of the job
// and recording why (a Reason with the catalogue's sentence and source):
//
//   check_values      strings that will reach #SBATCH lines are one line each
//   node type         --gpu-type, or the system's first node type
//   shape             GPUs -> nodes x GPUs per node (whole nodes past one)
//   time              --time, or the system's default
//   partition         --partition checked against its limits, or the first
//                     partition in catalogue order that admits the request
//   launcher          one process for one GPU, else the site's multi-GPU form
//   tasks and CPUs    the site's CPUs-per-GPU advice, per task
//   memory            per GPU where the site bills requested memory, or none
//                     where the site assigns it with the GPUs
//   GPU directive     the site's own syntax, from gpu_request
//   account, name     --account or its environment fallbacks, else a marked
//                     placeholder
//
// Nothing here names a site: every difference between sites is a value in
// systems/*.yaml, so a new site is a new file. Nothing here reads a file,
// the clock or the environment, so a plan is the same on a laptop, a login
// node and in CI.

#include "mlsub/planner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>

#include "mlsub/account.hpp"
#include "mlsub/shell.hpp"
#include "mlsub/suggest.hpp"
#include "planner_limits.hpp"

namespace mlsub {
namespace {

Expected<void> check_values(const Request& r) {
  if (r.program.empty()) {
    return fail(ErrorKind::usage, "no program given: put it after the options, e.g. "
                                  "mlsub plan --system lumi --gpus 1 train.py");
  }
  const std::pair<const char*, const std::optional<std::string>*> one_line[] = {
      {"--job-name", &r.job_name}, {"--output", &r.output},       {"--account", &r.account},
      {"--partition", &r.partition}, {"--gpu-type", &r.gpu_type}};
  for (const auto& [flag, value] : one_line) {
    if (*value && has_control_char(**value)) {
      return fail(ErrorKind::usage,
                  fmt::format("{} holds a newline or control character; it goes into an "
                              "#SBATCH line, where that would break the script: remove it",
                              flag));
    }
    if (*value && !is_sbatch_safe(**value)) {
      return fail(ErrorKind::usage,
                  fmt::format("{} holds a byte that is not ASCII; it goes into an #SBATCH "
                              "line, which sbatch cannot read such a byte from: use ASCII",
                              flag));
    }
    if (*value && (*value)->empty()) {
      return fail(ErrorKind::usage, fmt::format("{} is empty: give a value or leave it out", flag));
    }
  }
  return {};
}

// A program that is itself a launcher would be started once per GPU by the
// launch line, each copy starting its own processes: N x N of them.
Expected<void> check_not_a_launcher(const Request& r) {
  const std::string base = r.program.substr(r.program.find_last_of('/') + 1);
  std::string name = base;
  if ((base.rfind("python", 0) == 0) && r.args.size() >= 2 && r.args[0] == "-m") {
    name = r.args[1];
  }
  const char* fix = nullptr;
  if (name == "torchrun" || name == "torch.distributed.run" || name == "torch.distributed.launch") {
    fix = "give the training script itself and use --launcher torchrun";
  } else if (name == "accelerate" || name == "accelerate.commands.launch") {
    fix = "give the training script itself and use --launcher accelerate";
  } else if (name == "deepspeed" || name == "deepspeed.launcher.runner") {
    fix = "give the training script itself and use --launcher torchrun (or srun): a DeepSpeed "
          "program takes its ranks from the environment";
  }
  if (fix == nullptr) {
    return {};
  }
  return fail(ErrorKind::usage,
              fmt::format("the program '{}' is itself a launcher, and the job would start it "
                          "once per GPU, each starting its own processes; {}",
                          name == base ? base : base + " -m " + name, fix));
}

Expected<const NodeType*> choose_node_type(const System& s, const Request& r, Plan& plan) {
  const NodeType* node = &s.node_types.front();
  if (r.gpu_type) {
    node = s.find_node_type(*r.gpu_type);
    if (node == nullptr) {
      std::vector<std::string> types;
      for (const auto& n : s.node_types) {
        types.push_back(n.gpu_type);
      }
      return fail(ErrorKind::rejected,
                  fmt::format("{}: no GPU type '{}'; this system has {}", s.name, *r.gpu_type,
                              fmt::join(types, ", ")));
    }
  }
  plan.node_type = node->name;
  plan.gpu_type = node->gpu_type;
  plan.gpu_vendor = node->gpu_vendor;
  if (s.node_types.size() > 1 || r.gpu_type) {
    plan.reasons.push_back(
        {"gpu-type", node->gpu_type,
         r.gpu_type ? fmt::format("asked for with --gpu-type: {}", node->gpu_model)
                    : fmt::format("the system's default GPU ({}); --gpu-type picks another",
                                  node->gpu_model),
         node->facts.source("gpu_type", node->source).url});
  }
  return node;
}

// --gpus alone: as few nodes as hold the GPUs, the same number on each.
Expected<void> spread_gpus(const System& s, const NodeType& node, const Request& r, Plan& plan) {
  const int per_node = node.gpus;
  const int gpus = r.gpus.value_or(1);
  if (gpus <= per_node) {
    plan.nodes = 1;
    plan.gpus_per_node = gpus;
  } else {
    const int nodes = (gpus + per_node - 1) / per_node;
    if (gpus % nodes != 0) {
      const int below = gpus / per_node * per_node;
      return fail(ErrorKind::rejected,
                  fmt::format("{}: {} GPUs do not split evenly over nodes of {}; ask for {} "
                              "({} nodes x {}) or {} ({} nodes x {}), or give --nodes and "
                              "--gpus-per-node",
                              s.name, gpus, per_node, below, below / per_node, per_node,
                              nodes * per_node, nodes, per_node));
    }
    plan.nodes = nodes;
    plan.gpus_per_node = gpus / nodes;
  }
  plan.reasons.push_back(
      {"nodes", std::to_string(plan.nodes),
       plan.nodes == 1 ? fmt::format("{} GPU{} fit{} on one node of {}", gpus,
                                     gpus == 1 ? "" : "s", gpus == 1 ? "s" : "", per_node)
                       : fmt::format("{} GPUs need {} nodes of {} GPUs each", gpus, plan.nodes,
                                     per_node),
       node.source.url});
  return {};
}

// The node type's own caps: GPUs per job (e.g. a MIG slice) and how many
// nodes of the type there are.
Expected<void> check_node_type_caps(const System& s, const NodeType& node, const Plan& plan) {
  if (node.max_per_job && plan.gpus_total() > *node.max_per_job) {
    std::vector<std::string> others;
    for (const auto& n : s.node_types) {
      if (!n.max_per_job) {
        others.push_back(n.gpu_type);
      }
    }
    return fail(ErrorKind::rejected,
                fmt::format("{}: a job may take at most {} {} (the request has {}); ask for "
                            "--gpus {}{}",
                            s.name, *node.max_per_job, node.gpu_type, plan.gpus_total(),
                            *node.max_per_job,
                            others.empty() ? std::string()
                                           : fmt::format(", or whole GPUs with --gpu-type {}",
                                                         fmt::join(others, " or --gpu-type "))));
  }
  if (plan.nodes > node.count) {
    // The partition may allow more nodes than there are of this type.
    return fail(ErrorKind::rejected,
                fmt::format("{}: there are {} {} nodes, the request needs {}; ask for {} nodes "
                            "or fewer{}",
                            s.name, node.count, node.name, plan.nodes, node.count,
                            s.node_types.size() > 1 ? ", or another --gpu-type" : ""));
  }
  return {};
}

Expected<void> choose_shape(const System& s, const NodeType& node, const Request& r, Plan& plan) {
  const int per_node = node.gpus;
  if (r.gpus_per_node && *r.gpus_per_node > per_node) {
    return fail(ErrorKind::rejected,
                fmt::format("{}: a {} node has {} GPUs, --gpus-per-node {} asks for more", s.name,
                            node.gpu_type, per_node, *r.gpus_per_node));
  }
  if (r.nodes) {
    plan.nodes = *r.nodes;
    plan.gpus_per_node = r.gpus_per_node.value_or(per_node);
    if (r.gpus && *r.gpus != plan.nodes * plan.gpus_per_node) {
      if (r.gpus_per_node || *r.gpus % plan.nodes != 0 || *r.gpus / plan.nodes > per_node) {
        return fail(ErrorKind::usage,
                    fmt::format("--gpus {} does not equal --nodes {} x GPUs per node; give "
                                "--gpus alone, or --nodes with --gpus-per-node",
                                *r.gpus, plan.nodes));
      }
      plan.gpus_per_node = *r.gpus / plan.nodes;
    }
    plan.reasons.push_back({"nodes", std::to_string(plan.nodes), "asked for with --nodes", ""});
  } else if (r.gpus_per_node && !r.gpus) {
    plan.nodes = 1;
    plan.gpus_per_node = *r.gpus_per_node;
  } else if (auto ok = spread_gpus(s, node, r, plan); !ok) {
    return ok;
  }
  return check_node_type_caps(s, node, plan);
}

std::string describe_shape(const Plan& plan) {
  return plan.nodes == 1 ? fmt::format("{} GPU{} on 1 node", plan.gpus_per_node,
                                       plan.gpus_per_node == 1 ? "" : "s")
                         : fmt::format("{} GPUs ({} nodes x {})", plan.gpus_total(), plan.nodes,
                                       plan.gpus_per_node);
}

// How many jobs an --array or --sweep submits (1 without either, or for an
// array spec that choose_array will refuse). Slurm counts each array task
// as a job against a partition's per-user limits.
long long requested_jobs(const Request& r) {
  if (!r.sweeps.empty()) {
    long long jobs = 1;
    for (const auto& sweep : r.sweeps) {
      const auto eq = sweep.find('=');
      if (eq == std::string::npos) {
        return 1;
      }
      jobs *= static_cast<long long>(std::count(sweep.begin() + static_cast<long>(eq), sweep.end(), ',')) + 1;
      if (jobs > 1'000'000) {
        return jobs;  // choose_array refuses it; stop before overflow
      }
    }
    return jobs;
  }
  if (!r.array) {
    return 1;
  }
  const std::string list = r.array->substr(0, r.array->find('%'));
  long long jobs = 0;
  std::size_t from = 0;
  while (from <= list.size()) {
    const auto comma = list.find(',', from);
    const std::string item = list.substr(from, comma == std::string::npos ? std::string::npos
                                                                        : comma - from);
    long long first = 0;
    long long last = 0;
    long long step = 1;
    char dash = 0;
    char colon = 0;
    const int n = std::sscanf(item.c_str(), "%lld%c%lld%c%lld", &first, &dash, &last, &colon,
                              &step);
    if (n == 1) {
      jobs += 1;
    } else if (n >= 3 && dash == '-' && last >= first && (n == 3 || (colon == ':' && step > 0))) {
      jobs += (last - first) / step + 1;
    } else {
      return 1;
    }
    if (comma == std::string::npos) {
      break;
    }
    from = comma + 1;
  }
  return std::max(jobs, 1LL);
}

Expected<const Partition*> choose_partition(const System& s, const NodeType& node,
                                            const Request& r, Plan& plan) {
  const Shape shape{plan.nodes, plan.gpus_per_node, node, plan.time, requested_jobs(r)};
  if (r.partition) {
    const Partition* p = s.find_partition(*r.partition);
    if (p == nullptr) {
      std::vector<std::string> names;
      for (const auto& q : s.partitions) {
        names.push_back(q.name);
      }
      return fail(ErrorKind::rejected,
                  fmt::format("{}: no partition '{}';{} partitions: {}", s.name, *r.partition,
                              did_you_mean(*r.partition, names), fmt::join(names, ", ")));
    }
    const auto broken = violations(*p, shape);
    if (!broken.empty()) {
      return fail(ErrorKind::rejected, rejection(s, *p, shape, broken.front()));
    }
    plan.reasons.push_back({"partition", p->name, fmt::format("asked for with --partition; {}",
                                                              p->why),
                            p->source.url});
    return p;
  }
  // Debug and test queues are for tests, never production: say when the
  // job would fit one, and leave the choice to the user.
  for (const Partition& p : s.partitions) {
    if (p.auto_select == AutoSelect::test && violations(p, shape).empty() &&
        !(p.auto_max_time && shape.time > *p.auto_max_time)) {
      plan.warnings.push_back(fmt::format(
          "{}: this job would fit {}, which mlsub uses only when named (--partition {}): {}",
          s.name, p.name, p.name, p.why));
    }
  }
  const Partition* best_failure = nullptr;
  std::vector<Violation> best_broken;
  for (const Partition& p : s.partitions) {
    if (!auto_eligible(p, shape)) {
      continue;
    }
    auto broken = violations(p, shape);
    if (broken.empty()) {
      plan.reasons.push_back({"partition", p.name,
                              fmt::format("the first partition that fits {} for {}: {}",
                                          describe_shape(plan), format_duration(plan.time), p.why),
                              p.source.url});
      return &p;
    }
    // Report the partition that came closest: fewest limits broken, and
    // among those the later (more general) one.
    if (best_failure == nullptr || broken.size() <= best_broken.size()) {
      best_failure = &p;
      best_broken = std::move(broken);
    }
  }
  if (best_failure == nullptr) {
    return fail(ErrorKind::rejected,
                fmt::format("{}: no partition takes {} nodes automatically; name one with "
                            "--partition (mlsub show {})",
                            s.name, node.gpu_type, s.name));
  }
  return fail(ErrorKind::rejected,
              fmt::format("{}: no partition can run {} for {}: {}{}", s.name, describe_shape(plan),
                          format_duration(plan.time),
                          rejection_detail(*best_failure, shape, best_broken.front()),
                          alternatives(s, best_failure, shape)));
}

Launcher choose_launcher(const System& s, const Request& r, Plan& plan) {
  if (r.launcher) {
    plan.reasons.push_back({"launcher", std::string(launcher_name(*r.launcher)),
                            "asked for with --launcher", ""});
    return *r.launcher;
  }
  if (plan.gpus_total() == 1) {
    plan.reasons.push_back({"launcher", "python",
                            "one GPU needs one process, started directly by the batch script",
                            ""});
    return Launcher::python;
  }
  plan.reasons.push_back({"launcher", std::string(launcher_name(s.launch.multi_gpu)),
                          s.launch.why, s.launch.source.url});
  return s.launch.multi_gpu;
}

Expected<void> place_tasks(const System& s, const NodeType& node, Plan& plan) {
  if (plan.launcher == Launcher::python) {
    if (plan.nodes > 1) {
      return fail(ErrorKind::usage,
                  fmt::format("--launcher python starts one process on one node, and this job "
                              "has {} nodes; use --launcher srun",
                              plan.nodes));
    }
    plan.tasks_per_node = 1;
    plan.cpus_per_task = node.cpus_per_gpu * plan.gpus_per_node;
    if (plan.gpus_per_node > 1) {
      plan.warnings.push_back(fmt::format(
          "--launcher python starts one process for {} GPUs; unless the program starts its own "
          "workers, use --launcher srun for one process per GPU",
          plan.gpus_per_node));
    }
  } else if (plan.launcher == Launcher::torchrun || plan.launcher == Launcher::accelerate) {
    plan.tasks_per_node = 1;
    plan.cpus_per_task = node.cpus_per_gpu * plan.gpus_per_node;
    plan.processes_per_task = plan.gpus_per_node;
  } else {
    plan.tasks_per_node = plan.gpus_per_node;
    plan.cpus_per_task = node.cpus_per_gpu;
  }
  const char* why_tasks = "one task per GPU, so each rank owns one GPU";
  if (plan.launcher == Launcher::python) {
    why_tasks = "one process drives the GPUs";
  } else if (plan.launcher == Launcher::torchrun) {
    why_tasks = "one task per node: torchrun in it starts one process per GPU";
  } else if (plan.launcher == Launcher::accelerate) {
    why_tasks = "one task per node: accelerate launch in it starts one process per GPU";
  }
  plan.reasons.push_back({"ntasks", std::to_string(plan.tasks_total()), why_tasks, ""});
  plan.reasons.push_back(
      {"cpus-per-task", std::to_string(plan.cpus_per_task),
       fmt::format("{} CPU cores per GPU x {} GPU{} per task: {}", node.cpus_per_gpu,
                   plan.cpus_per_task / node.cpus_per_gpu,
                   plan.cpus_per_task == node.cpus_per_gpu ? "" : "s",
                   node.why_cpus.empty() ? "the site's advice for feeding a GPU" : node.why_cpus),
       node.facts.source("cpus_per_gpu", node.source).url, node.facts.assumed("cpus_per_gpu")});
  plan.reasons.push_back(
      {"threads", std::to_string(plan.cpus_per_task / plan.processes_per_task),
       plan.processes_per_task == 1
           ? "OMP_NUM_THREADS and MLSUB_NUM_WORKERS (for DataLoader(num_workers=...)): the CPUs "
             "of one task, which is one process"
           : fmt::format("OMP_NUM_THREADS and MLSUB_NUM_WORKERS (for DataLoader(num_workers=...)): "
                         "the task's {} CPUs shared by the {} processes it starts",
                         plan.cpus_per_task, plan.processes_per_task),
       ""});
  (void)s;
  return {};
}

// Node-local disk, CPU binding and per-task GPUs, and the node type's
// advice for multi-node jobs.
Expected<void> choose_node_extras(const System& s, const NodeType& node, const Request& r,
                                  Plan& plan) {
  if (r.local_disk) {
    if (!node.local_disk_gres || !node.local_disk_max) {
      return fail(ErrorKind::rejected,
                  fmt::format("{}: {} nodes have no local disk to reserve; leave out "
                              "--local-disk{}",
                              s.name, node.name,
                              node.local_disk_advice.empty() ? std::string()
                                                             : "; " + node.local_disk_advice));
    }
    if (r.local_disk->mib % 1024 != 0 || r.local_disk->mib == 0) {
      return fail(ErrorKind::usage, "--local-disk takes whole gigabytes, like 100G");
    }
    if (r.local_disk->mib > node.local_disk_max->mib) {
      return fail(ErrorKind::rejected,
                  fmt::format("{}: a {} node has at most {} of local disk, the request asks for "
                              "{}; ask for --local-disk {} or less",
                              s.name, node.name, format_size(*node.local_disk_max),
                              format_size(*r.local_disk), format_size(*node.local_disk_max)));
    }
    plan.local_disk = r.local_disk;
    plan.reasons.push_back({"local disk", format_size(*r.local_disk),
                            fmt::format("per node, reserved with the GPUs as {}; the job finds it "
                                        "at ${}",
                                        *node.local_disk_gres, node.local_disk_variable),
                            node.source.url});
  }
  plan.gpu_visibility_var =
      node.gpu_vendor == GpuVendor::amd ? "ROCR_VISIBLE_DEVICES" : "CUDA_VISIBLE_DEVICES";
  if (plan.launcher == Launcher::srun && s.launch.cpu_bind &&
      plan.gpus_per_node == node.gpus) {
    plan.cpu_bind = s.launch.cpu_bind;
    plan.reasons.push_back({"cpu-bind", *plan.cpu_bind, s.launch.binding_why,
                            s.launch.source.url});
  }
  if (plan.launcher == Launcher::torchrun && plan.nodes > 1 && s.launch.rendezvous_host_variable &&
      s.launch.rendezvous_port_variable) {
    plan.reasons.push_back(
        {"rendezvous", fmt::format("${}:${}", *s.launch.rendezvous_host_variable,
                                   *s.launch.rendezvous_port_variable),
         "the site sets these in multi-node jobs for torchrun's c10d rendezvous; the script "
         "does not use them: it takes the first node's address and a port from the job id, "
         "the same way on every site",
         s.launch.rendezvous_source ? s.launch.rendezvous_source->url : s.launch.source.url});
  }
  if (plan.nodes > 1 && !node.multi_node_advice.empty()) {
    plan.warnings.push_back(fmt::format("{}: {}", s.name, node.multi_node_advice));
  }
  return {};
}

void choose_memory(const System& s, const NodeType& node, const Partition& p, Plan& plan) {
  const MemoryPolicy policy = p.memory.value_or(s.memory.policy);
  if (policy == MemoryPolicy::site && node.memory_per_gpu) {
    plan.memory_per_node.reset();
    plan.reasons.push_back(
        {"mem", "(not set)",
         fmt::format("the site gives {} of memory with each {}, and no other amount",
                     format_size(*node.memory_per_gpu), node.gpu_type),
         node.facts.source("memory_per_gpu", node.source).url,
         node.facts.assumed("memory_per_gpu")});
    return;
  }
  if (policy == MemoryPolicy::per_gpu && s.memory.per_gpu) {
    plan.memory_per_node = Size{s.memory.per_gpu->mib * static_cast<std::uint64_t>(plan.gpus_per_node)};
    plan.reasons.push_back({"mem", format_size(*plan.memory_per_node),
                            fmt::format("{} per GPU x {} GPU{} per node: {}",
                                        format_size(*s.memory.per_gpu), plan.gpus_per_node,
                                        plan.gpus_per_node == 1 ? "" : "s", s.memory.why),
                            s.memory.source.url});
  } else {
    plan.memory_per_node.reset();
    plan.reasons.push_back({"mem", "(not set)",
                            p.memory ? fmt::format("partition {} assigns memory itself: {}",
                                                   p.name, p.why)
                                     : fmt::format("the site assigns memory with the GPUs: {}",
                                                   s.memory.why),
                            p.memory ? p.facts.source("memory", p.source).url
                                     : s.memory.facts.source("policy", s.memory.source).url,
                            p.memory ? p.facts.assumed("memory") : s.memory.facts.assumed("policy")});
  }
}

void choose_gpu_directive(const System& s, const NodeType& node, Plan& plan) {
  std::string value = s.gpu_request.format;
  const auto replace = [&value](std::string_view key, const std::string& with) {
    for (auto at = value.find(key); at != std::string::npos; at = value.find(key, at)) {
      value.replace(at, key.size(), with);
      at += with.size();
    }
  };
  replace("{type}", node.gpu_type);
  replace("{count}", std::to_string(plan.gpus_per_node));
  if (plan.local_disk) {
    value += fmt::format(",{}:{}", *node.local_disk_gres, plan.local_disk->mib / 1024);
  }
  plan.gpu_directive = Directive{s.gpu_request.option, value};
  plan.reasons.push_back({s.gpu_request.option, value, s.gpu_request.why,
                          s.gpu_request.source.url});
}

Expected<void> choose_account(const System& s, const Request& r, Plan& plan) {
  if (!r.account && !s.account.required) {
    plan.account.clear();
    plan.account_is_placeholder = false;
    plan.reasons.push_back({"account", "(not set)",
                            "no --account, $MLSUB_ACCOUNT or $SBATCH_ACCOUNT was given, and the "
                            "site does not need one: " + s.account.why,
                            s.account.facts.source("required", s.account.source).url,
                            s.account.facts.assumed("required")});
    return {};
  }
  if (!r.account) {
    plan.account = s.account.placeholder;
    plan.account_is_placeholder = true;
    plan.reasons.push_back(
        {"account", plan.account,
         "PLACEHOLDER: no --account, $MLSUB_ACCOUNT or $SBATCH_ACCOUNT was given; replace it "
         "in the script before sbatch: " + s.account.why,
         s.account.source.url});
    return {};
  }
  const auto form = account_form(s, *r.account);
  if (!form) {
    return tl::unexpected(form.error());
  }
  if (*form == AccountForm::differs) {
    return fail(ErrorKind::rejected,
                fmt::format("{}: account '{}' (from {}) is not of the site's form {} (like {}); "
                            "use your project's name: {}",
                            s.name, *r.account, r.account_origin, *s.account.pattern,
                            s.account.placeholder, s.account.why));
  }
  plan.account = *r.account;
  plan.reasons.push_back({"account", plan.account, fmt::format("from {}", r.account_origin),
                          s.account.source.url});
  return {};
}

// The job name defaults to the program's file name without its extension,
// kept to characters that need no quoting.
std::string default_job_name(const std::string& program) {
  std::string base = program.substr(program.find_last_of('/') + 1);
  if (const auto dot = base.rfind('.'); dot != std::string::npos && dot > 0) {
    base.erase(dot);
  }
  std::string name;
  for (const char c : base) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') {
      name += c;
    }
  }
  return name.empty() ? "mlsub" : name;
}

// An image or environment whose name says x86_64 on a site whose nodes are
// aarch64 will not run there.
void warn_if_x86(const System& s, const std::string& arch, const std::string& image,
                 Plan& plan) {
  if (arch != "aarch64") {
    return;
  }
  std::string lower = image;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (lower.find("x86") != std::string::npos || lower.find("amd64") != std::string::npos) {
    plan.warnings.push_back(fmt::format("{}'s nodes are aarch64, and {} looks built for x86_64; "
                                        "it will not run there",
                                        s.name, image));
  }
}

// KEY=VALUE entries from the catalogue (checked when it was loaded).
void add_site_variables(const std::vector<std::string>& variables, Plan& plan) {
  for (const auto& kv : variables) {
    const auto eq = kv.find('=');
    plan.env.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
  }
}

bool is_identifier(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// The image the program runs in: --container, else the site's default image
// when the user chose no other environment (--module, --uenv, --edf). Sets
// `default_image` when the site's default was taken.
Expected<std::optional<std::string>> choose_image(const System& s, const Request& r,
                                                  bool& default_image) {
  const ContainerRule* rule = s.environment.container ? &*s.environment.container : nullptr;
  if (r.container && (r.container->empty() || has_control_char(*r.container))) {
    return fail(ErrorKind::usage, "--container: give the path of the image");
  }
  if (r.container && rule == nullptr) {
    return fail(ErrorKind::rejected,
                fmt::format("{}: the catalogue does not say how this site runs container "
                            "images, so mlsub cannot write the launch; leave out --container "
                            "(or add environment.container to {}.yaml)",
                            s.name, s.name));
  }
  if (r.edf && r.container) {
    return fail(ErrorKind::usage, "--edf and --container both name a container; give one");
  }
  std::optional<std::string> image = r.container;
  default_image = !image && !r.edf && !r.uenv && r.modules.empty() && rule != nullptr &&
                  rule->image.has_value();
  if (default_image) {
    image = rule->image;
  }
  if (!image && !r.edf && !r.uenv && r.modules.empty() && s.environment.modules.empty() &&
      !s.environment.no_default.empty()) {
    return fail(ErrorKind::usage, fmt::format("{}: {}", s.name, s.environment.no_default));
  }
  return image;
}

// Modules: the user's, else what the container runtime needs on the host,
// else the site's PyTorch modules. A container, uenv or Container Engine
// environment brings its own PyTorch, so the site's is not loaded.
Expected<void> choose_modules(const System& s, const Request& r, bool has_image, Plan& plan) {
  if (!r.modules.empty()) {
    plan.modules = r.modules;
    plan.reasons.push_back({"modules", fmt::format("{}", fmt::join(plan.modules, " ")),
                            "asked for with --module, instead of the site's default", ""});
  } else if (has_image) {
    const ContainerRule& rule = *s.environment.container;
    plan.modules = rule.modules;
    if (!plan.modules.empty()) {
      plan.reasons.push_back({"modules", fmt::format("{}", fmt::join(plan.modules, " ")),
                              rule.modules_why, rule.source.url});
    }
  } else if (!r.edf && !r.uenv) {
    plan.modules = s.environment.modules;
    if (!plan.modules.empty()) {
      plan.reasons.push_back(
          {"modules", fmt::format("{}", fmt::join(plan.modules, " ")),
           s.environment.why.empty() ? "the site's software environment" : s.environment.why,
           s.environment.source.url});
    }
  }
  plan.module_use = plan.modules.empty() ? std::vector<std::string>{} : s.environment.module_use;
  plan.module_purge = !plan.modules.empty() || (has_image && !s.environment.modules.empty());
  for (const auto& m : plan.modules) {
    if (m.empty() || has_control_char(m)) {
      return fail(ErrorKind::usage, "--module: a module name is empty or holds a control "
                                    "character");
    }
    for (const auto& d : s.environment.deprecated_modules) {
      if (m.rfind(d.prefix, 0) == 0) {
        plan.warnings.push_back(fmt::format("{}: module {}: {}", s.name, m, d.warning));
      }
    }
  }
  return {};
}

// Per-job cache directories and the site's variables for multi-GPU jobs.
void choose_site_settings(const System& s, Plan& plan) {
  plan.cache_dirs = s.environment.job_cache_dirs;
  if (!plan.cache_dirs.empty()) {
    plan.reasons.push_back({"caches", fmt::format("{}", fmt::join(plan.cache_dirs, " ")),
                            "per-job directories on node-local /tmp, so jobs do not share or "
                            "lock each other's caches",
                            s.environment.source.url});
  }
  if (plan.gpus_total() > 1) {
    add_site_variables(s.environment.distributed_variables, plan);
    if (!s.environment.distributed_variables.empty()) {
      plan.reasons.push_back({"environment", fmt::format("{}", fmt::join(
                                                 s.environment.distributed_variables, " ")),
                              "the site's settings for communication between GPUs",
                              s.environment.source.url});
    }
  }
}

Expected<void> choose_venv(const Request& r, bool has_image, Plan& plan) {
  if (!r.venv) {
    return {};
  }
  if (r.venv->empty() || has_control_char(*r.venv)) {
    return fail(ErrorKind::usage, "--venv: give the path of the virtual environment");
  }
  plan.venv = *r.venv + "/bin/activate";
  plan.venv_in_task = has_image || r.edf || r.uenv;
  plan.reasons.push_back(
      {"venv", *r.venv,
       plan.venv_in_task
           ? "activated in every task, inside the container or uenv, where its packages "
             "are seen (activated on the host it would not be)"
           : "activated after the modules, so its packages come first",
       ""});
  return {};
}

// The user's --env as (KEY, VALUE) pairs; KEY must be a shell identifier.
Expected<std::vector<std::pair<std::string, std::string>>> user_variables(const Request& r) {
  std::vector<std::pair<std::string, std::string>> user_env;
  for (const auto& kv : r.env) {
    const auto eq = kv.find('=');
    const std::string key = kv.substr(0, eq);
    if (eq == std::string::npos || !is_identifier(key)) {
      return fail(ErrorKind::usage,
                  fmt::format("--env '{}': write KEY=VALUE, with KEY made of letters, digits and "
                              "_ (not starting with a digit)",
                              kv.substr(0, 60)));
    }
    user_env.emplace_back(key, kv.substr(eq + 1));
  }
  return user_env;
}

Expected<void> choose_uenv(const System& s, const Request& r, Plan& plan) {
  if (!r.uenv) {
    return {};
  }
  if (!s.environment.uenv) {
    return fail(ErrorKind::rejected, fmt::format("{}: the catalogue knows no user environments "
                                                 "(uenv) there; leave out --uenv",
                                                 s.name));
  }
  if (r.uenv->empty() || !is_sbatch_safe(*r.uenv)) {
    return fail(ErrorKind::usage, "--uenv: give IMAGE[:MOUNT], e.g. pytorch/v2.9.1:/user-environment");
  }
  const UenvRule& uenv = *s.environment.uenv;
  plan.uenv = *r.uenv;
  plan.uenv_view = uenv.view;
  plan.reasons.push_back({"uenv", *r.uenv,
                          fmt::format("mounted by Slurm, with --view={}; PyTorch comes from "
                                      "this uenv",
                                      plan.uenv_view),
                          uenv.source.url});
  if (!uenv.job_variables.empty()) {
    add_site_variables(uenv.job_variables, plan);
    const auto& src = uenv.job_variables_source;
    plan.reasons.push_back({"environment", fmt::format("{}", fmt::join(uenv.job_variables, " ")),
                            "set in every uenv job, as the site's PyTorch job template does",
                            (src ? *src : uenv.source).url});
  }
  if (plan.gpus_total() > 1) {
    add_site_variables(uenv.variables, plan);
  }
  return {};
}

// --edf: the Container Engine environment on the srun line, with the options
// the site requires for its images unless --plain-edf.
Expected<void> choose_edf(const System& s, const Request& r, Plan& plan) {
  if (!r.edf) {
    if (r.plain_edf) {
      return fail(ErrorKind::usage, "--plain-edf goes with --edf; leave it out or add --edf");
    }
    return {};
  }
  if (!s.environment.container_engine) {
    return fail(ErrorKind::rejected, fmt::format("{}: the catalogue knows no Container Engine "
                                                 "there; use --container IMAGE.sif",
                                                 s.name));
  }
  if (r.edf->empty() || has_control_char(*r.edf)) {
    return fail(ErrorKind::usage, "--edf: give an environment name or the path of its .toml");
  }
  const auto& extra = s.environment.container_engine_srun_options;
  if (!r.plain_edf) {
    plan.srun_options = extra;
  }
  plan.srun_options.push_back("--environment=" + *r.edf);
  warn_if_x86(s, s.environment.container_engine_arch, *r.edf, plan);
  std::string why =
      "the Container Engine starts each srun task in this environment, and PyTorch comes from "
      "its image (on the srun line, as CSCS advises, not as #SBATCH --environment)";
  if (!extra.empty()) {
    why += r.plain_edf
               ? fmt::format("; --plain-edf left out {}", fmt::join(extra, " "))
               : fmt::format("; with {}: {} (--plain-edf leaves them out)", fmt::join(extra, " "),
                             s.environment.container_engine_why);
  }
  plan.reasons.push_back({"environment", *r.edf, why, s.environment.container_engine->url});
  return {};
}

// The runtime's command that runs each task inside the image, as the site
// documents it (verb and flags from the catalogue), with the user's binds.
Expected<void> choose_container_launch(const System& s, const Request& r,
                                       const std::optional<std::string>& image,
                                       bool default_image, Plan& plan) {
  if (!r.binds.empty() && !image) {
    return fail(ErrorKind::usage, "--bind is for --container; add --container IMAGE.sif");
  }
  if (!image) {
    return {};
  }
  const ContainerRule& rule = *s.environment.container;
  plan.run_prefix = {rule.runtime, rule.verb};
  plan.run_prefix.insert(plan.run_prefix.end(), rule.flags.begin(), rule.flags.end());
  const std::string how = fmt::format("run as `{} IMAGE`, the site's way",
                                      fmt::join(plan.run_prefix, " "));
  for (const auto& b : r.binds) {
    if (b.empty() || has_control_char(b)) {
      return fail(ErrorKind::usage, "--bind: give SRC or SRC:DST");
    }
    plan.run_prefix.push_back("--bind");
    plan.run_prefix.push_back(shell_quote(b));
  }
  plan.run_prefix.push_back(shell_quote(*image));
  plan.reasons.push_back(
      {"container", *image,
       default_image
           ? fmt::format("{}; {} (--container IMAGE picks another)", rule.image_why, how)
           : fmt::format("asked for with --container; PyTorch comes from this image, {}", how),
       rule.source.url});
  warn_if_x86(s, rule.arch, *image, plan);
  return {};
}

// Modules, virtual environment, container and exported variables, in the
// order the script sets them up; the user's --env comes last, so it wins.
Expected<void> choose_environment(const System& s, const Request& r, Plan& plan) {
  bool default_image = false;
  auto image = choose_image(s, r, default_image);
  if (!image) {
    return tl::unexpected(image.error());
  }
  const bool has_image = image->has_value();
  if (auto ok = choose_modules(s, r, has_image, plan); !ok) {
    return ok;
  }
  choose_site_settings(s, plan);
  if (auto ok = choose_venv(r, has_image, plan); !ok) {
    return ok;
  }
  auto user_env = user_variables(r);
  if (!user_env) {
    return tl::unexpected(user_env.error());
  }
  for (auto step : {choose_uenv, choose_edf}) {
    if (auto ok = step(s, r, plan); !ok) {
      return ok;
    }
  }
  if (auto ok = choose_container_launch(s, r, *image, default_image, plan); !ok) {
    return ok;
  }
  plan.env.insert(plan.env.end(), user_env->begin(), user_env->end());
  return {};
}

// Slurm's --array syntax: indices and ranges (0-9, 0-9:2), commas between,
// and an optional %N limit on tasks running at once.
bool is_array_spec(std::string_view spec) {
  const auto percent = spec.find('%');
  const std::string_view list = spec.substr(0, percent);
  if (percent != std::string_view::npos) {
    const std::string_view limit = spec.substr(percent + 1);
    if (limit.empty() || limit.find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
  }
  if (list.empty() || list.find_first_not_of("0123456789,-:") != std::string_view::npos) {
    return false;
  }
  return list.front() != ',' && list.back() != ',' && list.find(",,") == std::string_view::npos;
}

constexpr std::size_t k_max_array = 10000;

// --array and --sweep: one array job, and for a sweep each index's arguments.
// The values of --sweep NAME=V1,V2,... (from the character after '=').
std::vector<std::string> sweep_values(const std::string& sweep, std::size_t from) {
  std::vector<std::string> values;
  for (;;) {
    const auto comma = sweep.find(',', from);
    values.push_back(sweep.substr(from, comma == std::string::npos ? comma : comma - from));
    if (comma == std::string::npos) {
      return values;
    }
    from = comma + 1;
  }
}

// --sweep: the product of every sweep's values, one array task each.
Expected<void> choose_sweep(const Request& r, Plan& plan) {
  // The table repeats every value in every combination it is part of: a
  // 100 KB value times 10,000 tasks would be a gigabyte of script.
  constexpr std::size_t k_max_sweep_bytes = std::size_t{16} << 20;
  std::size_t combo_bytes = 0;  // the longest combination so far
  std::vector<std::vector<std::string>> combos{{}};
  for (const auto& sweep : r.sweeps) {
    const auto eq = sweep.find('=');
    const std::string name = sweep.substr(0, eq);
    if (eq == std::string::npos || name.empty() || has_control_char(sweep)) {
      return fail(ErrorKind::usage,
                  fmt::format("--sweep '{}': write NAME=V1,V2,..., e.g. --sweep lr=1e-3,3e-4",
                              sweep.substr(0, 60)));
    }
    const std::vector<std::string> values = sweep_values(sweep, eq + 1);
    // Checked before the product is built: 1,000 values times a sweep of
    // 100,000 commas would be 10^8 combinations, gigabytes, before any check.
    if (values.size() > k_max_array / combos.size()) {
      return fail(ErrorKind::usage, fmt::format("--sweep makes more than {} jobs; sweep fewer "
                                                "values",
                                                k_max_array));
    }
    std::size_t longest = 0;
    for (const auto& v : values) {
      longest = std::max(longest, v.size());
    }
    combo_bytes += name.size() + 2 + longest;
    if (combo_bytes > k_max_sweep_bytes / (combos.size() * values.size())) {
      return fail(ErrorKind::usage,
                  fmt::format("--sweep: {} tasks with arguments this long would make a script "
                              "of more than {} MB; sweep fewer or shorter values",
                              combos.size() * values.size(), k_max_sweep_bytes >> 20));
    }
    std::vector<std::vector<std::string>> next;
    for (const auto& combo : combos) {
      for (const auto& v : values) {
        auto c = combo;
        c.push_back("--" + name);
        c.push_back(v);
        next.push_back(std::move(c));
      }
    }
    combos = std::move(next);
    plan.sweep_names.push_back(name);
  }
  plan.sweep = std::move(combos);
  plan.array = fmt::format("0-{}", plan.sweep.size() - 1);
  plan.reasons.push_back({"array", *plan.array,
                          fmt::format("{} combinations of {}: array task i adds combination i's "
                                      "arguments to the program",
                                      plan.sweep.size(), fmt::join(plan.sweep_names, ", ")),
                          ""});
  return {};
}

Expected<void> choose_array(const Request& r, Plan& plan) {
  if (r.array && !r.sweeps.empty()) {
    return fail(ErrorKind::usage, "--sweep makes the array itself; leave out --array");
  }
  if (r.array) {
    if (!is_array_spec(*r.array)) {
      return fail(ErrorKind::usage,
                  fmt::format("--array '{}' is not Slurm's array syntax; write e.g. 0-9, "
                              "1,3,5 or 0-99%10",
                              r.array->substr(0, 60)));
    }
    plan.array = r.array;
    plan.reasons.push_back({"array", *r.array, "asked for with --array; each task sees its "
                                               "index in $SLURM_ARRAY_TASK_ID", ""});
    return {};
  }
  return r.sweeps.empty() ? Expected<void>{} : choose_sweep(r, plan);
}

void choose_requeue(const Request& r, Plan& plan) {
  if (!r.requeue_lead_seconds) {
    return;
  }
  plan.requeue_lead_seconds = r.requeue_lead_seconds;
  plan.requeue_signal = "USR2";
  plan.reasons.push_back(
      {"signal", fmt::format("B:USR2@{}", *r.requeue_lead_seconds),
       "the batch shell gets SIGUSR2 this many seconds before the time limit, passes it to the "
       "program to checkpoint, and requeues the job (USR2, not USR1, which NCCL uses)",
       ""});
}

// The sampler follows from the GPU vendor; the energy counter and the
// efficiency tool from the site's monitoring block.
void choose_monitor(const System& s, const NodeType& node, const Request& r, Plan& plan) {
  if (!r.monitor) {
    plan.reasons.push_back({"monitor", "off", "--no-monitor: the script samples nothing", ""});
    return;
  }
  Monitor& m = plan.monitor;
  m.enabled = true;
  m.interval_seconds = r.monitor_interval_seconds;
  m.gpu_memory_mib = static_cast<long long>(node.gpu_memory.mib);
  m.cpus_per_gpu = node.cpus_per_gpu;
  const std::string interval = std::to_string(m.interval_seconds);
  if (node.gpu_vendor == GpuVendor::amd) {
    m.sampler = "rocm-smi";
    m.command = {"rocm-smi", "--showuse", "--showpower", "--showmeminfo", "vram", "--csv"};
    m.loop = true;
  } else {
    m.sampler = "nvidia-smi";
    m.command = {"nvidia-smi",
                 "--query-gpu=timestamp,index,utilization.gpu,memory.used,memory.total,power.draw",
                 "--format=csv", "-l", interval};
  }
  std::string why = fmt::format(
      "{} every {} s on each node, into the job folder, for mlsub report (--no-monitor: off)",
      m.sampler, interval);
  if (s.monitoring) {
    m.energy_counter = s.monitoring->energy_counter;
    m.efficiency_tool = s.monitoring->efficiency_tool;
    if (m.energy_counter) {
      why += fmt::format("; energy from {} --save/--diff", *m.energy_counter);
    }
  }
  plan.reasons.push_back({"monitor", fmt::format("{} every {} s", m.sampler, interval), why,
                          s.monitoring ? s.monitoring->source.url : ""});
}

void choose_program(const Request& r, Plan& plan) {
  plan.program_argv.clear();
  const bool is_python = r.program.size() > 3 && r.program.compare(r.program.size() - 3, 3, ".py") == 0;
  plan.python_program = is_python;
  plan.program = r.program;
  plan.program_args = r.args;
  if (is_python) {
    plan.program_argv.emplace_back("python3");
  }
  plan.program_argv.push_back(r.program);
  plan.program_argv.insert(plan.program_argv.end(), r.args.begin(), r.args.end());
  // Where python3 (and so PyTorch) comes from, as decided above.
  std::string where = "the host (no software environment was chosen)";
  if (!plan.run_prefix.empty()) {
    where = "the container image";
  } else if (plan.uenv) {
    where = "the uenv";
  } else if (!plan.srun_options.empty()) {
    where = "the Container Engine environment's image";
  } else if (!plan.modules.empty()) {
    where = fmt::format("the module{} loaded above ({})", plan.modules.size() == 1 ? "" : "s",
                        fmt::join(plan.modules, " "));
  }
  plan.reasons.push_back(
      {"program", shell_join(plan.program_argv),
       is_python ? fmt::format("a .py program runs under the python3 of {}", where)
                 : "run as given",
       ""});
}

}  // namespace

Expected<Plan> plan_job(const System& s, const Request& r) {
  Plan plan;
  plan.system = s.name;
  plan.command_line = r.command_line;
  plan.reasons.reserve(16);  // one per decision; --explain prints them
  if (auto ok = check_values(r); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = check_not_a_launcher(r); !ok) {
    return tl::unexpected(ok.error());
  }
  if (s.retired) {
    plan.warnings.push_back(fmt::format(
        "{} was retired on {} and runs no new jobs; its successor is {} (--system {})", s.name,
        s.retired->date, s.retired->successor, s.retired->successor));
  }
  auto node = choose_node_type(s, r, plan);
  if (!node) {
    return tl::unexpected(node.error());
  }
  if (auto ok = choose_shape(s, **node, r, plan); !ok) {
    return tl::unexpected(ok.error());
  }
  plan.time = r.time.value_or(s.default_time);
  plan.reasons.push_back({"time", format_duration(plan.time),
                          r.time ? "asked for with --time"
                                 : "the default; set --time to what the job needs (a shorter "
                                   "limit often starts sooner)",
                          ""});
  auto partition = choose_partition(s, **node, r, plan);
  if (!partition) {
    return tl::unexpected(partition.error());
  }
  plan.partition = (*partition)->name;
  if (!(*partition)->note.empty()) {
    plan.warnings.push_back(fmt::format("{}: {}", s.name, (*partition)->note));
  }
  if ((*partition)->whole_node && plan.gpus_per_node < (*node)->gpus) {
    plan.warnings.push_back(fmt::format(
        "{} gives whole nodes: the job is billed for {} GPUs per node and uses {}",
        plan.partition, (*node)->gpus, plan.gpus_per_node));
  }
  plan.launcher = choose_launcher(s, r, plan);
  if (auto ok = place_tasks(s, **node, plan); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = choose_node_extras(s, **node, r, plan); !ok) {
    return tl::unexpected(ok.error());
  }
  choose_memory(s, **node, **partition, plan);
  choose_gpu_directive(s, **node, plan);
  if (auto ok = choose_account(s, r, plan); !ok) {
    return tl::unexpected(ok.error());
  }
  plan.job_name = r.job_name.value_or(default_job_name(r.program));
  plan.output = r.output;
  if (auto ok = choose_environment(s, r, plan); !ok) {
    return tl::unexpected(ok.error());
  }
  if (auto ok = choose_array(r, plan); !ok) {
    return tl::unexpected(ok.error());
  }
  choose_requeue(r, plan);
  choose_monitor(s, **node, r, plan);
  choose_program(r, plan);
  return plan;
}

}  // namespace mlsub
