#pragma once

// The flags that describe a job, shared by `plan` and `submit`, and their
// translation into a Request.

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mlsub/error.hpp"
#include "mlsub/request.hpp"

namespace mlsub::cli {

/// The job flags as typed: text until to_request checks them, so every
/// message about a bad value is ours, not CLI11's.
struct RequestOptions {
  std::string system;
  std::optional<std::string> gpus;
  std::optional<std::string> nodes;
  std::optional<std::string> gpus_per_node;
  std::optional<std::string> time;
  std::optional<std::string> partition;
  std::optional<std::string> gpu_type;
  std::optional<std::string> account;
  std::optional<std::string> job_name;
  std::optional<std::string> output;
  std::optional<std::string> launcher;
  std::optional<std::string> template_file;
  std::vector<std::string> modules;
  std::optional<std::string> venv;
  std::optional<std::string> container;
  std::optional<std::string> uenv;
  std::optional<std::string> edf;
  bool plain_edf = false;
  std::vector<std::string> binds;
  std::vector<std::string> env;
  std::optional<std::string> local_disk;
  std::optional<std::string> array;
  std::vector<std::string> sweeps;
  std::optional<int> requeue_lead;
  bool no_monitor = false;
  std::optional<int> monitor_interval;
  SlurmFlags slurm;
  std::vector<std::string> sbatch;
  std::string program;
  std::vector<std::string> args;
};

void add_request_options(CLI::App& app, RequestOptions& options);

/// What config files and the environment added to the flags
/// (config_apply.hpp), for the request's header and --explain.
struct RequestDefaults {
  // Inserted after "plan" in the header: the added values as flags.
  std::vector<std::string> header_words;
  // Where --account came from when it was not typed ("$MLSUB_ACCOUNT",
  // "user file ...").
  std::optional<std::string> account_origin;
};

// Checks the values. The script's header records `command_line` fully
// resolved, as the `mlsub plan` command that makes the same script by
// itself: "submit" becomes "plan" without submit's own flags, and what
// `defaults` added (from config files or the environment) is written out as
// flags.
Expected<Request> to_request(const RequestOptions& options, std::vector<std::string> command_line,
                             const RequestDefaults& defaults = {});

}  // namespace mlsub::cli
