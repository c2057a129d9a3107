// mlsub plan: print the batch script for a request (a dry run).

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mlsub/submit.hpp"
#include "output.hpp"
#include "plan_pipeline.hpp"
#include "request_options.hpp"

namespace mlsub::cli {
namespace {

struct PlanOptions {
  RequestOptions request;
  bool explain = false;
  bool json = false;
  bool validate = false;
};

// Asks the local Slurm about the script (sbatch --test-only) through a
// private temporary file; prints the verdict on stderr.
int validate(const std::string& script) {
  std::string path = (std::filesystem::temp_directory_path() / "mlsub-validate-XXXXXX").string();
  const int fd = mkstemp(path.data());
  if (fd < 0) {
    print_error(fmt::format("cannot create a temporary file for --validate: {}",
                            std::strerror(errno)));
    return k_exit_io;
  }
  const bool written = write(fd, script.data(), script.size()) ==
                       static_cast<ssize_t>(script.size());
  close(fd);
  Expected<std::string> verdict =
      written ? sbatch_test_only(path, std::chrono::seconds(60))
              : fail(ErrorKind::io, "cannot write the script for --validate");
  std::remove(path.c_str());
  if (!verdict) {
    print_error(verdict.error());
    return exit_code_for(verdict.error().kind);
  }
  print_note(fmt::format("Slurm would accept the job: {}", *verdict));
  return k_exit_ok;
}

void print_explanation(const Plan& plan) {
  fmt::print(stderr, "How mlsub chose each value for {} (mlsub plan --explain):\n", plan.system);
  for (const auto& r : plan.reasons) {
    fmt::print(stderr, "  {:<14} {}\n", r.field, r.value);
    fmt::print(stderr, "      {}\n", r.why);
    if (!r.source.empty()) {
      fmt::print(stderr, "      source: {}\n", r.source);
    }
  }
}

int run_plan(const GlobalOptions& global, const PlanOptions& o) {
  auto planned = make_plan(global, o.request);
  if (!planned) {
    print_error(planned.error());
    return exit_code_for(planned.error().kind);
  }
  const Plan& plan = planned->plan;
  for (const auto& w : plan.warnings) {
    print_warning(w);
  }
  if (o.json) {
    fmt::print("{}\n", to_json(plan).dump(2));
  } else {
    fmt::print("{}", planned->script);
  }
  if (o.explain) {
    print_explanation(plan);
  }
  if (o.validate) {
    std::fflush(stdout);
    return validate(planned->script);
  }
  return k_exit_ok;
}

}  // namespace

Command setup_plan_command(CLI::App& root, const GlobalOptions& global) {
  auto options = std::make_shared<PlanOptions>();
  CLI::App* app = root.add_subcommand(
      "plan", "Print the batch script for a job (a dry run: nothing is submitted)");
  add_request_options(*app, options->request);
  app->add_flag("--explain", options->explain,
                "Also print, on stderr, each value chosen and why, with its source");
  app->add_flag("--json", options->json, "Print the plan as JSON instead of the script");
  app->add_flag("--validate", options->validate,
                "Also ask Slurm whether it would accept the script (sbatch --test-only; "
                "on a login node); exit 5 if not");
  app->footer(
      "Examples:\n"
      "  mlsub plan --system lumi --gpus 8 train.py -- --epochs 10 --lr 3e-4\n"
      "  mlsub plan --system puhti --gpus 1 --time 30 --account project_2001234 train.py\n"
      "  mlsub plan --system alvis --gpu-type A100 --nodes 2 --gpus-per-node 4 train.py\n"
      "  mlsub plan --system mahti --gpus 2 --explain train.py > job.sh\n"
      "\n"
      "The script goes to stdout, warnings and --explain to stderr. Arguments for\n"
      "the program go after --. Exit codes: 0 ok, 2 usage, 3 the system cannot\n"
      "give it, 4 invalid catalogue, 5 Slurm refuses it (--validate), 6 invalid\n"
      "template.");
  return Command{app, [&global, options]() { return run_plan(global, *options); }};
}

}  // namespace mlsub::cli
