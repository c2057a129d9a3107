#pragma once
// Slurm behind an interface (ninja's CommandRunner): everything mlsub asks
// Slurm goes through a SlurmClient, so the rules built on top of it (retry
// adoption, waiting, status) can be tested with a fake. The real client
// runs sbatch, squeue, scontrol and scancel without a shell
// (mlsub/process.hpp); the parsers of their output are pure and public.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlsub/duration.hpp"
#include "mlsub/error.hpp"
#include "mlsub/process.hpp"
#include "mlsub/size.hpp"

namespace mlsub {

/// A job as Slurm reports it.
struct JobState {
  std::string job_id;
  std::string state;     // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
  std::string reason;    // why it waits or ended, "None" if nothing to say
  std::string elapsed;   // as Slurm prints it, e.g. 1:02:03
  std::string nodes;     // node list, or "" while pending
  std::optional<int> exit_code;  // once finished: the batch script's exit status
};

/// A job in the queue, with the comment it was submitted with.
struct QueuedJob {
  JobState state;
  std::string comment;
};

/// What sbatch answered: the job id, and the cluster when it names one.
struct Submitted {
  std::string job_id;
  std::string cluster;
};

/// What goes on sbatch's command line and into its environment, besides
/// the script. Command-line options override the script's #SBATCH lines.
struct SubmitFlags {
  std::string comment;                 // --comment (empty: none)
  std::optional<std::string> output;   // --output
  std::vector<std::string> environment;  // NAME=VALUE for sbatch (and, by --export, the job)
};

class SlurmClient {
 public:
  virtual ~SlurmClient() = default;
  /// `sbatch --parsable`. An error with `unclear` set when the job may
  /// exist all the same (sbatch hung, or answered without a job id).
  virtual Expected<Submitted> submit(const std::string& script, const SubmitFlags& flags) = 0;
  /// `sbatch --test-only`: Slurm's verdict line when it would accept the
  /// job; an error with Slurm's message when it would not.
  virtual Expected<std::string> test_only(const std::string& script, const SubmitFlags& flags) = 0;
  /// The jobs among `ids` that Slurm still schedules (pending, running,
  /// completing); ids it does not list are left out.
  /// Asks about at most `k_squeue_ids` ids per squeue (the list is one
  /// argument; Linux limits one to 128 KiB).
  virtual Expected<std::vector<JobState>> queued(const std::vector<std::string>& ids) = 0;
  /// Every job of this user that Slurm still schedules, with its comment
  /// (`squeue --me`): one question, however many jobs were ever submitted.
  virtual Expected<std::vector<QueuedJob>> mine() = 0;
  /// `scontrol show job`: nullopt (not an error) when Slurm has forgotten it.
  virtual Expected<std::optional<JobState>> show(const std::string& id) = 0;
  virtual Expected<void> cancel(const std::string& id) = 0;
  /// The unfinished job whose comment is `comment`, if there is one.
  virtual Expected<std::optional<std::string>> find_by_comment(const std::string& comment) = 0;

