#pragma once
// Asking Slurm about jobs: squeue for the ones it still schedules,
// `scontrol show job` for those it has finished recently. Both run without
// a shell (mlsub/process.hpp).

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlsub/error.hpp"

namespace mlsub {

struct JobState {
  std::string job_id;
  std::string state;     // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
  std::string reason;    // why it waits or ended, "None" if nothing to say
  std::string elapsed;   // as Slurm prints it, e.g. 1:02:03
  std::string nodes;     // node list, or "" while pending
  std::optional<int> exit_code;  // once finished: the batch script's exit status
};

// True for states after which a job never runs again.
bool is_finished(std::string_view state);

// Parses one record of `scontrol show job --oneliner`: Key=Value words.
std::map<std::string, std::string> parse_scontrol_record(std::string_view line);

// JobState from a parsed record (JobId, JobState, Reason, RunTime,
// NodeList, ExitCode).
JobState job_state_from_record(const std::map<std::string, std::string>& record);

// `scontrol show job --oneliner ID`. An id Slurm no longer knows gives
// nullopt (not an error): it finished long enough ago to be forgotten.
Expected<std::optional<JobState>> show_job(const std::string& job_id,
                                           std::chrono::milliseconds timeout);

// `squeue` for these ids: the jobs Slurm still schedules (pending,
// running, completing). Ids it does not list are left out.
Expected<std::vector<JobState>> queued_jobs(const std::vector<std::string>& job_ids,
                                            std::chrono::milliseconds timeout);

// `scancel ID`.
Expected<void> cancel_job(const std::string& job_id, std::chrono::milliseconds timeout);

}  // namespace mlsub
