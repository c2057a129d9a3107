#pragma once
// Running another program (sbatch, squeue, diff, ...) without a shell: argv
// only, stdout and stderr captured, a time limit enforced on the whole run.

#include <chrono>
#include <string>
#include <vector>

#include <tl/expected.hpp>

namespace mlsub {

struct ProcessResult {
  int exit_code = 0;  // 128 + N when killed by signal N
  std::string out;
  std::string err;
};

/// Why a program gave no result. A caller decides what each means: a
/// timed-out sbatch may still have submitted the job.
struct ProcessError {
  enum Kind {
    not_found,   // argv[0] is not on PATH
    cannot_run,  // pipes or spawn failed for another reason (detail says which)
    timed_out,   // it ran past the limit and was killed, with its process group
  };
  Kind kind = cannot_run;
  std::string program;
  std::string detail;  // strerror text for cannot_run
};

/// Runs argv[0] (looked up on PATH) with argv, stdin from /dev/null.
/// `environment` entries ("NAME=VALUE") are added to mlsub's own, replacing
/// a variable of the same name. The child leads a process group of its
/// own: on timeout the whole group is killed, so a grandchild cannot keep
/// it alive. The limit covers reading the output and waiting for the exit:
/// a child that closes its pipes and keeps running is killed at the limit
/// too. A grandchild that keeps the pipes open after the child has exited
/// does not hold mlsub: the output read by then is the result.
tl::expected<ProcessResult, ProcessError> run_process(const std::vector<std::string>& argv,
                                                      std::chrono::milliseconds timeout,
                                                      const std::vector<std::string>& environment = {});

}  // namespace mlsub
