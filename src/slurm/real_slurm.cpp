// The SlurmClient that runs Slurm's own commands.

#include <algorithm>
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
      return fail(ErrorKind::slurm, is_unreachable(said)
                                        ? sbatch_failure(said)
                                        : fmt::format("Slurm would refuse the job: {}", said));
    }
    return said;
  }

  Expected<std::vector<JobState>> queued(const std::vector<std::string>& ids) override {
    std::vector<JobState> jobs;
    for (std::size_t from = 0; from < ids.size(); from += k_squeue_ids) {
      const auto to = ids.begin() + static_cast<long>(std::min(ids.size(), from + k_squeue_ids));
      const std::vector<std::string> some(ids.begin() + static_cast<long>(from), to);
      auto r = squeue({"--jobs", fmt::format("{}", fmt::join(some, ","))}, true);
      if (!r) {
        return tl::unexpected(r.error());
      }
      for (auto& job : *r) {
        jobs.push_back(std::move(job.state));
      }
    }
    return jobs;
  }

  Expected<std::vector<QueuedJob>> mine() override { return squeue({"--me"}, false); }

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
    auto jobs = mine();
    if (!jobs) {
      return tl::unexpected(jobs.error());
    }
    for (const auto& job : *jobs) {
      if (job.comment == comment) {
        return std::optional<std::string>(job.state.job_id);
      }
    }
    return std::optional<std::string>();
  }

  Expected<std::string> partitions_text() override {
    return scontrol({"scontrol", "show", "partition", "--oneliner", "--all"});
  }

  Expected<std::string> nodes_text() override {
    // --future: nodes declared for later (State=FUTURE) count too.
    return scontrol({"scontrol", "show", "node", "--oneliner", "--all", "--future"});
  }

  Expected<std::string> config_text() override { return scontrol({"scontrol", "show", "config"}); }

 private:
  Expected<std::string> scontrol(const std::vector<std::string>& argv) {
    auto r = run(argv);
    if (!r) {
      return tl::unexpected(r.error());
    }
    if (r->exit_code != 0) {
      return fail(ErrorKind::slurm, fmt::format("{} failed: {}", fmt::join(argv, " "),
                                                slurm_message(r->err + r->out)));
    }
    return r->out;
  }

  // squeue with `selection` and mlsub's fixed format: id, state, reason,
  // time used, nodes, comment (last: it may hold '|').
  Expected<std::vector<QueuedJob>> squeue(std::vector<std::string> selection, bool by_id) {
    std::vector<std::string> argv = {"squeue", "--noheader"};
    argv.insert(argv.end(), selection.begin(), selection.end());
    argv.insert(argv.end(), {"--format", "%i|%T|%r|%M|%N|%k"});
    auto r = run(argv);
    if (!r) {
      return tl::unexpected(r.error());
    }
    // squeue --jobs fails when none of the ids is known any more; that is
    // an empty queue, not an error.
    if (r->exit_code != 0 && !(by_id && r->err.find("Invalid job id") != std::string::npos)) {
      return fail(ErrorKind::slurm, fmt::format("squeue failed: {}", slurm_message(r->err)));
    }
    std::vector<QueuedJob> jobs;
    for (auto& f : split_squeue(r->out, 6)) {
      jobs.push_back(QueuedJob{JobState{f[0], f[1], f[2], f[3], f[4], std::nullopt}, f[5]});
    }
    return jobs;
  }

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
