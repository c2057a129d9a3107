#pragma once
// Following submitted jobs: shared by status, cancel, logs and submit --wait.

#include <chrono>
#include <optional>
#include <string>

#include "mlsub/error.hpp"
#include "mlsub/slurm_jobs.hpp"

namespace mlsub::cli {

// Slurm job ids are digits, or digits_digits for an array task.
bool is_job_id(const std::string& text);

// The job's state from squeue, else from scontrol; nullopt when Slurm has
// forgotten it.
Expected<std::optional<JobState>> job_state(const std::string& job_id,
                                            std::chrono::milliseconds timeout);

// Polls the job until it finishes, printing a one-line status on stderr
// whenever it changes. Returns its final state.
Expected<JobState> wait_for_job(const std::string& job_id, std::chrono::milliseconds poll,
                                std::chrono::milliseconds timeout);

}  // namespace mlsub::cli
