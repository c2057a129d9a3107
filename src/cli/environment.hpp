#pragma once

// Where this mlsub finds its data and the user's additions. The only place
// in the CLI that reads paths from the environment.

#include <optional>
#include <string>
#include <vector>

#include "mlsub/catalogue.hpp"

namespace mlsub::cli {

/// Options every subcommand shares.
struct GlobalOptions {
  bool verbose = false;
  std::vector<std::string> catalogue_dirs;  // --catalogue, in order
  // --config FILE: read instead of the project's .mlsub.yaml (config_apply.hpp).
  std::optional<std::string> config_file;
  // The words of this invocation ("mlsub", "plan", ...), for script headers.
  std::vector<std::string> command_line;
  // Re-planning from a script's header (plan --check FILE alone): the
  // command there is the whole request, so neither the environment
  // ($MLSUB_ACCOUNT, $SBATCH_ACCOUNT, $MLSUB_SYSTEMS_PATH) nor the user's
  // config directory (~/.config/mlsub/systems) nor a config file adds to it.
  bool from_header = false;
};

// The directory holding systems/ and templates/: $MLSUB_DATA_DIR, else
// share/mlsub beside the installed binary, else the source tree this binary
// was built from.
std::string data_dir();

// Catalogue directories in search order (see docs/catalogue.md); with
// from_header, only the built-in one and --catalogue.
std::vector<std::string> system_dirs(const GlobalOptions& global);

// The catalogue over system_dirs(), with the built-in files this binary
// was built with already parsed (catalogue_pack.hpp).
Catalogue open_catalogue(const GlobalOptions& global);

// Template directories in search order: the built-in one, then a templates/
// directory beside each user systems/ directory that has one.
std::vector<std::string> template_dirs(const GlobalOptions& global);

}  // namespace mlsub::cli
