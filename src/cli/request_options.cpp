#include "request_options.hpp"

#include "repeatable.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>

#include "mlsub/duration.hpp"
#include "mlsub/size.hpp"

namespace mlsub::cli {
namespace {

constexpr int k_max_gpus = 65536;

Expected<std::optional<int>> count(const char* flag, const std::optional<std::string>& text) {
  if (!text) {
    return std::optional<int>();
  }
  int n = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
  if (text->empty() || ec != std::errc() || end != text->data() + text->size() || n < 1 ||
      n > k_max_gpus) {
    return fail(ErrorKind::usage,
                fmt::format("{} must be a whole number from 1 to {}, got '{}'", flag, k_max_gpus,
                            *text));
  }
  return std::optional<int>(n);
}

// sbatch options mlsub does not plan: the common ones as flags, the rest
// through --sbatch.
void add_slurm_options(CLI::App& app, RequestOptions& o) {
  app.add_option("--constraint,-C", o.slurm.constraint,
                 "Node features, e.g. 'a&b' (checked against the features the catalogue lists "
                 "for the system: mlsub show SYSTEM)")
      ->type_name("FEATURES")
      ->group("Slurm");
  app.add_option("--qos,-q", o.slurm.qos, "Quality of service")->type_name("QOS")->group("Slurm");
  app.add_option("--reservation", o.slurm.reservation, "Run in this reservation")
      ->type_name("NAME")
      ->group("Slurm");
  app.add_option("--dependency,-d", o.slurm.dependency,
                 "Start after other jobs, e.g. afterok:123456 (Slurm's syntax)")
      ->type_name("TYPE:JOBID")
      ->group("Slurm");
  app.add_option("--mail-type", o.slurm.mail_type, "Mail on these events, e.g. END,FAIL")
      ->type_name("TYPES")
      ->group("Slurm");
  app.add_option("--mail-user", o.slurm.mail_user, "Send the mail to this address")
      ->type_name("ADDRESS")
      ->group("Slurm");
  app.add_flag("--exclusive", o.slurm.exclusive, "Share the nodes with no other job")->group("Slurm");
  repeatable(
      app.add_option("--sbatch", o.sbatch,
                     "Any other sbatch option, as KEY=VALUE (KEY alone for a flag), e.g. "
                     "hint=nomultithread (repeatable); mem and cpus-per-task may raise what mlsub "
                     "plans; options mlsub plans are refused with the flag to use")
          ->type_name("KEY=VALUE"))
      ->group("Slurm");
}

}  // namespace

void add_request_options(CLI::App& app, RequestOptions& o) {
  app.add_option("--system,-s", o.system, "System to run on (see: mlsub systems)")
      ->type_name("SYSTEM")
      ->required()
      ->group("Job");
  app.add_option("--gpus,-g", o.gpus, "GPUs in all; split into whole nodes past one node")
      ->type_name("N")
      ->group("Job");
  app.add_option("--nodes,-N", o.nodes, "Nodes (default: as many as the GPUs need)")
      ->type_name("N")
      ->group("Job");
  app.add_option("--gpus-per-node", o.gpus_per_node, "GPUs on each node (with --nodes)")
      ->type_name("N")
      ->group("Job");
  app.add_option("--time,-t", o.time, "Time limit as Slurm reads it: MM, MM:SS, HH:MM:SS, D-HH, "
                                      "D-HH:MM or D-HH:MM:SS, so 1:30 is 90 seconds (default: "
                                      "the system's, often 1:00:00)")
      ->type_name("TIME")
      ->group("Job");
  app.add_option("--partition,-p", o.partition, "Partition (default: chosen from GPUs, nodes "
                                                "and time)")
      ->type_name("NAME")
      ->group("Job");
  app.add_option("--gpu-type", o.gpu_type, "GPU type (or MIG slice type) on systems with "
                                           "several; mlsub show SYSTEM lists them")
      ->type_name("TYPE")
      ->group("Job");
  app.add_option("--account,-A", o.account, "Project to bill (default: a config file's for the "
                                            "system, then $MLSUB_ACCOUNT, then $SBATCH_ACCOUNT "
                                            "if of the site's form; mlsub config)")
      ->type_name("ACCOUNT")
      ->group("Job");
  app.add_option("--job-name,-J", o.job_name, "Job name (default: the program's name)")
      ->type_name("NAME")
      ->group("Job");
  app.add_option("--output,-o", o.output, "Slurm output file pattern, e.g. logs/%x-%j.out")
      ->type_name("PATTERN")
      ->group("Job");
  app.add_option("--launcher", o.launcher, "How to start the program: " + launcher_help() +
                                           "; default: python for 1 GPU, else the site's way")
      ->type_name("LAUNCHER")
      ->group("Job");
  app.add_option("--template", o.template_file, "Render with this mustache template instead")
      ->type_name("FILE")
      ->group("Job");
  repeatable(
      app.add_option("--module", o.modules,
                     "Load this module instead of the site's default ones (repeatable, in order)")
          ->type_name("MODULE"))
      ->group("Software");
  app.add_option("--venv", o.venv, "Activate this Python virtual environment after the modules "
                                   "(inside the container or uenv, in every task, when there is one)")
      ->type_name("PATH")
      ->group("Software");
  app.add_option("--container", o.container,
                 "Run the program in this Apptainer/Singularity image, as the site runs images "
                 "(verb and flags from the catalogue; on LUMI instead of the default AI Factory "
                 "image)")
      ->type_name("IMAGE.sif")
      ->group("Software");
  app.add_option("--uenv", o.uenv, "Mount this user environment (Alps), e.g. "
                                   "pytorch/v2.9.1:/user-environment")
      ->type_name("IMAGE[:MOUNT]")
      ->group("Software");
  app.add_option("--edf", o.edf, "Run in this Container Engine environment (Alps): a name or "
                                 "a .toml path, passed as srun --environment (with the srun "
                                 "options the site requires for its images)")
      ->type_name("NAME|PATH.toml")
      ->group("Software");
  app.add_flag("--plain-edf", o.plain_edf, "With --edf: leave out the srun options the site "
                                           "requires for its own images (Alps: --mpi=pmix "
                                           "--network=disable_rdzv_get)")
      ->group("Software");
  repeatable(app.add_option("--bind", o.binds,
                            "Bind mount into the image (--container, or the site's "
                            "default image), SRC[:DST] (repeatable)")
                 ->type_name("SRC[:DST]"))
      ->group("Software");
  repeatable(app.add_option("--env", o.env,
                            "Export KEY=VALUE in the job before the program starts "
                            "(repeatable)")
                 ->type_name("KEY=VALUE"))
      ->group("Software");
  app.add_option("--local-disk", o.local_disk,
                 "Node-local disk to reserve per node, e.g. 100G, where the system has one to "
                 "reserve (mlsub show SYSTEM); --explain names the variable the job finds it in")
      ->type_name("SIZE")
      ->group("Software");
  app.add_option("--array", o.array, "Submit an array job, e.g. 0-9 or 0-99%10 (at most 10 "
                                     "at once); the index is in $SLURM_ARRAY_TASK_ID")
      ->type_name("SPEC")
      ->group("Arrays");
  repeatable(
      app.add_option("--sweep", o.sweeps,
                     "Sweep a parameter: NAME=V1,V2,... adds --NAME V to the program; several "
                     "--sweep make their product, one array task each; write \\, for a comma "
                     "inside a value (and \\\\ for a backslash)")
          ->type_name("NAME=V1,V2"))
      ->group("Arrays");
  app.add_option("--requeue-on-timeout", o.requeue_lead,
                 "SECONDS before the time limit, send the program SIGUSR2 to checkpoint, then "
                 "requeue the job (see README: checkpoint contract)")
      ->type_name("SECONDS")
      ->check(CLI::Range(10, 86400))
      ->group("Arrays");
  app.add_flag("--no-monitor", o.no_monitor,
               "Leave out the GPU monitor (by default the script samples GPU load, memory and "
               "power into the job folder for mlsub report)")
      ->group("Monitoring");
  app.add_option("--monitor-interval", o.monitor_interval,
                 "SECONDS between GPU samples (default: 30; each sample costs a few "
                 "milliseconds)")
      ->type_name("SECONDS")
      ->check(CLI::Range(1, 3600))
      ->group("Monitoring");
  add_slurm_options(app, o);
  app.add_option("program", o.program, "The program to run (a .py file runs under python3)")
      ->type_name("PROGRAM")
      ->required();
  app.add_option("args", o.args, "Arguments for the program; put them after --")
      ->type_name("ARGS");
}

namespace {

// The header's words: see to_request.
std::vector<std::string> header_words(const std::vector<std::string>& words,
                                      const std::vector<std::string>& defaults) {
  std::vector<std::string> out;
  bool in_command = false;
  bool submit = false;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (w == "--") {
      out.insert(out.end(), words.begin() + static_cast<std::ptrdiff_t>(i), words.end());
      break;
    }
    if (!in_command && i > 0 && (w == "plan" || w == "submit")) {
      in_command = true;
      submit = w == "submit";
      out.emplace_back("plan");
      out.insert(out.end(), defaults.begin(), defaults.end());
      continue;
    }
    if (submit) {  // submit's own flags: what it does with the script, not the script
      if (w == "--dry-run" || w == "--test-only" || w == "--wait" ||
          w.rfind("--dir=", 0) == 0 || w.rfind("--timeout=", 0) == 0) {
        continue;
      }
      if (w == "--dir" || w == "--timeout") {
        ++i;
        continue;
      }
    }
    if (!in_command && w == "--catalogue" && i + 1 < words.size()) {
      out.push_back(w);
      out.push_back(words[++i]);
      continue;
    }
    out.push_back(w);
  }
  return out;
}

}  // namespace

