#include <cstdint>
#include <filesystem>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <thread>

#include "mlsub/file.hpp"
#include "mlsub/shell.hpp"
#include "mlsub/submit.hpp"

namespace fs = std::filesystem;

namespace mlsub {
namespace {

using Failure = tl::unexpected<SubmitFailure>;

// What goes into the folder: the script as mlsub plan prints it, the plan,
// and for a sweep which array task ran which arguments.
std::map<std::string, std::string> folder_files(const PlannedJob& job) {
  std::map<std::string, std::string> files = {
      {"job.sh", job.script}, {"plan.json", to_json(job.plan).dump(2) + "\n"}};
  if (!job.plan.sweep.empty()) {
    std::string table = "index\targuments\n";
    for (std::size_t i = 0; i < job.plan.sweep.size(); ++i) {
      table += fmt::format("{}\t{}\n", i, shell_join(job.plan.sweep[i]));
    }
    files.emplace("sweep.tsv", table);
  }
  return files;
}

// The folder reaches the job from outside the script.
SubmitFlags flags_for(const PlannedJob& job, const JobFolder& folder, std::string comment) {
  SubmitFlags flags;
  flags.comment = std::move(comment);
  if (!job.plan.output) {
    flags.output = folder.output_pattern(job.plan.array.has_value());
  }
  flags.environment = {"MLSUB_JOB_DIR=" + folder.dir().string()};
  return flags;
}

// An unclear failure leaves a marker named after the request beside the
// journal; the next submit of the same request looks for its job first.
fs::path unclear_marker(const Journal& journal, const std::string& id) {
  return fs::path(journal.path()).parent_path() / "unclear" / id;
}

void mark_unclear(const fs::path& marker) {
  std::error_code ec;
  fs::create_directories(marker.parent_path(), ec);
  (void)write_file(marker, "\n");
}

// The job an earlier, unclear attempt of this request made, if Slurm still
// has it.
tl::expected<std::optional<Submitted>, SubmitFailure> earlier_job(SlurmClient& slurm,
                                                                  const fs::path& marker,
                                                                  const std::string& comment) {
  std::error_code ec;
  if (!fs::exists(marker, ec)) {
    return std::optional<Submitted>();
  }
  auto earlier = slurm.find_by_comment(comment);
  if (!earlier) {
    return Failure(SubmitFailure{earlier.error(), ""});
  }
  if (!*earlier) {
    return std::optional<Submitted>();
  }
  return std::optional<Submitted>(Submitted{**earlier, ""});
}

tl::expected<Submitted, SubmitFailure> sbatch(SlurmClient& slurm, const JobFolder& folder,
                                              const SubmitFlags& flags, const fs::path& marker) {
  auto made = slurm.submit(folder.script().string(), flags);
  if (made) {
    return *made;
  }
  if (made.error().unclear) {
    mark_unclear(marker);
    return Failure(SubmitFailure{
        made.error(), fmt::format("the job may or may not exist (squeue --me tells); running the "
                                  "same mlsub submit again will not submit it twice; the script "
                                  "is in {}",
                                  folder.dir().string())});
  }
  return Failure(SubmitFailure{
      made.error(),
      fmt::format("nothing was submitted; the script is kept in {}", folder.dir().string())});
}

// The job-id file and the journal line. The job exists whatever happens
// here, so a failure is reported, not returned.
std::optional<Error> record(const PlannedJob& job, const SubmitSettings& settings,
                            const JobFolder& folder, const SubmitFlags& flags,
                            const Submitted& submitted, const Journal& journal) {
  JobRecord r;
  r.job_id = submitted.job_id;
  r.cluster = submitted.cluster;
  r.system = job.plan.system;
  r.partition = job.plan.partition;
  r.job_name = job.plan.job_name;
  r.folder = folder.dir().string();
  r.cwd = settings.cwd;
  r.output = job.plan.output.value_or(flags.output.value_or(""));
  r.command_line = settings.command_line;
  r.submitted_at = fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(settings.now));
  auto id_written = write_file(folder.job_id_file(), submitted.job_id + "\n");
  auto appended = journal.append(r);
  if (!appended) {
    return appended.error();
  }
  if (!id_written) {
    return id_written.error();
  }
  return std::nullopt;
}

// A program given as a path (or a .py file) that is not there: the job
// would start, wait in the queue, and fail at once. It starts in the
// directory sbatch runs in. A bare name is found on the job's PATH, and an
// absolute path may be inside the container or uenv, so neither is looked
// for.
std::optional<std::string> missing_program(const Plan& plan, const fs::path& cwd) {
  const fs::path program(plan.program);
  const bool in_image = !plan.run_prefix.empty() || plan.uenv || !plan.srun_options.empty();
  const bool is_path = plan.program.find('/') != std::string::npos || plan.python_program;
  if (plan.program.empty() || !is_path || (program.is_absolute() && in_image)) {
    return std::nullopt;
  }
  std::error_code ec;
  if (fs::exists(cwd / program, ec)) {
    return std::nullopt;
  }
  return fmt::format("the program {} is not in {}, where the job starts; give its path from "
                     "there, or run mlsub submit in the directory that holds it",
                     plan.program, cwd.string());
}

// The directory of the user's --output pattern, when it names one without
// Slurm's % patterns: Slurm cannot create it, and the job fails without a
// word when it is missing.
std::optional<fs::path> output_dir(const Plan& plan, const fs::path& cwd) {
  if (!plan.output) {
    return std::nullopt;
  }
  const fs::path dir = fs::path(*plan.output).parent_path();
  if (dir.empty() || dir.string().find('%') != std::string::npos) {
    return std::nullopt;
  }
  return dir.is_absolute() ? dir : cwd / dir;
}

// What must hold before sbatch sees the job: an account of the user's,
// the program, and the --output directory (made here when missing).
Expected<void> check_before_sbatch(const Plan& plan, const SubmitSettings& settings,
                                   SubmitOutcome& outcome) {
  if (plan.account_is_placeholder) {
    return fail(ErrorKind::usage,
                fmt::format("no account was given, and the script holds the placeholder {}; "
                            "give --account (or set MLSUB_ACCOUNT) with your {} project",
                            plan.account, plan.system));
  }
  if (auto missing = missing_program(plan, settings.cwd)) {
    return fail(ErrorKind::usage, *missing);
  }
  const auto dir = output_dir(plan, settings.cwd);
  std::error_code ec;
  if (dir && !fs::is_directory(*dir, ec)) {
    if (settings.mode == SubmitSettings::Mode::test_only) {
      outcome.notes.push_back(fmt::format("--output's directory {} does not exist; mlsub submit "
                                          "will create it",
                                          dir->string()));
      return {};
    }
    if (!fs::create_directories(*dir, ec) && !fs::is_directory(*dir)) {
      return fail(ErrorKind::io, fmt::format("cannot create {} for --output ({}); create it or "
                                             "choose another --output",
                                             dir->string(), ec.message()));
    }
    outcome.notes.push_back(fmt::format("created {} for --output", dir->string()));
  }
  return {};
}

// A dry run submits nothing: what would stop mlsub submit is a warning.
void warn_before_sbatch(const Plan& plan, const SubmitSettings& settings,
                        SubmitOutcome& outcome) {
  if (plan.account_is_placeholder) {
    outcome.warnings.push_back(fmt::format("the script holds the placeholder account {}; "
                                           "mlsub submit will refuse it without --account",
                                           plan.account));
  }
  if (auto missing = missing_program(plan, settings.cwd)) {
    outcome.warnings.push_back(*missing);
  }
}

}  // namespace

