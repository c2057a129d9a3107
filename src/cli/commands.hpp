#pragma once

// One function per subcommand, each in its own file: it adds the
// subcommand and its flags to `root` and returns the code to run after a
// successful parse (CLI11's subcom_in_files shape).

#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "environment.hpp"
#include "mlsub/error.hpp"

namespace mlsub::cli {

/// A registered subcommand: CLI11's view of it and what to run.
struct Command {
  Command(CLI::App* app_, std::function<int()> run_, std::function<void()> add_options_ = {})
      : app(app_), run(std::move(run_)), add_options(std::move(add_options_)) {}

  CLI::App* app = nullptr;
  std::function<int()> run;
  // Adds the subcommand's flags, when they are many: run() calls it only for
  // the subcommand on the command line (plan and submit each have some fifty
  // flags, and making them for every call was a tenth of `mlsub plan`).
  std::function<void()> add_options;
};

Command setup_plan_command(CLI::App& root, const GlobalOptions& global);
Command setup_systems_command(CLI::App& root, const GlobalOptions& global);
Command setup_show_command(CLI::App& root, const GlobalOptions& global);
Command setup_submit_command(CLI::App& root, const GlobalOptions& global);
Command setup_status_command(CLI::App& root, const GlobalOptions& global);
Command setup_cancel_command(CLI::App& root, const GlobalOptions& global);
Command setup_logs_command(CLI::App& root, const GlobalOptions& global);
Command setup_report_command(CLI::App& root, const GlobalOptions& global);
Command setup_doctor_command(CLI::App& root, const GlobalOptions& global);
Command setup_completion_command(CLI::App& root, const GlobalOptions& global);
Command setup_check_command(CLI::App& root, const GlobalOptions& global);
Command setup_config_command(CLI::App& root, const GlobalOptions& global);
Command setup_catalogue_command(CLI::App& root, const GlobalOptions& global);

// `mlsub plan --check FILE` and nothing else: the words of the command in
// FILE's header ("#   mlsub plan ..."), read without a shell, followed by
// --check FILE; nullopt when argv is not that form. Fails (usage) when FILE
// has no such header or it holds anything but plain words.
Expected<std::optional<std::vector<std::string>>> header_replan(int argc, char** argv);

}  // namespace mlsub::cli
