#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlsub/duration.hpp"
#include "mlsub/launcher.hpp"
#include "mlsub/size.hpp"

namespace mlsub {

/// What the user asked for, already parsed from text but not yet checked
/// against any system. Either `gpus`, or `nodes` with `gpus_per_node`.
/// The sbatch options mlsub has flags for but does not plan (--constraint,
/// --qos, --reservation, --dependency, --mail-type, --mail-user,
/// --exclusive): as typed in a request, as checked in a plan.
struct SlurmFlags {
  std::optional<std::string> constraint;
  std::optional<std::string> qos;
  std::optional<std::string> reservation;
  std::optional<std::string> dependency;
  std::optional<std::string> mail_type;
  std::optional<std::string> mail_user;
  bool exclusive = false;
};

struct Request {
  std::string system;
  std::optional<int> gpus;
  std::optional<int> nodes;
  std::optional<int> gpus_per_node;
  std::optional<Duration> time;
  std::optional<std::string> partition;
  std::optional<std::string> gpu_type;
  std::optional<std::string> account;
  std::string account_origin;  // "--account", "$MLSUB_ACCOUNT", ...
  std::optional<std::string> job_name;
  std::optional<std::string> output;
  std::optional<Launcher> launcher;
  // The software environment: modules to load instead of the site's
  // defaults, a Python virtual environment to activate after them, a
  // container image to run the program in (with extra bind mounts), and
  // environment variables (KEY=VALUE) to export.
  std::vector<std::string> modules;
  std::optional<std::string> venv;
  std::optional<std::string> container;
  std::optional<std::string> uenv;  // IMAGE[:MOUNT], on sites with user environments
  std::optional<std::string> edf;   // Container Engine environment: NAME or PATH.toml
  bool plain_edf = false;           // leave out the catalogue's srun options for --edf
  std::vector<std::string> binds;
  std::vector<std::string> env;
  std::optional<Size> local_disk;
  // sbatch options mlsub does not plan, as typed: first-class flags, and
  // --sbatch KEY=VALUE (or KEY alone for a flag) for the rest, in order.
  SlurmFlags slurm;
  std::vector<std::string> sbatch;
  // An array job: Slurm's --array spec as given (0-9%2), or a sweep, each
  // "name=v1,v2,..." (the cartesian product becomes the array).
  std::optional<std::string> array;
  std::vector<std::string> sweeps;
  // Checkpoint and requeue shortly before the time limit: seconds of warning.
  std::optional<int> requeue_lead_seconds;  // per node, reserved with the GPUs where the site offers it
  // The GPU monitor: on unless --no-monitor; seconds between samples. Its
  // files go into $MLSUB_JOB_DIR (mlsub submit sets it), else
  // $SLURM_SUBMIT_DIR/mlsub-$SLURM_JOB_ID.
  bool monitor = true;
  int monitor_interval_seconds = 30;
  std::string program;
  std::vector<std::string> args;
  // The command line that made this request, for the script's header, so a
  // script pasted into docs can be made again.
  std::vector<std::string> command_line;
};

}  // namespace mlsub
