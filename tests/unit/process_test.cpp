// run_process: a time limit on the whole run, the child's own process
// group, and what a missing program or a lingering grandchild gives.
// No test asserts a duration: each case that would hang without the rule
// it tests ends in a different result instead.

#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "mlsub/process.hpp"
#include "temp_dir.hpp"

using namespace mlsub;
using namespace std::chrono_literals;

namespace {

// Whether `pid` is gone (or a zombie nobody has reaped yet).
bool gone(pid_t pid) {
  if (kill(pid, 0) != 0) {
    return true;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string word, state;
  stat >> word >> word >> state;
  return state == "Z";
}

bool gone_soon(pid_t pid) {
  for (int i = 0; i < 200 && !gone(pid); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  return gone(pid);
}

}  // namespace

TEST_CASE("run_process: output, exit code and environment, without a shell") {
  const auto r = run_process({"sh", "-c", "echo out; echo err >&2; echo \"$MLSUB_X\"; exit 3"}, 10s,
                             {"MLSUB_X=a b;$(id)"});
  REQUIRE(r);
  CHECK(r->out == "out\na b;$(id)\n");
  CHECK(r->err == "err\n");
  CHECK(r->exit_code == 3);
  const auto killed = run_process({"sh", "-c", "kill -TERM $$"}, 10s);
  REQUIRE(killed);
  CHECK(killed->exit_code == 128 + SIGTERM);
}

TEST_CASE("run_process: a program not on PATH is not_found") {
  const auto r = run_process({"mlsub-no-such-program"}, 10s);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ProcessError::not_found);
  CHECK(r.error().program == "mlsub-no-such-program");
}

TEST_CASE("run_process: past the limit the child and its process group are killed") {
  const test::TempDir tmp;
  const std::string pid_file = (tmp.path() / "grandchild").string();
  // The grandchild is in the child's group; it would outlive a kill of the
  // child alone.
  const auto r = run_process(
      {"sh", "-c", "sleep 60 & echo $! >\"$1\"; sleep 60", "sh", pid_file}, 300ms);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ProcessError::timed_out);
  CHECK(r.error().program == "sh");
  pid_t grandchild = 0;
  std::ifstream(pid_file) >> grandchild;
  REQUIRE(grandchild > 0);
  CHECK(gone_soon(grandchild));
}

TEST_CASE("run_process: a child that closes its pipes and runs on is stopped at the limit") {
  // Reading ends at once; the wait for its exit is bounded by the same limit.
  const auto r = run_process({"sh", "-c", "exec >&- 2>&-; sleep 60"}, 300ms);
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == ProcessError::timed_out);
}

TEST_CASE("run_process: a grandchild holding the pipes open does not hold mlsub") {
  const test::TempDir tmp;
  const std::string pid_file = (tmp.path() / "grandchild").string();
  // The child answers and exits; the grandchild keeps stdout open for a
  // minute. The result is the child's, long before the limit.
  const auto r = run_process({"sh", "-c", "sleep 60 & echo $! >\"$1\"; echo 42", "sh", pid_file},
                             30s);
  pid_t grandchild = 0;
  std::ifstream(pid_file) >> grandchild;
  if (grandchild > 0) {
    kill(grandchild, SIGKILL);
  }
  REQUIRE(r);
  CHECK(r->out == "42\n");
  CHECK(r->exit_code == 0);
}
