// mlsub's benchmark: whole-process timings against /bin/true, a 1,000-point
// sweep, peak memory, and in-process plan+render throughput, each next to
// its budget. Prints one table; medians of repeated runs. Not a test:
// nothing here fails on a slow machine (the exit code is 0 whether budgets
// are met or not; the table says which).
//
//   mlsub_bench MLSUB_BINARY SOURCE_DIR [RUNS]

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mlsub/catalogue.hpp"
#include "mlsub/planner.hpp"
#include "mlsub/render.hpp"
#include "process_stats.hpp"

namespace {

using mlsub::bench::Clock;
using mlsub::bench::median;
using mlsub::bench::time_process;

// In-process rates for the LUMI 8-GPU job: plans per second, renders per
// second, and plans+renders per second. Catalogue and templates are loaded
// once, as a long-running caller (a sweep, a service) would.
struct Rates {
  double plan = 0;
  double render = 0;
  double both = 0;
};

template <typename Body>
double per_second(double seconds, Body&& body) {
  long done = 0;
  const auto start = Clock::now();
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int i = 0; i < 500; ++i) {
      body();
    }
    done += 500;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  }
  return static_cast<double>(done) / elapsed;
}

struct Fixture {
  mlsub::System system;
  mlsub::Request request;
  mlsub::Plan plan;
  mlsub::TemplateSet templates;
};

Fixture load_fixture(const std::string& source_dir) {
  const mlsub::Catalogue catalogue({source_dir + "/systems"});
  const auto system = catalogue.load("lumi");
  if (!system) {
    std::fprintf(stderr, "mlsub_bench: %s\n", system.error().message.c_str());
    std::exit(1);
  }
  mlsub::Request request;
  request.system = "lumi";
  request.gpus = 8;
  request.program = "train.py";
  request.args = {"--epochs", "10", "--lr", "3e-4"};
  request.command_line = {"mlsub", "plan", "--system", "lumi", "--gpus", "8", "train.py"};
  const auto first = mlsub::plan_job(*system, request);
  if (!first) {
    std::fprintf(stderr, "mlsub_bench: %s\n", first.error().message.c_str());
    std::exit(1);
  }
  auto templates = mlsub::TemplateSet::load({source_dir + "/templates"}, first->launcher);
  if (!templates) {
    std::fprintf(stderr, "mlsub_bench: %s\n", templates.error().message.c_str());
    std::exit(1);
  }
  return Fixture{*system, request, *first, std::move(*templates)};
}

