// The GPU monitor's samples, read back: tests/fixtures/monitor (see its
// README for how each file was made and the values it holds).
#include <catch2/catch.hpp>

#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <sstream>

#include "mlsub/report.hpp"

using namespace mlsub;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(MLSUB_TEST_DATA_DIR "/fixtures/monitor/" + name, std::ios::binary);
  REQUIRE(in);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<GpuStats> stats_of(const NodeSamples& parsed) { return parsed.gpus; }

}  // namespace

TEST_CASE("nvidia-smi timestamps are read as UTC seconds", "[monitor]") {
  CHECK(parse_nvidia_timestamp("1970/01/01 00:00:00.000") == Approx(0));
  CHECK(parse_nvidia_timestamp("2026/11/23 15:02:11.123") == Approx(1795446131.123));
  CHECK(std::isnan(parse_nvidia_timestamp("Mon Nov 23 15:02:11 2026")));
  CHECK(std::isnan(parse_nvidia_timestamp("2026/13/23 15:02:11")));
}

TEST_CASE("nvidia-smi CSV: known means, peaks and energy", "[monitor]") {
  auto parsed = parse_samples(fixture("nvidia/gpu-4242-gpu01.csv"), "gpu01");
  REQUIRE(parsed);
  CHECK(parsed->skipped_lines == 1);  // the line cut short at the end
  REQUIRE(parsed->gpus.size() == 4);
  const auto gpus = stats_of(*parsed);
  CHECK(gpus[0].node == "gpu01");
  CHECK(gpus[0].samples == 5);
  CHECK(gpus[0].seconds == Approx(120));
  CHECK(gpus[0].mean_utilization == Approx(94));
  CHECK(gpus[0].peak_utilization == Approx(100));
  CHECK(gpus[0].peak_memory_mib == Approx(32000));
  CHECK(gpus[0].memory_total_mib == Approx(40960));
  CHECK(gpus[0].energy_wh == Approx(400.0 * 120 / 3600));
  CHECK(gpus[0].mean_power_w == Approx(400));
  CHECK(gpus[1].mean_utilization == Approx(30));
  CHECK(gpus[1].energy_wh == Approx(10));
  CHECK(gpus[1].mean_power_w == Approx(300));
  CHECK(gpus[2].energy_wh == Approx(1));  // segments next to [N/A] left out
  CHECK(gpus[2].mean_power_w == Approx(60));
  CHECK(gpus[3].mean_utilization == Approx(0));  // [Not Supported] is no reading
  CHECK(gpus[3].energy_wh == Approx(50.0 * 120 / 3600));
  const JobStats job = job_stats(gpus);
  CHECK(job.gpus == 4);
  CHECK(job.gpu_hours == Approx(4 * 120.0 / 3600));
  CHECK(job.energy_wh == Approx(13.3333 + 10 + 1 + 1.66667).epsilon(1e-4));
  CHECK(job.mean_utilization == Approx(31));
  CHECK(job.verdict == "poor");
}

TEST_CASE("power.draw.average is integrated where it has a value, power.draw elsewhere",
          "[monitor]") {
  auto parsed = parse_samples(fixture("nvidia-counter/gpu-4343-gpu01.csv"), "gpu01");
  REQUIRE(parsed);
  REQUIRE(parsed->gpus.size() == 2);
  const auto gpus = stats_of(*parsed);
  // GPU 0: power.draw.average 400 W, power.draw 410 W: the average is used.
  CHECK(gpus[0].integrated_energy_wh == Approx(400.0 * 120 / 3600));
  CHECK(gpus[0].power_field == "power.draw.average");
  CHECK(gpus[0].energy_method() == "power.draw.average");
  // GPU 1: power.draw.average [N/A] (as on an A100): power.draw, 200 W.
  CHECK(gpus[1].integrated_energy_wh == Approx(200.0 * 120 / 3600));
  CHECK(gpus[1].power_field == "power.draw");
  CHECK_FALSE(gpus[0].counter_energy_wh.has_value());
  // The older format, without the column: power.draw.
  auto old = parse_samples(fixture("nvidia/gpu-4242-gpu01.csv"), "gpu01");
  REQUIRE(old);
  CHECK(old->gpus[0].energy_method() == "power.draw");
}

