// mlsub status, cancel and logs: the jobs recorded in the journal, as Slurm
// sees them now.

#include <unistd.h>

#include <chrono>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "jobs.hpp"
#include "mlsub/job_folder.hpp"
#include "mlsub/journal.hpp"
#include "mlsub/submit.hpp"
#include "output.hpp"
#include "table.hpp"

namespace mlsub::cli {
namespace {

constexpr std::chrono::milliseconds k_timeout{30000};

int bad_id(const std::string& id) {
  print_error(fmt::format("'{}' is not a Slurm job id (digits, like 123456)", id));
  return k_exit_usage;
}

// ---- status ---------------------------------------------------------------

struct StatusOptions {
  std::vector<std::string> ids;
  bool json = false;
};

void print_status_json(const std::vector<JobStatus>& jobs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [s, r] : jobs) {
    out.push_back({{"job_id", s.job_id},
                   {"state", s.state},
                   {"reason", s.reason},
                   {"elapsed", s.elapsed},
                   {"nodes", s.nodes},
                   {"exit_code", s.exit_code ? nlohmann::json(*s.exit_code) : nlohmann::json()},
                   {"system", r ? r->system : ""},
                   {"folder", r ? r->folder : ""}});
  }
  fmt::print("{}\n", out.dump(2));
}

void print_status_table(const std::vector<JobStatus>& jobs) {
  Table table({"JOBID", "SYSTEM", "STATE", "REASON", "ELAPSED", "NODES", "FOLDER"});
  for (const auto& [s, r] : jobs) {
    table.add({s.job_id, r ? r->system : "-",
               s.exit_code ? fmt::format("{} (exit {})", s.state, *s.exit_code) : s.state,
               s.reason, s.elapsed.empty() ? "-" : s.elapsed, s.nodes.empty() ? "-" : s.nodes,
               r ? r->folder : "-"});
  }
  fmt::print("{}", table.str());
}

int run_status(const StatusOptions& o) {
  for (const auto& id : o.ids) {
    if (!is_job_id(id)) {
      return bad_id(id);
    }
  }
  const Journal journal(Journal::default_path());
  auto slurm = make_slurm_client(k_timeout);
  auto jobs = o.ids.empty() ? unfinished_jobs(*slurm, journal) : jobs_status(*slurm, journal, o.ids);
  if (!jobs) {
    return fail_with(jobs.error());
  }
  if (o.json) {
    print_status_json(*jobs);
  } else if (jobs->empty()) {
    fmt::print("No unfinished jobs from the journal {} (mlsub status JOBID shows any job).\n",
               journal.path());
  } else {
    print_status_table(*jobs);
  }
  return k_exit_ok;
}

// ---- cancel ---------------------------------------------------------------

int run_cancel(const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (!is_job_id(id)) {
      return bad_id(id);
    }
  }
  auto slurm = make_slurm_client(k_timeout);
  for (const auto& id : ids) {
    if (auto ok = slurm->cancel(id); !ok) {
      return fail_with(ok.error());
    }
    print_note(fmt::format("asked Slurm to cancel job {}", id));
  }
  return k_exit_ok;
}

// ---- logs -----------------------------------------------------------------

struct LogsOptions {
  std::string id;
  bool follow = false;
};

int run_logs(const LogsOptions& o) {
  if (!is_job_id(o.id)) {
    return bad_id(o.id);
  }
  auto path = job_output_file(Journal(Journal::default_path()), o.id);
  if (!path) {
    return fail_with(path.error());
  }
  auto slurm = make_slurm_client(k_timeout);
  auto done = follow_output(*slurm, o.id, *path, o.follow, std::chrono::milliseconds(500),
                            [](std::string_view text) {
                              fwrite(text.data(), 1, text.size(), stdout);
                              std::fflush(stdout);
                            });
  return done ? k_exit_ok : fail_with(done.error());
}

}  // namespace

std::function<void(const JobState&)> progress_printer() {
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  return [tty, start, last = std::string()](const JobState& st) mutable {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::steady_clock::now() - start)
                             .count();
    const std::string line = fmt::format("job {}: {}{}{}", st.job_id, st.state,
                                         st.nodes.empty() ? "" : " on " + st.nodes,
                                         st.reason == "None" ? "" : " (" + st.reason + ")");
    if (tty) {
      fmt::print(stderr, "\r\x1b[Kmlsub: {} [{} s]{}", line, seconds,
                 is_finished(st.state) ? "\n" : "");
    } else if (line != last) {
      fmt::print(stderr, "mlsub: {}\n", line);
    }
    last = line;
  };
}

Command setup_status_command(CLI::App& root, const GlobalOptions&) {
  auto options = std::make_shared<StatusOptions>();
  CLI::App* app = root.add_subcommand("status", "Show the state of submitted jobs");
  app->add_option("jobid", options->ids, "Jobs to show (default: unfinished jobs in the journal)")
      ->type_name("JOBID");
  app->add_flag("--json", options->json, "Print the states as JSON");
  app->footer(
      "Examples:\n"
      "  mlsub status\n"
      "  mlsub status 123456 --json\n"
      "\n"
      "Without job ids: your queue (one squeue --me), the jobs mlsub submitted, joined to\n"
      "the journal read from its end. With ids: squeue, and scontrol show job for jobs\n"
      "squeue no longer lists.");
  return Command{app, [options]() { return run_status(*options); }};
}

Command setup_cancel_command(CLI::App& root, const GlobalOptions&) {
  auto ids = std::make_shared<std::vector<std::string>>();
  CLI::App* app = root.add_subcommand("cancel", "Cancel jobs (scancel)");
  app->add_option("jobid", *ids, "Jobs to cancel")->type_name("JOBID")->required();
  app->footer("Example:\n  mlsub cancel 123456");
  return Command{app, [ids]() { return run_cancel(*ids); }};
}

Command setup_logs_command(CLI::App& root, const GlobalOptions&) {
  auto options = std::make_shared<LogsOptions>();
  CLI::App* app = root.add_subcommand("logs", "Print a submitted job's output file");
  app->add_option("jobid", options->id, "The job (submitted with mlsub submit)")
      ->type_name("JOBID")
      ->required();
  app->add_flag("-f,--follow", options->follow, "Keep printing what the job writes until it ends");
  app->footer(
      "Examples:\n"
      "  mlsub logs 123456\n"
      "  mlsub logs --follow 123456\n"
      "\n"
      "Finds the file from the journal: the job's --output pattern, in its folder.");
  return Command{app, [options]() { return run_logs(*options); }};
}

}  // namespace mlsub::cli
