// Pictures of utilisation over time: a terminal sparkline, an SVG chart.

#include <algorithm>
#include <fmt/format.h>

#include "mlsub/report.hpp"

namespace mlsub {

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

namespace {

// Characters of a legend entry that fit the right margin (12 px sans-serif).
constexpr std::size_t k_legend_chars = 22;

// The chart's frame, in pixels.
struct Frame {
  double width = 800, height = 360, left = 60, right = 170, top = 40, bottom = 50;
  double plot_w() const { return width - left - right; }
  double plot_h() const { return height - top - bottom; }
};

// The title, the 0..100 % grid with the 50 % line, the time axis and the box.
std::string svg_axes(const Frame& f, const std::string& title, double span, bool minutes) {
  std::string s = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"{0}\" height=\"{1}\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"15\" font-weight=\"bold\">{3}</text>\n",
      f.width, f.height, f.left, xml_escape(title));
  for (int p = 0; p <= 100; p += 25) {
    const double y = f.top + f.plot_h() * (1 - p / 100.0);
    s += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#ddd\"/>\n",
                     f.left, y, f.left + f.plot_w(), y);
    s += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{} %</text>\n", f.left - 6,
                     y + 4, p);
  }
  // 50 %: below it the advice says the GPUs wait.
  s += fmt::format(
      "<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"#c00\" "
      "stroke-dasharray=\"4 4\"/>\n",
      f.left, f.top + f.plot_h() / 2, f.left + f.plot_w(), f.top + f.plot_h() / 2);
  const double unit = minutes ? 60.0 : 1.0;
  for (int i = 0; i <= 4; ++i) {  // five ticks
    s += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{:.0f}</text>\n",
                     f.left + f.plot_w() * i / 4, f.top + f.plot_h() + 18, span * i / 4 / unit);
  }
  s += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">time since the first sample "
      "({})</text>\n",
      f.left + f.plot_w() / 2, f.height - 10, minutes ? "minutes" : "seconds");
  s += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\"/>\n",
      f.left, f.top, f.plot_w(), f.plot_h());
  return s;
}

// A legend entry: a swatch and its words, on the right of the plot, in
// row `row` (rows are few and fixed: they never leave the picture; words
// are cut to what the margin holds).
std::string svg_legend(const Frame& f, std::size_t row, const char* colour, std::string words) {
  if (words.size() > k_legend_chars) {
    words = words.substr(0, k_legend_chars - 3) + "...";
  }
  const double ly = f.top + 10 + 18.0 * static_cast<double>(row);
  return fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"12\" height=\"12\" fill=\"{}\"/>\n"
      "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
      f.left + f.plot_w() + 12, ly - 10, colour, f.left + f.plot_w() + 30, ly, xml_escape(words));
}

double x_of(const Frame& f, double t, double span) {
  return f.left + f.plot_w() * std::clamp(t / span, 0.0, 1.0);
}
double y_of(const Frame& f, double v) {
  return f.top + f.plot_h() * (1 - std::clamp(v, 0.0, 100.0) / 100.0);
}

// One GPU's line and its legend entry.
std::string svg_series(const Frame& f, const GpuStats& gpu, std::size_t g, double span) {
  static const char* const colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                        "#9467bd", "#8c564b", "#e377c2", "#17becf"};
  const char* colour = colours[g % 8];
  std::string points;
  for (const auto& [t, v] : gpu.series.points()) {
    points += fmt::format("{}{:.1f},{:.1f}", points.empty() ? "" : " ", x_of(f, t, span), y_of(f, v));
  }
  return fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
                     colour, points) +
         svg_legend(f, g, colour, [&gpu] {
           const std::string tail = fmt::format(" GPU {}: {} %", gpu.index,
                                                shown_percent(gpu.mean_utilization));
           const std::size_t room = k_legend_chars > tail.size() + 3 ? k_legend_chars - tail.size() : 3;
           return (gpu.node.size() <= room ? gpu.node : gpu.node.substr(0, room - 2) + "..") + tail;
         }());
}

