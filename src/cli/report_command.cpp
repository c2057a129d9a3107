// mlsub report: what the GPU monitor saw during a job, with advice and a
// picture. The numbers come from mlsub/report.hpp; this file prints them.

#include <algorithm>
#include <clocale>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <langinfo.h>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mlsub/file.hpp"
#include "mlsub/job_folder.hpp"
#include "mlsub/journal.hpp"
#include "mlsub/report.hpp"
#include "mlsub/words.hpp"
#include "output.hpp"
#include "table.hpp"

namespace mlsub::cli {
namespace {

// A job with more GPUs than this gets a summary per node and the GPUs that
// stand out, not a row per GPU (--all prints every row).
constexpr std::size_t k_gpu_rows = 16;
// Node rows: every node up to this many; else the least busy half of it.
constexpr std::size_t k_node_rows = 32;
// GPUs that stand out, listed at most.
constexpr std::size_t k_standout_rows = 24;
// Lines of the GPUs' own energy counters' text.
constexpr std::size_t k_counter_lines = 10;

struct ReportOptions {
  std::string target;
  bool json = false;
  bool all = false;
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

std::vector<std::string> flag_words(const GpuFlags& f) {
  std::vector<std::string> out;
  if (f.idle) {
    out.emplace_back("idle");
  }
  if (f.starved) {
    out.emplace_back("starved");
  }
  if (f.memory_full) {
    out.emplace_back("memory-full");
  }
  return out;
}

// "counter": every GPU's energy is its own counter's; "integrated": none
// is; "mixed"; "none": neither counters nor power readings.
std::string energy_method(const JobStats& j) {
  if (j.counter_gpus == 0) {
    return j.power_gpus > 0 ? "integrated" : "none";
  }
  return j.counter_gpus == j.gpus ? "counter" : "mixed";
}

// How far the integrated power is from the counters, over the GPUs that
// have both (null unless every GPU with a counter also had power).
nlohmann::json difference_percent(const JobStats& j) {
  if (j.counter_gpus == 0 || j.counter_gpus != j.power_gpus || j.counter_energy_wh <= 0) {
    return nullptr;
  }
  return 100 * (j.integrated_energy_wh - j.counter_energy_wh) / j.counter_energy_wh;
}

// The power columns the GPUs' energy was integrated from, the most used
// first ("power.draw.average, else power.draw" where an A100 had no average).
std::string power_field_of(const std::vector<GpuStats>& gpus) {
  std::map<std::string, int> count;
  for (const auto& g : gpus) {
    if (g.has_power && !g.power_field.empty()) {
      ++count[g.power_field];
    }
  }
  std::vector<std::pair<std::string, int>> fields(count.begin(), count.end());
  std::sort(fields.begin(), fields.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first > b.first;
  });
  std::vector<std::string> names;
  for (const auto& f : fields) {
    names.push_back(f.first);
  }
  return names.empty() ? "power" : fmt::format("{}", fmt::join(names, ", else "));
}

// Which energy the report shows, and the other one where both are there.
std::string energy_sentence(const JobStats& j, const std::vector<GpuStats>& gpus) {
  const std::string field = power_field_of(gpus);
  const std::string method = energy_method(j);
  if (method == "counter") {
    const auto diff = difference_percent(j);
    return fmt::format("Energy is the GPUs' own counters (NVML), read at the start and the end{}",
                       diff.is_null() ? std::string()
                                      : fmt::format("; {} integrated over the samples gives "
                                                    "{:.1f} Wh ({:+.0f} %)",
                                                    field, j.integrated_energy_wh,
                                                    diff.get<double>()));
  }
  if (method == "mixed") {
    return fmt::format("Energy is the GPUs' own counters (NVML) for {} of {} GPUs, {} integrated "
                       "over the samples for the rest (\"-\": neither)",
                       j.counter_gpus, j.gpus, field);
  }
  return fmt::format("Energy is {} integrated over the samples (\"-\": the tool gave no power "
                     "reading)",
                     field);
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
          {"energy_wh", g.has_energy() ? nlohmann::json(g.energy_wh) : nlohmann::json()},
          {"energy_method", g.has_energy() ? nlohmann::json(g.energy_method()) : nlohmann::json()},
          {"energy_counter_wh", g.counter_energy_wh ? nlohmann::json(*g.counter_energy_wh)
                                                    : nlohmann::json()},
          {"energy_integrated_wh", if_power(g.integrated_energy_wh)},
          {"mean_power_w", if_power(g.mean_power_w)},
          {"stands_out", flag_words(gpu_flags(g))}};
}

// The GPUs are written one at a time, so a job of thousands of GPUs needs
// no JSON tree of them all.
void print_json(const JobReport& r) {
  nlohmann::json j;
  j["job_id"] = r.job_id;
  j["folder"] = r.folder.string();
  j["system"] = r.context.system;
  j["job"] = {{"gpus", r.job.gpus},
              {"nodes", r.job.nodes},
              {"gpu_hours", r.job.gpu_hours},
              {"energy_wh", r.job.energy_wh},
              {"energy_method", energy_method(r.job)},
              {"energy_counter_wh", r.job.counter_gpus > 0 ? nlohmann::json(r.job.counter_energy_wh)
                                                           : nlohmann::json()},
              {"energy_integrated_wh", r.job.power_gpus > 0
                                           ? nlohmann::json(r.job.integrated_energy_wh)
                                           : nlohmann::json()},
              {"energy_difference_percent", difference_percent(r.job)},
              {"mean_utilization", r.job.mean_utilization},
              {"verdict", r.job.verdict}};
  j["advice"] = nlohmann::json::array();
  for (const auto& a : r.advice) {
    j["advice"].push_back({{"what", a.what}, {"why", a.why}});
  }
  j["energy_counter"] = r.energy_counter_text.empty() ? nlohmann::json()
                                                      : nlohmann::json(r.energy_counter_text);
  j["skipped_lines"] = r.skipped_lines;
  std::string head = j.dump(2);
  head.erase(head.rfind('}'));  // "...\n}" -> "...\n"
  while (!head.empty() && head.back() == '\n') {
    head.pop_back();
  }
  fmt::print("{},\n  \"gpus\": [", head);
  for (std::size_t i = 0; i < r.gpus.size(); ++i) {
    fmt::print("{}\n    {}", i ? "," : "", to_json(r.gpus[i]).dump());
  }
  fmt::print("{}]\n}}\n", r.gpus.empty() ? "" : "\n  ");
}

std::string memory_cell(double peak, double total) {
  return total > 0 ? fmt::format("{} / {}", gib(peak), gib(total)) : gib(peak);
}

void print_gpu_table(const std::vector<const GpuStats*>& gpus, bool ascii, bool why) {
  // The sparkline last: the table pads by bytes, and its blocks are three.
  std::vector<std::string> heading = {"node", "gpu", "mean", "peak", "peak mem GiB", "energy Wh",
                                      "avg W"};
  if (why) {
    heading.emplace_back("stands out");
  }
  heading.emplace_back("utilisation over time");
  Table table(heading);
  for (const GpuStats* g : gpus) {
    std::vector<std::string> row = {
        g->node, std::to_string(g->index), fmt::format("{} %", shown_percent(g->mean_utilization)),
        fmt::format("{} %", shown_percent(g->peak_utilization)),
        memory_cell(g->peak_memory_mib, g->memory_total_mib),
        g->has_energy() ? fmt::format("{:.1f}", g->energy_wh) : "-",
        g->has_power ? fmt::format("{:.0f}", g->mean_power_w) : "-"};
    if (why) {
      row.push_back(fmt::format("{}", fmt::join(flag_words(gpu_flags(*g)), ", ")));
    }
    row.push_back(sparkline(g->series.values(), 40, ascii));
    table.add(std::move(row));
  }
  fmt::print("{}", table.str("  "));
}

// Large jobs: the nodes' spread, and a row per node (the least busy ones
// when there are many).
void print_nodes(const JobReport& r, bool ascii) {
  auto nodes = node_summaries(r.gpus);
  std::vector<double> means;
  for (const auto& n : nodes) {
    means.push_back(n.mean_utilization);
  }
  std::sort(means.begin(), means.end());
  fmt::print("Nodes: {}; mean utilisation per node: lowest {} %, median {} %, highest {} %\n",
             nodes.size(), shown_percent(means.front()), shown_percent(means[means.size() / 2]),
             shown_percent(means.back()));
  std::size_t shown = nodes.size();
  if (nodes.size() > k_node_rows) {
    shown = k_node_rows / 2;
    std::stable_sort(nodes.begin(), nodes.end(), [](const NodeSummary& a, const NodeSummary& b) {
      return a.mean_utilization < b.mean_utilization;
    });
    fmt::print("The {} least busy nodes:\n", shown);
  }
  Table table({"node", "gpus", "mean", "least busy GPU", "peak mem GiB", "energy Wh",
               "utilisation over time"});
  for (std::size_t i = 0; i < shown; ++i) {
    const auto& n = nodes[i];
    table.add({n.node, std::to_string(n.gpus), fmt::format("{} %", shown_percent(n.mean_utilization)),
               fmt::format("{} %", shown_percent(n.lowest_utilization)),
               memory_cell(n.peak_memory_mib, n.memory_total_mib),
               n.has_power ? fmt::format("{:.1f}", n.energy_wh) : "-",
               sparkline(n.utilization, 40, ascii)});
  }
  fmt::print("{}", table.str("  "));
  if (shown < nodes.size()) {
    fmt::print("  ... and {} busier nodes\n", nodes.size() - shown);
  }
}

// Large jobs: how many GPUs are idle, starved or memory-full, and the
// first of them, idle first.
void print_standouts(const JobReport& r, bool ascii) {
  std::vector<const GpuStats*> out;
  int idle = 0, starved = 0, full = 0;
  for (const auto& g : r.gpus) {
    const GpuFlags f = gpu_flags(g);
    idle += f.idle;
    starved += f.starved;
    full += f.memory_full;
    if (f.any()) {
      out.push_back(&g);
    }
  }
  if (out.empty()) {
    fmt::print("GPUs that stand out: none (none idle, starved or with its memory full)\n");
    return;
  }
  fmt::print("GPUs that stand out: {} idle (under 10 %), {} starved (10 to 49 %), {} memory-full "
             "(95 % or more of its memory)\n",
             idle, starved, full);
  std::stable_sort(out.begin(), out.end(), [](const GpuStats* a, const GpuStats* b) {
    return a->mean_utilization < b->mean_utilization;
  });
  const std::size_t listed = std::min(out.size(), k_standout_rows);
  print_gpu_table({out.begin(), out.begin() + static_cast<long>(listed)}, ascii, true);
  if (listed < out.size()) {
    fmt::print("  ... and {} more (mlsub report {} --all lists every GPU)\n", out.size() - listed,
               r.job_id);
  }
}

void print_summary(const JobReport& r) {
  fmt::print("Job: {}{}, {:.2f} GPU-hours, {:.1f} Wh, mean utilisation {} %: {}\n",
             plural(r.job.gpus, "GPU"), r.job.nodes > 1 ? fmt::format(" on {} nodes", r.job.nodes) : "",
             r.job.gpu_hours, r.job.energy_wh, shown_percent(r.job.mean_utilization), r.job.verdict);
  fmt::print("{}{}.\n", energy_sentence(r.job, r.gpus),
             r.energy_counter_text.empty() ? "" : "; the GPUs' own counters said");
  std::istringstream lines(r.energy_counter_text);
  std::size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n) {
    if (n < k_counter_lines) {
      fmt::print("  {}\n", line);
    }
  }
  if (n > k_counter_lines) {
    fmt::print("  ... {} more lines in {}\n", n - k_counter_lines,
               JobFolder(r.folder).energy(r.job_id).string());
  }
}

