#pragma once
// mlsub report: the GPU monitor's files, read back. Parsing the samplers'
// CSV (nvidia-smi --format=csv, rocm-smi --csv with a timestamp column put
// in front by the script: src/report/samples.cpp), per-GPU statistics
// (stats.cpp), advice (advice.cpp) and the pictures (terminal sparkline,
// SVG: chart.cpp) are pure functions: no files, no clock. Finding a job's
// files through the journal and its folder is job_samples.cpp.

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <utility>
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
  const std::string* power_field = nullptr;  // the column power_w came from; null: none
};

/// A percentage as the report prints it (a whole number). Every rule that
/// judges a printed percentage (the verdict, the advice, the GPUs that
/// stand out) judges this number, so the two always agree.
int shown_percent(double percent);

/// Utilisation over time in at most `k_bins` bins of equal width, for the
/// pictures: a fixed size however long the job ran. Bins start `width`
/// seconds wide; when a reading falls past the last bin, neighbouring bins
/// are merged in pairs and the width doubles.
class UtilizationSeries {
 public:
  static constexpr std::size_t k_bins = 200;
  /// A reading `seconds` after the GPU's first (NaN counts as 0: no kernel).
  void add(double seconds, double utilization);
  double bin_width() const { return m_width; }
  /// The bins that hold readings: (middle of the bin in seconds, mean).
  std::vector<std::pair<double, double>> points() const;
  /// The means of the bins that hold readings, in time order.
  std::vector<double> values() const;

 private:
  struct Bin {
    float sum = 0;
    float count = 0;
  };
  double m_width = 1;
  std::vector<Bin> m_bins;
};

struct GpuStats {
  std::string node;
  int index = 0;
  int samples = 0;
  double seconds = 0;            // first to last reading
  double mean_utilization = 0;   // percent, mean of the readings
  double peak_utilization = 0;
  double peak_memory_mib = 0;
  double memory_total_mib = 0;   // as the tool reports it; 0 if it does not
  double energy_wh = 0;          // the counter's where read, else integrated_energy_wh
  double integrated_energy_wh = 0;  // power integrated over time (trapezoids)
  std::optional<double> counter_energy_wh;  // the GPU's own counter, end minus start
  std::string power_field;       // the power column integrated ("power.draw.average", ...)
  double mean_power_w = 0;       // mean of the readings
  bool has_power = false;        // the tool gave any power reading
  bool has_energy() const { return has_power || counter_energy_wh.has_value(); }
  /// "counter", power_field (power integrated), or "" (no energy).
  std::string energy_method() const {
    return counter_energy_wh ? "counter" : has_power ? power_field : "";
  }
  UtilizationSeries series;      // for the pictures
};

/// Folds one GPU's readings, in file order, into its statistics: running
/// sums, peaks, energy and a fixed-size series, so memory does not grow
/// with the readings. Energy: trapezoids between readings, leaving out a
/// gap more than ten times the usual step (a requeued job waiting in the
/// queue); the usual step is the median of the steps, kept as a histogram
/// of steps in buckets 1/16 of an octave wide.
class GpuAccumulator {
 public:
  GpuAccumulator(std::string node, int index);
  void add(const GpuSample& s);
  GpuStats finish() const;

 private:
  struct Steps {
    int key = 0;  // log2 of the step, in 1/16 octaves
    long count = 0;
    double seconds = 0;  // sum of the steps
    double joules = 0;   // energy over these steps
  };
  GpuStats m_stats;
  double m_first = 0;
  GpuSample m_last;
  double m_util_sum = 0, m_power_sum = 0;
  long m_util_n = 0, m_power_n = 0;
  std::vector<std::pair<std::string, long>> m_power_fields;  // column -> readings
  std::vector<Steps> m_steps;
};

/// One node's samples: a GpuStats per GPU (by index), and how many lines
/// were not readings (a line cut short by a kill, garbage).
struct NodeSamples {
  std::vector<GpuStats> gpus;
  int skipped_lines = 0;
};

