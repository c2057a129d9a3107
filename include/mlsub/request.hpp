#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mlsub/duration.hpp"
#include "mlsub/launcher.hpp"

namespace mlsub {

/// What the user asked for, already parsed from text but not yet checked
/// against any system. Either `gpus`, or `nodes` with `gpus_per_node`.
struct Request {
  std::string system;
  std::optional<int> gpus;
  std::optional<int> nodes;
  std::optional<int> gpus_per_node;
  std::optional<Duration> time;
  std::optional<std::string> partition;
  std::optional<std::string> gpu_type;
  std::optional<std::string> account;
  std::string account_origin;  // "--account", "$MLSUB_ACCOUNT", ...
  std::optional<std::string> job_name;
  std::optional<std::string> output;
  std::optional<Launcher> launcher;
  std::string program;
  std::vector<std::string> args;
  // The command line that made this request, for the script's header, so a
  // script pasted into docs can be made again.
  std::vector<std::string> command_line;
};

}  // namespace mlsub
