// Finding one job's samples (through the journal and the job folder) and
// turning them into a report.

#include <algorithm>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <nlohmann/json.hpp>

#include "mlsub/file.hpp"
#include "mlsub/job_folder.hpp"
#include "mlsub/report.hpp"
#include "mlsub/slurm.hpp"

namespace fs = std::filesystem;

namespace mlsub {
namespace {

// How many of the most recent jobs' folders are searched for an array
// task's samples (the journal holds the array job's id, not the task's).
constexpr std::size_t k_recent_folders = 200;

struct Located {
  fs::path folder;
  std::string job_id;  // "" when a folder was named: its only job
};

bool has_samples_of(const fs::path& folder, const std::string& job_id) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const auto parts = JobFolder::parse_samples_name(entry.path().filename().string());
    if (parts && parts->first == job_id) {
      return true;
    }
  }
  return false;
}

// JOBID: the folder the journal names; else a recent job's folder that
// holds its samples (an array task); else ./mlsub-JOBID (where a script
// made by mlsub plan puts them). FOLDER: itself.
Expected<Located> locate(const std::string& target, const Journal& journal) {
  std::error_code ec;
  if (fs::is_directory(target, ec)) {
    return Located{target, ""};
  }
  if (!is_job_id(target) || target.find('_') != std::string::npos) {
    return fail(ErrorKind::usage,
                fmt::format("'{}' is neither a job id nor a folder; give a job id (123456) or "
                            "the job folder that holds gpu-*.csv",
                            target));
  }
  if (auto found = journal.find(target); found && *found) {
    return Located{(*found)->folder, target};
  }
  if (auto recent = journal.recent(k_recent_folders)) {
    for (const auto& r : *recent) {
      if (has_samples_of(r.folder, target)) {
        return Located{r.folder, target};
      }
    }
  }
  const JobFolder local = JobFolder::fallback("", target);
  if (fs::is_directory(local.dir(), ec)) {
    return Located{local.dir(), target};
  }
  return fail(ErrorKind::usage,
              fmt::format("job {} is not in the journal ({}) and there is no ./mlsub-{}; give "
                          "the job folder instead: mlsub report FOLDER",
                          target, journal.path(), target));
}

using SampleFiles = std::vector<std::pair<fs::path, std::string>>;  // path, node

// The samples files in `folder`, by job id.
Expected<std::map<std::string, SampleFiles>> samples_by_job(const fs::path& folder) {
  std::map<std::string, SampleFiles> by_job;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (auto parts = JobFolder::parse_samples_name(entry.path().filename().string())) {
      by_job[parts->first].emplace_back(entry.path(), parts->second);
    }
  }
  if (ec) {
    return fail(ErrorKind::io, fmt::format("cannot list {}: {}", folder.string(), ec.message()));
  }
  for (auto& [id, files] : by_job) {
    std::sort(files.begin(), files.end());
  }
  return by_job;
}

// The job a folder's samples belong to, and its files.
Expected<std::pair<std::string, SampleFiles>> pick_job(const Located& where) {
  auto by_job = samples_by_job(where.folder);
  if (!by_job) {
    return tl::unexpected(by_job.error());
  }
  std::string job_id = where.job_id;
  if (job_id.empty() && by_job->size() > 1) {
    std::vector<std::string> ids;
    for (const auto& entry : *by_job) {
      ids.push_back(entry.first);
    }
    return fail(ErrorKind::usage,
                fmt::format("{} holds samples of several jobs ({}); name one: mlsub report JOBID",
                            where.folder.string(), fmt::join(ids, ", ")));
  }
  if (job_id.empty() && !by_job->empty()) {
    job_id = by_job->begin()->first;
  }
  if (const auto it = by_job->find(job_id); it != by_job->end()) {
    return std::make_pair(job_id, it->second);
  }
  const JobFolder folder(where.folder);
  std::error_code ec;
  return fail(ErrorKind::io,
              fmt::format("no GPU samples (gpu-{}-NODE.csv) in {}; {}",
                          job_id.empty() ? "JOBID" : job_id, where.folder.string(),
                          !job_id.empty() && fs::exists(folder.monitor_log(job_id), ec)
                              ? fmt::format("the sampler's messages are in {}",
                                            folder.monitor_log(job_id).string())
                              : "the job ran with --no-monitor, has not started yet, or its "
                                "script was made by an mlsub without the monitor"));
}

// What plan.json says that the advice needs; nothing when there is none.
ReportContext context_from_plan(const JobFolder& folder, const std::string& job_id) {
  ReportContext c;
  c.job_id = job_id;
  const auto text = read_file(folder.plan());
  const auto plan = text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
  if (!plan.is_object()) {
    return c;
  }
  c.system = plan.value("system", "");
  c.cpus_per_task = plan.value("cpus_per_task", 0);
  if (const auto m = plan.find("monitor"); m != plan.end() && m->is_object()) {
    c.gpu_memory_mib = m->value("gpu_memory_mib", 0LL);
    c.cpus_per_gpu = m->value("cpus_per_gpu", 0);
    c.efficiency_tool = m->value("efficiency_tool", "");
    c.site_tool = m->value("site_tool", "");
  }
  return c;
}

// Each node's samples, and its GPUs' own energy counters where the script
// read them (energy-JOBID-NODE.csv): then the counter's energy is the GPU's.
Expected<void> read_samples(const SampleFiles& files, const JobFolder& folder, JobReport& report) {
  for (const auto& [path, node] : files) {
    auto parsed = read_samples_file(path, node);
    if (!parsed) {
      return tl::unexpected(parsed.error());
    }
    report.skipped_lines += parsed->skipped_lines;
    const auto text = read_file(folder.energy_counters(report.job_id, node));
    const auto counters = text ? parse_energy_counters(*text) : std::map<int, double>();
    for (auto& gpu : parsed->gpus) {
      if (const auto it = counters.find(gpu.index); it != counters.end()) {
        gpu.counter_energy_wh = it->second;
        gpu.energy_wh = it->second;
      }
      report.gpus.push_back(std::move(gpu));
    }
  }
  return {};
}

}  // namespace

Expected<JobReport> build_report(const std::string& target, const Journal& journal) {
  auto where = locate(target, journal);
  if (!where) {
    return tl::unexpected(where.error());
  }
  auto job = pick_job(*where);
  if (!job) {
    return tl::unexpected(job.error());
  }
  JobReport report;
  report.job_id = job->first;
  report.folder = where->folder;
  const JobFolder folder(where->folder);
  report.context = context_from_plan(folder, report.job_id);
  if (auto ok = read_samples(job->second, folder, report); !ok) {
    return tl::unexpected(ok.error());
  }
  report.job = job_stats(report.gpus);
  report.advice = advise(report.gpus, report.job, report.context);
  report.energy_counter_text = read_file(folder.energy(report.job_id)).value_or("");
  return report;
}

}  // namespace mlsub
