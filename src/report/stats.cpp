// Per-GPU and per-job numbers from the samples, folded in as they are read.

#include <algorithm>
#include <cmath>

#include "mlsub/report.hpp"

namespace mlsub {

int shown_percent(double percent) {
  return std::isfinite(percent) ? static_cast<int>(std::lround(percent)) : 0;
}

// ---- the series for the pictures -------------------------------------------

void UtilizationSeries::add(double seconds, double utilization) {
  if (m_bins.empty()) {
    m_bins.resize(k_bins);
  }
  const double t = std::max(seconds, 0.0);
  while (t >= m_width * static_cast<double>(k_bins)) {
    for (std::size_t i = 0; i < k_bins / 2; ++i) {
      m_bins[i] = Bin{m_bins[2 * i].sum + m_bins[2 * i + 1].sum,
                      m_bins[2 * i].count + m_bins[2 * i + 1].count};
    }
    std::fill(m_bins.begin() + k_bins / 2, m_bins.end(), Bin{});
    m_width *= 2;
  }
  Bin& bin = m_bins[static_cast<std::size_t>(t / m_width)];
  bin.sum += static_cast<float>(std::isnan(utilization) ? 0.0 : std::clamp(utilization, 0.0, 100.0));
  bin.count += 1;
}

std::vector<std::pair<double, double>> UtilizationSeries::points() const {
  std::vector<std::pair<double, double>> out;
  for (std::size_t i = 0; i < m_bins.size(); ++i) {
    if (m_bins[i].count > 0) {
      out.emplace_back((static_cast<double>(i) + 0.5) * m_width,
                       static_cast<double>(m_bins[i].sum / m_bins[i].count));
    }
  }
  return out;
}

std::vector<double> UtilizationSeries::values() const {
  std::vector<double> out;
  for (const auto& bin : m_bins) {
    if (bin.count > 0) {
      out.push_back(static_cast<double>(bin.sum / bin.count));
    }
  }
  return out;
}

// ---- one GPU ----------------------------------------------------------------

GpuAccumulator::GpuAccumulator(std::string node, int index) {
  m_stats.node = std::move(node);
  m_stats.index = index;
}

void GpuAccumulator::add(const GpuSample& s) {
  GpuStats& st = m_stats;
  if (st.samples == 0) {
    m_first = s.time;
  } else if (const double dt = s.time - m_last.time; dt > 0) {
    const int key = static_cast<int>(std::floor(std::log2(dt) * 16));
    auto it = std::find_if(m_steps.begin(), m_steps.end(), [key](const Steps& b) { return b.key == key; });
    if (it == m_steps.end()) {
      m_steps.push_back(Steps{key, 0, 0, 0});
      it = m_steps.end() - 1;
    }
    ++it->count;
    it->seconds += dt;
    if (!std::isnan(s.power_w) && !std::isnan(m_last.power_w)) {
      it->joules += (s.power_w + m_last.power_w) / 2 * dt;
    }
  }
  ++st.samples;
  st.seconds = std::max(st.seconds, s.time - m_first);
  st.series.add(s.time - m_first, s.utilization);
  if (!std::isnan(s.utilization)) {
    m_util_sum += s.utilization;
    ++m_util_n;
    st.peak_utilization = std::max(st.peak_utilization, s.utilization);
  }
  if (!std::isnan(s.memory_used_mib)) {
    st.peak_memory_mib = std::max(st.peak_memory_mib, s.memory_used_mib);
  }
  if (!std::isnan(s.memory_total_mib)) {
    st.memory_total_mib = std::max(st.memory_total_mib, s.memory_total_mib);
  }
  if (!std::isnan(s.power_w)) {
    m_power_sum += s.power_w;
    ++m_power_n;
    if (s.power_field != nullptr) {
      auto it = std::find_if(m_power_fields.begin(), m_power_fields.end(),
                             [&s](const auto& f) { return f.first == *s.power_field; });
      if (it == m_power_fields.end()) {
        m_power_fields.emplace_back(*s.power_field, 0);
        it = m_power_fields.end() - 1;
      }
      ++it->second;
    }
  }
  m_last = s;
  m_last.power_field = nullptr;  // it points into the parser's header
}

GpuStats GpuAccumulator::finish() const {
  GpuStats st = m_stats;
  st.mean_utilization = m_util_n ? m_util_sum / static_cast<double>(m_util_n) : 0;
  st.mean_power_w = m_power_n ? m_power_sum / static_cast<double>(m_power_n) : 0;
  st.has_power = m_power_n > 0;
  // The usual step: the median of all steps (the upper one of an even
  // count), read from the histogram.
  std::vector<Steps> steps = m_steps;
  std::sort(steps.begin(), steps.end(), [](const Steps& a, const Steps& b) { return a.key < b.key; });
  long total = 0;
  for (const auto& b : steps) {
    total += b.count;
  }
  double usual = 0;
  long seen = 0;
  for (const auto& b : steps) {
    seen += b.count;
    if (seen > total / 2) {
      usual = b.seconds / static_cast<double>(b.count);
      break;
    }
  }
  double joules = 0;
  for (const auto& b : steps) {
    if (usual <= 0 || b.seconds / static_cast<double>(b.count) <= 10 * usual) {
      joules += b.joules;
    }
  }
  st.energy_wh = st.integrated_energy_wh = joules / 3600.0;
  // The power column of most readings (power.draw.average where the driver
  // gave one, else power.draw).
  long most = 0;
  for (const auto& [field, n] : m_power_fields) {
    if (n > most) {
      most = n;
      st.power_field = field;
    }
  }
  return st;
}

// ---- the job ----------------------------------------------------------------

JobStats job_stats(const std::vector<GpuStats>& gpus) {
  JobStats j;
  j.gpus = static_cast<int>(gpus.size());
  double util = 0;
  const std::string* node = nullptr;
  for (const auto& g : gpus) {
    j.gpu_hours += g.seconds / 3600.0;
    j.energy_wh += g.energy_wh;
    if (g.has_power) {
      j.integrated_energy_wh += g.integrated_energy_wh;
      ++j.power_gpus;
    }
    if (g.counter_energy_wh) {
      j.counter_energy_wh += *g.counter_energy_wh;
      ++j.counter_gpus;
    }
    util += g.mean_utilization;
    if (node == nullptr || *node != g.node) {
      ++j.nodes;
      node = &g.node;
    }
  }
  j.mean_utilization = gpus.empty() ? 0 : util / static_cast<double>(gpus.size());
  const int shown = shown_percent(j.mean_utilization);
  j.verdict = shown >= 80 ? "good" : shown >= 50 ? "fair" : "poor";
  return j;
}

GpuFlags gpu_flags(const GpuStats& gpu) {
  GpuFlags f;
  const int mean = shown_percent(gpu.mean_utilization);
  f.idle = mean < 10;
  f.starved = !f.idle && mean < 50;
  f.memory_full = gpu.memory_total_mib > 0 &&
                  shown_percent(100 * gpu.peak_memory_mib / gpu.memory_total_mib) >= 95;
  return f;
}

std::vector<NodeSummary> node_summaries(const std::vector<GpuStats>& gpus) {
  std::vector<NodeSummary> out;
  std::vector<std::size_t> lengths;
  for (const auto& g : gpus) {
    if (out.empty() || out.back().node != g.node) {
      out.push_back(NodeSummary{g.node, 0, 0, g.mean_utilization, 0, 0, 0, false, {}});
    }
    NodeSummary& n = out.back();
    ++n.gpus;
    n.mean_utilization += g.mean_utilization;
    n.lowest_utilization = std::min(n.lowest_utilization, g.mean_utilization);
    n.peak_memory_mib = std::max(n.peak_memory_mib, g.peak_memory_mib);
    n.memory_total_mib = std::max(n.memory_total_mib, g.memory_total_mib);
    n.energy_wh += g.energy_wh;
    n.has_power = n.has_power || g.has_energy();
    // The node's series: its GPUs' series added up (they sample together).
    const auto values = g.series.values();
    if (n.gpus == 1) {
      n.utilization = values;
    } else {
      n.utilization.resize(std::min(n.utilization.size(), values.size()));
      for (std::size_t i = 0; i < n.utilization.size(); ++i) {
        n.utilization[i] += values[i];
      }
    }
  }
  for (auto& n : out) {
    n.mean_utilization /= n.gpus;
    for (auto& v : n.utilization) {
      v /= n.gpus;
    }
  }
  return out;
}

}  // namespace mlsub
