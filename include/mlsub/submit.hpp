#pragma once
// Handing a script to Slurm, and recording what was handed over.

#include <chrono>
#include <map>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mlsub/error.hpp"

namespace mlsub {

struct Submitted {
  std::string job_id;
  std::string cluster;  // empty unless Slurm names one
};

// Reads `sbatch --parsable` output: "JOBID" or "JOBID;CLUSTER", one line.
// Anything else is an error that quotes what sbatch printed.
Expected<Submitted> parse_parsable(std::string_view out);

// `sbatch --parsable --comment=COMMENT SCRIPT`, run without a shell.
// Slurm's own message is passed through when it refuses.
Expected<Submitted> sbatch_submit(const std::string& script, const std::string& comment,
                                  std::chrono::milliseconds timeout);

// A stable name for one request (the same command in the same directory):
// 16 hex digits. It goes into the job's comment, so that a retry after an
// unclear failure can find the job that was made.
std::string request_id(const std::vector<std::string>& command_line, const std::string& cwd);

// The unfinished job whose comment is `comment`, if squeue lists one.
Expected<std::optional<std::string>> find_job_by_comment(const std::string& comment,
                                                         std::chrono::milliseconds timeout);

// `sbatch --test-only SCRIPT`: Slurm's verdict line when it would accept
// the job; an error with Slurm's message when it would not.
Expected<std::string> sbatch_test_only(const std::string& script,
                                       std::chrono::milliseconds timeout);

// A folder for one job, made whole or not at all: the files are written
// into a hidden temporary folder in `base`, which is then renamed to
// `base/NAME` (NAME-2, NAME-3, ... if taken). Returns the folder's path.
Expected<std::string> create_job_folder(const std::string& base, const std::string& name,
                                        const std::map<std::string, std::string>& files);

// Where submissions are recorded: $MLSUB_JOURNAL, else
// $XDG_DATA_HOME/mlsub/jobs.jsonl, else ~/.local/share/mlsub/jobs.jsonl.
std::string journal_path();

// Appends one JSON line, under an exclusive lock, and syncs it to disk, so
// that concurrent submits never interleave or lose a line.
Expected<void> append_journal(const std::string& path, const nlohmann::json& entry);

// Reads the journal: one JSON object per line. A line that is not one
// (a crash mid-write on a file system without O_APPEND atomicity, a hand
// edit) is skipped and counted in `skipped`. A missing journal is empty.
Expected<std::vector<nlohmann::json>> read_journal(const std::string& path, int& skipped);

// Slurm's output file name for a job: the --output pattern with %j (job
// id), %x (job name), %u (user) and %% filled in; relative to `cwd` when not
// absolute. Other placeholders are an error naming them.
Expected<std::string> output_file(const std::string& pattern, const std::string& job_id,
                                  const std::string& job_name, const std::string& cwd);

}  // namespace mlsub
