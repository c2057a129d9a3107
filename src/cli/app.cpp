// The front end: global flags, the table of subcommands, and the mapping of
// CLI11's parse errors onto mlsub's exit codes and messages.

#include "app.hpp"

#include <CLI/CLI.hpp>
#include <exception>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <string>
#include <vector>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mlsub/suggest.hpp"
#include "output.hpp"

namespace mlsub::cli {
namespace {

constexpr const char* k_description =
    "mlsub turns \"N GPUs on system X for train.py\" into a correct Slurm batch script\n"
    "for that site, explains every choice, and checks it against the site's limits.";

// The hint that turns CLI11's message into one that says what to do.
std::string hint_for(const CLI::ParseError& e, const CLI::App& app) {
  const std::string what = e.what();
  // CLI11 names an ExtrasError after the subcommand, so test the code.
  const bool extras = e.get_exit_code() == static_cast<int>(CLI::ExitCodes::ExtrasError);
  if (extras && what.find(": -") != std::string::npos) {
    return "; options meant for the program go after --, e.g. "
           "mlsub plan --system lumi --gpus 8 train.py -- --lr 3e-4";
  }
  for (const CLI::App* sub : app.get_subcommands()) {
    return fmt::format("; see mlsub {} --help", sub->get_name());
  }
  return "; see mlsub --help";
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
    if (word == "--catalogue") {
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
      } else if (word == "--check") {
        ++i;  // and its FILE
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
  app.add_option("--catalogue", global.catalogue_dirs,
                 "Also read systems from DIR (repeatable; later ones win)")
      ->type_name("DIR")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
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
  const std::string message = e.what();
  if (e.get_name() == "RequiredError" && message.find("subcommand") != std::string::npos) {
    std::vector<std::string> names;
    for (const Command& command : commands) {
      names.push_back(command.app->get_name());
    }
    print_error(fmt::format("no command given; try mlsub plan --help (commands: {})",
                            fmt::join(names, ", ")));
    return k_exit_usage;
  }
  print_error(message + hint_for(e, app));
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
  };

  if (const CLI::App* invoked = invoked_command(argc, argv, app)) {
    for (const Command& command : commands) {
      if (command.app == invoked && command.add_options) {
        command.add_options();
      }
    }
  }
  if (auto message = unknown_command(argc, argv, app)) {
    print_error(*message);
    return k_exit_usage;
  }
  try {
    app.parse(argc, argv);
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