// Per time slice, over the GPUs: the least, the median and the most busy.
struct Slice {
  double t = 0;
  double low = 0, median = 0, high = 0;
};

std::vector<Slice> slices(const std::vector<GpuStats>& gpus, double span) {
  std::size_t count = 2;
  for (const auto& g : gpus) {
    count = std::max<std::size_t>(count, static_cast<std::size_t>(g.samples));
  }
  count = std::min<std::size_t>(count, UtilizationSeries::k_bins / 2);
  const double width = span / static_cast<double>(count);
  std::vector<std::vector<float>> values(count);  // per slice, one value per GPU that has one
  std::vector<double> sum(count);
  std::vector<int> n(count);
  for (const auto& g : gpus) {
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(n.begin(), n.end(), 0);
    for (const auto& [t, v] : g.series.points()) {
      const auto i = std::min(count - 1, static_cast<std::size_t>(t / width));
      sum[i] += v;
      ++n[i];
    }
    for (std::size_t i = 0; i < count; ++i) {
      if (n[i] > 0) {
        values[i].push_back(static_cast<float>(sum[i] / n[i]));
      }
    }
  }
  std::vector<Slice> out;
  for (std::size_t i = 0; i < count; ++i) {
    auto& v = values[i];
    if (v.empty()) {
      continue;
    }
    const auto mid = v.begin() + static_cast<long>(v.size() / 2);
    std::nth_element(v.begin(), mid, v.end());
    const auto [low, high] = std::minmax_element(v.begin(), v.end());
    out.push_back(Slice{(static_cast<double>(i) + 0.5) * width, static_cast<double>(*low),
                        static_cast<double>(*mid), static_cast<double>(*high)});
  }
  return out;
}

// Many GPUs: the band from the least to the most busy GPU, and the median.
std::string svg_band(const Frame& f, const std::vector<GpuStats>& gpus, double span) {
  const auto cut = slices(gpus, span);
  std::string band;
  std::string median;
  for (const auto& c : cut) {
    band += fmt::format("{}{:.1f},{:.1f}", band.empty() ? "" : " ", x_of(f, c.t, span), y_of(f, c.high));
    median += fmt::format("{}{:.1f},{:.1f}", median.empty() ? "" : " ", x_of(f, c.t, span),
                          y_of(f, c.median));
  }
  for (auto c = cut.rbegin(); c != cut.rend(); ++c) {
    band += fmt::format(" {:.1f},{:.1f}", x_of(f, c->t, span), y_of(f, c->low));
  }
  return fmt::format("<polygon fill=\"#9ecae1\" fill-opacity=\"0.6\" stroke=\"none\" points=\"{}\"/>\n"
                     "<polyline fill=\"none\" stroke=\"#08519c\" stroke-width=\"2\" points=\"{}\"/>\n",
                     band, median) +
         svg_legend(f, 0, "#08519c", fmt::format("median of {} GPUs", gpus.size())) +
         svg_legend(f, 1, "#9ecae1", "min to max GPU") +
         svg_legend(f, 2, "#cc0000", "50 %: GPUs wait");
}

}  // namespace

std::string utilization_svg(const std::vector<GpuStats>& gpus, const std::string& title) {
  double t_max = 0;
  for (const auto& g : gpus) {
    t_max = std::max(t_max, g.seconds);
  }
  const Frame frame;
  const double span = std::max(t_max, 1.0);
  std::string s = svg_axes(frame, title, span, t_max > 600);
  if (gpus.size() > k_chart_lines) {
    s += svg_band(frame, gpus, span);
  } else {
    for (std::size_t g = 0; g < gpus.size(); ++g) {
      s += svg_series(frame, gpus[g], g, span);
    }
  }
  return s + "</svg>\n";
}

}  // namespace mlsub