  // What the cluster says about itself (mlsub catalogue verify/import):
  // the commands' output as text, for the parsers below.
  /// `scontrol show partition --oneliner --all` (hidden partitions too).
  virtual Expected<std::string> partitions_text() = 0;
  /// `scontrol show node --oneliner --all`, and `--future` nodes.
  virtual Expected<std::string> nodes_text() = 0;
  /// `scontrol show config`.
  virtual Expected<std::string> config_text() = 0;
};

/// How many job ids one squeue --jobs is given at most.
constexpr std::size_t k_squeue_ids = 1000;

/// The client that runs Slurm's commands, each limited to `timeout`.
std::unique_ptr<SlurmClient> make_slurm_client(std::chrono::milliseconds timeout);

// ---- pure parsers (src/slurm/parse.cpp) -----------------------------------

/// Reads `sbatch --parsable` output: "JOBID" or "JOBID;CLUSTER", one line.
/// Anything else is an error that quotes what sbatch printed.
Expected<Submitted> parse_parsable(std::string_view out);

/// Whether a Slurm command's message says the controller could not be
/// reached (down, or the network), not that it refused.
bool is_unreachable(std::string_view message);

/// A failed sbatch's message: "Slurm is unreachable: ..." or "Slurm refused
/// the job: MESSAGE".
std::string sbatch_failure(std::string_view message);

/// What `sbatch --parsable` answered, read: the job; sbatch_failure's
/// message when it failed; an error with `unclear` set when it
/// succeeded without a job id (the job may exist).
Expected<Submitted> read_sbatch_answer(const ProcessResult& answer);

/// A Slurm command that gave no result, as an Error that says what to do.
/// One that timed out may still have done its work: `unclear` is set.
Error slurm_process_error(const ProcessError& e, std::chrono::milliseconds timeout);

/// True for states after which a job never runs again.
bool is_finished(std::string_view state);

/// One record of `scontrol show job --oneliner`: Key=Value words.
std::map<std::string, std::string> parse_scontrol_record(std::string_view line);

/// JobState from a parsed record (JobId, JobState, Reason, RunTime,
/// NodeList, ExitCode).
JobState job_state_from_record(const std::map<std::string, std::string>& record);

/// squeue output (`--noheader --format` with fields joined by '|'): each
/// line split into at most `fields` fields, the last taking the rest of the
/// line; lines with fewer are left out.
std::vector<std::vector<std::string>> split_squeue(std::string_view out, std::size_t fields);

/// A Slurm command's message on one line: trimmed, line breaks as spaces,
/// "(no message)" when empty.
std::string slurm_message(std::string_view text);

/// Slurm job ids are digits, or digits_digits for an array task.
bool is_job_id(std::string_view text);

/// The job an id as squeue prints it belongs to: "123" for "123",
/// "123_4", "123_[5-9%2]" (array tasks) and "123+0" (a heterogeneous
/// job's component).
std::string_view base_job_id(std::string_view squeue_id);

// ---- what a cluster's Slurm says about itself (src/slurm/cluster.cpp) -----

/// One entry of a Gres list: "gpu:A40:4", "gpu:4", "nvme:3600".
struct GresEntry {
  std::string name;   // gpu
  std::string type;   // A40, or "" when untyped
  long count = 0;
};

/// A partition as `scontrol show partition --oneliner` reports it (Slurm
/// 22.05 to 24.11 print the same keys for what is read here).
struct SlurmPartition {
  std::string name;
  bool is_default = false;
  std::optional<Duration> max_time;      // unset: UNLIMITED
  std::optional<Duration> default_time;  // unset: NONE
  std::optional<int> max_nodes;          // unset: UNLIMITED
  int min_nodes = 0;
  bool exclusive = false;  // OverSubscribe=EXCLUSIVE
  std::string state;       // UP, DOWN, DRAIN, INACTIVE
  std::string nodes;       // a hostlist expression: "n[001-010],x1"
  // JobDefaults (DefCpuPerGPU, DefMemPerGPU) and memory limits; unset when
  // Slurm prints none, UNLIMITED or 0.
  std::optional<int> def_cpu_per_gpu;
  std::optional<Size> def_mem_per_gpu;
  std::optional<Size> max_mem_per_node;
  std::optional<Size> max_mem_per_cpu;
};

/// A node as `scontrol show node --oneliner` reports it.
struct SlurmNode {
  std::string name;
  int cpus = 0;              // CPUEfctv where Slurm prints it (23.02+), else CPUTot
  int threads_per_core = 1;
  Size memory;               // RealMemory
  std::vector<GresEntry> gres;
  std::vector<std::string> features;    // AvailableFeatures
  std::vector<std::string> partitions;
  std::string state;

  /// Cores a job can use: CPUs over threads per core.
  int cores() const { return threads_per_core > 0 ? cpus / threads_per_core : cpus; }
  /// The GPUs of the node: the first gpu gres entry (type "" if untyped).
  std::optional<GresEntry> gpu() const;
};

/// Reads a Gres list, ignoring socket bindings ("gpu:a100:4(S:0-1)") and
/// "(null)". Entries that are not name[:type]:count are left out.
std::vector<GresEntry> parse_gres(std::string_view text);

/// Slurm's time limits: "UNLIMITED"/"NONE"/"INFINITE" give nullopt,
/// otherwise [D-]HH:MM:SS, MM:SS or MM. An error for anything else.
Expected<std::optional<Duration>> parse_slurm_limit(std::string_view text);

/// `scontrol show partition --oneliner` output: one partition per line.
Expected<std::vector<SlurmPartition>> parse_partitions(std::string_view text);

/// `scontrol show node --oneliner` output: one node per line.
Expected<std::vector<SlurmNode>> parse_nodes(std::string_view text);

/// `scontrol show config`: "Key = Value" lines (values may hold spaces).
std::map<std::string, std::string> parse_config(std::string_view text);

/// A hostlist expression expanded: "n[01-03,7],x" gives n01 n02 n03 n7 x.
/// An error for a malformed one or one of more than a million names.
Expected<std::vector<std::string>> expand_hostlist(std::string_view text);

}  // namespace mlsub