Rates in_process_rates(const Fixture& f, double seconds, std::size_t& bytes) {
  Rates r;
  r.plan = per_second(seconds, [&] { bytes += mlsub::plan_job(f.system, f.request)->partition.size(); });
  r.render = per_second(seconds, [&] { bytes += f.templates.render(f.plan, "bench")->size(); });
  r.both = per_second(seconds, [&] {
    const auto plan = mlsub::plan_job(f.system, f.request);
    bytes += f.templates.render(*plan, "bench")->size();
  });
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  // --count N SOURCE_DIR: exactly N plans+renders and nothing else, for
  // counting instructions per plan+render with callgrind (see README.md).
  if (argc == 4 && std::string(argv[1]) == "--count") {
    const Fixture f = load_fixture(argv[3]);
    std::size_t bytes = 0;
    for (long i = std::atol(argv[2]); i > 0; --i) {
      const auto plan = mlsub::plan_job(f.system, f.request);
      bytes += f.templates.render(*plan, "bench")->size();
    }
    return bytes > 0 ? 0 : 1;
  }
  if (argc < 3) {
    std::fprintf(stderr, "usage: mlsub_bench MLSUB_BINARY SOURCE_DIR [RUNS]\n");
    return 2;
  }
  const std::string mlsub = argv[1];
  const std::string source = argv[2];
  const int runs = argc > 3 ? std::max(20, std::atoi(argv[3])) : 50;

  const std::vector<std::string> plan_args = {mlsub,    "plan",  "--system", "lumi",
                                               "--gpus",  "8",     "train.py"};
  // A 1,000-point sweep: three parameters of ten values each, one array job.
  std::string ten;
  for (int v = 1; v <= 10; ++v) {
    ten += (v > 1 ? "," : "") + std::to_string(v);
  }
  const std::vector<std::string> sweep_args = {
      mlsub,   "plan",        "--system", "lumi",         "--gpus",  "8",       "--sweep",
      "lr=" + ten, "--sweep", "batch=" + ten, "--sweep", "seed=" + ten, "train.py"};

  const auto truth = time_process({"/bin/true"}, runs);
  const auto plan = time_process(plan_args, runs);
  const auto systems = time_process({mlsub, "systems"}, runs);
  const auto sweep = time_process(sweep_args, runs);
  const auto truth_memory = time_process({"/bin/true"}, 9, true);
  const auto plan_memory = time_process(plan_args, 9, true);
  const auto sweep_memory = time_process(sweep_args, 9, true);
  std::size_t bytes = 0;
  const Fixture fixture = load_fixture(source);
  std::vector<double> plans;
  std::vector<double> renders;
  std::vector<double> both;
  for (int i = 0; i < 5; ++i) {
    const Rates r = in_process_rates(fixture, 0.3, bytes);
    plans.push_back(r.plan);
    renders.push_back(r.render);
    both.push_back(r.both);
  }
  const double ratio = plan.median_ms / truth.median_ms;
  const double rate = median(both);
  const double peak = std::max(plan_memory.peak_rss_mib, sweep_memory.peak_rss_mib);
  const auto verdict = [](bool met) { return met ? "met" : "MISSED"; };

  fmt::print("mlsub benchmark ({} runs per command, medians)\n\n", runs);
  fmt::print("| {:<46} | {:>14} | {:>8} | {:>12} | {:<6} |\n", "what", "median", "ratio",
             "budget", "");
  fmt::print("|{:-<48}|{:->16}|{:->10}|{:->14}|{:-<8}|\n", "", "", "", "", "");
  fmt::print("| {:<46} | {:>11.2f} ms | {:>7.1f}x | {:>12} | {:<6} |\n", "/bin/true",
             truth.median_ms, 1.0, "", "");
  fmt::print("| {:<46} | {:>11.2f} ms | {:>7.1f}x | {:>12} | {:<6} |\n",
             "mlsub plan --system lumi --gpus 8 train.py", plan.median_ms, ratio, "<= 3x",
             verdict(ratio <= 3));
  fmt::print("| {:<46} | {:>11.2f} ms | {:>7.1f}x | {:>12} | {:<6} |\n",
             "mlsub systems (reads every file)", systems.median_ms,
             systems.median_ms / truth.median_ms, "", "");
  fmt::print("| {:<46} | {:>11.2f} ms | {:>7.1f}x | {:>12} | {:<6} |\n",
             "mlsub plan, a 1,000-point sweep", sweep.median_ms,
             sweep.median_ms / truth.median_ms, "< 100 ms", verdict(sweep.median_ms < 100));
  fmt::print("| {:<46} | {:>11.0f}/s | {:>8} | {:>12} | {:<6} |\n",
             "in-process plan only (lumi, 8 GPUs)", median(plans), "", "", "");
  fmt::print("| {:<46} | {:>11.0f}/s | {:>8} | {:>12} | {:<6} |\n", "in-process render only",
             median(renders), "", "", "");
  fmt::print("| {:<46} | {:>11.0f}/s | {:>8} | {:>12} | {:<6} |\n",
             "in-process plan+render, one core", rate, "", ">= 50,000/s", verdict(rate >= 50000));
  fmt::print("| {:<46} | {:>10.1f} MiB | {:>8} | {:>12} | {:<6} |\n",
             "peak RSS (mlsub plan; the 1,000-point sweep)", peak, "", "< 15 MiB",
             verdict(peak < 15));
  fmt::print("\npeak RSS: /bin/true {:.1f} MiB, plan {:.1f} MiB, sweep {:.1f} MiB (ru_maxrss, "
             "spawned through /usr/bin/env)\n",
             truth_memory.peak_rss_mib, plan_memory.peak_rss_mib, sweep_memory.peak_rss_mib);
  return bytes > 0 ? 0 : 1;
}
