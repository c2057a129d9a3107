#pragma once

// Per-site defaults from config files, merged for one system.
//
// Two files, both optional: the user's ($XDG_CONFIG_HOME/mlsub/config.yaml,
// else ~/.config/mlsub/config.yaml) and the project's (.mlsub.yaml in the
// working directory or the nearest parent, stopping at the repository root,
// the first directory holding .git). Each is a map of sections: `all:` for
// every system, and one map per system name. A section maps a long flag
// name of mlsub plan or submit to a value: a scalar, a list (a repeatable
// flag, once per item) or a map (KEY=VALUE items, for --env or --sbatch):
//
//   all:
//     time: "2:00:00"
//     env: {HF_HOME: /scratch/project_465000123/hf}
//   lumi:
//     account: project_465000123
//
// Which setting wins, first first: a flag on the command line; the project
// file's section for the system; the user file's; the environment (the
// account only: $MLSUB_ACCOUNT, then $SBATCH_ACCOUNT, each left aside with
// a note when it is not of the site's account form); the project file's
// all:; the user file's all:; the catalogue. A value replaces the values
// below it whole, lists included.
//
// The keys the files may hold come from the caller (the CLI's flags), so a
// flag added to plan or submit is a config key without a change here.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "mlsub/catalogue.hpp"
#include "mlsub/error.hpp"
#include "mlsub/plan.hpp"

namespace mlsub {

enum class ConfigScope { project, user };

/// One key of a section, with where its value is in the file.
struct ConfigEntry {
  std::string key;                  // "account", "env", ...
  std::vector<std::string> values;  // one for a scalar; a map's items as KEY=VALUE
  bool list = false;                // written as a list or a map
  int line = 0;                     // 1-based, of the value
  int column = 0;
};

struct ConfigSection {
  std::string name;  // "all" or a system's name
  int line = 0;
  int column = 0;
  std::vector<ConfigEntry> entries;  // in file order
};

struct ConfigFile {
  std::string path;  // as it names the file in messages
  ConfigScope scope = ConfigScope::user;
  std::vector<ConfigSection> sections;

  const ConfigSection* section(std::string_view name) const;
};

/// What a file may hold: keys (long flag names, without --) and section
/// names besides "all" (the catalogue's systems).
struct ConfigSchema {
  std::vector<std::string> keys;
  std::vector<std::string> systems;
};

// Parses one file's text. Every problem is one "FILE:LINE:COLUMN: what"
// line (an unknown key or section with "did you mean"); the error's kind
// is ErrorKind::config. Never throws.
Expected<ConfigFile> parse_config(std::string_view yaml_text, const std::string& path,
                                  ConfigScope scope, const ConfigSchema& schema);

// Reads and parses `path`; nullopt when there is no such file.
Expected<std::optional<ConfigFile>> read_config(const std::string& path, ConfigScope scope,
                                                const ConfigSchema& schema);

// The user file's path: $XDG_CONFIG_HOME/mlsub/config.yaml, else
// $HOME/.config/mlsub/config.yaml; "" when neither variable is set.
std::string user_config_path(const char* xdg_config_home, const char* home);

// The project file: `start`/.mlsub.yaml, else the nearest parent's, looking
// no higher than the first directory that holds .git (a repository's
// root); nullopt when there is none.
std::optional<std::string> find_project_config(const std::string& start);

/// Where a value came from.
struct Origin {
  enum class Kind { flag, project, user, environment, catalogue };
  Kind kind = Kind::catalogue;
  std::string where;    // the file's path, the variable's name, or the flag
  std::string section;  // a file's section: "all" or the system's name
  int line = 0;
  int column = 0;

  // "project file ./.mlsub.yaml:3:12 (lumi:)", "$MLSUB_ACCOUNT", "--time",
  // "the catalogue".
  std::string describe() const;
  // "./.mlsub.yaml:3:12" for a file, else describe().
  std::string location() const;
};

/// One key's winning value.
struct Setting {
  std::string key;
  std::vector<std::string> values;
  bool list = false;
  Origin origin;
};

/// The account variables, read by the caller.
struct AccountEnvironment {
  std::optional<std::string> mlsub_account;   // $MLSUB_ACCOUNT, when set and not empty
  std::optional<std::string> sbatch_account;  // $SBATCH_ACCOUNT
};

struct ResolvedConfig {
  std::vector<Setting> settings;   // one per key, in the order of precedence found
  std::vector<std::string> notes;  // an environment account left aside, and why

  const Setting* find(std::string_view key) const;
};

// The settings for `system` from `files` (any order: the project file's
// come first) and the environment, leaving out the keys in `given` (flags
// on the command line, which win). A catalogue error when the site's
// account pattern is unusable.
//
// Example: with user file {lumi: {account: project_465000123}} and
// $MLSUB_ACCOUNT=project_2001234, for lumi: account project_465000123
// from the user file; for roihu: project_2001234 from $MLSUB_ACCOUNT; for
// a system with another form and no section: no account, and a note.
Expected<ResolvedConfig> resolve_config(const std::vector<ConfigFile>& files, const System& system,
                                        const AccountEnvironment& environment,
                                        const std::set<std::string>& given = {});

// Names the origin of values that did not come from a flag in the plan's
// reasons: a reason that names --KEY (or whose field is KEY) for a setting
// from a file or the environment says where it came from, and a setting
// that no reason names gets a reason of its own.
void attribute_reasons(Plan& plan, const std::vector<Setting>& settings);

// An error about a value from a config file names the file: a usage error
// that names --KEY of such a setting, or quotes its value ('1h'), becomes a
// config error
// "FILE:LINE:COLUMN: SECTION.KEY: message; fix it in that file"; any other
// kind that names one gets "(--KEY from FILE:LINE:COLUMN)" appended.
Error attribute_error(Error error, const std::vector<Setting>& settings);

}  // namespace mlsub
