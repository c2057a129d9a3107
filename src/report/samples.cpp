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

#include "mlsub/report.hpp"
#include "mlsub/text.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <date/date.h>
#include <fstream>
#include <sstream>
#include <cmath>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/format.h>
#include <limits>
#include <map>
#include <optional>

namespace mlsub {
namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();
const std::string k_power_average = "power.draw.average";

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
  int power_average = -1;  // nvidia-smi's power.draw.average, preferred where it has a value
  std::string power_name;  // the power column's name, for the report
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
  c.power_average = find_column(names, [](std::string_view n) { return n == "power.draw.average"; });
  c.power_name = "power.draw";
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
  if (c.power >= 0) {
    std::string_view name = cells[static_cast<std::size_t>(c.power)];
    if (const auto unit = name.rfind(" (W)"); unit != std::string_view::npos) {
      name = name.substr(0, unit);  // "Average Graphics Package Power (W)" -> "... Power"
    }
    c.power_name = std::string(name);
  }
  return c;
}

double cell(const std::vector<std::string_view>& cells, int column) {
  return column < 0 ? k_nan : number(cells[static_cast<std::size_t>(column)]);
}

}  // namespace

double parse_nvidia_timestamp(std::string_view text) {
  // YYYY/MM/DD HH:MM:SS(.fff); date::parse checks the fields' ranges.
  std::istringstream in{std::string(trim(text))};
  date::sys_time<std::chrono::microseconds> when;
  in >> date::parse("%Y/%m/%d %H:%M:%S", when);
  if (in.fail() || in.peek() != std::char_traits<char>::eof()) {
    return k_nan;
  }
  return std::chrono::duration<double>(when.time_since_epoch()).count();
}

namespace {

// "3", "card3" -> 3; -1 when it is not a GPU index.
int gpu_index(std::string_view id) {
  if (id.rfind("card", 0) == 0) {
    id.remove_prefix(4);
  }
  int v = 0;
  const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), v);
  return ec == std::errc() && end == id.data() + id.size() ? v : -1;
}

// One reading line: the GPU's index and its sample; nullopt when the time
// or the index is unreadable.
std::optional<std::pair<int, GpuSample>> read_sample(const std::vector<std::string_view>& cells,
                                                     const Columns& cols) {
  GpuSample s;
  s.time = cols.rocm ? number(cells[0]) : parse_nvidia_timestamp(cells[0]);
  const int index = cols.index >= 0 ? gpu_index(cells[static_cast<std::size_t>(cols.index)]) : -1;
  if (std::isnan(s.time) || index < 0) {
    return std::nullopt;
  }
  s.utilization = cell(cells, cols.util);
  s.memory_used_mib = cell(cells, cols.mem_used);
  s.memory_total_mib = cell(cells, cols.mem_total);
  if (cols.rocm) {  // bytes
    s.memory_used_mib /= 1048576.0;
    s.memory_total_mib /= 1048576.0;
  }
  s.power_w = cell(cells, cols.power);
  s.power_field = &cols.power_name;
  if (const double average = cell(cells, cols.power_average); !std::isnan(average)) {
    s.power_w = average;
    s.power_field = &k_power_average;
  }
  return std::make_pair(index, s);
}

}  // namespace

struct SamplesParser::State {
  std::string node;
  std::optional<Columns> cols;
  std::map<int, GpuAccumulator> gpus;  // by GPU index
  int skipped_lines = 0;
};

SamplesParser::SamplesParser(std::string node) : m_state(std::make_unique<State>()) {
  m_state->node = std::move(node);
}

SamplesParser::~SamplesParser() = default;

void SamplesParser::line(std::string_view line, bool complete) {
  State& st = *m_state;
  if (trim(line).empty()) {
    return;
  }
  const auto cells = split_csv(line);
  if (auto c = nvidia_columns(cells)) {
    st.cols = c;
    return;
  }
  if (auto c = rocm_columns(cells)) {
    st.cols = c;
    return;
  }
  // A reading: as many cells as the header, and the line ended (the
  // last line of a killed sampler may be cut short).
  if (!st.cols || !complete || cells.size() != st.cols->count) {
    ++st.skipped_lines;
    return;
  }
  const auto reading = read_sample(cells, *st.cols);
  if (!reading) {
    ++st.skipped_lines;
    return;
  }
  const auto& [index, sample] = *reading;
  auto it = st.gpus.find(index);
  if (it == st.gpus.end()) {
    it = st.gpus.emplace(index, GpuAccumulator(st.node, index)).first;
  }
  it->second.add(sample);
}

Expected<NodeSamples> SamplesParser::finish() {
  if (!m_state->cols) {
    return fail(ErrorKind::io, "no nvidia-smi or rocm-smi CSV header (a line starting "
                               "'timestamp, index' or 'TIME,device')");
  }
  NodeSamples out;
  out.skipped_lines = m_state->skipped_lines;
  for (const auto& entry : m_state->gpus) {
    out.gpus.push_back(entry.second.finish());
  }
  return out;
}

Expected<NodeSamples> parse_samples(std::string_view text, const std::string& node) {
  SamplesParser parser(node);
  std::size_t start = 0;
  while (start < text.size()) {
    const auto newline = text.find('\n', start);
    const bool complete = newline != std::string_view::npos;
    parser.line(text.substr(start, complete ? newline - start : std::string_view::npos), complete);
    start = complete ? newline + 1 : text.size();
  }
  return parser.finish();
}

Expected<NodeSamples> read_samples_file(const std::filesystem::path& path, const std::string& node) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail(ErrorKind::io, fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  SamplesParser parser(node);
  for (std::string line; std::getline(in, line);) {
    parser.line(line, !in.eof());
  }
  if (in.bad()) {
    return fail(ErrorKind::io, fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  auto samples = parser.finish();
  if (!samples) {
    return fail(ErrorKind::io, fmt::format("{}: {}", path.string(), samples.error().message));
  }
  return samples;
}

std::map<int, double> parse_energy_counters(std::string_view text) {
  std::map<int, double> joules;
  std::map<int, double> started;  // GPU index -> the counter at the last start, mJ
  std::size_t start = 0;
  while (start < text.size()) {
    const auto newline = text.find('\n', start);
    if (newline == std::string_view::npos) {
      break;  // a last line without its newline was cut short
    }
    const auto cells = split_csv(text.substr(start, newline - start));
    start = newline + 1;
    if (cells.size() != 4) {
      continue;
    }
    const int index = gpu_index(cells[1]);
    const double mj = number(cells[2]);
    if (index < 0 || std::isnan(mj)) {
      continue;  // the header, or garbage
    }
    if (cells[3] == "start") {
      started[index] = mj;
    } else if (const auto it = started.find(index); cells[3] == "end" && it != started.end()) {
      if (mj >= it->second) {  // a driver reload resets the counter: that span is lost
        joules[index] += (mj - it->second) / 1000.0;
      }
      started.erase(it);
    }
  }
  std::map<int, double> wh;
  for (const auto& [index, j] : joules) {
    wh[index] = j / 3600.0;
  }
  return wh;
}

}  // namespace mlsub
