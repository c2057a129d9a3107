#pragma once
// Submitting a planned job (TorchX's submit = schedule(dry run)): the job
// folder, sbatch, adopting the job of an earlier unclear attempt, and the
// journal; then following the job to its end. Slurm and the journal come
// in from outside, so the rules are tested with a fake Slurm.
//
// The script is submitted exactly as mlsub plan prints it: the folder
// reaches the job from outside the script, as sbatch's --output (unless
// the request set one) and as MLSUB_JOB_DIR in sbatch's environment, which
// Slurm passes on to the job (--export=ALL, its default).

#include <chrono>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlsub/error.hpp"
#include "mlsub/job_folder.hpp"
#include "mlsub/journal.hpp"
#include "mlsub/plan.hpp"
#include "mlsub/slurm.hpp"

namespace mlsub {

/// A plan and the script rendered from it: what mlsub plan prints.
struct PlannedJob {
  Plan plan;
  std::string script;
};

struct SubmitSettings {
  enum class Mode {
    submit,     // sbatch it
    dry_run,    // write the folder, stop
    test_only,  // write the folder, ask sbatch --test-only
  };
  Mode mode = Mode::submit;
  std::string base_dir;                   // where job folders go (absolute)
  std::vector<std::string> command_line;  // the request as typed, for its id and the journal
  std::string cwd;                        // where mlsub runs
  std::time_t now = 0;                    // names the folder, dates the record
  std::optional<std::string> sbatch_export;  // $SBATCH_EXPORT, when set
};

struct SubmitOutcome {
  JobFolder folder{""};
  std::vector<std::string> warnings;
  std::vector<std::string> notes;  // what was done besides (a --output directory made)
  std::string verdict;          // test_only: Slurm's answer
  std::string sbatch_command;   // dry_run: the shell command that submits it as mlsub would
  std::optional<Submitted> job;  // mode submit: the job, made now or adopted
  bool adopted = false;         // the job of an earlier attempt, found by its comment
  // The job exists, but its job-id file or journal line could not be
  // written: say so, with the job id.
  std::optional<Error> record_error;
};

/// Why nothing (or nothing certain) was submitted, and what the user
/// should know besides the error (where the script is kept).
struct SubmitFailure {
  Error error;
  std::string note;
};

/// Before sbatch (modes submit and test_only): a placeholder account and a
/// program path that does not exist (relative to settings.cwd) are usage
/// errors, and a missing --output directory is created (submit mode); a dry
/// run warns of them instead.
///
/// A retry of a request whose sbatch failed unclearly (it hung, or answered
/// without a job id) looks for the earlier job by its comment
/// ("mlsub:" + request_id) before it submits, so it never makes two.
tl::expected<SubmitOutcome, SubmitFailure> submit_job(const PlannedJob& job,
                                                      const SubmitSettings& settings,
                                                      SlurmClient& slurm, const Journal& journal);

/// A stable name for one request (the same command in the same directory):
/// 16 hex digits. It goes into the job's comment.
std::string request_id(const std::vector<std::string>& command_line, const std::string& cwd);

/// The warning for an $SBATCH_EXPORT that keeps MLSUB_JOB_DIR from the job
/// (NONE, or a list without ALL or it); nullopt when the job gets it.
std::optional<std::string> export_warning(std::string_view sbatch_export);

/// The job's state from squeue, else from scontrol; nullopt when Slurm has
/// forgotten it.
Expected<std::optional<JobState>> job_state(SlurmClient& slurm, const std::string& job_id);

/// Polls the job until it finishes; `progress` sees every state on the way.
/// Returns the final state; an error when Slurm forgets the job.
Expected<JobState> wait_for_job(SlurmClient& slurm, const std::string& job_id,
                                std::chrono::milliseconds poll,
                                const std::function<void(const JobState&)>& progress);

/// A job as Slurm sees it now, with its journal record when the journal
/// holds it.
struct JobStatus {
  JobState state;
  std::optional<JobRecord> record;
};

/// The journal's jobs that Slurm still schedules. One `squeue --me` (the
/// user's queue, not the journal's history), then the journal read from its
/// end for just the queued jobs mlsub submitted (their comment starts
/// "mlsub:"; an array task or a heterogeneous job's component by its job's
/// id), stopping when each is found. Queued jobs the journal does not hold
/// are left out. The cost follows the queue, not the journal's size.
Expected<std::vector<JobStatus>> unfinished_jobs(SlurmClient& slurm, const Journal& journal);

/// The named jobs, each from squeue, else scontrol (UNKNOWN when Slurm has
/// forgotten it), with its journal record found from the journal's end.
Expected<std::vector<JobStatus>> jobs_status(SlurmClient& slurm, const Journal& journal,
                                             const std::vector<std::string>& ids);

/// The job's output file from its journal record: Slurm's --output pattern
/// filled in. A usage error when the journal does not hold the job.
Expected<std::string> job_output_file(const Journal& journal, const std::string& job_id);

/// Hands what `path` holds to `sink`; with `follow`, also what the job
/// writes until Slurm says it has ended (asked every `poll`). An io error
/// when the file does not exist and `follow` is off.
Expected<void> follow_output(SlurmClient& slurm, const std::string& job_id, const std::string& path,
                             bool follow, std::chrono::milliseconds poll,
                             const std::function<void(std::string_view)>& sink);

}  // namespace mlsub
