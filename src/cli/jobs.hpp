#pragma once
// Following submitted jobs: what status, logs and submit --wait print.

#include <functional>

#include "mlsub/slurm.hpp"

namespace mlsub::cli {

// A one-line status of the job on stderr whenever it changes (on a
// terminal: one line rewritten in place, with the seconds waited).
std::function<void(const JobState&)> progress_printer();

}  // namespace mlsub::cli
