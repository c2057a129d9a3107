#pragma once

#include "mlsub/error.hpp"

namespace mlsub::cli {

/// mlsub's exit codes, documented in README.md ("Exit codes").
enum ExitCode : int {
  k_exit_ok = 0,
  k_exit_usage = 2,        // bad flags or values, unknown system
  k_exit_rejected = 3,     // the system cannot give what was asked
  k_exit_catalogue = 4,    // a systems/*.yaml file is invalid
  k_exit_slurm = 5,        // a Slurm command failed
  k_exit_template = 6,     // a template is invalid or asks for an unknown key
  k_exit_io = 7,           // a file could not be read or written
  k_exit_drift = 8,        // plan --check: the file differs from what mlsub writes
  k_exit_findings = 9,     // check: a script has errors (or warnings, with --strict)
  k_exit_config = 10,      // a config file (config.yaml, .mlsub.yaml) is invalid
  k_exit_differs = 11,     // catalogue verify: the site differs in a way that changes plans
  k_exit_interrupted = 130,
};

inline int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::usage:
      return k_exit_usage;
    case ErrorKind::rejected:
      return k_exit_rejected;
    case ErrorKind::catalogue:
      return k_exit_catalogue;
    case ErrorKind::render:
      return k_exit_template;
    case ErrorKind::slurm:
      return k_exit_slurm;
    case ErrorKind::io:
      return k_exit_io;
    case ErrorKind::config:
      return k_exit_config;
  }
  return k_exit_usage;
}

}  // namespace mlsub::cli
