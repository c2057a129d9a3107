// mlsub report: what the GPU monitor saw during a job, with advice and a
// picture. The numbers come from mlsub/report.hpp; this file prints them.

#include <clocale>
#include <fmt/format.h>
#include <langinfo.h>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mlsub/file.hpp"
#include "mlsub/journal.hpp"
#include "mlsub/report.hpp"
#include "output.hpp"
#include "table.hpp"

namespace mlsub::cli {
namespace {

struct ReportOptions {
  std::string target;
  bool json = false;
  bool ascii = false;
  std::string svg;
  std::string html;
};

bool utf8_terminal() {
  std::setlocale(LC_CTYPE, "");
  const char* codeset = nl_langinfo(CODESET);
  return codeset != nullptr && std::string(codeset) == "UTF-8";
}

std::string gib(double mib) { return fmt::format("{:.1f}", mib / 1024); }

std::string title_of(const JobReport& r) {
  return fmt::format("Job {}{}: GPU utilisation", r.job_id,
                     r.context.system.empty() ? "" : " on " + r.context.system);
}

// --svg FILE, or --html FILE (the SVG in a page).
Expected<void> write_chart(const JobReport& r, const ReportOptions& o) {
  const std::string svg = utilization_svg(r.gpus, title_of(r));
  if (!o.svg.empty()) {
    return write_file(o.svg, svg);
  }
  return write_file(o.html, fmt::format("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                                        "<title>mlsub report {}</title></head>\n<body>\n{}"
                                        "</body></html>\n",
                                        r.job_id, svg.substr(svg.find("<svg"))));
}

nlohmann::json to_json(const GpuStats& g) {
  const auto if_power = [&g](double v) { return g.has_power ? nlohmann::json(v) : nlohmann::json(); };
  return {{"node", g.node},
          {"index", g.index},
          {"samples", g.samples},
          {"seconds", g.seconds},
          {"mean_utilization", g.mean_utilization},
          {"peak_utilization", g.peak_utilization},
          {"peak_memory_mib", g.peak_memory_mib},
          {"memory_total_mib", g.memory_total_mib},
          {"energy_wh", if_power(g.energy_wh)},
          {"mean_power_w", if_power(g.mean_power_w)}};
}

void print_json(const JobReport& r) {
  nlohmann::json j;
  j["job_id"] = r.job_id;
  j["folder"] = r.folder.string();
  j["system"] = r.context.system;
  j["gpus"] = nlohmann::json::array();
  for (const auto& g : r.gpus) {
    j["gpus"].push_back(to_json(g));
  }
  j["job"] = {{"gpus", r.job.gpus},
              {"gpu_hours", r.job.gpu_hours},
              {"energy_wh", r.job.energy_wh},
              {"mean_utilization", r.job.mean_utilization},
              {"verdict", r.job.verdict}};
  j["advice"] = nlohmann::json::array();
  for (const auto& a : r.advice) {
    j["advice"].push_back({{"what", a.what}, {"why", a.why}});
  }
  j["energy_counter"] = r.energy_counter_text.empty() ? nlohmann::json()
                                                      : nlohmann::json(r.energy_counter_text);
  j["skipped_lines"] = r.skipped_lines;
  fmt::print("{}\n", j.dump(2));
}

void print_table(const JobReport& r, bool ascii) {
  Table table({"node", "gpu", "mean", "peak", "peak mem GiB", "energy Wh", "avg W",
               "utilisation over time"});
  for (const auto& g : r.gpus) {
    table.add({g.node, std::to_string(g.index), fmt::format("{:.0f} %", g.mean_utilization),
               fmt::format("{:.0f} %", g.peak_utilization),
               g.memory_total_mib > 0
                   ? fmt::format("{} / {}", gib(g.peak_memory_mib), gib(g.memory_total_mib))
                   : gib(g.peak_memory_mib),
               g.has_power ? fmt::format("{:.1f}", g.energy_wh) : "-",
               g.has_power ? fmt::format("{:.0f}", g.mean_power_w) : "-",
               sparkline(g.utilization, 40, ascii)});
  }
  fmt::print("{}\n", table.str("  "));
}

void print_text(const JobReport& r, bool ascii) {
  fmt::print("{}\n\n", title_of(r));
  print_table(r, ascii);
  fmt::print("Job: {} GPU(s), {:.2f} GPU-hours, {:.1f} Wh, mean utilisation {:.0f} %: {}\n",
             r.job.gpus, r.job.gpu_hours, r.job.energy_wh, r.job.mean_utilization, r.job.verdict);
  fmt::print("Energy is power integrated over the samples (\"-\": the tool gave no power "
             "reading){}.\n",
             r.energy_counter_text.empty() ? "" : "; the GPUs' own counters said");
  std::istringstream lines(r.energy_counter_text);
  for (std::string line; std::getline(lines, line);) {
    fmt::print("  {}\n", line);
  }
  if (!r.advice.empty()) {
    fmt::print("\nAdvice:\n");
    for (const auto& a : r.advice) {
      fmt::print("- {}\n  because {}\n", a.what, a.why);
    }
  }
  if (r.skipped_lines > 0) {
    print_note(fmt::format("{} line(s) of the samples were not readings and were skipped",
                           r.skipped_lines));
  }
}

int run_report(const GlobalOptions&, const ReportOptions& o) {
  auto report = build_report(o.target, Journal(Journal::default_path()));
  if (!report) {
    return fail_with(report.error());
  }
  const bool chart = !o.svg.empty() || !o.html.empty();
  if (chart) {
    if (auto ok = write_chart(*report, o); !ok) {
      print_error(fmt::format("{}; check the directory exists and is writable",
                              ok.error().message));
      return k_exit_io;
    }
  }
  if (o.json) {
    print_json(*report);
    return k_exit_ok;
  }
  print_text(*report, o.ascii || !utf8_terminal());
  if (chart) {
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
