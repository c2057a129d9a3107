#pragma once

namespace mlsub::cli {

// The bash completion script (src/cli/completion.bash, built in).
const char* bash_completion_script();

}  // namespace mlsub::cli