namespace {

// --gpus, --nodes and --gpus-per-node: numbers, and at least one given.
Expected<void> read_counts(const RequestOptions& o, Request& r) {
  auto gpus = count("--gpus", o.gpus);
  auto nodes = count("--nodes", o.nodes);
  auto per_node = count("--gpus-per-node", o.gpus_per_node);
  for (const auto* e : {&gpus, &nodes, &per_node}) {
    if (!*e) {
      return tl::unexpected(e->error());
    }
  }
  r.gpus = *gpus;
  r.nodes = *nodes;
  r.gpus_per_node = *per_node;
  if (!r.gpus && !r.nodes && !r.gpus_per_node) {
    return fail(ErrorKind::usage,
                "say how many GPUs: --gpus N, or --nodes N with --gpus-per-node G");
  }
  return {};
}

// --account, typed or from a config file or the environment
// (config_apply.hpp); the origin is kept for --explain.
void read_account(const RequestOptions& o, const RequestDefaults& defaults, Request& r) {
  if (o.account) {
    r.account = o.account;
    r.account_origin = defaults.account_origin.value_or("--account");
  }
}

}  // namespace

Expected<Request> to_request(const RequestOptions& o, std::vector<std::string> command_line,
                             const RequestDefaults& defaults) {
  Request r;
  r.system = o.system;
  if (auto ok = read_counts(o, r); !ok) {
    return tl::unexpected(ok.error());
  }
  if (o.time) {
    auto t = parse_duration(*o.time);
    if (!t) {
      return tl::unexpected(t.error());
    }
    r.time = *t;
  }
  if (o.launcher) {
    r.launcher = parse_launcher(*o.launcher);
    if (!r.launcher) {
      return fail(ErrorKind::usage, fmt::format("unknown launcher '{}'; use one of: {}",
                                                *o.launcher, launcher_names()));
    }
  }
  r.partition = o.partition;
  r.gpu_type = o.gpu_type;
  r.job_name = o.job_name;
  r.output = o.output;
  read_account(o, defaults, r);
  if (o.local_disk) {
    auto size = parse_size(*o.local_disk);
    if (!size) {
      return tl::unexpected(size.error());
    }
    r.local_disk = *size;
  }
  r.array = o.array;
  r.sweeps = o.sweeps;
  r.requeue_lead_seconds = o.requeue_lead;
  if (o.no_monitor && o.monitor_interval) {
    return fail(ErrorKind::usage,
                "--monitor-interval and --no-monitor contradict each other; drop one");
  }
  r.monitor = !o.no_monitor;
  r.monitor_interval_seconds = o.monitor_interval.value_or(30);
  r.modules = o.modules;
  r.venv = o.venv;
  r.container = o.container;
  r.uenv = o.uenv;
  r.edf = o.edf;
  r.plain_edf = o.plain_edf;
  r.binds = o.binds;
  r.env = o.env;
  r.slurm = o.slurm;
  r.sbatch = o.sbatch;
  r.program = o.program;
  r.args = o.args;
  r.command_line = header_words(command_line, defaults.header_words);
  return r;
}

}  // namespace mlsub::cli
