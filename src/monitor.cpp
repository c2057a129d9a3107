// Reading the GPU monitor's samples and turning them into numbers and advice.
//
// Two formats, both CSV, told apart by their header line:
//   nvidia-smi --query-gpu=timestamp,index,utilization.gpu,... --format=csv
//     timestamp, index, utilization.gpu [%], memory.used [MiB], ...
//     2026/11/23 15:02:11.123, 0, 97 %, 61234 MiB, 81920 MiB, 512.34 W
//   rocm-smi --showuse --showpower --showmeminfo vram --csv, each line
//   prefixed with the epoch second by the job script:
//     1763910131,device,Average Graphics Package Power (W),GPU use (%),...
//     1763910131,card0,301.0,97,68702699520,4203741184
// Columns are found by name, so extra or reordered columns do no harm.

#include "mlsub/monitor.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <limits>
#include <map>
#include <optional>

namespace mlsub {
namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) {
    return {};
  }
  const auto last = s.find_last_not_of(" \t\r");
  return s.substr(first, last - first + 1);
}

std::vector<std::string_view> split_csv(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    out.push_back(trim(line.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                           : comma - start)));
    if (comma == std::string_view::npos) {
      break;
    }
    start = comma + 1;
  }
  return out;
}

// "97 %", "61234 MiB", "512.34 W", "301.0" -> the number; "[N/A]",
// "[Not Supported]", "N/A", "" -> NaN.
double number(std::string_view cell) {
  cell = trim(cell);
  const auto end = cell.find_first_of(" %");
  const std::string text(cell.substr(0, end));
  if (text.empty()) {
    return k_nan;
  }
  char* stop = nullptr;
  const double v = std::strtod(text.c_str(), &stop);
  if (stop != text.c_str() + text.size() || !std::isfinite(v)) {
    return k_nan;
  }
  return v;
}

// "utilization.gpu [%]" -> "utilization.gpu".
std::string_view column_name(std::string_view header) {
  return trim(header.substr(0, header.find(" [")));
}

int find_column(const std::vector<std::string_view>& header,
                bool (*match)(std::string_view name)) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (match(header[i])) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

struct Columns {
  bool rocm = false;
  int time = -1;
  int index = -1;
  int util = -1;
  int mem_used = -1;
  int mem_total = -1;
  int power = -1;
  std::size_t count = 0;
};

bool contains(std::string_view s, std::string_view what) {
  return s.find(what) != std::string_view::npos;
}

std::optional<Columns> nvidia_columns(const std::vector<std::string_view>& cells) {
  if (cells.empty() || column_name(cells[0]) != "timestamp") {
    return std::nullopt;
  }
  std::vector<std::string_view> names;
  for (auto c : cells) {
    names.push_back(column_name(c));
  }
  Columns c;
  c.count = cells.size();
  c.time = 0;
  c.index = find_column(names, [](std::string_view n) { return n == "index"; });
  c.util = find_column(names, [](std::string_view n) { return n == "utilization.gpu"; });
  c.mem_used = find_column(names, [](std::string_view n) { return n == "memory.used"; });
  c.mem_total = find_column(names, [](std::string_view n) { return n == "memory.total"; });
  c.power = find_column(names, [](std::string_view n) { return n == "power.draw"; });
  return c;
}

std::optional<Columns> rocm_columns(const std::vector<std::string_view>& cells) {
  if (cells.size() < 3 || (cells[1] != "device" && cells[1] != "Device")) {
    return std::nullopt;
  }
  Columns c;
  c.rocm = true;
  c.count = cells.size();
  c.time = 0;
  c.index = 1;
  c.util = find_column(cells, [](std::string_view n) { return n == "GPU use (%)"; });
  c.mem_used = find_column(cells, [](std::string_view n) { return contains(n, "VRAM Total Used Memory (B)"); });
  c.mem_total = find_column(cells, [](std::string_view n) { return n == "VRAM Total Memory (B)"; });
  c.power = find_column(cells, [](std::string_view n) { return contains(n, "Power (W)"); });
  return c;
}

double cell(const std::vector<std::string_view>& cells, int column) {
  return column < 0 ? k_nan : number(cells[static_cast<std::size_t>(column)]);
}

// days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
long long days_from_civil(long long y, unsigned m, unsigned d) {
  y -= m <= 2;
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = m > 2 ? m - 3 : m + 9;
  const unsigned doy = (153 * mp + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long long>(doe) - 719468;
}

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

double parse_nvidia_timestamp(std::string_view text) {
  // YYYY/MM/DD HH:MM:SS(.fff)
  text = trim(text);
  if (text.size() < 19 || text[4] != '/' || text[7] != '/' || text[10] != ' ' || text[13] != ':' ||
      text[16] != ':') {
    return k_nan;
  }
  auto field = [&](std::size_t at, std::size_t len) {
    int v = -1;
    const auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + len, v);
    return ec == std::errc() && end == text.data() + at + len ? v : -1;
  };
  const int y = field(0, 4), mo = field(5, 2), d = field(8, 2), h = field(11, 2),
            mi = field(14, 2), s = field(17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
      s < 0 || s > 60) {
    return k_nan;
  }
  double fraction = 0;
  if (text.size() > 19) {
    if (text[19] != '.') {
      return k_nan;
    }
    fraction = std::strtod(std::string("0").append(text.substr(19)).c_str(), nullptr);
  }
  return static_cast<double>(days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d))) *
             86400.0 +
         h * 3600.0 + mi * 60.0 + s + fraction;
}