/// Reads a file the monitor wrote, either format, a line at a time; the
/// header line says which (a file may repeat it: a requeued job appends).
/// finish() is an error only when no header of either kind was seen.
class SamplesParser {
 public:
  explicit SamplesParser(std::string node);
  ~SamplesParser();
  SamplesParser(const SamplesParser&) = delete;
  SamplesParser& operator=(const SamplesParser&) = delete;
  /// One line without its newline; `complete` is false for a last line
  /// that had none (cut short).
  void line(std::string_view line, bool complete);
  Expected<NodeSamples> finish();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

/// The samples in `text` (a whole file in memory).
Expected<NodeSamples> parse_samples(std::string_view text, const std::string& node);

/// The GPUs' own energy counters as the job script's NVML reader writes
/// them (energy-JOBID-NODE.csv: `time, index, energy.total [mJ], phase`,
/// a start and an end line per GPU, repeated when a requeued job runs
/// again): per GPU index, the sum of end minus start, in Wh. A start
/// without its end (a job killed before the trap ran) counts nothing.
std::map<int, double> parse_energy_counters(std::string_view text);

/// The samples file at `path`, streamed (memory does not grow with it).
Expected<NodeSamples> read_samples_file(const std::filesystem::path& path, const std::string& node);

/// "2026/11/23 15:02:11.123" (nvidia-smi's timestamp) as seconds since the
/// epoch, read as UTC; NaN if it is not one.
double parse_nvidia_timestamp(std::string_view text);

/// What the report needs besides the samples (from plan.json when there).
struct ReportContext {
  std::string job_id;
  std::string system;
  long long gpu_memory_mib = 0;  // one GPU's memory per the catalogue; 0 unknown
  int cpus_per_gpu = 0;          // the site's rule; 0 unknown
  int cpus_per_task = 0;
  std::string efficiency_tool;   // "seff {job}"; "" none
  std::string site_tool;         // how to run the site's in-job tool; "" none
};

struct JobStats {
  int gpus = 0;
  int nodes = 0;
  double gpu_hours = 0;
  double energy_wh = 0;
  double integrated_energy_wh = 0;  // power integrated, over the GPUs that had power readings
  double counter_energy_wh = 0;     // over the GPUs whose counters were read
  int counter_gpus = 0;             // GPUs whose counters were read
  int power_gpus = 0;               // GPUs with power readings
  double mean_utilization = 0;  // mean over GPUs
  std::string verdict;          // good (80 % or more), fair (50 % or more), poor; of the shown mean
};

JobStats job_stats(const std::vector<GpuStats>& gpus);

struct Advice {
  std::string what;  // the thing to do
  std::string why;   // the numbers behind it
};

std::vector<Advice> advise(const std::vector<GpuStats>& gpus, const JobStats& job,
                           const ReportContext& context);

/// What makes a GPU stand out in a large job's report.
struct GpuFlags {
  bool idle = false;         // mean utilisation under 10 %
  bool starved = false;      // 10 % or more, but under 50 %: waiting for data
  bool memory_full = false;  // peak memory 95 % or more of the GPU's
  bool any() const { return idle || starved || memory_full; }
};
GpuFlags gpu_flags(const GpuStats& gpu);

/// One node's GPUs together.
struct NodeSummary {
  std::string node;
  int gpus = 0;
  double mean_utilization = 0;      // mean over its GPUs
  double lowest_utilization = 0;    // its least busy GPU's mean
  double peak_memory_mib = 0;       // its fullest GPU's
  double memory_total_mib = 0;
  double energy_wh = 0;
  bool has_power = false;
  std::vector<double> utilization;  // the mean of its GPUs' series, for a sparkline
};

/// One summary per node, in the order the GPUs come (by node).
std::vector<NodeSummary> node_summaries(const std::vector<GpuStats>& gpus);

/// Values 0..100 as `width` block characters (▁..█), resampled by mean;
/// `ascii` uses " .:-=+*#" instead.
std::string sparkline(const std::vector<double>& values, int width, bool ascii);

/// A chart of utilisation over time as a standalone SVG document: one line
/// per GPU up to `k_chart_lines` GPUs; for more, the band from the least to
/// the most busy GPU and the median over the GPUs, per time slice. Its size
/// and its legend do not grow with the GPUs.
constexpr std::size_t k_chart_lines = 8;
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
