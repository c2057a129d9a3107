// Slurm's answers, read: pure functions, no processes.

#include <cstdlib>
#include <fmt/format.h>

#include "mlsub/slurm.hpp"
#include "mlsub/text.hpp"

namespace mlsub {
namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() < 20 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

std::string slurm_message(std::string_view text) {
  std::string out(trim(text));
  for (char& c : out) {
    if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  return out.empty() ? "(no message)" : out;
}

bool is_job_id(std::string_view text) {
  const auto underscore = text.find('_');
  if (underscore == std::string_view::npos) {
    return all_digits(text);
  }
  return all_digits(text.substr(0, underscore)) && all_digits(text.substr(underscore + 1));
}

std::string_view base_job_id(std::string_view squeue_id) {
  return squeue_id.substr(0, squeue_id.find_first_of("_+"));
}

Expected<Submitted> parse_parsable(std::string_view out) {
  const std::string_view line = trim(out);
  const auto semicolon = line.find(';');
  Submitted s;
  s.job_id = std::string(line.substr(0, semicolon));
  if (semicolon != std::string_view::npos) {
    s.cluster = std::string(line.substr(semicolon + 1));
  }
  if (!all_digits(s.job_id) || line.find('\n') != std::string_view::npos) {
    return fail(ErrorKind::slurm,
                fmt::format("sbatch printed no job id (it printed '{}'); check squeue --me before "
                            "submitting again",
                            slurm_message(line.substr(0, 200))));
  }
  return s;
}

bool is_unreachable(std::string_view message) {
  // What sbatch and the Slurm API print when the controller does not answer
  // (slurm_strerror's texts for the connection errors).
  for (const std::string_view sign :
       {"Unable to contact slurm controller", "Socket timed out", "Connection refused",
        "connect failure", "Zero Bytes were transmitted or received",
        "Communication connection failure", "Slurm backup controller in standby mode"}) {
    if (message.find(sign) != std::string_view::npos) {
      return true;
    }
  }
  return false;
}

std::string sbatch_failure(std::string_view message) {
  const std::string said = slurm_message(message);
  if (is_unreachable(said)) {
    return fmt::format("Slurm is unreachable: sbatch could not reach the Slurm controller ({}); "
                       "nothing was submitted: try again later (scontrol ping tells when it is "
                       "back)",
                       said);
  }
  return fmt::format("Slurm refused the job: {}", said);
}

Expected<Submitted> read_sbatch_answer(const ProcessResult& answer) {
  if (answer.exit_code != 0) {
    return fail(ErrorKind::slurm, sbatch_failure(answer.err));
  }
  auto parsed = parse_parsable(answer.out);
  if (!parsed) {
    Error e = parsed.error();
    e.unclear = true;  // sbatch said it succeeded, but not with what
    return tl::unexpected(e);
  }
  return parsed;
}

Error slurm_process_error(const ProcessError& e, std::chrono::milliseconds timeout) {
  switch (e.kind) {
    case ProcessError::not_found:
      return Error{ErrorKind::slurm,
                   fmt::format("{} is not on PATH: {}", e.program,
                               e.program == "sbatch"
                                   ? "mlsub submit needs a Slurm login node (mlsub plan works "
                                     "anywhere, and prints the script)"
                                   : "mlsub needs a Slurm login node for this (mlsub plan works "
                                     "anywhere)")};
    case ProcessError::timed_out:
      return Error{ErrorKind::slurm,
                   fmt::format("{} did not finish within {} s and was stopped; the Slurm "
                               "controller may be slow or down (scontrol ping tells), try again "
                               "later or raise --timeout",
                               e.program, timeout.count() / 1000),
                   true};
    case ProcessError::cannot_run:
      break;
  }
  return Error{ErrorKind::slurm, fmt::format("cannot run {}: {}", e.program, e.detail)};
}

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
    const auto end = std::min(line.find_first_of(" \t\n", start), line.size());
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

std::vector<std::vector<std::string>> split_squeue(std::string_view out, std::size_t fields) {
  std::vector<std::vector<std::string>> rows;
  std::size_t at = 0;
  while (at < out.size()) {
    const auto end = std::min(out.find('\n', at), out.size());
    std::string_view line = out.substr(at, end - at);
    at = end + 1;
    std::vector<std::string> row;
    while (row.size() + 1 < fields) {
      const auto bar = line.find('|');
      if (bar == std::string_view::npos) {
        break;
      }
      row.emplace_back(line.substr(0, bar));
      line.remove_prefix(bar + 1);
    }
    row.emplace_back(trim(line));
    if (row.size() == fields) {
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

}  // namespace mlsub