Expected<ParsedSamples> parse_samples(std::string_view text, const std::string& node) {
  ParsedSamples out;
  std::optional<Columns> cols;
  std::map<int, std::size_t> series_of;  // GPU index -> position in out.gpus
  std::size_t start = 0;
  while (start < text.size()) {
    auto newline = text.find('\n', start);
    const bool complete = newline != std::string_view::npos;
    const std::string_view line = text.substr(start, complete ? newline - start : std::string_view::npos);
    start = complete ? newline + 1 : text.size();
    if (trim(line).empty()) {
      continue;
    }
    const auto cells = split_csv(line);
    if (auto c = nvidia_columns(cells)) {
      cols = c;
      continue;
    }
    if (auto c = rocm_columns(cells)) {
      cols = c;
      continue;
    }
    // A reading: as many cells as the header, and the line ended (the
    // last line of a killed sampler may be cut short).
    if (!cols || !complete || cells.size() != cols->count) {
      ++out.skipped_lines;
      continue;
    }
    GpuSample s;
    s.time = cols->rocm ? number(cells[0]) : parse_nvidia_timestamp(cells[0]);
    int index = -1;
    if (cols->index >= 0) {
      std::string_view id = cells[static_cast<std::size_t>(cols->index)];
      if (id.rfind("card", 0) == 0) {
        id.remove_prefix(4);
      }
      int v = 0;
      const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
      if (ec == std::errc() && end == id.data() + id.size()) {
        index = v;
      }
    }
    if (std::isnan(s.time) || index < 0) {
      ++out.skipped_lines;
      continue;
    }
    s.utilization = cell(cells, cols->util);
    s.memory_used_mib = cell(cells, cols->mem_used);
    s.memory_total_mib = cell(cells, cols->mem_total);
    if (cols->rocm) {  // bytes
      s.memory_used_mib /= 1048576.0;
      s.memory_total_mib /= 1048576.0;
    }
    s.power_w = cell(cells, cols->power);
    auto [it, fresh] = series_of.emplace(index, out.gpus.size());
    if (fresh) {
      out.gpus.push_back(GpuSeries{node, index, {}});
    }
    out.gpus[it->second].samples.push_back(s);
  }
  if (!cols) {
    return fail(ErrorKind::io, "no nvidia-smi or rocm-smi CSV header (a line starting "
                               "'timestamp, index' or 'TIME,device')");
  }
  std::sort(out.gpus.begin(), out.gpus.end(),
            [](const GpuSeries& a, const GpuSeries& b) { return a.index < b.index; });
  return out;
}

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

std::vector<Advice> advise(const std::vector<GpuStats>& gpus, const JobStats& job,
                           const ReportContext& c) {
  std::vector<Advice> out;
  if (gpus.empty()) {
    return out;
  }
  // One GPU busy, the others idle: the program drives one GPU only.
  int busy = 0, idle = 0;
  for (const auto& g : gpus) {
    busy += g.mean_utilization >= 50;
    idle += g.mean_utilization < 10;
  }
  const bool one_busy = gpus.size() > 1 && busy == 1 && idle == static_cast<int>(gpus.size()) - 1;
  if (one_busy) {
    out.push_back({"start one process per GPU: use --launcher srun or torchrun (or "
                   "torch.distributed / DDP in the program), not one Python process",
                   fmt::format("one GPU is busy and the other {} are idle (under 10 %)",
                               gpus.size() - 1)});
  } else if (job.mean_utilization < 50) {
    std::string cpus;
    if (c.cpus_per_gpu > 0) {
      cpus = fmt::format(" ({}'s rule is {} CPUs per GPU{})", c.system.empty() ? "the site" : c.system,
                         c.cpus_per_gpu,
                         c.cpus_per_task > 0 ? fmt::format("; the job had {} per task", c.cpus_per_task)
                                             : "");
    }
    out.push_back(
        {fmt::format("feed the GPUs faster: more data-loader workers, "
                     "DataLoader(num_workers=int(os.environ[\"MLSUB_NUM_WORKERS\"])){}, "
                     "and check the data layout with mlsub doctor DATA_DIR",
                     cpus),
         fmt::format("mean GPU utilisation is {:.0f} %, under 50 %: the GPUs mostly wait, "
                     "usually for the data loader",
                     job.mean_utilization)});
  }
  // Memory far below the GPU's.
  double peak = 0, total = 0;
  for (const auto& g : gpus) {
    peak = std::max(peak, g.peak_memory_mib);
    total = std::max(total, g.memory_total_mib);
  }
  if (total <= 0) {
    total = static_cast<double>(c.gpu_memory_mib);
  }
  if (total > 0 && peak > 0 && peak < 0.4 * total) {
    out.push_back({gpus.size() > 1 ? "use a larger batch per GPU, or fewer GPUs"
                                   : "use a larger batch (or a smaller GPU type where the site has one)",
                   fmt::format("peak GPU memory is {:.1f} GiB of {:.0f} GiB ({:.0f} %)",
                               peak / 1024, total / 1024, 100 * peak / total)});
  }
  if (!c.efficiency_tool.empty() && !c.job_id.empty()) {
    std::string tool = c.efficiency_tool;
    if (auto at = tool.find("{job}"); at != std::string::npos) {
      tool.replace(at, 5, c.job_id);
    }
    out.push_back({fmt::format("compare with the site's own view: {}", tool),
                   "the site documents it for checking jobs"});
  }
  return out;
}

