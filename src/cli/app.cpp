// The front end: global flags, the table of subcommands, and the mapping of
// CLI11's parse errors onto mlsub's exit codes and messages.

#include "app.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <exception>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <string>
#include <vector>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mlsub/sbatch_options.hpp"
#include "mlsub/suggest.hpp"
#include "output.hpp"
#include "repeatable.hpp"

namespace mlsub::cli {
namespace {

constexpr const char* k_description =
    "mlsub turns \"N GPUs on system X for train.py\" into a correct Slurm batch script\n"
    "for that site, explains every choice, and checks it against the site's limits.";

// An option the command does not have: the closest one it has, and, for
// the commands that write a script, where sbatch's options go.
std::string unknown_option_hint(const std::string& what, const CLI::App& command) {
  // CLI11 lists the unexpected words last first: the first one typed is last.
  std::string word;
  for (std::size_t at = what.find(": ") + 2; at < what.size();) {
    const auto end = std::min(what.find(' ', at), what.size());
    if (what[at] == '-') {
      word = what.substr(at, end - at);
    }
    at = end + 1;
  }
  const std::string name = word.substr(0, word.find('='));
  std::vector<std::string> options;
  for (const CLI::Option* option : command.get_options()) {
    for (const auto& long_name : option->get_lnames()) {
      options.push_back("--" + long_name);
    }
  }
  const bool writes_script =
      std::find(options.begin(), options.end(), "--sbatch") != options.end();
  const auto dashes = name.find_first_not_of('-');
  const std::string key = dashes == std::string::npos ? std::string() : name.substr(dashes);
  std::string hint = fmt::format("mlsub {} has no option {};", command.get_name(), name);
  if (writes_script && name.rfind("--", 0) == 0 && sbatch_option_arg(key)) {
    // An sbatch option: where it goes, not a look-alike of mlsub's.
    const auto instead = sbatch_option_planned(key);
    hint += instead.empty()
                ? fmt::format(" it is an sbatch option: pass it as --sbatch {}{};", key,
                              word.find('=') == std::string::npos ? std::string("=VALUE")
                                                                  : word.substr(word.find('=')))
                : fmt::format(" it is an sbatch option, and {};", instead);
  } else {
    hint += did_you_mean(name, options);
    if (writes_script) {
      hint += " sbatch options go in --sbatch KEY=VALUE (or --constraint, --qos, --reservation, "
              "--dependency, --mail-type, --mail-user, --exclusive);";
    }
  }
  return hint + " options meant for the program go after --, e.g. "
                "mlsub plan --system lumi --gpus 8 train.py -- --lr 3e-4";
}

// The hint that turns CLI11's message into one that says what to do.
std::string hint_for(const CLI::App& app) {
  for (const CLI::App* sub : app.get_subcommands()) {
    return fmt::format("; see mlsub {} --help", sub->get_name());
  }
  return "; see mlsub --help";
}

// CLI11 reads a word "[a,b]" given to a list (the program's arguments) as
// the list a, b. So every word that starts with '[' reaches CLI11 behind a
// marker byte, which a transform on every option takes off again: values
// arrive as typed. A word that starts with the marker gets one more, so
// that the marking can be undone for any word.
constexpr char k_mark = '\x01';

std::vector<std::string> marked_words(int argc, char** argv) {
  std::vector<std::string> words;
  for (int i = 0; i < argc; ++i) {
    std::string word = argv[i];
    if (i > 0 && !word.empty() && (word.front() == '[' || word.front() == k_mark)) {
      word.insert(word.begin(), k_mark);
    }
    words.push_back(std::move(word));
  }
  return words;
}

void unmark_values(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    option->transform([](std::string value) {
      if (!value.empty() && value.front() == k_mark) {
        value.erase(0, 1);
      }
      return value;
    });
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    unmark_values(*sub);
  }
}

// An unknown first word gets a suggestion before CLI11 sees it.
std::optional<std::string> unknown_command(int argc, char** argv, const CLI::App& app) {
  if (argc < 2 || argv[1][0] == '-') {
    return std::nullopt;
  }
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
    if (sub->get_name() == argv[1]) {
      return std::nullopt;
    }
  }
  return fmt::format("unknown command '{}';{} commands: {} (mlsub --help)", argv[1],
                     did_you_mean(argv[1], names), fmt::join(names, ", "));
}

// The subcommand named on the command line: its first word that is not a
// global flag or a global flag's value.
const CLI::App* invoked_command(int argc, char** argv, const CLI::App& app) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "--catalogue" || word == "--config") {
      ++i;
      continue;
    }
    if (word.empty() || word[0] == '-') {
      continue;
    }
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == word) {
        return sub;
      }
    }
    return nullptr;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> script_command_line(int argc, char** argv) {
  // Flags that change what is printed, not the script: the header leaves
  // them out, so that the command in it makes the same script and
  // `--check FILE` compares equal. Words after -- belong to the program.
  std::vector<std::string> out{"mlsub"};
  bool program_args = false;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (!program_args) {
      if (word == "--") {
        program_args = true;
      } else if (word == "--explain" || word == "--validate" || word == "--json" ||
                 word == "--verbose" || word == "-v" || word.rfind("--check=", 0) == 0) {
        continue;
      } else if (word == "--check" || word == "--config") {
        ++i;  // and its FILE (a config file's values are written out as flags)
        continue;
      } else if (word.rfind("--config=", 0) == 0) {
        continue;
      }
    }
    out.push_back(word);
  }
  return out;
}