TEST_CASE("NVML energy counters: end minus start per GPU; a start without an end counts nothing",
          "[monitor]") {
  const auto wh = parse_energy_counters(fixture("nvidia-counter/energy-4343-gpu01.csv"));
  REQUIRE(wh.size() == 2);
  CHECK(wh.at(0) == Approx(400.0 * 121 / 3600));
  CHECK(wh.at(1) == Approx(200.0 * 121 / 3600));
  // A requeued job: two start/end pairs add up; a counter that went down
  // (the driver reloaded) loses that span; a cut last line is skipped.
  const auto requeued = parse_energy_counters(
      "time, index, energy.total [mJ], phase\n"
      "1.0, 0, 1000, start\n2.0, 0, 3601000, end\n"
      "9.0, 0, 9000000, start\n10.0, 0, 12600000, end\n"
      "20.0, 1, 9000000, start\n21.0, 1, 5000, end\n"
      "30.0, 2, 0, start\n31.0, 2, 3600000, e");
  CHECK(requeued.at(0) == Approx(2.0));
  CHECK(requeued.count(1) == 0);
  CHECK(requeued.count(2) == 0);
  CHECK(parse_energy_counters("").empty());
}

TEST_CASE("rocm-smi CSV with the script's timestamp column", "[monitor]") {
  auto parsed = parse_samples(fixture("amd/gpu-5151-nid005001.csv"), "nid005001");
  REQUIRE(parsed);
  CHECK(parsed->skipped_lines == 0);
  REQUIRE(parsed->gpus.size() == 2);
  const auto gpus = stats_of(*parsed);
  CHECK(gpus[0].index == 0);
  CHECK(gpus[0].mean_utilization == Approx(98));
  CHECK(gpus[0].peak_memory_mib == Approx(16384));
  CHECK(gpus[0].memory_total_mib == Approx(65520));
  CHECK(gpus[0].energy_wh == Approx(300.0 * 20 / 3600));
  CHECK(gpus[1].index == 1);
  CHECK(gpus[1].energy_wh == Approx(0));  // N/A power on the odd GCD
  CHECK(gpus[1].mean_utilization == Approx(0));
}

TEST_CASE("advice: low utilisation names the site's CPU rule and doctor", "[monitor]") {
  auto parsed = parse_samples(fixture("nvidia/gpu-4242-gpu01.csv"), "gpu01");
  REQUIRE(parsed);
  const auto gpus = stats_of(*parsed);
  ReportContext c;
  c.job_id = "4242";
  c.system = "mahti";
  c.cpus_per_gpu = 32;
  c.efficiency_tool = "seff {job}";
  const auto advice = advise(gpus, job_stats(gpus), c);
  REQUIRE(advice.size() == 2);
  CHECK_THAT(advice[0].what, Catch::Contains("num_workers") && Catch::Contains("mahti's rule is 32 CPUs per GPU") &&
                                 Catch::Contains("mlsub doctor"));
  CHECK_THAT(advice[0].why, Catch::Contains("31 %"));
  CHECK(advice[1].what == "compare with the site's own view: seff 4242");
}

