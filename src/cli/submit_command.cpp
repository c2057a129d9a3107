// mlsub submit: plan, write the job folder, hand the script to sbatch, and
// record the job in the journal.

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "jobs.hpp"
#include "exit_codes.hpp"
#include "mlsub/shell.hpp"
#include "mlsub/submit.hpp"
#include "output.hpp"
#include "plan_pipeline.hpp"
#include "request_options.hpp"

namespace fs = std::filesystem;

namespace mlsub::cli {
namespace {

// Now, in UTC: for folder names (20261123-131500) or ISO 8601.
std::string utc_stamp(bool iso) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buffer[32];
  if (iso) {
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  } else {
    std::strftime(buffer, sizeof buffer, "%Y%m%d-%H%M%S", &tm);
  }
  return buffer;
}

struct SubmitOptions {
  RequestOptions request;
  std::string dir = "mlsub-jobs";
  bool dry_run = false;
  bool test_only = false;
  bool wait = false;
  int timeout_s = 60;
};

// A retry after an unclear failure (sbatch hung, or answered without a job
// id) must not make a second job. Such a failure leaves a marker named
// after the request; the next submit of the same request looks for a job
// with the request's comment before it submits.
fs::path unclear_marker(const std::string& id) {
  return fs::path(journal_path()).parent_path() / "unclear" / id;
}

void mark_unclear(const std::string& id) {
  std::error_code ec;
  fs::create_directories(unclear_marker(id).parent_path(), ec);
  std::ofstream(unclear_marker(id)) << "\n";
}

nlohmann::json journal_entry(const GlobalOptions& global, const PlannedJob& planned,
                             const Submitted& submitted, const std::string& folder,
                             const std::string& cwd, const std::string& output) {
  return {{"job_id", submitted.job_id},     {"cluster", submitted.cluster},
          {"system", planned.plan.system},  {"partition", planned.plan.partition},
          {"job_name", planned.plan.job_name}, {"folder", folder},
          {"cwd", cwd},                      {"output", output},
          {"command_line", global.command_line}, {"submitted_at", utc_stamp(true)}};
}

int fail_with(const Error& e) {
  print_error(e);
  return exit_code_for(e.kind);
}

int run_submit(const GlobalOptions& global, SubmitOptions o) {
  const std::chrono::milliseconds timeout{static_cast<long>(o.timeout_s) * 1000};
  // Plan once for the job's name, which names the folder; then again with
  // Slurm's output files inside that folder (unless --output was given).
  auto first = make_plan(global, o.request);
  if (!first) {
    return fail_with(first.error());
  }
  const std::string folder_name =
      fmt::format("{}-{}", first->plan.job_name, utc_stamp(false));
  std::error_code ec;
  const fs::path base = fs::absolute(o.dir, ec);
  // The GPU monitor writes into the job folder.
  o.request.job_dir = (base / folder_name).string();
  const bool default_output = !o.request.output;
  if (!o.request.output) {
    // Array tasks each get a file: array job id _ task index.
    const bool array = first->plan.array.has_value();
    o.request.output = (base / folder_name / (array ? "slurm-%A_%a.out" : "slurm-%j.out")).string();
  }
  auto planned = make_plan(global, o.request);
  if (!planned) {
    return fail_with(planned.error());
  }
  for (const auto& w : planned->plan.warnings) {
    print_warning(w);
  }
  std::map<std::string, std::string> files = {
      {"job.sh", planned->script}, {"plan.json", to_json(planned->plan).dump(2) + "\n"}};
  if (!planned->plan.sweep.empty()) {
    // Which array task ran which arguments, for reading the results.
    std::string table = "index\targuments\n";
    for (std::size_t i = 0; i < planned->plan.sweep.size(); ++i) {
      table += fmt::format("{}\t{}\n", i, shell_join(planned->plan.sweep[i]));
    }
    files.emplace("sweep.tsv", table);
  }
  auto folder = create_job_folder(base.string(), folder_name, files);
  if (!folder) {
    return fail_with(folder.error());
  }
  if (*folder != (base / folder_name).string()) {
    // The name was taken (two submits in the same second): plan again so
    // that Slurm's output and the GPU monitor's files go into this folder.
    o.request.job_dir = *folder;
    if (default_output) {
      o.request.output =
          (fs::path(*folder) / (first->plan.array ? "slurm-%A_%a.out" : "slurm-%j.out")).string();
    }
    planned = make_plan(global, o.request);
    if (!planned) {
      return fail_with(planned.error());
    }
    for (const auto& [name, text] :
         {std::pair<std::string, std::string>{"job.sh", planned->script},
          {"plan.json", to_json(planned->plan).dump(2) + "\n"}}) {
      std::ofstream out(fs::path(*folder) / name, std::ios::binary);
      out << text;
      if (!out.flush()) {
        return fail_with(Error{ErrorKind::io, fmt::format("cannot write {}/{}", *folder, name)});
      }
    }
  }
  const std::string script = (fs::path(*folder) / "job.sh").string();
  const std::string cwd = fs::current_path(ec).string();
  if (o.dry_run) {
    fmt::print("{}\n", script);
    print_note(fmt::format("dry run: nothing was submitted; to submit: sbatch {}", script));
    return k_exit_ok;
  }
  if (o.test_only) {
    auto verdict = sbatch_test_only(script, timeout);
    if (!verdict) {
      return fail_with(verdict.error());
    }
    fmt::print("{}\n", *verdict);
    return k_exit_ok;
  }
  const std::string id = request_id(global.command_line, cwd);
  const std::string comment = "mlsub:" + id;
  std::optional<Submitted> submitted;
  if (fs::exists(unclear_marker(id), ec)) {
    auto earlier = find_job_by_comment(comment, timeout);
    if (!earlier) {
      return fail_with(earlier.error());
    }
    if (*earlier) {
      print_note(fmt::format("job {} from an earlier attempt of this request (whose sbatch "
                             "failed unclearly) is already queued; not submitting it again",
                             **earlier));
      submitted = Submitted{**earlier, ""};
    }
  }
  if (!submitted) {
    auto made = sbatch_submit(script, comment, timeout);
    if (!made) {
      print_error(made.error());
      if (made.error().unclear) {
        mark_unclear(id);
        print_note(fmt::format("the job may or may not exist (squeue --me tells); running the "
                               "same mlsub submit again will not submit it twice; the script is "
                               "in {}",
                               *folder));
      } else {
        print_note(fmt::format("nothing was submitted; the script is kept in {}", *folder));
      }
      return exit_code_for(made.error().kind);
    }
    submitted = *made;
  }
  fs::remove(unclear_marker(id), ec);
  std::ofstream(fs::path(*folder) / "job-id") << submitted->job_id << "\n";
  const std::string output = planned->plan.output.value_or("");
  if (auto ok = append_journal(journal_path(),
                               journal_entry(global, *planned, *submitted, *folder, cwd, output));
      !ok) {
    // The job runs; say so, and where it is, rather than hide it.
    print_error(ok.error());
    fmt::print("{}\n", submitted->job_id);
    return k_exit_io;
  }
  fmt::print("{}\n", submitted->job_id);
  std::fflush(stdout);
  print_note(fmt::format("submitted job {} on {}; folder {}", submitted->job_id,
                         planned->plan.system, *folder));
  if (!o.wait) {
    return k_exit_ok;
  }
  auto done = wait_for_job(submitted->job_id, std::chrono::milliseconds(500), timeout);
  if (!done) {
    return fail_with(done.error());
  }
  if (done->state != "COMPLETED") {
    print_error(fmt::format("job {} ended {}{}; its output is in {}", submitted->job_id,
                            done->state,
                            done->exit_code ? fmt::format(" with exit code {}", *done->exit_code)
                                            : "",
                            *folder));
  }
  return done->exit_code.value_or(done->state == "COMPLETED" ? 0 : 1);
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
        "  mlsub submit --system puhti --gpus 1 --dry-run train.py\n"
        "\n"
        "Prints the job id on stdout. Every submission is recorded in the journal,\n"
        "$MLSUB_JOURNAL or ~/.local/share/mlsub/jobs.jsonl (one JSON object a line).\n"
        "Exit codes as for plan, and 5 when sbatch fails (Slurm's message is shown;\n"
        "the job folder is kept), 7 when a file cannot be written.");
  };
  return Command{app, [&global, options]() { return run_submit(global, *options); }, add_options};
}

}  // namespace mlsub::cli