namespace {
int run_with(int argc, char** argv, bool from_header);
}  // namespace

int run(int argc, char** argv) {
  // mlsub plan --check FILE, alone: re-plan from FILE's header.
  auto replan = header_replan(argc, argv);
  if (!replan) {
    print_error(replan.error());
    return exit_code_for(replan.error().kind);
  }
  if (*replan) {
    std::vector<char*> args;
    for (auto& word : **replan) {
      args.push_back(word.data());
    }
    return run_with(static_cast<int>(args.size()), args.data(), true);
  }
  return run_with(argc, argv, false);
}

namespace {
// The flags every command takes, and the top-level help's examples.
void add_global_options(CLI::App& app, GlobalOptions& global) {
  app.set_version_flag("--version", "mlsub " MLSUB_VERSION);
  app.add_flag("--verbose,-v", global.verbose, "Print what mlsub reads and decides, on stderr");
  repeatable(app.add_option("--catalogue", global.catalogue_dirs,
                            "Also read systems from DIR (repeatable; later ones win)")
                 ->type_name("DIR"));
  app.add_option("--config", global.config_file,
                 "Read FILE instead of the project's .mlsub.yaml (see: mlsub config --help)")
      ->type_name("FILE");
  app.fallthrough();  // global flags work after the subcommand too
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  mlsub systems\n"
      "  mlsub show lumi\n"
      "  mlsub plan --system lumi --gpus 8 train.py -- --epochs 10 --lr 3e-4\n"
      "  mlsub plan --system roihu --gpus 1 --explain examples/train.py\n"
      "  mlsub check --system lumi job.sh\n"
      "  mlsub report 123456\n"
      "  mlsub doctor /scratch/project_465000123/data\n"
      "\n"
      "Run 'mlsub COMMAND --help' for a command's flags. README.md lists exit codes.");
}

// CLI11's parse errors as one line and exit 2 (--help and --version exit 0).
int parse_error_exit(const CLI::ParseError& e, CLI::App& app,
                     const std::vector<Command>& commands) {
  if (e.get_exit_code() == 0) {
    return app.exit(e);  // --help, --version
  }
  std::string message = e.what();  // without the markers of marked_words
  message.erase(std::remove(message.begin(), message.end(), k_mark), message.end());
  if (e.get_name() == "RequiredError" && message.find("subcommand") != std::string::npos) {
    std::vector<std::string> names;
    for (const Command& command : commands) {
      names.push_back(command.app->get_name());
    }
    print_error(fmt::format("no command given; try mlsub plan --help (commands: {})",
                            fmt::join(names, ", ")));
    return k_exit_usage;
  }
  // CLI11 names an ExtrasError after the subcommand, so test the code.
  const bool extras = e.get_exit_code() == static_cast<int>(CLI::ExitCodes::ExtrasError);
  if (extras && message.find(": -") != std::string::npos) {
    const CLI::App* command = &app;
    for (const CLI::App* sub : app.get_subcommands()) {
      command = sub;
    }
    print_error(unknown_option_hint(message, *command));
    return k_exit_usage;
  }
  print_error(message + hint_for(app));
  return k_exit_usage;
}

int run_with(int argc, char** argv, bool from_header) {
  GlobalOptions global;
  global.command_line = script_command_line(argc, argv);
  global.from_header = from_header;

  CLI::App app{k_description, "mlsub"};
  add_global_options(app, global);

  const std::vector<Command> commands = {
      setup_plan_command(app, global),
      setup_check_command(app, global),
      setup_systems_command(app, global),
      setup_show_command(app, global),
      setup_submit_command(app, global),
      setup_status_command(app, global),
      setup_cancel_command(app, global),
      setup_logs_command(app, global),
      setup_report_command(app, global),
      setup_doctor_command(app, global),
      setup_catalogue_command(app, global),
      setup_completion_command(app, global),
      setup_config_command(app, global),
  };

  if (const CLI::App* invoked = invoked_command(argc, argv, app)) {
    for (const Command& command : commands) {
      // mlsub completion --list flags reads every command's flags.
      const bool all = invoked->get_name() == "completion";
      if ((command.app == invoked || all) && command.add_options) {
        command.add_options();
      }
    }
  }
  if (auto message = unknown_command(argc, argv, app)) {
    print_error(*message);
    return k_exit_usage;
  }
  unmark_values(app);
  std::vector<std::string> words = marked_words(argc, argv);
  std::vector<char*> marked;
  for (auto& word : words) {
    marked.push_back(word.data());
  }
  try {
    app.parse(argc, marked.data());
  } catch (const CLI::ParseError& e) {
    return parse_error_exit(e, app, commands);
  }
  init_logging(global.verbose);
  try {
    for (const Command& command : commands) {
      if (command.app->parsed()) {
        return command.run();
      }
    }
  } catch (const std::exception& e) {
    print_error(fmt::format("internal error: {}; please report it with the command line", e.what()));
    return 1;
  }
  return k_exit_usage;
}
}  // namespace

}  // namespace mlsub::cli
