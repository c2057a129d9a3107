// mlsub report: what the GPU monitor saw during a job, with advice and a
// picture.

#include <unistd.h>

#include <algorithm>
#include <clocale>
#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fstream>
#include <langinfo.h>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mlsub/monitor.hpp"
#include "mlsub/submit.hpp"
#include "output.hpp"
#include "table.hpp"

namespace fs = std::filesystem;

namespace mlsub::cli {
namespace {

struct ReportOptions {
  std::string target;
  bool json = false;
  bool ascii = false;
  std::string svg;
  std::string html;
};

int fail_with(const Error& e) {
  print_error(e);
  return exit_code_for(e.kind);
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

Expected<std::string> read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    return fail(ErrorKind::io, fmt::format("cannot read {}", p.string()));
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// JOBID: the folder the journal names, else ./mlsub-JOBID (where a script
// made by mlsub plan puts its samples). FOLDER: itself.
Expected<std::pair<fs::path, std::string>> resolve(const std::string& target) {
  std::error_code ec;
  if (fs::is_directory(target, ec)) {
    return std::make_pair(fs::path(target), std::string());
  }
  if (!all_digits(target)) {
    return fail(ErrorKind::usage,
                fmt::format("'{}' is neither a job id nor a folder; give a job id (123456) or "
                            "the job folder that holds gpu-*.csv",
                            target));
  }
  int skipped = 0;
  auto entries = read_journal(journal_path(), skipped);
  if (entries) {
    for (auto it = entries->rbegin(); it != entries->rend(); ++it) {
      if (it->value("job_id", "") == target && it->contains("folder")) {
        return std::make_pair(fs::path(it->value("folder", "")), target);
      }
    }
    // An array task has a job id of its own, which the journal does not
    // hold: look for its samples in the recent jobs' folders.
    const std::string prefix = "gpu-" + target + "-";
    int looked = 0;
    for (auto it = entries->rbegin(); it != entries->rend() && looked < 200; ++it, ++looked) {
      const fs::path folder = it->value("folder", "");
      for (const auto& entry : fs::directory_iterator(folder, ec)) {
        if (entry.path().filename().string().rfind(prefix, 0) == 0) {
          return std::make_pair(folder, target);
        }
      }
    }
  }
  const fs::path local = fs::path("mlsub-" + target);
  if (fs::is_directory(local, ec)) {
    return std::make_pair(local, target);
  }
  return fail(ErrorKind::usage,
              fmt::format("job {} is not in the journal ({}) and there is no ./mlsub-{}; give "
                          "the job folder instead: mlsub report FOLDER",
                          target, journal_path(), target));
}

// gpu-JOBID-NODE.csv -> (JOBID, NODE).
std::optional<std::pair<std::string, std::string>> sample_file_name(const std::string& name) {
  if (name.rfind("gpu-", 0) != 0 || name.size() < 9 || name.substr(name.size() - 4) != ".csv") {
    return std::nullopt;
  }
  const std::string core = name.substr(4, name.size() - 8);
  const auto dash = core.find('-');
  if (dash == std::string::npos || !all_digits(core.substr(0, dash))) {
    return std::nullopt;
  }
  return std::make_pair(core.substr(0, dash), core.substr(dash + 1));
}

bool utf8_terminal() {
  std::setlocale(LC_CTYPE, "");
  const char* codeset = nl_langinfo(CODESET);
  return codeset != nullptr && std::string(codeset) == "UTF-8";
}

std::string gib(double mib) { return fmt::format("{:.1f}", mib / 1024); }

int run_report(const GlobalOptions&, const ReportOptions& o) {
  auto where = resolve(o.target);
  if (!where) {
    return fail_with(where.error());
  }
  auto [folder, job_id] = *where;
  // The samples: every gpu-JOBID-NODE.csv of one job.
  std::map<std::string, std::vector<std::pair<fs::path, std::string>>> by_job;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (auto parts = sample_file_name(entry.path().filename().string())) {
      by_job[parts->first].emplace_back(entry.path(), parts->second);
    }
  }
  if (ec) {
    return fail_with(Error{ErrorKind::io, fmt::format("cannot list {}: {}", folder.string(),
                                                      ec.message())});
  }
  if (job_id.empty()) {
    if (by_job.size() > 1) {
      std::vector<std::string> ids;
      for (const auto& [id, files] : by_job) {
        ids.push_back(id);
      }
      print_error(fmt::format("{} holds samples of several jobs ({}); name one: mlsub report "
                              "JOBID",
                              folder.string(), fmt::join(ids, ", ")));
      return k_exit_usage;
    }
    if (!by_job.empty()) {
      job_id = by_job.begin()->first;
    }
  }
  if (by_job.find(job_id) == by_job.end()) {
    const fs::path log = folder / fmt::format("monitor-{}.log", job_id);
    print_error(fmt::format(
        "no GPU samples (gpu-{}-NODE.csv) in {}; {}",
        job_id.empty() ? "JOBID" : job_id, folder.string(),
        !job_id.empty() && fs::exists(log, ec)
            ? fmt::format("the sampler's messages are in {}", log.string())
            : "the job ran with --no-monitor, has not started yet, or its script was made "
              "by an mlsub without the monitor"));
    return k_exit_io;
  }
  auto files = by_job[job_id];
  std::sort(files.begin(), files.end());
  ReportContext context;
  context.job_id = job_id;
  if (auto plan_text = read_text(folder / "plan.json")) {
    const auto plan = nlohmann::json::parse(*plan_text, nullptr, false);
    if (plan.is_object()) {
      context.system = plan.value("system", "");
      context.cpus_per_task = plan.value("cpus_per_task", 0);
      if (auto m = plan.find("monitor"); m != plan.end() && m->is_object()) {
        context.gpu_memory_mib = m->value("gpu_memory_mib", 0LL);
        context.cpus_per_gpu = m->value("cpus_per_gpu", 0);
        context.efficiency_tool = m->value("efficiency_tool", "");
      }
    }
  }
  std::vector<GpuStats> gpus;
  int skipped = 0;
  for (const auto& [path, node] : files) {
    auto text = read_text(path);
    if (!text) {
      return fail_with(text.error());
    }
    auto parsed = parse_samples(*text, node);
    if (!parsed) {
      print_error(fmt::format("{}: {}", path.string(), parsed.error().message));
      return k_exit_io;
    }
    skipped += parsed->skipped_lines;
    for (const auto& series : parsed->gpus) {
      gpus.push_back(gpu_stats(series));
    }
  }
  const JobStats job = job_stats(gpus);
  const auto advice = advise(gpus, job, context);
  std::string energy_counter_text;
  if (auto t = read_text(folder / fmt::format("energy-{}.txt", job_id))) {
    energy_counter_text = *t;
  }
  const std::string title =
      fmt::format("Job {}{}: GPU utilisation", job_id, context.system.empty() ? "" : " on " + context.system);
  if (!o.svg.empty() || !o.html.empty()) {
    const std::string svg = utilization_svg(gpus, title);
    const std::string path = o.svg.empty() ? o.html : o.svg;
    std::ofstream out(path, std::ios::binary);
    if (o.svg.empty()) {
      out << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>mlsub report "
          << job_id << "</title></head>\n<body>\n"
          << svg.substr(svg.find("<svg")) << "</body></html>\n";
    } else {
      out << svg;
    }
    if (!out.flush()) {
      print_error(fmt::format("cannot write {}; check the directory exists and is writable", path));
      return k_exit_io;
    }
  }
  if (o.json) {
    nlohmann::json j;
    j["job_id"] = job_id;
    j["folder"] = folder.string();
    j["system"] = context.system;
    j["gpus"] = nlohmann::json::array();
    for (const auto& g : gpus) {
      j["gpus"].push_back({{"node", g.node},
                           {"index", g.index},
                           {"samples", g.samples},
                           {"seconds", g.seconds},
                           {"mean_utilization", g.mean_utilization},
                           {"peak_utilization", g.peak_utilization},
                           {"peak_memory_mib", g.peak_memory_mib},
                           {"memory_total_mib", g.memory_total_mib},
                           {"energy_wh", g.has_power ? nlohmann::json(g.energy_wh) : nlohmann::json()},
                           {"mean_power_w", g.has_power ? nlohmann::json(g.mean_power_w) : nlohmann::json()}});
    }
    j["job"] = {{"gpus", job.gpus},
                {"gpu_hours", job.gpu_hours},
                {"energy_wh", job.energy_wh},
                {"mean_utilization", job.mean_utilization},
                {"verdict", job.verdict}};
    j["advice"] = nlohmann::json::array();
    for (const auto& a : advice) {
      j["advice"].push_back({{"what", a.what}, {"why", a.why}});
    }
    j["energy_counter"] = energy_counter_text.empty() ? nlohmann::json() : nlohmann::json(energy_counter_text);
    j["skipped_lines"] = skipped;
    fmt::print("{}\n", j.dump(2));
    return k_exit_ok;
  }
  const bool ascii = o.ascii || !utf8_terminal();
  fmt::print("{}\n\n", title);
  Table table({"node", "gpu", "mean", "peak", "peak mem GiB", "energy Wh", "avg W", "utilisation over time"});
  for (const auto& g : gpus) {
    table.add({g.node, std::to_string(g.index), fmt::format("{:.0f} %", g.mean_utilization),
               fmt::format("{:.0f} %", g.peak_utilization),
               g.memory_total_mib > 0 ? fmt::format("{} / {}", gib(g.peak_memory_mib), gib(g.memory_total_mib))
                                      : gib(g.peak_memory_mib),
               g.has_power ? fmt::format("{:.1f}", g.energy_wh) : "-",
               g.has_power ? fmt::format("{:.0f}", g.mean_power_w) : "-",
               sparkline(g.utilization, 40, ascii)});
  }
  fmt::print("{}\n", table.str("  "));
  fmt::print("Job: {} GPU(s), {:.2f} GPU-hours, {:.1f} Wh, mean utilisation {:.0f} %: {}\n",
             job.gpus, job.gpu_hours, job.energy_wh, job.mean_utilization, job.verdict);
  fmt::print("Energy is power integrated over the samples (\"-\": the tool gave no power "
             "reading){}.\n",
             energy_counter_text.empty() ? "" : "; the GPUs' own counters said");
  if (!energy_counter_text.empty()) {
    std::istringstream lines(energy_counter_text);
    for (std::string line; std::getline(lines, line);) {
      fmt::print("  {}\n", line);
    }
  }
  if (!advice.empty()) {
    fmt::print("\nAdvice:\n");
    for (const auto& a : advice) {
      fmt::print("- {}\n  because {}\n", a.what, a.why);
    }
  }
  if (skipped > 0) {
    print_note(fmt::format("{} line(s) of the samples were not readings and were skipped", skipped));
  }
  if (!o.svg.empty() || !o.html.empty()) {
    print_note(fmt::format("chart written to {}", o.svg.empty() ? o.html : o.svg));
  }
  return k_exit_ok;
}

}  // namespace

Command setup_report_command(CLI::App& root, const GlobalOptions& global) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* app = root.add_subcommand(
      "report", "After a job: GPU utilisation, memory, energy, advice and a chart");
  app->add_option("job", options->target,
                  "A job id from mlsub submit (found through the journal), or the job folder")
      ->required()
      ->type_name("JOBID|FOLDER");
  app->add_flag("--json", options->json, "Print the numbers and advice as JSON");
  app->add_option("--svg", options->svg, "Also write a chart of utilisation over time to FILE")
      ->type_name("FILE");
  app->add_option("--html", options->html, "Also write the chart as an HTML page to FILE")
      ->type_name("FILE")
      ->excludes("--svg");
  app->add_flag("--ascii", options->ascii,
                "Draw the sparklines with ASCII characters (the default when the terminal is "
                "not UTF-8)");
  app->footer(
      "Examples:\n"
      "  mlsub report 123456\n"
      "  mlsub report mlsub-jobs/train-20261123-131500 --svg util.svg\n"
      "  mlsub report 123456 --json | jq .job\n"
      "\n"
      "Reads gpu-JOBID-NODE.csv, which the job script's GPU monitor writes into the job\n"
      "folder (on by default; see mlsub plan --help, --monitor-interval). Mean and peak\n"
      "utilisation, peak memory, energy (power integrated over time, Wh) and mean power\n"
      "per GPU; GPU-hours, energy and a verdict per job (good: 80 % or more, fair: 50 %\n"
      "or more, poor: less), and advice with the numbers behind it.\n"
      "Exit codes: 2 usage (unknown job), 7 no samples or unreadable files.");
  return Command{app, [&global, options]() { return run_report(global, *options); }};
}

}  // namespace mlsub::cli
