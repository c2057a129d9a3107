// mlsub status, cancel and logs: the jobs recorded in the journal, as Slurm
// sees them now.

#include <unistd.h>

#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "jobs.hpp"
#include "mlsub/submit.hpp"
#include "output.hpp"
#include "table.hpp"

namespace mlsub::cli {
namespace {

constexpr std::chrono::milliseconds k_timeout{30000};

std::string text_of(const nlohmann::json& entry, const char* key) {
  const auto it = entry.find(key);
  return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Expected<std::vector<nlohmann::json>> journal() {
  int skipped = 0;
  auto entries = read_journal(journal_path(), skipped);
  if (entries && skipped > 0) {
    print_warning(fmt::format("{} line(s) of the journal {} are not valid and were skipped",
                              skipped, journal_path()));
  }
  return entries;
}

std::optional<nlohmann::json> journal_entry(const std::vector<nlohmann::json>& entries,
                                            const std::string& job_id) {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (text_of(*it, "job_id") == job_id) {
      return *it;
    }
  }
  return std::nullopt;
}

int fail_with(const Error& e) {
  print_error(e);
  return exit_code_for(e.kind);
}

int bad_id(const std::string& id) {
  print_error(fmt::format("'{}' is not a Slurm job id (digits, like 123456)", id));
  return k_exit_usage;
}

// ---- status ---------------------------------------------------------------

struct StatusOptions {
  std::vector<std::string> ids;
  bool json = false;
};

int run_status(const StatusOptions& o) {
  auto entries = journal();
  if (!entries) {
    return fail_with(entries.error());
  }
  for (const auto& id : o.ids) {
    if (!is_job_id(id)) {
      return bad_id(id);
    }
  }
  std::vector<JobState> states;
  if (o.ids.empty()) {
    // Jobs in the journal that Slurm still schedules.
    std::vector<std::string> ids;
    for (const auto& e : *entries) {
      ids.push_back(text_of(e, "job_id"));
    }
    auto queued = queued_jobs(ids, k_timeout);
    if (!queued) {
      return fail_with(queued.error());
    }
    states = std::move(*queued);
  } else {
    for (const auto& id : o.ids) {
      auto s = job_state(id, k_timeout);
      if (!s) {
        return fail_with(s.error());
      }
      states.push_back(s->value_or(JobState{id, "UNKNOWN", "Slurm no longer knows this job", "",
                                            "", std::nullopt}));
    }
  }
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : states) {
      const auto e = journal_entry(*entries, s.job_id);
      out.push_back({{"job_id", s.job_id},
                     {"state", s.state},
                     {"reason", s.reason},
                     {"elapsed", s.elapsed},
                     {"nodes", s.nodes},
                     {"exit_code", s.exit_code ? nlohmann::json(*s.exit_code) : nlohmann::json()},
                     {"system", e ? text_of(*e, "system") : ""},
                     {"folder", e ? text_of(*e, "folder") : ""}});
    }
    fmt::print("{}\n", out.dump(2));
    return k_exit_ok;
  }
  if (states.empty()) {
    fmt::print("No unfinished jobs from the journal {} (mlsub status JOBID shows any job).\n",
               journal_path());
    return k_exit_ok;
  }
  Table table({"JOBID", "SYSTEM", "STATE", "REASON", "ELAPSED", "NODES", "FOLDER"});
  for (const auto& s : states) {
    const auto e = journal_entry(*entries, s.job_id);
    std::string state = s.state;
    if (s.exit_code) {
      state += fmt::format(" (exit {})", *s.exit_code);
    }
    table.add({s.job_id, e ? text_of(*e, "system") : "-", state, s.reason,
               s.elapsed.empty() ? "-" : s.elapsed, s.nodes.empty() ? "-" : s.nodes,
               e ? text_of(*e, "folder") : "-"});
  }
  fmt::print("{}", table.str());
  return k_exit_ok;
}

// ---- cancel ---------------------------------------------------------------

