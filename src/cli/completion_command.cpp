// mlsub completion bash|zsh|fish: print the shell completion script.
// mlsub completion --list WHAT (hidden): the words the scripts offer, read
// from mlsub's own tables and the catalogue when completing, so no script
// keeps a second list of flags, launchers, partitions or GPU types.

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "commands.hpp"
#include "completion_script.hpp"
#include "exit_codes.hpp"
#include "mlsub/check.hpp"
#include "mlsub/launcher.hpp"
#include "output.hpp"


namespace mlsub::cli {
namespace {

struct CompletionOptions {
  std::string shell;
  std::string list;     // --list WHAT
  std::string system;   // --system, for partitions and gpu-types
  std::string command;  // --command, for flags
};

// One line per word; with a description after a tab where it has one
// (zsh and fish show it beside the word).
void print_word(const std::string& word, const std::string& description) {
  std::string first_line = description.substr(0, description.find('\n'));
  std::replace(first_line.begin(), first_line.end(), '\t', ' ');
  fmt::print("{}\t{}\n", word, first_line);
}

// The long (and short) flags of `app`, with their descriptions; hidden
// flags (no group) and flags already in `seen` are left out.
void print_flags(const CLI::App& app, std::set<std::string>& seen) {
  const auto print_new = [&](const std::string& word, const std::string& description) {
    if (seen.insert(word).second) {
      print_word(word, description);
    }
  };
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_group().empty() || option->nonpositional() == false) {
      continue;
    }
    for (const auto& name : option->get_lnames()) {
      print_new("--" + name, option->get_description());
    }
    for (const auto& name : option->get_snames()) {
      print_new("-" + name, option->get_description());
    }
  }
}

int list_words(const CLI::App& root, const GlobalOptions& global, const CompletionOptions& o) {
  if (o.list == "commands") {
    for (const CLI::App* sub : root.get_subcommands([](const CLI::App*) { return true; })) {
      print_word(sub->get_name(), sub->get_description());
    }
    return k_exit_ok;
  }
  if (o.list == "flags") {
    const CLI::App* app = &root;
    for (const CLI::App* sub : root.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == o.command) {
        app = sub;
      }
    }
    std::set<std::string> seen;
    print_flags(*app, seen);
    if (app != &root) {
      print_flags(root, seen);  // global flags work after the command too (--help once)
    }
    return k_exit_ok;
  }
  if (o.list == "findings") {
    for (const FindingInfo& f : finding_ids()) {
      print_word(std::string(f.id), std::string(f.rationale));
    }
    return k_exit_ok;
  }
  if (o.list == "launchers") {
    for (const Launcher l : all_launchers()) {
      print_word(std::string(launcher_name(l)), std::string(launcher_summary(l)));
    }
    return k_exit_ok;
  }
  const Catalogue catalogue = open_catalogue(global);
  if (o.list == "systems") {
    for (const auto& name : catalogue.names()) {
      fmt::print("{}\n", name);
    }
    return k_exit_ok;
  }
  auto system = catalogue.load(o.system);
  if (!system) {
    return k_exit_usage;  // nothing to offer; completion stays quiet
  }
  if (o.list == "partitions") {
    for (const auto& p : system->partitions) {
      print_word(p.name, p.why);
    }
  } else {
    for (const auto& n : system->node_types) {
      print_word(n.gpu_type, n.gpu_model);
    }
  }
  return k_exit_ok;
}

}  // namespace

Command setup_completion_command(CLI::App& root, const GlobalOptions& global) {
  auto o = std::make_shared<CompletionOptions>();
  CLI::App* app = root.add_subcommand("completion", "Print the shell completion script");
  app->add_option("shell", o->shell, "The shell: bash, zsh or fish")
      ->type_name("SHELL")
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  // For the scripts themselves, so hidden (no group).
  app->add_option("--list", o->list, "")
      ->check(CLI::IsMember({"commands", "flags", "findings", "launchers", "systems",
                             "partitions", "gpu-types"}))
      ->group("");
  app->add_option("--system", o->system, "")->group("");
  app->add_option("--command", o->command, "")->group("");
  app->footer(
      "Examples:\n"
      "  source <(mlsub completion bash)\n"
      "  mlsub completion zsh > ~/.zfunc/_mlsub     (with fpath+=(~/.zfunc) before compinit)\n"
      "  mlsub completion fish > ~/.config/fish/completions/mlsub.fish\n"
      "\n"
      "cmake --install also installs them for bash-completion, zsh and fish.");
  return Command{app, [&root, &global, o]() {
                   if (!o->list.empty()) {
                     return list_words(root, global, *o);
                   }
                   if (o->shell.empty()) {
                     print_error("say which shell: mlsub completion bash, zsh or fish");
                     return static_cast<int>(k_exit_usage);
                   }
                   fmt::print("{}", completion_script(o->shell));
                   return static_cast<int>(k_exit_ok);
                 }};
}

}  // namespace mlsub::cli
