#pragma once

#include <string>

namespace mlsub::cli {

// The completion script for `shell` (bash, zsh or fish): src/cli/completion.*,
// built in.
const char* completion_script(const std::string& shell);

}  // namespace mlsub::cli
