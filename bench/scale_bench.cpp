// mlsub at the sizes its users reach (issue 18): `mlsub status` with a
// journal of 1,000, 10,000 and 100,000 jobs, and `mlsub report` on a job of
// 8, 64 and 256 nodes x 4 GPUs x one day of samples every 30 s. The data
// is generated here, in a temporary folder, and removed at the end. Not a
// test: it prints medians and ratios, and the exit code does not depend on
// them.
//
//   mlsub_scale_bench MLSUB_BINARY [RUNS]

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mlsub/journal.hpp"
#include "process_stats.hpp"

namespace fs = std::filesystem;
using mlsub::bench::ProcessStats;
using mlsub::bench::time_process;

namespace {

constexpr int k_first_id = 9000001;

// A journal of `count` jobs, as mlsub submit writes them.
void write_journal(const fs::path& path, int count) {
  std::ofstream out(path);
  for (int i = 0; i < count; ++i) {
    mlsub::JobRecord r;
    r.job_id = std::to_string(k_first_id + i);
    r.system = "lumi";
    r.partition = "standard-g";
    r.job_name = "train";
    r.folder = fmt::format("/scratch/project_462000001/me/mlsub-jobs/train-20261123-{:06d}", i);
    r.cwd = "/scratch/project_462000001/me";
    r.output = r.folder + "/slurm-%j.out";
    r.command_line = {"mlsub", "submit", "--system", "lumi", "--gpus", "8", "train.py",
                      "--lr",  "3e-4"};
    r.submitted_at = "2026-11-23T15:02:11Z";
    out << nlohmann::json(r).dump() << "\n";
  }
}

// squeue's answer to --me: `queued` mlsub jobs from the journal's last 100
// entries, one job of another tool, and (`missing`) an mlsub job this
// journal does not hold.
std::string queue_text(int journal_size, int queued, bool missing) {
  std::string out;
  for (int i = 0; i < queued; ++i) {
    out += fmt::format("{}|PENDING|Priority|0:00||mlsub:0123456789abcdef\n",
                       k_first_id + journal_size - 1 - i * 5);
  }
  if (queued > 0) {
    out += "1|RUNNING|None|1:00:00|nid000001|\n";
  }
  if (missing) {
    out += "2|PENDING|Priority|0:00||mlsub:fedcba9876543210\n";
  }
  return out;
}

// One node's file, as nvidia-smi writes it: `gpus` GPUs, a reading every
// 30 s for a day. Utilisation, memory and power vary with the GPU and time.
void write_node(const fs::path& path, int node, int gpus) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  fmt::print(f, "timestamp, index, utilization.gpu [%], memory.used [MiB], memory.total [MiB], "
                "power.draw [W]\n");
  for (int i = 0; i < 2880; ++i) {
    const int t = i * 30;
    for (int g = 0; g < gpus; ++g) {
      const int util = (node == 3 && g == 1) ? 0 : 60 + (i * 7 + g * 13 + node) % 41;
      fmt::print(f, "2026/11/23 {:02d}:{:02d}:{:02d}.{:03d}, {}, {} %, {} MiB, 65536 MiB, {:.2f} W\n",
                 t / 3600, t / 60 % 60, t % 60, (node * 37 + g) % 1000, g, util,
                 30000 + (i * 11 + g) % 20000, 200 + util * 3.5);
    }
  }
  std::fclose(f);
}

std::size_t lines_in(const fs::path& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
  }
  return n;
}