// The verdict first; then a row per GPU (small jobs, or --all), or a
// summary per node and the GPUs that stand out: at most about 90 lines
// whatever the job's size.
void print_text(const JobReport& r, bool ascii, bool all) {
  fmt::print("{}\n\n", title_of(r));
  print_summary(r);
  fmt::print("\n");
  const bool large = r.gpus.size() > k_gpu_rows;
  if (large) {
    print_nodes(r, ascii);
    fmt::print("\n");
    print_standouts(r, ascii);
    fmt::print("\n");
  }
  if (!large || all) {
    std::vector<const GpuStats*> every;
    for (const auto& g : r.gpus) {
      every.push_back(&g);
    }
    print_gpu_table(every, ascii, false);
    fmt::print("\n");
  }
  if (!r.advice.empty()) {
    fmt::print("Advice:\n");
    for (const auto& a : r.advice) {
      fmt::print("- {}\n  because {}\n", a.what, a.why);
    }
  }
  if (r.skipped_lines > 0) {
    print_note(fmt::format("{} of the samples {} skipped",
                           plural(r.skipped_lines, "line"),
                           r.skipped_lines == 1 ? "was not a reading and was"
                                                : "were not readings and were"));
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
  print_text(*report, o.ascii || !utf8_terminal(), o.all);
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
  app->add_flag("--all", options->all,
                "Print a row for every GPU (a job of more than 16 GPUs otherwise gets a summary "
                "per node and the GPUs that stand out)");
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
      "  mlsub report 123456 --all\n"
      "\n"
      "Reads gpu-JOBID-NODE.csv, which the job script's GPU monitor writes into the job\n"
      "folder (on by default; see mlsub plan --help, --monitor-interval). Mean and peak\n"
      "utilisation, peak memory, energy (power integrated over time, Wh) and mean power\n"
      "per GPU; GPU-hours, energy and a verdict per job (good: 80 % or more, fair: 50 %\n"
      "or more, poor: less), and advice with the numbers behind it. A job of more than 16\n"
      "GPUs gets, after its verdict, a summary per node and the GPUs that stand out (idle,\n"
      "starved, memory-full); --all adds a row for every GPU.\n"
      "Exit codes: 2 usage (unknown job), 7 no samples or unreadable files.");
  return Command{app, [&global, options]() { return run_report(global, *options); }};
}

}  // namespace mlsub::cli