std::optional<std::string> export_warning(std::string_view sbatch_export) {
  // Slurm reads ALL in any case; an empty value is no value.
  auto is_all = [](std::string_view w) {
    return w.size() == 3 && (w[0] | 0x20) == 'a' && (w[1] | 0x20) == 'l' && (w[2] | 0x20) == 'l';
  };
  if (sbatch_export.empty()) {
    return std::nullopt;
  }
  for (std::size_t at = 0; at <= sbatch_export.size();) {
    const auto comma = std::min(sbatch_export.find(',', at), sbatch_export.size());
    const auto word = sbatch_export.substr(at, comma - at);
    if (is_all(word) || word == "MLSUB_JOB_DIR" || word.rfind("MLSUB_JOB_DIR=", 0) == 0) {
      return std::nullopt;
    }
    at = comma + 1;
  }
  return fmt::format("SBATCH_EXPORT={} keeps MLSUB_JOB_DIR from the job, so its GPU samples go "
                     "to mlsub-JOBID in the directory it was submitted from, not the job folder; "
                     "add MLSUB_JOB_DIR to SBATCH_EXPORT (or ALL) to keep them together",
                     sbatch_export);
}

std::string request_id(const std::vector<std::string>& command_line, const std::string& cwd) {
  // FNV-1a, 64 bits: stable across runs and builds, unlike std::hash.
  std::uint64_t h = 14695981039346656037ULL;
  auto mix = [&h](std::string_view text) {
    for (const char c : text) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // a separator no argument can contain in this position
    h *= 1099511628211ULL;
  };
  mix(cwd);
  for (const auto& word : command_line) {
    mix(word);
  }
  return fmt::format("{:016x}", h);
}

