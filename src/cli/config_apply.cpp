#include "config_apply.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <set>
#include <spdlog/spdlog.h>

#include "commands.hpp"
#include "request_options.hpp"

namespace fs = std::filesystem;

namespace mlsub::cli {
namespace {

bool is_flag(const CLI::Option& opt) { return opt.get_expected_max() == 0; }

bool repeatable(const CLI::Option& opt) {
  return opt.get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll ||
         opt.get_expected_max() > 1;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool truthy(const std::string& value) {
  const std::string v = lower(value);
  return v == "true" || v == "yes" || v == "on" || v == "1" || v == "enable";
}

Error config_error(const Setting& s, const std::string& what) {
  return Error{ErrorKind::config, fmt::format("{}: {}.{}: {}; fix it in that file",
                                              s.origin.location(), s.origin.section, s.key,
                                              what)};
}

// One setting into its option, as CLI11 takes a typed value: checks,
// conversion and the option's callback. Values are taken whole (never split
// at commas or brackets).
Expected<void> apply_one(CLI::Option& opt, const Setting& s) {
  if (s.values.size() > 1 && !repeatable(opt)) {
    return tl::unexpected(config_error(
        s, fmt::format("--{} takes one value, the file gives {}", s.key, s.values.size())));
  }
  const bool extra = opt.get_allow_extra_args();
  opt.allow_extra_args(false);
  try {
    opt.add_result(s.values);
    opt.run_callback();
  } catch (const CLI::ParseError& e) {
    opt.allow_extra_args(extra);
    return tl::unexpected(config_error(s, e.what()));
  }
  opt.allow_extra_args(extra);
  return {};
}

// The flags that describe the job (add_request_options): the ones a
// script's header records. plan's --explain or submit's --dir do not.
std::set<std::string> request_keys() {
  CLI::App scratch;
  RequestOptions options;
  add_request_options(scratch, options);
  std::set<std::string> keys;
  for (const CLI::Option* opt : scratch.get_options()) {
    keys.insert(opt->get_lnames().begin(), opt->get_lnames().end());
  }
  return keys;
}

}  // namespace

std::vector<std::string> config_keys() {
  CLI::App scratch;
  const GlobalOptions global;
  std::set<std::string> keys;
  for (const Command& command :
       {setup_plan_command(scratch, global), setup_submit_command(scratch, global)}) {
    if (command.add_options) {
      command.add_options();
    }
    for (const CLI::Option* opt : command.app->get_options()) {
      for (const auto& name : opt->get_lnames()) {
        if (name != "system" && name != "check" && name != "help") {
          keys.insert(name);
        }
      }
    }
  }
  return {keys.begin(), keys.end()};
}

AccountEnvironment account_environment() {
  AccountEnvironment env;
  if (const char* v = std::getenv("MLSUB_ACCOUNT"); v != nullptr && *v != '\0') {
    env.mlsub_account = v;
  }
  if (const char* v = std::getenv("SBATCH_ACCOUNT"); v != nullptr && *v != '\0') {
    env.sbatch_account = v;
  }
  return env;
}

Expected<ConfigFiles> load_config_files(const GlobalOptions& global, const Catalogue& catalogue) {
  ConfigFiles out;
  if (global.from_header) {
    return out;
  }
  out.user_path = user_config_path(std::getenv("XDG_CONFIG_HOME"), std::getenv("HOME"));
  // --config FILE, else $MLSUB_PROJECT_CONFIG (empty: none), else the search.
  const char* from_env = std::getenv("MLSUB_PROJECT_CONFIG");
  if (global.config_file || (from_env != nullptr && *from_env != '\0')) {
    const std::string path = global.config_file ? *global.config_file : from_env;
    const char* what = global.config_file ? "--config" : "$MLSUB_PROJECT_CONFIG";
    out.project_path = path;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      return fail(ErrorKind::config, fmt::format("{} {}: no such file; give the path of a "
                                                 "config file (mlsub config --help)",
                                                 what, path));
    }
  } else if (from_env == nullptr) {
    std::error_code ec;
    out.project_path = find_project_config(fs::current_path(ec).string());
  }
  std::optional<ConfigSchema> schema;  // made only when a file is there
  const std::pair<std::optional<std::string>, ConfigScope> candidates[] = {
      {out.project_path, ConfigScope::project},
      {out.user_path.empty() ? std::nullopt : std::optional<std::string>(out.user_path),
       ConfigScope::user}};
  for (const auto& [path, scope] : candidates) {
    std::error_code ec;
    if (!path || !fs::exists(*path, ec)) {
      continue;
    }
    if (!schema) {
      schema = ConfigSchema{config_keys(), catalogue.names()};
    }
    spdlog::debug("config file {}", *path);
    auto file = read_config(*path, scope, *schema);
    if (!file) {
      return tl::unexpected(file.error());
    }
    if (*file) {
      out.files.push_back(std::move(**file));
    }
  }
  return out;
}

Expected<AppliedConfig> apply_config(CLI::App& command, const System& system,
                                     const ConfigFiles& files) {
  std::set<std::string> given;
  for (const CLI::Option* opt : command.get_options()) {
    if (opt->count() > 0) {
      for (const auto& name : opt->get_lnames()) {
        given.insert(name);
      }
    }
  }
  auto resolved = resolve_config(files.files, system, account_environment(), given);
  if (!resolved) {
    return tl::unexpected(resolved.error());
  }
  AppliedConfig out;
  out.notes = resolved->notes;
  // Made only when there is something to apply: it builds the job's flags.
  const std::set<std::string> in_header =
      resolved->settings.empty() ? std::set<std::string>() : request_keys();
  for (const Setting& s : resolved->settings) {
    CLI::Option* opt = command.get_option_no_throw("--" + s.key);
    if (opt == nullptr) {
      continue;  // a flag of the other command (submit's --dir in plan)
    }
    if (auto ok = apply_one(*opt, s); !ok) {
      return tl::unexpected(ok.error());
    }
    spdlog::debug("--{} from {}", s.key, s.origin.describe());
    for (const auto& value : s.values) {
      if (in_header.count(s.key) == 0) {
        break;
      }
      if (!is_flag(*opt)) {
        out.header_words.push_back("--" + s.key);
        out.header_words.push_back(value);
      } else if (truthy(value)) {
        out.header_words.push_back("--" + s.key);
      }
    }
    out.settings.push_back(s);
  }
  return out;
}

std::string home_relative(const std::string& path) {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return path;
  }
  std::string prefix = home;
  if (prefix.back() != '/') {
    prefix += '/';
  }
  return path.rfind(prefix, 0) == 0 ? "~/" + path.substr(prefix.size()) : path;
}

}  // namespace mlsub::cli
