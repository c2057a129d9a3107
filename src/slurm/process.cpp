#include "mlsub/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <thread>

extern char** environ;

namespace mlsub {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often the read loop looks whether the child has exited, and how long
// it still reads after that: a grandchild may hold the pipes open for ever.
constexpr milliseconds k_tick{50};
constexpr milliseconds k_grace{200};

// Closes both ends of each pipe on every path out.
struct Pipes {
  int out[2] = {-1, -1};
  int err[2] = {-1, -1};
  ~Pipes() {
    for (int fd : {out[0], out[1], err[0], err[1]}) {
      if (fd >= 0) {
        close(fd);
      }
    }
  }
};

void close_fd(int& fd) {
  if (fd >= 0) {
    close(fd);
    fd = -1;
  }
}

// The child, and what is known about its end.
struct Child {
  pid_t pid = 0;
  int status = 0;
  bool reaped = false;
  bool timed_out = false;

  bool exited() {
    if (!reaped && waitpid(pid, &status, WNOHANG) == pid) {
      reaped = true;
    }
    return reaped;
  }
};

// mlsub's environment with `extra` ("NAME=VALUE") added or replacing.
std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  auto name = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const bool replaced = std::any_of(extra.begin(), extra.end(), [&](const std::string& x) {
      return name(x) == name(entry);
    });
    if (!replaced) {
      env.emplace_back(entry);
    }
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(const std::vector<std::string>& words) {
  std::vector<char*> out;
  out.reserve(words.size() + 1);
  for (const auto& w : words) {
    out.push_back(const_cast<char*>(w.c_str()));
  }
  out.push_back(nullptr);
  return out;
}

// posix_spawnp with stdin from /dev/null, stdout and stderr into the pipes,
// and a process group of the child's own. Returns errno on failure.
int spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, Pipes& p,
          pid_t& pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, p.out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, p.err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  const auto args = c_strings(argv);
  const auto envp = c_strings(env);
  const int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, &attr, args.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

// Reads both pipes until they close, the deadline passes (timed_out), or
// the child has exited and k_grace has passed since.
void read_output(Pipes& p, Child& child, Clock::time_point deadline, ProcessResult& result) {
  std::optional<Clock::time_point> exited_at;
  std::array<char, 4096> buffer{};
  while (p.out[0] >= 0 || p.err[0] >= 0) {
    const auto now = Clock::now();
    if (now >= deadline) {
      child.timed_out = true;
      return;
    }
    if (child.exited()) {
      exited_at = exited_at.value_or(now);
      if (now - *exited_at >= k_grace) {
        return;
      }
    }
    const auto wait = std::min(k_tick, std::chrono::ceil<milliseconds>(deadline - now));
    std::array<pollfd, 2> fds{{{p.out[0], POLLIN, 0}, {p.err[0], POLLIN, 0}}};
    if (poll(fds.data(), fds.size(), static_cast<int>(wait.count())) < 0) {
      if (errno == EINTR) {
        continue;
      }
      return;  // cannot watch the pipes: stop reading, the wait below is bounded
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) {
        continue;
      }
      const ssize_t n = read(fds[i].fd, buffer.data(), buffer.size());
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer.data(), static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close_fd(i == 0 ? p.out[0] : p.err[0]);
      }
    }
  }
}

// Waits for the exit until the deadline; past it, kills the child's whole
// process group and collects the child.
void finish(Child& child, Clock::time_point deadline) {
  while (!child.timed_out && !child.exited()) {
    if (Clock::now() >= deadline) {
      child.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  if (!child.timed_out) {
    return;
  }
  kill(-child.pid, SIGKILL);
  if (!child.reaped) {
    kill(child.pid, SIGKILL);
    while (waitpid(child.pid, &child.status, 0) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace

tl::expected<ProcessResult, ProcessError> run_process(const std::vector<std::string>& argv,
                                                      std::chrono::milliseconds timeout,
                                                      const std::vector<std::string>& environment) {
  if (argv.empty()) {
    return tl::unexpected(ProcessError{ProcessError::cannot_run, "", "no program"});
  }
  Pipes p;
  if (pipe2(p.out, O_CLOEXEC) != 0 || pipe2(p.err, O_CLOEXEC) != 0) {
    return tl::unexpected(ProcessError{ProcessError::cannot_run, argv[0], std::strerror(errno)});
  }
  Child child;
  if (const int rc = spawn(argv, merged_environment(environment), p, child.pid); rc != 0) {
    return tl::unexpected(ProcessError{rc == ENOENT ? ProcessError::not_found
                                                    : ProcessError::cannot_run,
                                       argv[0], std::strerror(rc)});
  }
  close_fd(p.out[1]);
  close_fd(p.err[1]);
  const auto deadline = Clock::now() + timeout;
  ProcessResult result;
  read_output(p, child, deadline, result);
  finish(child, deadline);
  if (child.timed_out) {
    return tl::unexpected(ProcessError{ProcessError::timed_out, argv[0], ""});
  }
  const int s = child.status;
  result.exit_code = WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
  return result;
}

}  // namespace mlsub
