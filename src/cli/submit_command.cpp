// mlsub submit: flags in, the plan made once, mlsub/submit.hpp does the
// rest; this file prints what happened.

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "jobs.hpp"
#include "mlsub/submit.hpp"
#include "output.hpp"
#include "plan_pipeline.hpp"
#include "request_options.hpp"

namespace fs = std::filesystem;

namespace mlsub::cli {
namespace {

struct SubmitOptions {
  RequestOptions request;
  std::string dir = "mlsub-jobs";
  bool dry_run = false;
  bool test_only = false;
  bool wait = false;
  int timeout_s = 60;
};

// The mlsub plan command that prints the same script: "submit" becomes
// "plan", and the flags only submit has are left out.
std::vector<std::string> plan_command_line(const std::vector<std::string>& submit) {
  std::vector<std::string> out;
  bool program_args = false;
  bool command_seen = false;  // the first "submit" is the command; a later one a value
  for (std::size_t i = 0; i < submit.size(); ++i) {
    const std::string& word = submit[i];
    program_args = program_args || word == "--";
    if (!program_args) {
      if (word == "submit" && !command_seen) {
        command_seen = true;
        out.push_back("plan");
        continue;
      }
      if (word == "--dry-run" || word == "--test-only" || word == "--wait" ||
          word.rfind("--dir=", 0) == 0 || word.rfind("--timeout=", 0) == 0) {
        continue;
      }
      if (word == "--dir" || word == "--timeout") {
        ++i;  // and its value
        continue;
      }
    }
    out.push_back(word);
  }
  return out;
}

SubmitSettings settings_of(const GlobalOptions& global, const SubmitOptions& o) {
  SubmitSettings s;
  s.mode = o.dry_run     ? SubmitSettings::Mode::dry_run
           : o.test_only ? SubmitSettings::Mode::test_only
                         : SubmitSettings::Mode::submit;
  std::error_code ec;
  s.base_dir = fs::absolute(o.dir, ec).string();
  s.command_line = global.command_line;
  s.cwd = fs::current_path(ec).string();
  s.now = std::time(nullptr);
  if (const char* e = std::getenv("SBATCH_EXPORT"); e != nullptr) {
    s.sbatch_export = e;
  }
  return s;
}

int report_failure(const SubmitFailure& f) {
  print_error(f.error);
  if (!f.note.empty()) {
    print_note(f.note);
  }
  return exit_code_for(f.error.kind);
}

// After the job is in Slurm: its id on stdout, and --wait.
int report_submitted(const SubmitOutcome& done, const Plan& plan, const SubmitOptions& o,
                     SlurmClient& slurm) {
  const std::string& id = done.job->job_id;
  if (done.adopted) {
    print_note(fmt::format("job {} from an earlier attempt of this request (whose sbatch "
                           "failed unclearly) is already queued; not submitting it again",
                           id));
  }
  if (done.record_error) {
    print_error(*done.record_error);  // the job runs: say so, and where it is
    fmt::print("{}\n", id);
    return k_exit_io;
  }
  fmt::print("{}\n", id);
  std::fflush(stdout);
  print_note(fmt::format("submitted job {} on {}; folder {}", id, plan.system,
                         done.folder.dir().string()));
  if (!o.wait) {
    return k_exit_ok;
  }
  auto end = wait_for_job(slurm, id, std::chrono::milliseconds(500), progress_printer());
  if (!end) {
    return fail_with(end.error());
  }
  if (end->state != "COMPLETED") {
    print_error(fmt::format("job {} ended {}{}; its output is in {}", id, end->state,
                            end->exit_code ? fmt::format(" with exit code {}", *end->exit_code) : "",
                            done.folder.dir().string()));
  }
  return end->exit_code.value_or(end->state == "COMPLETED" ? 0 : 1);
}

int run_submit(const GlobalOptions& global, const SubmitOptions& o, CLI::App* app) {
  GlobalOptions as_plan = global;
  as_plan.command_line = plan_command_line(global.command_line);
  auto planned = make_plan(as_plan, o.request, app);
  if (!planned) {
    return fail_with(planned.error());
  }
  for (const auto& w : planned->plan.warnings) {
    print_warning(w);
  }
  auto slurm = make_slurm_client(std::chrono::seconds(o.timeout_s));
  const Journal journal(Journal::default_path());
  auto done = submit_job(*planned, settings_of(global, o), *slurm, journal);
  if (!done) {
    return report_failure(done.error());
  }
  for (const auto& w : done->warnings) {
    print_warning(w);
  }
  for (const auto& n : done->notes) {
    print_note(n);
  }
  if (o.dry_run) {
    fmt::print("{}\n", done->folder.script().string());
    print_note(fmt::format("dry run: nothing was submitted; to submit: {}",
                           done->sbatch_command));
    return k_exit_ok;
  }
  if (o.test_only) {
    fmt::print("{}\n", done->verdict);
    return k_exit_ok;
  }
  return report_submitted(*done, planned->plan, o, *slurm);
}

}  // namespace

Command setup_submit_command(CLI::App& root, const GlobalOptions& global) {
  auto options = std::make_shared<SubmitOptions>();
  CLI::App* app = root.add_subcommand(
      "submit", "Plan a job, write its folder, and submit it with sbatch (on a login node)");
  auto add_options = [app, options]() {
    add_request_options(*app, options->request);
    app->add_option("--dir", options->dir,
                    "Where job folders go (default: ./mlsub-jobs); each job gets NAME-TIMESTAMP/ "
                    "with job.sh, plan.json and Slurm's output")
        ->type_name("DIR");
    app->add_flag("--dry-run", options->dry_run,
                  "Write the job folder and stop before sbatch; prints the script's path");
    app->add_flag("--test-only", options->test_only,
                  "Ask Slurm whether it would accept the job (sbatch --test-only); submits nothing");
    app->add_flag("--wait", options->wait,
                  "Follow the job to its end (a status line on stderr) and exit with its exit code");
    app->add_option("--timeout", options->timeout_s,
                    "Seconds to wait for sbatch before giving up (default: 60)")
        ->check(CLI::Range(1, 3600))
        ->type_name("SECONDS");
    app->footer(
        "Examples:\n"
        "  mlsub submit --system lumi --gpus 8 --account project_465000123 train.py -- --lr 3e-4\n"
        "  mlsub submit --system roihu --gpus 4 --test-only train.py\n"
        "  mlsub submit --system roihu --gpus 1 --dry-run train.py\n"
        "\n"
        "Prints the job id on stdout. Every submission is recorded in the journal,\n"
        "$MLSUB_JOURNAL or ~/.local/share/mlsub/jobs.jsonl (one JSON object a line).\n"
        "Before sbatch, submit refuses the site's placeholder account and a program\n"
        "that is not there (exit 2), and creates --output's directory.\n"
        "Exit codes as for plan, and 5 when Slurm is unreachable or refuses the job\n"
        "(Slurm's message is shown; the job folder is kept), 7 when a file cannot be\n"
        "written.");
  };
  return Command{app, [&global, options, app]() { return run_submit(global, *options, app); },
                 add_options};
}

}  // namespace mlsub::cli
