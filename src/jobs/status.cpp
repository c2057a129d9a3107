// mlsub status: the jobs Slurm still schedules, joined to the journal.

#include <set>
#include <string_view>

#include "mlsub/submit.hpp"

namespace mlsub {
namespace {

constexpr std::string_view k_comment_prefix = "mlsub:";

}  // namespace

Expected<std::vector<JobStatus>> unfinished_jobs(SlurmClient& slurm, const Journal& journal) {
  auto queue = slurm.mine();
  if (!queue) {
    return tl::unexpected(queue.error());
  }
  std::set<std::string> wanted;
  for (const auto& job : *queue) {
    if (job.comment.rfind(k_comment_prefix, 0) == 0) {
      wanted.emplace(base_job_id(job.state.job_id));
    }
  }
  auto records = journal.find_all(wanted);
  if (!records) {
    return tl::unexpected(records.error());
  }
  std::vector<JobStatus> out;
  for (auto& job : *queue) {
    const auto r = records->find(std::string(base_job_id(job.state.job_id)));
    if (r != records->end() && job.comment.rfind(k_comment_prefix, 0) == 0) {
      out.push_back(JobStatus{std::move(job.state), r->second});
    }
  }
  return out;
}

Expected<std::vector<JobStatus>> jobs_status(SlurmClient& slurm, const Journal& journal,
                                             const std::vector<std::string>& ids) {
  std::set<std::string> wanted;
  for (const auto& id : ids) {
    wanted.emplace(base_job_id(id));
  }
  auto records = journal.find_all(wanted);
  if (!records) {
    return tl::unexpected(records.error());
  }
  std::vector<JobStatus> out;
  for (const auto& id : ids) {
    auto s = job_state(slurm, id);
    if (!s) {
      return tl::unexpected(s.error());
    }
    const auto r = records->find(std::string(base_job_id(id)));
    out.push_back(JobStatus{
        s->value_or(JobState{id, "UNKNOWN", "Slurm no longer knows this job", "", "", std::nullopt}),
        r != records->end() ? std::optional<JobRecord>(r->second) : std::nullopt});
  }
  return out;
}

}  // namespace mlsub
