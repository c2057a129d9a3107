#pragma once
// The folder a submitted job lives in, and every file it leaves there
// (submitit's JobPaths). mlsub submit writes the first four; Slurm writes
// the output; the job script's GPU monitor (templates/monitor.mustache)
// writes the samples, its log and the energy counters into $MLSUB_JOB_DIR,
// under the names below (tests/unit/job_folder_test.cpp holds the two in
// step); mlsub report and mlsub logs read them back.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "mlsub/error.hpp"

namespace mlsub {

class JobFolder {
 public:
  explicit JobFolder(std::filesystem::path dir) : m_dir(std::move(dir)) {}

  const std::filesystem::path& dir() const { return m_dir; }
  std::filesystem::path script() const { return m_dir / "job.sh"; }
  std::filesystem::path plan() const { return m_dir / "plan.json"; }
  std::filesystem::path sweep() const { return m_dir / "sweep.tsv"; }  // array index -> arguments
  std::filesystem::path job_id_file() const { return m_dir / "job-id"; }
  /// Slurm's --output pattern for the job: one file per job, or per array
  /// task (array job id _ task index).
  std::string output_pattern(bool array) const {
    return (m_dir / (array ? "slurm-%A_%a.out" : "slurm-%j.out")).string();
  }
  std::filesystem::path samples(std::string_view job_id, std::string_view node) const {
    return m_dir / samples_name(job_id, node);
  }
  std::filesystem::path monitor_log(std::string_view job_id) const {
    return m_dir / ("monitor-" + std::string(job_id) + ".log");
  }
  std::filesystem::path energy(std::string_view job_id) const {
    return m_dir / ("energy-" + std::string(job_id) + ".txt");
  }
  /// energy-JOBID-NODE.csv: one node's NVML energy counters, start and end.
  std::filesystem::path energy_counters(std::string_view job_id, std::string_view node) const {
    return m_dir / ("energy-" + std::string(job_id) + "-" + std::string(node) + ".csv");
  }

  /// gpu-JOBID-NODE.csv: one node's GPU samples.
  static std::string samples_name(std::string_view job_id, std::string_view node);
  /// The job id and node of a samples file's name; nullopt for other names.
  static std::optional<std::pair<std::string, std::string>> parse_samples_name(
      std::string_view name);
  /// Where a script run without MLSUB_JOB_DIR (made by mlsub plan and
  /// submitted by hand, or SBATCH_EXPORT=NONE) puts the monitor's files:
  /// mlsub-JOBID in the directory it was submitted from.
  static JobFolder fallback(const std::filesystem::path& submit_dir, std::string_view job_id);

 private:
  std::filesystem::path m_dir;
};

/// NAME-YYYYMMDD-HHMMSS (UTC), the name of a job's folder.
std::string job_folder_name(std::string_view job_name, std::time_t when);

/// A folder for one job, made whole or not at all: the files are written
/// into a hidden temporary folder in `base`, which is then renamed to
/// `base/NAME` (NAME-2, NAME-3, ... if taken).
Expected<JobFolder> create_job_folder(const std::filesystem::path& base, const std::string& name,
                                      const std::map<std::string, std::string>& files);

/// Slurm's output file name for a job: the --output pattern with %j (job
/// id), %x (job name), %u (user) and %% filled in; relative to `cwd` when not
/// absolute. Other placeholders are an error naming them.
Expected<std::string> output_file(const std::string& pattern, const std::string& job_id,
                                  const std::string& job_name, const std::string& cwd);

}  // namespace mlsub
