#include "mlsub/plan.hpp"

#include "json_optional.hpp"

#include <nlohmann/json.hpp>

namespace mlsub {

std::vector<Directive> Plan::directives() const {
  std::vector<Directive> out;
  out.push_back({"job-name", job_name});
  if (!account.empty()) {  // empty: the site bills the user's default project
    out.push_back({"account", account});
  }
  out.push_back({"partition", partition});
  out.push_back({"time", format_duration(time)});
  out.push_back({"nodes", std::to_string(nodes)});
  // One node: a task count, as the sites' single-node examples write it;
  // several nodes: tasks per node, so each node gets the same share.
  if (nodes == 1) {
    out.push_back({"ntasks", std::to_string(tasks_per_node)});
  } else {
    out.push_back({"ntasks-per-node", std::to_string(tasks_per_node)});
  }
  out.push_back({"cpus-per-task", std::to_string(cpus_per_task)});
  if (memory_per_node) {
    out.push_back({"mem", format_size(*memory_per_node)});
  }
  out.push_back(gpu_directive);
  if (uenv) {
    out.push_back({"uenv", *uenv});
    if (!uenv_view.empty()) {
      out.push_back({"view", uenv_view});
    }
  }
  if (array) {
    out.push_back({"array", *array});
  }
  if (requeue_lead_seconds) {
    // B: sends the signal to the batch shell, where the trap is.
    out.push_back({"signal", "B:" + requeue_signal + "@" + std::to_string(*requeue_lead_seconds)});
    out.push_back({"requeue", ""});
    out.push_back({"open-mode", "append"});  // a restart adds to the log, not replaces it
  }
  if (output) {
    out.push_back({"output", *output});
  }
  const std::pair<const char*, const std::optional<std::string>*> asked[] = {
      {"constraint", &slurm.constraint},   {"qos", &slurm.qos},
      {"reservation", &slurm.reservation}, {"dependency", &slurm.dependency},
      {"mail-type", &slurm.mail_type},     {"mail-user", &slurm.mail_user}};
  for (const auto& [option, value] : asked) {
    if (*value) {
      out.push_back({option, **value});
    }
  }
  if (slurm.exclusive) {
    out.push_back({"exclusive", ""});
  }
  out.insert(out.end(), extra_directives.begin(), extra_directives.end());
  return out;
}

namespace {

nlohmann::json options_json(const std::vector<Directive>& directives) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : directives) {
    out.push_back({{"option", d.option}, {"value", d.value}});
  }
  return out;
}

// Where the job runs and with what: partition, shape, memory, time, account.
nlohmann::json resources_json(const Plan& plan) {
  const auto memory = plan.memory_per_node;
  return {
      {"schema_version", 1},
      {"system", plan.system},
      {"partition", plan.partition},
      {"node_type", plan.node_type},
      {"gpu_type", plan.gpu_type},
      {"gpu_vendor", name_of(k_gpu_vendor_names, plan.gpu_vendor)},
      {"nodes", plan.nodes},
      {"gpus_per_node", plan.gpus_per_node},
      {"gpus", plan.gpus_total()},
      {"tasks_per_node", plan.tasks_per_node},
      {"tasks", plan.tasks_total()},
      {"cpus_per_task", plan.cpus_per_task},
      {"memory_per_node", memory ? nlohmann::json(format_size(*memory)) : nlohmann::json()},
      {"memory_per_node_mib", memory ? nlohmann::json(memory->mib) : nlohmann::json()},
      {"time", format_duration(plan.time)},
      {"time_seconds", plan.time.seconds},
      {"gpu_directive",
       {{"option", plan.gpu_directive.option}, {"value", plan.gpu_directive.value}}},
      {"account", plan.account},
      {"account_is_placeholder", plan.account_is_placeholder},
      {"job_name", plan.job_name},
      {"output", optional_json(plan.output)},
      {"local_disk",
       plan.local_disk ? nlohmann::json(format_size(*plan.local_disk)) : nlohmann::json()},
  };
}

// How the program starts: launcher, software environment, binding.
nlohmann::json software_json(const Plan& plan) {
  return {
      {"launcher", std::string(launcher_name(plan.launcher))},
      {"module_use", plan.module_use},
      {"modules", plan.modules},
      {"venv", optional_json(plan.venv)},
      {"venv_in_task", plan.venv_in_task},
      {"env", plan.env},
      {"cache_dirs", plan.cache_dirs},
      {"run_prefix", plan.run_prefix},
      {"uenv", optional_json(plan.uenv)},
      {"srun_options", plan.srun_options},
      {"cpu_bind", optional_json(plan.cpu_bind)},
      {"processes_per_task", plan.processes_per_task},
      {"program_argv", plan.program_argv},
  };
}

// Slurm options besides the shape: arrays, requeue, the first-class flags
// and the pass-through.
nlohmann::json scheduling_json(const Plan& plan) {
  return {
      {"array", optional_json(plan.array)},
      {"sweep", plan.sweep},
      {"sweep_names", plan.sweep_names},
      {"requeue_lead_seconds", optional_json(plan.requeue_lead_seconds)},
      {"requeue_wait_seconds", optional_json(plan.requeue_wait_seconds)},
      {"constraint", optional_json(plan.slurm.constraint)},
      {"qos", optional_json(plan.slurm.qos)},
      {"reservation", optional_json(plan.slurm.reservation)},
      {"dependency", optional_json(plan.slurm.dependency)},
      {"mail_type", optional_json(plan.slurm.mail_type)},
      {"mail_user", optional_json(plan.slurm.mail_user)},
      {"exclusive", plan.slurm.exclusive},
      {"sbatch", options_json(plan.extra_directives)},
  };
}

nlohmann::json monitor_json(const Monitor& m) {
  if (!m.enabled) {
    return nullptr;
  }
  return {{"interval_seconds", m.interval_seconds},
          {"sampler", m.sampler},
          {"command", m.command},
          {"query", m.query},
          {"probe_fields", m.probe_fields},
          {"nvml_energy", m.nvml_energy},
          {"energy_counter", optional_json(m.energy_counter)},
          {"efficiency_tool", m.efficiency_tool},
          {"site_tool", m.site_tool},
          {"gpu_memory_mib", m.gpu_memory_mib},
          {"cpus_per_gpu", m.cpus_per_gpu}};
}

}  // namespace

nlohmann::json to_json(const Plan& plan) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto& r : plan.reasons) {
    reasons.push_back({{"field", r.field}, {"value", r.value}, {"why", r.why},
                       {"source", r.source},
                       {"assumed", r.assumed.empty() ? nlohmann::json() : nlohmann::json(r.assumed)}});
  }
  nlohmann::json j = resources_json(plan);
  j.update(software_json(plan));
  j.update(scheduling_json(plan));
  j["monitor"] = monitor_json(plan.monitor);
  j["command_line"] = plan.command_line;
  j["directives"] = options_json(plan.directives());
  j["warnings"] = plan.warnings;
  j["reasons"] = reasons;
  return j;
}

}  // namespace mlsub
