#pragma once

// The config files (mlsub/config.hpp) applied to a command's flags: each
// setting for the system goes into the CLI11 option of the same long name,
// as if it had been typed, where the command line left that option out. So
// config values get the same checks as flags, and any flag of plan or
// submit is a config key.

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "environment.hpp"
#include "mlsub/catalogue.hpp"
#include "mlsub/config.hpp"
#include "mlsub/error.hpp"

namespace mlsub::cli {

/// The files read, and where mlsub looked.
struct ConfigFiles {
  std::vector<ConfigFile> files;  // the project's first
  std::string user_path;          // "" when neither XDG_CONFIG_HOME nor HOME is set
  std::optional<std::string> project_path;  // found upward, or --config FILE
};

// The keys a config file may hold: the long flags of plan and submit
// (without --system, --check and --help), sorted.
std::vector<std::string> config_keys();

// Reads the user's file and the project's (--config FILE, else
// $MLSUB_PROJECT_CONFIG, instead of the search for .mlsub.yaml; that
// variable set but empty: no project file), checked against config_keys()
// and the catalogue's systems. Reads nothing when re-planning from a header.
Expected<ConfigFiles> load_config_files(const GlobalOptions& global, const Catalogue& catalogue);

// $MLSUB_ACCOUNT and $SBATCH_ACCOUNT.
AccountEnvironment account_environment();

struct AppliedConfig {
  std::vector<Setting> settings;   // what was applied, from files and the environment
  std::vector<std::string> notes;  // an environment account left aside
  // The applied values as flags ("--time", "2:00:00", ...), for the
  // script's header, so that the command there makes the same script
  // without the files.
  std::vector<std::string> header_words;
};

// Applies the settings for `system` to the options of `command` that its
// command line left unset. A value the option refuses is a config error
// naming the file, line and column.
Expected<AppliedConfig> apply_config(CLI::App& command, const System& system,
                                     const ConfigFiles& files);

// Shows `path` with the home directory as ~.
std::string home_relative(const std::string& path);

}  // namespace mlsub::cli