TEST_CASE("advice: the site's in-job tool (Alps' jobreport) and efficiency command", "[monitor]") {
  auto parsed = parse_samples(fixture("nvidia/gpu-4242-gpu01.csv"), "gpu01");
  REQUIRE(parsed);
  const auto gpus = stats_of(*parsed);
  ReportContext c;
  c.job_id = "77";
  c.site_tool = "srun ./jobreport -o report -- PROGRAM, then ./jobreport print report";
  auto advice = advise(gpus, job_stats(gpus), c);
  REQUIRE_FALSE(advice.empty());
  CHECK_THAT(advice.back().what, Catch::Contains("run the program under its tool: srun ./jobreport"));
  c.site_tool.clear();
  c.efficiency_tool = "seff {job}";
  advice = advise(gpus, job_stats(gpus), c);
  CHECK_THAT(advice.back().what, Catch::Contains("seff 77"));
  c.efficiency_tool.clear();  // Roihu: none documented, no such advice
  for (const auto& a : advise(gpus, job_stats(gpus), c)) {
    CHECK_THAT(a.what, !Catch::Contains("site's"));
  }
}

TEST_CASE("advice: one GPU busy and the rest idle; memory far below the GPU's", "[monitor]") {
  auto parsed = parse_samples(fixture("amd/gpu-5151-nid005001.csv"), "n");
  REQUIRE(parsed);
  const auto gpus = stats_of(*parsed);
  const auto advice = advise(gpus, job_stats(gpus), ReportContext{});
  REQUIRE(advice.size() == 2);
  CHECK_THAT(advice[0].what, Catch::Contains("one process per GPU"));
  CHECK_THAT(advice[1].what, Catch::Contains("larger batch"));
  CHECK_THAT(advice[1].why, Catch::Contains("16.0 GiB of 64 GiB"));
}

TEST_CASE("samples without a header are an error; garbage lines are counted", "[monitor]") {
  CHECK_FALSE(parse_samples("hello\nworld\n", "n"));
  auto parsed = parse_samples(
      "timestamp, index, utilization.gpu [%]\n2026/11/23 15:02:11.123, 0, 50 %\nnot a line\n", "n");
  REQUIRE(parsed);
  CHECK(parsed->skipped_lines == 1);
  REQUIRE(parsed->gpus.size() == 1);
  CHECK(parsed->gpus[0].mean_utilization == Approx(50));
}

TEST_CASE("sparklines: blocks by level, resampled to the width, ASCII fallback", "[monitor]") {
  CHECK(sparkline({0, 50, 100}, 10, false) == "▁▅█");
  CHECK(sparkline({0, 50, 100}, 10, true) == " =#");
  CHECK(sparkline({0, 0, 100, 100}, 2, false) == "▁█");
  CHECK(sparkline({}, 10, false).empty());
}

