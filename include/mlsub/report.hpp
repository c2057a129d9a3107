#pragma once
// mlsub report: the GPU monitor's files, read back. Parsing the samplers'
// CSV (nvidia-smi --format=csv, rocm-smi --csv with a timestamp column put
// in front by the script: src/report/samples.cpp), per-GPU statistics
// (stats.cpp), advice (advice.cpp) and the pictures (terminal sparkline,
// SVG: chart.cpp) are pure functions: no files, no clock. Finding a job's
// files through the journal and its folder is job_samples.cpp.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "mlsub/error.hpp"
#include "mlsub/journal.hpp"

namespace mlsub {

/// One reading of one GPU. A value the tool did not give ([N/A],
/// [Not Supported], empty) is NaN.
struct GpuSample {
  double time = 0;  // seconds since the epoch (UTC for rocm-smi, node-local for nvidia-smi)
  double utilization = 0;  // percent
  double memory_used_mib = 0;
  double memory_total_mib = 0;
  double power_w = 0;
};

/// Every reading of one GPU, in file order.
struct GpuSeries {
  std::string node;
  int index = 0;
  std::vector<GpuSample> samples;
};

/// What a samples file held: one series per GPU, and how many lines were
/// not readings (a line cut short by a kill, garbage).
struct ParsedSamples {
  std::vector<GpuSeries> gpus;
  int skipped_lines = 0;
};

/// Reads a file the monitor wrote, either format; the header line says
/// which (a file may repeat it: a requeued job appends). An error only
/// when no header of either kind is found.
Expected<ParsedSamples> parse_samples(std::string_view text, const std::string& node);

/// "2026/11/23 15:02:11.123" (nvidia-smi's timestamp) as seconds since the
/// epoch, read as UTC; NaN if it is not one.
double parse_nvidia_timestamp(std::string_view text);

struct GpuStats {
  std::string node;
  int index = 0;
  int samples = 0;
  double seconds = 0;            // first to last reading
  double mean_utilization = 0;   // percent, mean of the readings
  double peak_utilization = 0;
  double peak_memory_mib = 0;
  double memory_total_mib = 0;   // as the tool reports it; 0 if it does not
  double energy_wh = 0;          // power integrated over time (trapezoids)
  double mean_power_w = 0;       // mean of the readings
  bool has_power = false;        // the tool gave any power reading
  std::vector<double> times;        // seconds since the job's first reading
  std::vector<double> utilization;  // the readings, for the pictures
};

GpuStats gpu_stats(const GpuSeries& series);

/// What the report needs besides the samples (from plan.json when there).
struct ReportContext {
  std::string job_id;
  std::string system;
  long long gpu_memory_mib = 0;  // one GPU's memory per the catalogue; 0 unknown
  int cpus_per_gpu = 0;          // the site's rule; 0 unknown
  int cpus_per_task = 0;
  std::string efficiency_tool;   // "seff {job}"; "" none
};

struct JobStats {
  int gpus = 0;
  double gpu_hours = 0;
  double energy_wh = 0;
  double mean_utilization = 0;  // mean over GPUs
  std::string verdict;          // good, fair, poor
};

JobStats job_stats(const std::vector<GpuStats>& gpus);

struct Advice {
  std::string what;  // the thing to do
  std::string why;   // the numbers behind it
};

std::vector<Advice> advise(const std::vector<GpuStats>& gpus, const JobStats& job,
                           const ReportContext& context);

/// Values 0..100 as `width` block characters (▁..█), resampled by mean;
/// `ascii` uses " .:-=+*#" instead.
std::string sparkline(const std::vector<double>& values, int width, bool ascii);

/// A line chart of utilisation over time, one line per GPU, as a
/// standalone SVG document.
std::string utilization_svg(const std::vector<GpuStats>& gpus, const std::string& title);

/// Everything mlsub report shows about one job.
struct JobReport {
  std::string job_id;
  std::filesystem::path folder;
  ReportContext context;
  std::vector<GpuStats> gpus;  // by node, then GPU index
  JobStats job;
  std::vector<Advice> advice;
  std::string energy_counter_text;  // what the GPUs' own counters said; "" none
  int skipped_lines = 0;            // lines of the samples that were not readings
};

/// Reads one job's samples and works out the report. `target` is a job id
/// (its folder from the journal; an array task's samples in a recent job's
/// folder; else ./mlsub-JOBID, where a script from mlsub plan puts them) or
/// a job folder. Errors: usage for a target that names nothing, io for
/// missing or unreadable samples.
Expected<JobReport> build_report(const std::string& target, const Journal& journal);

}  // namespace mlsub
