#pragma once

// One function per subcommand, each in its own file: it adds the
// subcommand and its flags to `root` and returns the code to run after a
// successful parse (CLI11's subcom_in_files shape).

#include <CLI/CLI.hpp>
#include <functional>

#include "environment.hpp"

namespace mlsub::cli {

/// A registered subcommand: CLI11's view of it and what to run.
struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;
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

}  // namespace mlsub::cli