void status_rows(const std::string& mlsub, const fs::path& dir, int runs) {
  struct Case {
    const char* what;
    int queued;
    bool missing;
  };
  const Case cases[] = {{"empty queue (the issue's stand-in)", 0, false},
                        {"20 of its jobs queued, among the last 100", 20, false},
                        {"an mlsub job queued that it lacks (read to the start)", 20, true}};
  fmt::print("## mlsub status (stand-in squeue; {} runs each, medians)\n\n", runs);
  fmt::print("| journal | queue | time | vs 1,000 | peak RSS |\n|---|---|---|---|---|\n");
  for (const auto& c : cases) {
    double base = 0;
    for (const int size : {1000, 10000, 100000}) {
      const fs::path journal = dir / fmt::format("jobs-{}.jsonl", size);
      if (!fs::exists(journal)) {
        write_journal(journal, size);
      }
      std::ofstream(dir / "queue.txt") << queue_text(size, c.queued, c.missing);
      setenv("MLSUB_JOURNAL", journal.c_str(), 1);
      const ProcessStats t = time_process({mlsub, "status"}, runs);
      const ProcessStats m = time_process({mlsub, "status"}, 5, true);
      if (size == 1000) {
        base = t.median_ms;
      }
      fmt::print("| {:>7} ({:.1f} MB) | {} | {:.2f} ms | {:.2f}x | {:.1f} MiB |\n", size,
                 static_cast<double>(fs::file_size(journal)) / 1e6, c.what, t.median_ms,
                 t.median_ms / base, m.peak_rss_mib);
    }
  }
  fmt::print("\n");
}

void report_rows(const std::string& mlsub, const fs::path& dir, int runs) {
  const fs::path pool = dir / "pool";
  fs::create_directories(pool);
  for (int n = 0; n < 256; ++n) {
    write_node(pool / fmt::format("gpu-4242-nid{:06d}.csv", n), n, 4);
  }
  fmt::print("## mlsub report (4 GPUs a node, a reading every 30 s for a day; {} runs each, "
             "medians)\n\n",
             runs);
  fmt::print("| nodes | GPUs | samples | CSV | time | peak RSS | vs 8 nodes | output lines | "
             "SVG |\n|---|---|---|---|---|---|---|---|---|\n");
  double base_rss = 0;
  for (const int nodes : {8, 64, 256}) {
    const fs::path job = dir / fmt::format("job-{}", nodes);
    fs::create_directories(job);
    double bytes = 0;
    for (int n = 0; n < nodes; ++n) {
      const auto name = fmt::format("gpu-4242-nid{:06d}.csv", n);
      fs::create_symlink(pool / name, job / name);
      bytes += static_cast<double>(fs::file_size(pool / name));
    }
    const fs::path text = dir / "report.txt";
    const fs::path svg = dir / "report.svg";
    const ProcessStats t =
        time_process({mlsub, "report", job.string(), "--svg", svg.string()}, runs, false, 1,
                     text.string());
    const ProcessStats m = time_process({mlsub, "report", job.string()}, 3, true, 0);
    if (nodes == 8) {
      base_rss = m.peak_rss_mib;
    }
    fmt::print("| {} | {} | {:.1f} M | {:.0f} MB | {:.0f} ms | {:.1f} MiB | {:.2f}x | {} | {:.0f} kB |\n",
               nodes, nodes * 4, nodes * 4 * 2880 / 1e6, bytes / 1e6, t.median_ms, m.peak_rss_mib,
               m.peak_rss_mib / base_rss, lines_in(text),
               static_cast<double>(fs::file_size(svg)) / 1e3);
  }
  fmt::print("\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: mlsub_scale_bench MLSUB_BINARY [RUNS]\n");
    return 2;
  }
  const std::string mlsub = fs::absolute(argv[1]).string();
  const int runs = argc > 2 ? std::max(3, std::atoi(argv[2])) : 20;
  std::string pattern = (fs::temp_directory_path() / "mlsub-scale-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }
  const fs::path dir = pattern;
  // The stand-in squeue prints queue.txt (what squeue --me would list).
  fs::create_directories(dir / "bin");
  std::ofstream(dir / "bin" / "squeue") << "#!/bin/sh\ncat '" << (dir / "queue.txt").string()
                                        << "'\n";
  fs::permissions(dir / "bin" / "squeue", fs::perms::owner_all);
  const char* path = std::getenv("PATH");
  setenv("PATH", ((dir / "bin").string() + ":" + (path ? path : "/usr/bin:/bin")).c_str(), 1);
  setenv("LC_ALL", "C.UTF-8", 1);
  status_rows(mlsub, dir, runs);
  report_rows(mlsub, dir, std::max(3, runs / 4));
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
