// mlsub config: the config files as mlsub reads them, and for --system S
// the settings a plan for S starts from, each with where it came from.

#include <cstdlib>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <utility>

#include "commands.hpp"
#include "config_apply.hpp"
#include "exit_codes.hpp"
#include "mlsub/config.hpp"
#include "output.hpp"
#include "table.hpp"

namespace mlsub::cli {
namespace {

struct ConfigOptions {
  std::optional<std::string> system;
  bool json = false;
};

const char* scope_name(ConfigScope scope) {
  return scope == ConfigScope::project ? "project" : "user";
}

const char* kind_name(Origin::Kind kind) {
  switch (kind) {
    case Origin::Kind::flag:
      return "flag";
    case Origin::Kind::project:
      return "project";
    case Origin::Kind::user:
      return "user";
    case Origin::Kind::environment:
      return "environment";
    case Origin::Kind::catalogue:
      break;
  }
  return "catalogue";
}

nlohmann::json value_json(const std::vector<std::string>& values, bool list) {
  return list ? nlohmann::json(values) : nlohmann::json(values.front());
}

nlohmann::json origin_json(const Origin& o) {
  nlohmann::json out{{"kind", kind_name(o.kind)}};
  if (o.kind == Origin::Kind::environment) {
    out["variable"] = o.where;
  } else {
    out["file"] = o.where;
    out["section"] = o.section;
    out["line"] = o.line;
    out["column"] = o.column;
  }
  return out;
}

nlohmann::json files_json(const ConfigFiles& files) {
  nlohmann::json out{{"user_file", files.user_path},
                     {"project_file", files.project_path ? nlohmann::json(*files.project_path)
                                                         : nlohmann::json(nullptr)},
                     {"read", nlohmann::json::array()}};
  for (const auto& f : files.files) {
    out["read"].push_back(f.path);
  }
  return out;
}

// Where mlsub looked, and what it found.
void print_files(const ConfigFiles& files) {
  auto found = [&](const std::string& path) {
    for (const auto& f : files.files) {
      if (f.path == path) {
        return true;
      }
    }
    return false;
  };
  fmt::print("Config files, the project's first:\n");
  fmt::print("  project  {}\n",
             files.project_path
                 ? fmt::format("{}{}", printable(home_relative(*files.project_path)),
                               found(*files.project_path) ? "" : " (none)")
                 : std::string(std::getenv("MLSUB_PROJECT_CONFIG") != nullptr
                                   ? "none ($MLSUB_PROJECT_CONFIG is set and empty)"
                                   : "none (no .mlsub.yaml here or in a parent, up to the "
                                     "repository)"));
  fmt::print("  user     {}\n",
             files.user_path.empty()
                 ? std::string("none (neither XDG_CONFIG_HOME nor HOME is set)")
                 : fmt::format("{}{}", printable(home_relative(files.user_path)),
                               found(files.user_path) ? "" : " (none)"));
}

// The account variables, which come between a system's sections and all:.
void print_environment(const AccountEnvironment& env) {
  const std::pair<const char*, const std::optional<std::string>*> vars[] = {
      {"MLSUB_ACCOUNT", &env.mlsub_account}, {"SBATCH_ACCOUNT", &env.sbatch_account}};
  const char* heading = "Environment:\n";
  for (const auto& [var, value] : vars) {
    if (*value) {
      fmt::print("{}", std::exchange(heading, ""));
      fmt::print("  ${}={} (the account, after a system's own section, where of the "
                 "site's form)\n",
                 var, printable(**value));
    }
  }
}

// Every section of every file, as read.
int show_files(const ConfigFiles& files, bool json) {
  const AccountEnvironment env = account_environment();
  if (json) {
    nlohmann::json out = files_json(files);
    out["environment"] = {
        {"MLSUB_ACCOUNT", env.mlsub_account ? nlohmann::json(*env.mlsub_account) : nullptr},
        {"SBATCH_ACCOUNT", env.sbatch_account ? nlohmann::json(*env.sbatch_account) : nullptr}};
    out["files"] = nlohmann::json::array();
    for (const auto& f : files.files) {
      nlohmann::json sections = nlohmann::json::object();
      for (const auto& s : f.sections) {
        nlohmann::json entries = nlohmann::json::object();
        for (const auto& e : s.entries) {
          entries[e.key] = value_json(e.values, e.list);
        }
        sections[s.name] = entries;
      }
      out["files"].push_back({{"path", f.path}, {"scope", scope_name(f.scope)},
                              {"sections", sections}});
    }
    fmt::print("{}\n", out.dump(2));
    return k_exit_ok;
  }
  print_files(files);
  print_environment(env);
  if (files.files.empty()) {
    fmt::print("\nNo settings: every value comes from the flags, $MLSUB_ACCOUNT or\n"
               "$SBATCH_ACCOUNT, and the catalogue. mlsub config --help shows the format.\n");
    return k_exit_ok;
  }
  Table table({"SECTION", "SETTING", "VALUE", "FROM"});
  for (const auto& f : files.files) {
    for (const auto& s : f.sections) {
      for (const auto& e : s.entries) {
        for (std::size_t i = 0; i < e.values.size(); ++i) {
          table.add({i == 0 ? s.name + ":" : "", i == 0 ? e.key : "", printable(e.values[i]),
                     i == 0 ? fmt::format("{}:{}", printable(home_relative(f.path)), e.line)
                            : ""});
        }
      }
    }
  }
  fmt::print("\n{}", table.str());
  fmt::print("\nmlsub config --system NAME shows what applies to one system.\n");
  return k_exit_ok;
}

// The settings for one system, checked as plan and submit would take them.
int show_system(const GlobalOptions& global, const Catalogue& catalogue, const ConfigFiles& files,
                const std::string& name, bool json) {
  auto system = catalogue.load(name);
  if (!system) {
    return fail_with(system.error());
  }
  // The values go through the flags' own checks, as in a plan.
  for (auto* setup : {&setup_plan_command, &setup_submit_command}) {
    CLI::App scratch;
    Command command = (*setup)(scratch, global);
    command.add_options();
    auto applied = apply_config(*command.app, *system, files);
    if (!applied) {
      return fail_with(applied.error());
    }
  }
  auto resolved = resolve_config(files.files, *system, account_environment());
  if (!resolved) {
    return fail_with(resolved.error());
  }
  for (const auto& note : resolved->notes) {
    print_note(printable(note));
  }
  if (json) {
    nlohmann::json out = files_json(files);
    out["system"] = system->name;
    out["settings"] = nlohmann::json::array();
    for (const auto& s : resolved->settings) {
      out["settings"].push_back({{"key", s.key},
                                 {"value", value_json(s.values, s.list)},
                                 {"origin", origin_json(s.origin)}});
    }
    out["notes"] = resolved->notes;
    fmt::print("{}\n", out.dump(2));
    return k_exit_ok;
  }
  print_files(files);
  fmt::print("\nSettings for {} (a flag on the command line wins over each):\n", system->name);
  if (resolved->settings.empty()) {
    fmt::print("  none\n");
  } else {
    Table table({"SETTING", "VALUE", "FROM"});
    for (const auto& s : resolved->settings) {
      Origin shown = s.origin;
      shown.where = home_relative(shown.where);
      for (std::size_t i = 0; i < s.values.size(); ++i) {
        table.add({i == 0 ? s.key : "", printable(s.values[i]),
                   i == 0 ? printable(shown.describe()) : ""});
      }
    }
    fmt::print("{}", table.str("  "));
  }
  fmt::print("Everything else: the catalogue's defaults (mlsub show {}).\n", system->name);
  return k_exit_ok;
}

int run_config(const GlobalOptions& global, const ConfigOptions& o) {
  const Catalogue catalogue = open_catalogue(global);
  auto files = load_config_files(global, catalogue);
  if (!files) {
    return fail_with(files.error());
  }
  if (o.system) {
    return show_system(global, catalogue, *files, *o.system, o.json);
  }
  return show_files(*files, o.json);
}

}  // namespace

Command setup_config_command(CLI::App& root, const GlobalOptions& global) {
  auto options = std::make_shared<ConfigOptions>();
  CLI::App* app = root.add_subcommand(
      "config", "Show the settings from config files: per-system defaults for plan and submit");
  app->add_option("--system,-s", options->system,
                  "Show what applies to this system, merged, with where each value comes from")
      ->type_name("SYSTEM");
  app->add_flag("--json", options->json, "Print it as JSON");
  app->footer(
      "Examples:\n"
      "  mlsub config\n"
      "  mlsub config --system lumi\n"
      "  mlsub --config ci.mlsub.yaml config --system roihu --json\n"
      "\n"
      "Defaults for plan and submit live in two YAML files: yours,\n"
      "$XDG_CONFIG_HOME/mlsub/config.yaml (~/.config/mlsub/config.yaml), and the\n"
      "project's: .mlsub.yaml in the working directory or a parent up to the\n"
      "repository's root, or --config FILE, or $MLSUB_PROJECT_CONFIG (set and\n"
      "empty: none). Sections: all: for every system, and one per system name.\n"
      "Keys are the long flags of plan and submit without --; a list or a\n"
      "KEY: VALUE map gives a repeatable flag several times:\n"
      "\n"
      "  all:\n"
      "    time: \"2:00:00\"\n"
      "    env: {WANDB_MODE: offline}\n"
      "  lumi:\n"
      "    account: project_465000123\n"
      "    venv: /scratch/project_465000123/venv\n"
      "\n"
      "First wins: a flag; the project file's section for the system; yours;\n"
      "$MLSUB_ACCOUNT, then $SBATCH_ACCOUNT (the account only; left aside, with\n"
      "a note, when not of the site's form); the project file's all:; yours;\n"
      "the catalogue. A value replaces the ones below it whole, lists too.\n"
      "plan --explain names where each value came from; a script's header\n"
      "writes them out as flags. Exit 10 for an invalid config file\n"
      "(FILE:LINE:COLUMN: what).");
  return Command{app, [&global, options]() { return run_config(global, *options); }};
}

}  // namespace mlsub::cli
