#include "mlsub/plan.hpp"

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
  return out;
}

nlohmann::json to_json(const Plan& plan) {
  nlohmann::json reasons = nlohmann::json::array();
  for (const auto& r : plan.reasons) {
    reasons.push_back({{"field", r.field}, {"value", r.value}, {"why", r.why},
                       {"source", r.source},
                       {"assumed", r.assumed.empty() ? nlohmann::json() : nlohmann::json(r.assumed)}});
  }
  nlohmann::json directives = nlohmann::json::array();
  for (const auto& d : plan.directives()) {
    directives.push_back({{"option", d.option}, {"value", d.value}});
  }
  nlohmann::json j = {
      {"schema_version", 1},
      {"system", plan.system},
      {"partition", plan.partition},
      {"node_type", plan.node_type},
      {"gpu_type", plan.gpu_type},
      {"gpu_vendor", plan.gpu_vendor == GpuVendor::amd ? "amd" : "nvidia"},
      {"nodes", plan.nodes},
      {"gpus_per_node", plan.gpus_per_node},
      {"gpus", plan.gpus_total()},
      {"tasks_per_node", plan.tasks_per_node},
      {"tasks", plan.tasks_total()},
      {"cpus_per_task", plan.cpus_per_task},
      {"memory_per_node", plan.memory_per_node ? nlohmann::json(format_size(*plan.memory_per_node))
                                               : nlohmann::json(nullptr)},
      {"memory_per_node_mib", plan.memory_per_node ? nlohmann::json(plan.memory_per_node->mib)
                                                   : nlohmann::json(nullptr)},
      {"time", format_duration(plan.time)},
      {"time_seconds", plan.time.seconds},
      {"gpu_directive", {{"option", plan.gpu_directive.option},
                         {"value", plan.gpu_directive.value}}},
      {"account", plan.account},
      {"account_is_placeholder", plan.account_is_placeholder},
      {"job_name", plan.job_name},
      {"output", plan.output ? nlohmann::json(*plan.output) : nlohmann::json(nullptr)},
      {"launcher", std::string(launcher_name(plan.launcher))},
      {"module_use", plan.module_use},
      {"modules", plan.modules},
      {"venv", plan.venv ? nlohmann::json(*plan.venv) : nlohmann::json()},
      {"venv_in_task", plan.venv_in_task},
      {"env", plan.env},
      {"cache_dirs", plan.cache_dirs},
      {"run_prefix", plan.run_prefix},
      {"uenv", plan.uenv ? nlohmann::json(*plan.uenv) : nlohmann::json()},
      {"srun_options", plan.srun_options},
      {"cpu_bind", plan.cpu_bind ? nlohmann::json(*plan.cpu_bind) : nlohmann::json()},
      {"processes_per_task", plan.processes_per_task},
      {"array", plan.array ? nlohmann::json(*plan.array) : nlohmann::json()},
      {"sweep", plan.sweep},
      {"sweep_names", plan.sweep_names},
      {"requeue_lead_seconds", plan.requeue_lead_seconds ? nlohmann::json(*plan.requeue_lead_seconds) : nlohmann::json()},
      {"local_disk", plan.local_disk ? nlohmann::json(format_size(*plan.local_disk)) : nlohmann::json()},
      {"monitor", plan.monitor.enabled
                      ? nlohmann::json{{"interval_seconds", plan.monitor.interval_seconds},
                                       {"sampler", plan.monitor.sampler},
                                       {"command", plan.monitor.command},
                                       {"query", plan.monitor.query},
                                       {"probe_fields", plan.monitor.probe_fields},
                                       {"nvml_energy", plan.monitor.nvml_energy},
                                       {"energy_counter", plan.monitor.energy_counter
                                                              ? nlohmann::json(*plan.monitor.energy_counter)
                                                              : nlohmann::json()},
                                       {"efficiency_tool", plan.monitor.efficiency_tool},
                                       {"site_tool", plan.monitor.site_tool},
                                       {"gpu_memory_mib", plan.monitor.gpu_memory_mib},
                                       {"cpus_per_gpu", plan.monitor.cpus_per_gpu}}
                      : nlohmann::json()},
      {"program_argv", plan.program_argv},
      {"command_line", plan.command_line},
      {"directives", directives},
      {"warnings", plan.warnings},
      {"reasons", reasons},
  };
  return j;
}

}  // namespace mlsub
