#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mlsub/catalogue.hpp"
#include "mlsub/duration.hpp"
#include "mlsub/launcher.hpp"
#include "mlsub/request.hpp"
#include "mlsub/size.hpp"

namespace mlsub {

/// Why the planner chose one value: printed by --explain, kept in --json.
struct Reason {
  Reason() = default;
  Reason(std::string field_, std::string value_, std::string why_, std::string source_,
         std::string assumed_ = {})
      : field(std::move(field_)),
        value(std::move(value_)),
        why(std::move(why_)),
        source(std::move(source_)),
        assumed(std::move(assumed_)) {}

  std::string field;   // "partition", "cpus-per-task", ...
  std::string value;   // what was chosen
  std::string why;     // one sentence
  std::string source;  // URL, or "" for a rule of mlsub's own
  // Non-empty when the catalogue marks the fact behind the value as
  // assumed (no site page states it): why. --explain then says "assumed".
  std::string assumed;
};

/// One `#SBATCH --option=value` line; `value` empty for a bare flag.
struct Directive {
  std::string option;
  std::string value;
};

/// The GPU monitor the script runs beside the program (see
/// docs/guides/monitoring.md): one sampler per node appending CSV lines to
/// gpu-JOBID-NODE.csv in the job folder, stopped when the job ends.
struct Monitor {
  bool enabled = false;
  int interval_seconds = 30;
  std::string sampler;               // nvidia-smi or rocm-smi
  std::vector<std::string> command;  // the sampler's words
  bool loop = false;                 // the script repeats `command` (rocm-smi has no loop flag)
  // nvidia-smi: --query-gpu=query, plus each probe field that the driver's
  // --help-query-gpu lists (an unknown field fails the whole query).
  std::string query;
  std::vector<std::string> probe_fields;
  bool nvml_energy = false;  // read NVML's energy counters at the start and the end
  std::optional<std::string> energy_counter;  // TOOL --save before, TOOL --diff after
  std::string efficiency_tool;                // "seff {job}", for report's advice
  std::string site_tool;                      // the site's in-job tool, for report's advice
  long long gpu_memory_mib = 0;               // one GPU's memory, for report's advice
  int cpus_per_gpu = 0;                       // the site's rule, for report's advice
};

/// The decided job, as plain data. A pure function of (catalogue, request,
/// mlsub version): nothing in it depends on the host, the clock or Slurm.
struct Plan {
  std::string system;
  std::string partition;
  std::string node_type;
  std::string gpu_type;
  GpuVendor gpu_vendor = GpuVendor::nvidia;
  int nodes = 1;
  int gpus_per_node = 1;
  int tasks_per_node = 1;
  int cpus_per_task = 1;
  std::optional<Size> memory_per_node;  // unset: the site assigns memory
  std::optional<Size> local_disk;       // per node, reserved with the GPU request
  Duration time;
  Directive gpu_directive;
  std::string account;
  bool account_is_placeholder = false;
  std::string job_name;
  std::optional<std::string> output;
  std::optional<std::string> array;  // --array spec
  // sbatch options the user asked for that mlsub does not plan: the
  // first-class ones, then --sbatch KEY=VALUE pass-through in the order
  // given (mem and cpus-per-task raise the fields above instead).
  SlurmFlags slurm;
  std::vector<Directive> extra_directives;
  // One entry per array index: the arguments that index adds to the program.
  std::vector<std::vector<std::string>> sweep;
  std::vector<std::string> sweep_names;
  // Requeue on timeout: the signal and how long before the limit it comes.
  std::optional<int> requeue_lead_seconds;
  // How long the batch shell waits for the program's checkpoint before it
  // requeues the job anyway (a program that missed or ignores the signal).
  std::optional<int> requeue_wait_seconds;
  std::string requeue_signal;  // USR2 (USR1 collides with a handler NCCL installs)
  Launcher launcher = Launcher::python;
  std::vector<std::string> module_use;
  std::vector<std::string> modules;
  // `module purge` first: modules are loaded, or a container runs where the
  // site has modules (so none of the submitting shell's leak into it).
  bool module_purge = false;
  std::optional<std::string> venv;                      // activated after the modules
  // The venv is activated in each task, inside the container or uenv
  // (sourced on the host it would not be seen there).
  bool venv_in_task = false;
  std::vector<std::pair<std::string, std::string>> env;  // exported before the launch
  std::vector<std::string> cache_dirs;  // variables set to per-job node-local directories
  // Words before the program on the launch line: the container runtime
  // (`apptainer exec --nv --bind ... image.sif`), or nothing. Shell text as
  // written into the script: the catalogue's flags as they are (they may
  // expand on the node, `--bind="$(csc-common-bind)"`), the user's binds and
  // image already quoted.
  std::vector<std::string> run_prefix;
  std::optional<std::string> uenv;  // #SBATCH --uenv, with --view=uenv_view
  std::string uenv_view;
  // Options for every srun line (--environment=EDF); with them, even a
  // one-process job starts through srun.
  std::vector<std::string> srun_options;
  // srun's CPU binding (whole-node srun jobs on sites that document it).
  // GPU visibility is Slurm's: every task sees the node's GPUs of the job,
  // so LOCAL_RANK indexes one of them.
  std::optional<std::string> cpu_bind;
  std::string gpu_visibility_var;  // ROCR_VISIBLE_DEVICES or CUDA_VISIBLE_DEVICES
  // Processes each task starts (torchrun and accelerate: one per GPU of the
  // node): OMP_NUM_THREADS and MLSUB_NUM_WORKERS are the task's CPUs / this.
  int processes_per_task = 1;
  // What the job runs: interpreter (if any), program and its arguments; and
  // the same in parts, for launchers that run the interpreter themselves.
  std::vector<std::string> program_argv;
  std::string program;
  std::vector<std::string> program_args;
  bool python_program = false;
  std::vector<std::string> command_line;
  Monitor monitor;
  std::vector<std::string> warnings;
  std::vector<Reason> reasons;

  int gpus_total() const { return nodes * gpus_per_node; }
  int tasks_total() const { return nodes * tasks_per_node; }

  // The #SBATCH lines in the order the script prints them.
  std::vector<Directive> directives() const;
};

// The plan for --json. `schema_version` lets consumers detect changes.
nlohmann::json to_json(const Plan& plan);

}  // namespace mlsub
