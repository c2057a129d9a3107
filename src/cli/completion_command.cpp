// mlsub completion bash: print the shell completion script.

#include <fmt/format.h>

#include "commands.hpp"
#include "completion_script.hpp"
#include "exit_codes.hpp"

namespace mlsub::cli {

Command setup_completion_command(CLI::App& root, const GlobalOptions&) {
  auto shell = std::make_shared<std::string>();
  CLI::App* app = root.add_subcommand("completion", "Print the shell completion script");
  app->add_option("shell", *shell, "The shell (bash)")->required()->check(CLI::IsMember({"bash"}));
  app->footer(
      "Example:\n"
      "  source <(mlsub completion bash)\n"
      "\n"
      "cmake --install also installs it for bash-completion.");
  return Command{app, [shell]() {
                   fmt::print("{}", bash_completion_script());
                   return static_cast<int>(k_exit_ok);
                 }};
}

}  // namespace mlsub::cli
