#include "mlsub/slurm_jobs.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "mlsub/process.hpp"

namespace mlsub {
namespace {

constexpr const char* k_login_node =
    ": mlsub needs a Slurm login node for this (mlsub plan works anywhere)";

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  return line.empty() ? "(no message)" : line;
}

}  // namespace

bool is_finished(std::string_view state) {
  for (const std::string_view s :
       {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY",
        "BOOT_FAIL", "DEADLINE", "REVOKED", "SPECIAL_EXIT"}) {
    if (state.rfind(s, 0) == 0) {  // "CANCELLED by 0" starts with CANCELLED
      return true;
    }
  }
  return false;
}

std::map<std::string, std::string> parse_scontrol_record(std::string_view line) {
  // Values hold no spaces except in a few keys that come last on the line
  // (Command=, WorkDir=, ...), which mlsub does not read; each word is
  // Key=Value split at the first '='.
  std::map<std::string, std::string> record;
  std::size_t at = 0;
  while (at < line.size()) {
    const auto start = line.find_first_not_of(" \t\n", at);
    if (start == std::string_view::npos) {
      break;
    }
    auto end = line.find_first_of(" \t\n", start);
    if (end == std::string_view::npos) {
      end = line.size();
    }
    const std::string_view word = line.substr(start, end - start);
    if (const auto eq = word.find('='); eq != std::string_view::npos) {
      record.emplace(std::string(word.substr(0, eq)), std::string(word.substr(eq + 1)));
    }
    at = end;
  }
  return record;
}

JobState job_state_from_record(const std::map<std::string, std::string>& record) {
  auto get = [&](const char* key) {
    const auto it = record.find(key);
    return it == record.end() ? std::string() : it->second;
  };
  JobState s;
  s.job_id = get("JobId");
  s.state = get("JobState");
  s.reason = get("Reason");
  s.elapsed = get("RunTime");
  s.nodes = get("NodeList");
  if (s.nodes == "(null)") {
    s.nodes.clear();
  }
  const std::string exit = get("ExitCode");  // "STATUS:SIGNAL"
  if (is_finished(s.state) && !exit.empty()) {
    const auto colon = exit.find(':');
    const int status = std::atoi(exit.substr(0, colon).c_str());
    const int signal = colon == std::string::npos ? 0 : std::atoi(exit.c_str() + colon + 1);
    s.exit_code = signal != 0 ? 128 + signal : status;
  }
  return s;
}

Expected<std::optional<JobState>> show_job(const std::string& job_id,
                                           std::chrono::milliseconds timeout) {
  auto r = run_process({"scontrol", "show", "job", "--oneliner", job_id}, timeout, k_login_node);
  if (!r) {
    return tl::unexpected(r.error());
  }
  if (r->exit_code != 0) {
    if (r->err.find("Invalid job id") != std::string::npos) {
      return std::optional<JobState>();
    }
    return fail(ErrorKind::slurm,
                fmt::format("scontrol show job {} failed: {}", job_id, first_line(r->err)));
  }
  return std::optional<JobState>(job_state_from_record(parse_scontrol_record(r->out)));
}

Expected<std::vector<JobState>> queued_jobs(const std::vector<std::string>& job_ids,
                                            std::chrono::milliseconds timeout) {
  std::vector<JobState> jobs;
  if (job_ids.empty()) {
    return jobs;
  }
  auto r = run_process({"squeue", "--noheader", "--jobs", fmt::format("{}", fmt::join(job_ids, ",")),
                        "--format", "%i|%T|%r|%M|%N"},
                       timeout, k_login_node);
  if (!r) {
    return tl::unexpected(r.error());
  }
  // squeue fails when none of the ids is known any more; that is an empty
  // queue, not an error.
  if (r->exit_code != 0 && r->err.find("Invalid job id") == std::string::npos) {
    return fail(ErrorKind::slurm, fmt::format("squeue failed: {}", first_line(r->err)));
  }
  std::size_t at = 0;
  while (at < r->out.size()) {
    auto end = r->out.find('\n', at);
    if (end == std::string::npos) {
      end = r->out.size();
    }
    const std::string line = r->out.substr(at, end - at);
    at = end + 1;
    std::vector<std::string> f;
    std::size_t from = 0;
    for (std::size_t bar = line.find('|'); bar != std::string::npos; bar = line.find('|', from)) {
      f.push_back(line.substr(from, bar - from));
      from = bar + 1;
    }
    f.push_back(line.substr(from));
    if (f.size() == 5) {
      jobs.push_back(JobState{f[0], f[1], f[2], f[3], f[4], std::nullopt});
    }
  }
  return jobs;
}

Expected<void> cancel_job(const std::string& job_id, std::chrono::milliseconds timeout) {
  auto r = run_process({"scancel", job_id}, timeout, k_login_node);
  if (!r) {
    return tl::unexpected(r.error());
  }
  if (r->exit_code != 0 || !r->err.empty()) {
    return fail(ErrorKind::slurm,
                fmt::format("scancel {} failed: {}", job_id, first_line(r->err)));
  }
  return {};
}

}  // namespace mlsub