int run_cancel(const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    if (!is_job_id(id)) {
      return bad_id(id);
    }
  }
  for (const auto& id : ids) {
    if (auto ok = cancel_job(id, k_timeout); !ok) {
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
  auto entries = journal();
  if (!entries) {
    return fail_with(entries.error());
  }
  const auto entry = journal_entry(*entries, o.id);
  if (!entry) {
    print_error(fmt::format("job {} is not in the journal {}; mlsub logs knows only jobs "
                            "submitted with mlsub submit",
                            o.id, journal_path()));
    return k_exit_usage;
  }
  auto path = output_file(text_of(*entry, "output"), o.id, text_of(*entry, "job_name"),
                          text_of(*entry, "cwd"));
  if (!path) {
    return fail_with(path.error());
  }
  std::ifstream in;
  std::streamoff offset = 0;
  std::string chunk(65536, '\0');
  for (;;) {
    // Read what is there now.
    in.open(*path, std::ios::binary);
    if (in) {
      in.seekg(offset);
      while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) ||
             in.gcount() > 0) {
        fwrite(chunk.data(), 1, static_cast<std::size_t>(in.gcount()), stdout);
        offset += in.gcount();
      }
      std::fflush(stdout);
    }
    in.close();
    in.clear();
    if (!o.follow) {
      if (offset == 0 && !std::ifstream(*path)) {
        print_error(fmt::format("{} does not exist (yet): the job may still be pending; "
                                "mlsub status {} tells",
                                *path, o.id));
        return k_exit_io;
      }
      return k_exit_ok;
    }
    auto s = job_state(o.id, k_timeout);
    if (!s) {
      return fail_with(s.error());
    }
    if (!*s || is_finished((*s)->state)) {
      // One last read for what was written before the end.
      if (std::ifstream last{*path, std::ios::binary}) {
        last.seekg(offset);
        fmt::print("{}", std::string(std::istreambuf_iterator<char>(last), {}));
      }
      return k_exit_ok;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

}  // namespace

bool is_job_id(const std::string& text) {
  const auto underscore = text.find('_');
  auto digits = [](std::string_view s) {
    return !s.empty() && s.size() < 20 && s.find_first_not_of("0123456789") == std::string::npos;
  };
  if (underscore == std::string::npos) {
    return digits(text);
  }
  return digits(std::string_view(text).substr(0, underscore)) &&
         digits(std::string_view(text).substr(underscore + 1));
}

Expected<std::optional<JobState>> job_state(const std::string& job_id,
                                            std::chrono::milliseconds timeout) {
  auto queued = queued_jobs({job_id}, timeout);
  if (!queued) {
    return tl::unexpected(queued.error());
  }
  if (!queued->empty()) {
    return std::optional<JobState>(queued->front());
  }
  return show_job(job_id, timeout);
}

Expected<JobState> wait_for_job(const std::string& job_id, std::chrono::milliseconds poll,
                                std::chrono::milliseconds timeout) {
  const bool tty = isatty(STDERR_FILENO) != 0;
  std::string last;
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    auto s = show_job(job_id, timeout);
    if (!s) {
      return tl::unexpected(s.error());
    }
    if (!*s) {
      return fail(ErrorKind::slurm, fmt::format("Slurm no longer knows job {}; its output is in "
                                                "the job folder",
                                                job_id));
    }
    const JobState& st = **s;
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::steady_clock::now() - start)
                             .count();
    const std::string line = fmt::format("job {}: {}{}{}", job_id, st.state,
                                         st.nodes.empty() ? "" : " on " + st.nodes,
                                         st.reason == "None" ? "" : " (" + st.reason + ")");
    if (tty) {
      fmt::print(stderr, "\r\x1b[Kmlsub: {} [{} s]", line, seconds);
    } else if (line != last) {
      fmt::print(stderr, "mlsub: {}\n", line);
    }
    last = line;
    if (is_finished(st.state)) {
      if (tty) {
        fmt::print(stderr, "\n");
      }
      return st;
    }
    std::this_thread::sleep_for(poll);
  }
}

Command setup_status_command(CLI::App& root, const GlobalOptions&) {
  auto options = std::make_shared<StatusOptions>();
  CLI::App* app = root.add_subcommand("status", "Show the state of submitted jobs");
  app->add_option("jobid", options->ids, "Jobs to show (default: unfinished jobs in the journal)");
  app->add_flag("--json", options->json, "Print the states as JSON");
  app->footer(
      "Examples:\n"
      "  mlsub status\n"
      "  mlsub status 123456 --json\n"
      "\n"
      "Uses squeue, and scontrol show job for jobs squeue no longer lists.");
  return Command{app, [options]() { return run_status(*options); }};
}

Command setup_cancel_command(CLI::App& root, const GlobalOptions&) {
  auto ids = std::make_shared<std::vector<std::string>>();
  CLI::App* app = root.add_subcommand("cancel", "Cancel jobs (scancel)");
  app->add_option("jobid", *ids, "Jobs to cancel")->required();
  app->footer("Example:\n  mlsub cancel 123456");
  return Command{app, [ids]() { return run_cancel(*ids); }};
}

Command setup_logs_command(CLI::App& root, const GlobalOptions&) {
  auto options = std::make_shared<LogsOptions>();
  CLI::App* app = root.add_subcommand("logs", "Print a submitted job's output file");
  app->add_option("jobid", options->id, "The job (submitted with mlsub submit)")->required();
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
