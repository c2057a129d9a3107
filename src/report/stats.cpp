// Per-GPU and per-job numbers from the samples.

#include <algorithm>
#include <cmath>

#include "mlsub/report.hpp"

namespace mlsub {
namespace {

double median_step(const std::vector<double>& times) {
  std::vector<double> steps;
  for (std::size_t i = 1; i < times.size(); ++i) {
    if (times[i] > times[i - 1]) {
      steps.push_back(times[i] - times[i - 1]);
    }
  }
  if (steps.empty()) {
    return 0;
  }
  std::nth_element(steps.begin(), steps.begin() + static_cast<long>(steps.size() / 2), steps.end());
  return steps[steps.size() / 2];
}

}  // namespace

GpuStats gpu_stats(const GpuSeries& series) {
  GpuStats st;
  st.node = series.node;
  st.index = series.index;
  st.samples = static_cast<int>(series.samples.size());
  if (series.samples.empty()) {
    return st;
  }
  const double t0 = series.samples.front().time;
  double util_sum = 0, power_sum = 0;
  int util_n = 0, power_n = 0;
  for (const auto& s : series.samples) {
    st.times.push_back(s.time - t0);
    st.utilization.push_back(std::isnan(s.utilization) ? 0.0 : s.utilization);
    if (!std::isnan(s.utilization)) {
      util_sum += s.utilization;
      ++util_n;
      st.peak_utilization = std::max(st.peak_utilization, s.utilization);
    }
    if (!std::isnan(s.memory_used_mib)) {
      st.peak_memory_mib = std::max(st.peak_memory_mib, s.memory_used_mib);
    }
    if (!std::isnan(s.memory_total_mib)) {
      st.memory_total_mib = std::max(st.memory_total_mib, s.memory_total_mib);
    }
    if (!std::isnan(s.power_w)) {
      power_sum += s.power_w;
      ++power_n;
    }
  }
  st.mean_utilization = util_n ? util_sum / util_n : 0;
  st.mean_power_w = power_n ? power_sum / power_n : 0;
  st.has_power = power_n > 0;
  st.seconds = series.samples.back().time - t0;
  // Trapezoids between readings; a gap much longer than the sampling
  // interval (a requeued job waiting in the queue) is not counted.
  const double step = median_step(st.times);
  double joules = 0;
  for (std::size_t i = 1; i < series.samples.size(); ++i) {
    const auto& a = series.samples[i - 1];
    const auto& b = series.samples[i];
    const double dt = b.time - a.time;
    if (dt <= 0 || std::isnan(a.power_w) || std::isnan(b.power_w) || (step > 0 && dt > 10 * step)) {
      continue;
    }
    joules += (a.power_w + b.power_w) / 2 * dt;
  }
  st.energy_wh = joules / 3600.0;
  return st;
}

JobStats job_stats(const std::vector<GpuStats>& gpus) {
  JobStats j;
  j.gpus = static_cast<int>(gpus.size());
  double util = 0;
  for (const auto& g : gpus) {
    j.gpu_hours += g.seconds / 3600.0;
    j.energy_wh += g.energy_wh;
    util += g.mean_utilization;
  }
  j.mean_utilization = gpus.empty() ? 0 : util / static_cast<double>(gpus.size());
  j.verdict = j.mean_utilization >= 80 ? "good" : j.mean_utilization >= 50 ? "fair" : "poor";
  return j;
}

}  // namespace mlsub