TEST_CASE("the chart is one SVG document with a line per GPU", "[monitor]") {
  auto parsed = parse_samples(fixture("nvidia/gpu-4242-gpu01.csv"), "gpu<01>");
  REQUIRE(parsed);
  const std::string svg = utilization_svg(stats_of(*parsed), "Job 4242 & co");
  CHECK(svg.rfind("<?xml", 0) == 0);
  CHECK_THAT(svg, Catch::Contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK_THAT(svg, Catch::Contains("Job 4242 &amp; co"));
  CHECK_THAT(svg, Catch::Contains("gpu&lt;01&gt; GPU 0: 94 %"));
  std::size_t lines = 0;
  for (auto at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) {
    ++lines;
  }
  CHECK(lines == 4);
  CHECK(svg.substr(svg.size() - 7) == "</svg>\n");
}

// ---- at scale ---------------------------------------------------------------

namespace {

// One GPU's readings, `count` of them `step` seconds apart from `start`.
GpuStats gpu_of(const std::string& node, int index, int count, double step,
                const std::function<GpuSample(int)>& reading) {
  GpuAccumulator acc(node, index);
  for (int i = 0; i < count; ++i) {
    GpuSample s = reading(i);
    s.time = 1795446131 + i * step + s.time;
    acc.add(s);
  }
  return acc.finish();
}

}  // namespace

TEST_CASE("a day of readings folds into fixed-size statistics; a requeue gap holds no energy",
          "[monitor]") {
  // 2880 readings 30 s apart, then the job waits in the queue for 6 hours
  // (requeued) and runs 100 more.
  const auto gpu = gpu_of("n", 0, 2980, 30, [](int i) {
    GpuSample s;
    s.time = i >= 2880 ? 6 * 3600 : 0;
    s.utilization = i >= 2880 ? 20 : 100;
    s.memory_used_mib = i == 7 ? 1000 : 10;
    s.memory_total_mib = 2000;
    s.power_w = 360;
    return s;
  });
  CHECK(gpu.samples == 2980);
  CHECK(gpu.mean_utilization == Approx((2880 * 100 + 100 * 20) / 2980.0));
  CHECK(gpu.peak_memory_mib == Approx(1000));
  CHECK(gpu.seconds == Approx(2979 * 30 + 6 * 3600));
  CHECK(gpu.energy_wh == Approx(360.0 * 30 * 2978 / 3600));  // every step but the gap
  CHECK(gpu.series.points().size() <= UtilizationSeries::k_bins);
  CHECK(gpu.series.bin_width() * UtilizationSeries::k_bins > gpu.seconds);
  for (const auto& [t, v] : gpu.series.points()) {
    CHECK(v == Approx(t - gpu.series.bin_width() / 2 < 2880 * 30 ? 100 : 20));  // the gap is far wider than a bin
  }
}

TEST_CASE("rounding: the verdict and the advice judge the number they print", "[monitor]") {
  GpuStats g;
  g.node = "n";
  g.samples = 2500;
  g.seconds = 3600;
  g.mean_utilization = 49.9996;  // printed as 50 %
  CHECK(shown_percent(g.mean_utilization) == 50);
  const JobStats job = job_stats({g});
  CHECK(job.verdict == "fair");
  for (const auto& a : advise({g}, job, ReportContext{})) {
    CHECK_THAT(a.why, !Catch::Contains("under 50 %"));
  }
  g.mean_utilization = 49.4;  // printed as 49 %
  const JobStats poor = job_stats({g});
  CHECK(poor.verdict == "poor");
  const auto advice = advise({g}, poor, ReportContext{});
  REQUIRE_FALSE(advice.empty());
  CHECK_THAT(advice[0].why, Catch::Contains("is 49 %, under 50 %"));
  g.mean_utilization = 79.5;  // printed as 80 %
  CHECK(job_stats({g}).verdict == "good");
  g.mean_utilization = 9.6;  // printed as 10 %: starved, not idle
  CHECK_FALSE(gpu_flags(g).idle);
  CHECK(gpu_flags(g).starved);
}

TEST_CASE("the chart of a thousand GPUs is a band of fixed size with its legend on the picture",
          "[monitor]") {
  std::vector<GpuStats> gpus;
  for (int node = 0; node < 256; ++node) {
    for (int index = 0; index < 4; ++index) {
      gpus.push_back(gpu_of(fmt::format("nid{:06d}", node), index, 2880, 30, [&](int i) {
        GpuSample s;
        s.utilization = (node * 4 + index + i) % 101;
        s.power_w = 300;
        return s;
      }));
    }
  }
  const std::string svg = utilization_svg(gpus, "Job 1");
  CHECK(svg.size() < 100 * 1024);
  CHECK_THAT(svg, Catch::Contains("median of 1024 GPUs"));
  CHECK_THAT(svg, Catch::Contains("<polygon"));
  CHECK_THAT(svg, !Catch::Contains("nid000000 GPU"));  // no legend entry per GPU
  const auto nodes = node_summaries(gpus);
  REQUIRE(nodes.size() == 256);
  CHECK(nodes[1].gpus == 4);
  CHECK(nodes[1].mean_utilization == Approx((gpus[4].mean_utilization + gpus[5].mean_utilization +
                                             gpus[6].mean_utilization + gpus[7].mean_utilization) /
                                            4));
  CHECK_FALSE(nodes[1].utilization.empty());
}