tl::expected<SubmitOutcome, SubmitFailure> submit_job(const PlannedJob& job,
                                                      const SubmitSettings& settings,
                                                      SlurmClient& slurm, const Journal& journal) {
  SubmitOutcome outcome;
  if (settings.mode == SubmitSettings::Mode::dry_run) {
    warn_before_sbatch(job.plan, settings, outcome);
  } else if (auto ready = check_before_sbatch(job.plan, settings, outcome); !ready) {
    return Failure(SubmitFailure{ready.error(), ""});
  }
  auto folder = create_job_folder(settings.base_dir,
                                  job_folder_name(job.plan.job_name, settings.now),
                                  folder_files(job));
  if (!folder) {
    return Failure(SubmitFailure{folder.error(), ""});
  }
  outcome.folder = *folder;
  if (settings.sbatch_export) {
    if (auto w = export_warning(*settings.sbatch_export)) {
      outcome.warnings.push_back(*w);
    }
  }
  const std::string id = request_id(settings.command_line, settings.cwd);
  const SubmitFlags flags = flags_for(job, *folder, "mlsub:" + id);
  if (settings.mode == SubmitSettings::Mode::dry_run) {
    std::vector<std::string> command = {"sbatch"};
    if (flags.output) {
      command.push_back("--output=" + *flags.output);
    }
    command.push_back(folder->script().string());
    outcome.sbatch_command =
        "MLSUB_JOB_DIR=" + shell_quote(folder->dir().string()) + " " + shell_join(command);
    return outcome;
  }
  if (settings.mode == SubmitSettings::Mode::test_only) {
    auto verdict = slurm.test_only(folder->script().string(), flags);
    if (!verdict) {
      return Failure(SubmitFailure{verdict.error(), ""});
    }
    outcome.verdict = *verdict;
    return outcome;
  }
  const fs::path marker = unclear_marker(journal, id);
  auto earlier = earlier_job(slurm, marker, flags.comment);
  if (!earlier) {
    return Failure(earlier.error());
  }
  outcome.adopted = earlier->has_value();
  auto submitted = outcome.adopted ? tl::expected<Submitted, SubmitFailure>(**earlier)
                                   : sbatch(slurm, *folder, flags, marker);
  if (!submitted) {
    return Failure(submitted.error());
  }
  std::error_code ec;
  fs::remove(marker, ec);
  outcome.job = *submitted;
  outcome.record_error = record(job, settings, *folder, flags, *submitted, journal);
  return outcome;
}

Expected<std::optional<JobState>> job_state(SlurmClient& slurm, const std::string& job_id) {
  auto queued = slurm.queued({job_id});
  if (!queued) {
    return tl::unexpected(queued.error());
  }
  if (!queued->empty()) {
    return std::optional<JobState>(queued->front());
  }
  return slurm.show(job_id);
}

Expected<JobState> wait_for_job(SlurmClient& slurm, const std::string& job_id,
                                std::chrono::milliseconds poll,
                                const std::function<void(const JobState&)>& progress) {
  for (;;) {
    auto s = slurm.show(job_id);
    if (!s) {
      return tl::unexpected(s.error());
    }
    if (!*s) {
      return fail(ErrorKind::slurm, fmt::format("Slurm no longer knows job {}; its output is in "
                                                "the job folder",
                                                job_id));
    }
    JobState state = **s;
    state.job_id = job_id;  // scontrol names an array's first task
    progress(state);
    if (is_finished(state.state)) {
      return state;
    }
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace mlsub