std::string sparkline(const std::vector<double>& values, int width, bool ascii) {
  static const char* const blocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  static const char ascii_levels[] = " .:-=+*#";
  std::string out;
  if (values.empty() || width <= 0) {
    return out;
  }
  const std::size_t n = values.size();
  const std::size_t w = std::min<std::size_t>(static_cast<std::size_t>(width), n);
  for (std::size_t i = 0; i < w; ++i) {
    const std::size_t from = i * n / w;
    const std::size_t to = std::max(from + 1, (i + 1) * n / w);
    double sum = 0;
    for (std::size_t k = from; k < to; ++k) {
      sum += values[k];
    }
    const double v = std::clamp(sum / static_cast<double>(to - from), 0.0, 100.0);
    const int level = std::min(7, static_cast<int>(v / 100.0 * 8));
    if (ascii) {
      out += ascii_levels[level];
    } else {
      out += blocks[level];
    }
  }
  return out;
}

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default:
        if (static_cast<unsigned char>(ch) >= 0x20 || ch == '\n') {
          out += ch;
        }
    }
  }
  return out;
}

}  // namespace

std::string utilization_svg(const std::vector<GpuStats>& gpus, const std::string& title) {
  static const char* const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                        "#9467bd", "#8c564b", "#e377c2", "#17becf"};
  const double width = 800, height = 360, left = 60, right = 170, top = 40, bottom = 50;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  double t_max = 0;
  for (const auto& g : gpus) {
    if (!g.times.empty()) {
      t_max = std::max(t_max, g.times.back());
    }
  }
  const bool minutes = t_max > 600;
  const double unit = minutes ? 60.0 : 1.0;
  const double span = std::max(t_max, 1.0);
  std::string s;
  s += fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{3}</text>\n",
      width, height, left, xml_escape(title));
  // Grid and y axis: 0..100 %.
  for (int p = 0; p <= 100; p += 25) {
    const double y = top + plot_h * (1 - p / 100.0);
    s += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n",
                     left, y, left + plot_w, y);
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{} %</text>\n", left - 6,
                     y + 4, p);
  }
  // 50 %: below it the advice says the GPUs wait.
  s += fmt::format(
      "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#c00\" "
      "stroke-dasharray=\"4 4\"/>\n",
      left, top + plot_h / 2, left + plot_w, top + plot_h / 2);
  // x axis: five ticks.
  for (int i = 0; i <= 4; ++i) {
    const double t = span * i / 4;
    const double x = left + plot_w * i / 4;
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.0f}</text>\n", x,
                     top + plot_h + 18, t / unit);
  }
  s += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">time since the first sample "
      "({})</text>\n",
      left + plot_w / 2, height - 10, minutes ? "minutes" : "seconds");
  s += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n", left,
      top, plot_w, plot_h);
  for (std::size_t g = 0; g < gpus.size(); ++g) {
    const auto& gpu = gpus[g];
    const char* colour = colours[g % 8];
    std::string points;
    for (std::size_t i = 0; i < gpu.times.size(); ++i) {
      const double x = left + plot_w * gpu.times[i] / span;
      const double y = top + plot_h * (1 - std::clamp(gpu.utilization[i], 0.0, 100.0) / 100.0);
      points += fmt::format("{}{:.1f},{:.1f}", i ? " " : "", x, y);
    }
    s += fmt::format(
        "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n", colour,
        points);
    const double ly = top + 10 + 18.0 * static_cast<double>(g);
    s += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"12\" fill=\"{}\"/>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\">{} GPU {}: {:.0f} %</text>\n",
        left + plot_w + 12, ly - 10, colour, left + plot_w + 30, ly, xml_escape(gpu.node),
        gpu.index, gpu.mean_utilization);
  }
  s += "</svg>\n";
  return s;
}

}  // namespace mlsub
