#pragma once
// Timing whole processes for the benchmarks: wall time and peak memory of
// a command, medians of repeated runs.

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace mlsub::bench {

using Clock = std::chrono::steady_clock;

struct ProcessStats {
  double median_ms = 0;
  double peak_rss_mib = 0;  // median over the runs of each run's peak
};

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Runs argv `runs` times (after `warmups` runs), stdout to `stdout_path`
// (the last run's output stays there) and stderr to /dev/null; wall time
// per run from spawn to reaped exit, and the peak resident memory Linux
// reports for the child (ru_maxrss from wait4).
//
// posix_spawn starts the child in this process's memory until it execs, and
// Linux counts that memory's peak into the child's ru_maxrss: a child
// spawned from this (large) benchmark would report at least the
// benchmark's size. So memory is measured with `trampoline` set: the child
// is /usr/bin/env, a small program, which execs the command.
inline ProcessStats time_process(const std::vector<std::string>& args, int runs,
                                 bool trampoline = false, int warmups = 2,
                                 const std::string& stdout_path = "/dev/null") {
  std::vector<std::string> words = args;
  if (trampoline) {
    words.insert(words.begin(), "/usr/bin/env");
  }
  std::vector<char*> argv;
  for (const auto& a : words) {
    argv.push_back(const_cast<char*>(a.c_str()));
  }
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  std::vector<double> times;
  std::vector<double> peaks;
  ProcessStats stats;
  for (int i = -warmups; i < runs; ++i) {
    const auto start = Clock::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) {
      std::fprintf(stderr, "mlsub_bench: cannot run %s\n", argv[0]);
      std::exit(1);
    }
    int status = 0;
    struct rusage usage {};
    wait4(pid, &status, 0, &usage);
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "mlsub_bench: %s exited with status %d\n", argv[0], status);
      std::exit(1);
    }
    if (i >= 0) {
      times.push_back(ms);
      peaks.push_back(static_cast<double>(usage.ru_maxrss) / 1024);
    }
  }
  posix_spawn_file_actions_destroy(&actions);
  stats.median_ms = median(times);
  stats.peak_rss_mib = median(peaks);
  return stats;
}

}  // namespace mlsub::bench
