#pragma once
// The journal: one JSON line per submitted job (jobs.jsonl), appended by
// mlsub submit and read by status, logs and report.

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mlsub/error.hpp"

namespace mlsub {

/// One submitted job, as the journal records it.
struct JobRecord {
  std::string job_id;
  std::string cluster;   // empty unless Slurm named one
  std::string system;
  std::string partition;
  std::string job_name;
  std::string folder;    // the job folder (absolute)
  std::string cwd;       // where mlsub submit ran: relative --output patterns start here
  std::string output;    // Slurm's --output pattern
  std::vector<std::string> command_line;
  std::string submitted_at;  // ISO 8601, UTC
};

void to_json(nlohmann::json& j, const JobRecord& r);
/// Missing keys stay empty; only job_id is required (throws
/// nlohmann::json::exception when it is absent or a field has the wrong type).
void from_json(const nlohmann::json& j, JobRecord& r);

/// One journal line as a record; nullopt for a line that is not one (a
/// crash mid-write on a file system without O_APPEND atomicity, a hand edit).
std::optional<JobRecord> parse_job_record(std::string_view line);

/// What one read of the journal cost: how much of the file it read, how
/// many lines it saw and how many of them it parsed as JSON.
struct JournalReadStats {
  std::size_t bytes = 0;
  std::size_t lines = 0;
  std::size_t parsed = 0;
};

/// The journal grows by one line per submitted job and is never rewritten
/// by mlsub. Everything that looks jobs up reads it from its end and parses
/// only the lines of the jobs it wants, so its size costs a lookup nothing
/// until the lookup reaches back that far (docs/guides/monitoring.md says
/// how to prune it).
class Journal {
 public:
  explicit Journal(std::string path) : m_path(std::move(path)) {}

  /// $MLSUB_JOURNAL, else $XDG_DATA_HOME/mlsub/jobs.jsonl, else
  /// ~/.local/share/mlsub/jobs.jsonl.
  static std::string default_path();

  const std::string& path() const { return m_path; }

  /// Appends one line under an exclusive lock and syncs it to disk, so that
  /// concurrent submits never interleave or lose a line.
  Expected<void> append(const JobRecord& record) const;

  /// Calls `visit` with each record in file order until it returns false,
  /// reading one line at a time. Returns how many lines were not records
  /// (skipped). A missing journal is empty.
  Expected<int> read(const std::function<bool(const JobRecord&)>& visit) const;

  /// The latest record of `job_id`. Reads from the end of the file and
  /// parses only lines that hold the id.
  Expected<std::optional<JobRecord>> find(std::string_view job_id) const;

  /// The latest record of each of `job_ids` that the journal holds. Reads
  /// from the end of the file, parses only the lines of those jobs, and
  /// stops as soon as every one is found.
  Expected<std::map<std::string, JobRecord>> find_all(const std::set<std::string>& job_ids) const;

  /// The `count` most recent records, newest first, read from the end of
  /// the file.
  Expected<std::vector<JobRecord>> recent(std::size_t count) const;

  /// What the last read (read, find, find_all, recent) cost.
  const JournalReadStats& last_read() const { return m_stats; }

 private:
  std::string m_path;
  mutable JournalReadStats m_stats;
};

}  // namespace mlsub
