#pragma once
// Running another program (sbatch, squeue, ...) without a shell: argv only,
// stdout and stderr captured, a time limit enforced.

#include <chrono>
#include <string>
#include <vector>

#include "mlsub/error.hpp"

namespace mlsub {

struct ProcessResult {
  int exit_code = 0;  // 128 + N when killed by signal N
  std::string out;
  std::string err;
};

// Runs argv[0] (looked up on PATH) with argv. Fails with ErrorKind::slurm
// when it cannot be started (`not_found_hint` is appended to the message
// when it is not on PATH) or when it runs longer than `timeout` (it is then
// killed).
Expected<ProcessResult> run_process(const std::vector<std::string>& argv,
                                    std::chrono::milliseconds timeout,
                                    const std::string& not_found_hint = "");

}  // namespace mlsub
