// The SlurmClient that runs Slurm's own commands.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mlsub/process.hpp"
#include "mlsub/slurm.hpp"

namespace mlsub {
namespace {

std::vector<std::string> sbatch_argv(std::vector<std::string> argv, const std::string& script,
                                     const SubmitFlags& flags) {
  if (!flags.comment.empty()) {
    argv.push_back("--comment=" + flags.comment);
  }
  if (flags.output) {
    argv.push_back("--output=" + *flags.output);
  }
  argv.push_back(script);
  return argv;
}

class RealSlurm final : public SlurmClient {
 public:
  explicit RealSlurm(std::chrono::milliseconds timeout) : m_timeout(timeout) {}

  Expected<Submitted> submit(const std::string& script, const SubmitFlags& flags) override {
    auto r = run(sbatch_argv({"sbatch", "--parsable"}, script, flags), flags.environment);
    if (!r) {
      return tl::unexpected(r.error());
    }
    return read_sbatch_answer(*r);
  }

  Expected<std::string> test_only(const std::string& script, const SubmitFlags& flags) override {
    SubmitFlags no_comment = flags;
    no_comment.comment.clear();
    auto r = run(sbatch_argv({"sbatch", "--test-only"}, script, no_comment), flags.environment);
    if (!r) {
      return tl::unexpected(r.error());
    }
    const std::string said = slurm_message(r->err + r->out);
    if (r->exit_code != 0) {
      return fail(ErrorKind::slurm, fmt::format("Slurm would refuse the job: {}", said));
    }
    return said;
  }

  Expected<std::vector<JobState>> queued(const std::vector<std::string>& ids) override {
    std::vector<JobState> jobs;
    if (ids.empty()) {
      return jobs;
    }
    auto r = run({"squeue", "--noheader", "--jobs", fmt::format("{}", fmt::join(ids, ",")),
                  "--format", "%i|%T|%r|%M|%N"});
    if (!r) {
      return tl::unexpected(r.error());
    }
    // squeue fails when none of the ids is known any more; that is an empty
    // queue, not an error.
    if (r->exit_code != 0 && r->err.find("Invalid job id") == std::string::npos) {
      return fail(ErrorKind::slurm, fmt::format("squeue failed: {}", slurm_message(r->err)));
    }
    for (auto& f : split_squeue(r->out, 5)) {
      jobs.push_back(JobState{f[0], f[1], f[2], f[3], f[4], std::nullopt});
    }
    return jobs;
  }

  Expected<std::optional<JobState>> show(const std::string& id) override {
    auto r = run({"scontrol", "show", "job", "--oneliner", id});
    if (!r) {
      return tl::unexpected(r.error());
    }
    if (r->exit_code != 0) {
      if (r->err.find("Invalid job id") != std::string::npos) {
        return std::optional<JobState>();
      }
      return fail(ErrorKind::slurm,
                  fmt::format("scontrol show job {} failed: {}", id, slurm_message(r->err)));
    }
    return std::optional<JobState>(job_state_from_record(parse_scontrol_record(r->out)));
  }

  Expected<void> cancel(const std::string& id) override {
    auto r = run({"scancel", id});
    if (!r) {
      return tl::unexpected(r.error());
    }
    if (r->exit_code != 0 || !r->err.empty()) {
      return fail(ErrorKind::slurm, fmt::format("scancel {} failed: {}", id, slurm_message(r->err)));
    }
    return {};
  }

  Expected<std::optional<std::string>> find_by_comment(const std::string& comment) override {
    auto r = run({"squeue", "--noheader", "--format", "%i|%k"});
    if (!r) {
      return tl::unexpected(r.error());
    }
    if (r->exit_code != 0) {
      return fail(ErrorKind::slurm, fmt::format("squeue failed: {}", slurm_message(r->err)));
    }
    for (const auto& row : split_squeue(r->out, 2)) {
      if (row[1] == comment) {
        return std::optional<std::string>(row[0]);
      }
    }
    return std::optional<std::string>();
  }

 private:
  Expected<ProcessResult> run(const std::vector<std::string>& argv,
                              const std::vector<std::string>& environment = {}) {
    auto r = run_process(argv, m_timeout, environment);
    if (!r) {
      return tl::unexpected(slurm_process_error(r.error(), m_timeout));
    }
    return *r;
  }

  std::chrono::milliseconds m_timeout;
};

}  // namespace

std::unique_ptr<SlurmClient> make_slurm_client(std::chrono::milliseconds timeout) {
  return std::make_unique<RealSlurm>(timeout);
}

}  // namespace mlsub
