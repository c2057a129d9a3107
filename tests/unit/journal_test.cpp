#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "mlsub/journal.hpp"
#include "mlsub/submit.hpp"
#include "temp_dir.hpp"

using namespace mlsub;

namespace {

JobRecord record(const std::string& id, const std::string& folder = "/jobs/x") {
  JobRecord r;
  r.job_id = id;
  r.system = "lumi";
  r.folder = folder;
  r.command_line = {"mlsub", "submit", "a b"};
  r.submitted_at = "2026-12-01T08:00:00Z";
  return r;
}

}  // namespace

TEST_CASE("JobRecord to and from JSON; journal lines that are not records are skipped") {
  const JobRecord r = record("7");
  const JobRecord back = nlohmann::json(r).get<JobRecord>();
  CHECK(back.job_id == "7");
  CHECK(back.command_line == r.command_line);
  CHECK(back.submitted_at == r.submitted_at);
  // Lines written by an older mlsub have the same keys, some missing.
  const auto old = parse_job_record(R"({"job_id":"5","system":"mahti","folder":"/f"})");
  REQUIRE(old);
  CHECK(old->system == "mahti");
  CHECK(old->command_line.empty());
  for (const char* bad : {"", "{not json", "[1]", R"({"job_id": 3})", R"({"system":"lumi"})",
                          R"({"job_id":"1","command_line":"x"})"}) {
    INFO(bad);
    CHECK_FALSE(parse_job_record(bad));
  }
}

TEST_CASE("the journal keeps whole lines and skips broken ones") {
  const test::TempDir tmp;
  const Journal journal((tmp.path() / "sub" / "jobs.jsonl").string());
  int seen = 0;
  CHECK(journal.read([&seen](const JobRecord&) { return ++seen > 0; }).value() == 0);
  CHECK(seen == 0);  // a missing journal is empty
  REQUIRE(journal.append(record("1")));
  JobRecord with_break = record("2");
  with_break.job_name = "line\nbreak";
  REQUIRE(journal.append(with_break));
  std::ofstream(journal.path(), std::ios::app) << "{\"job_id\": 3\n{not json\n";
  std::vector<JobRecord> records;
  const auto skipped = journal.read([&records](const JobRecord& r) {
    records.push_back(r);
    return true;
  });
  REQUIRE(skipped);
  CHECK(*skipped == 2);
  REQUIRE(records.size() == 2);
  CHECK(records[1].job_name == "line\nbreak");
}

TEST_CASE("the journal finds a job, and the most recent jobs, from its end") {
  const test::TempDir tmp;
  const Journal journal((tmp.path() / "jobs.jsonl").string());
  CHECK_FALSE(journal.find("1").value());
  CHECK(journal.recent(5).value().empty());
  // More than one read block (64 KiB) of lines, a broken line, and a job
  // recorded twice (the later line wins).
  {
    std::ofstream out(journal.path());
    for (int i = 1; i <= 2000; ++i) {
      out << nlohmann::json(record(std::to_string(i), "/jobs/first")).dump() << "\n";
    }
    out << "{broken \"12\"\n";
  }
  REQUIRE(journal.append(record("12", "/jobs/again")));
  REQUIRE(journal.append(record("2001")));
  CHECK(journal.find("12").value()->folder == "/jobs/again");
  CHECK(journal.find("1").value()->folder == "/jobs/first");
  CHECK(journal.find("1999").value()->job_id == "1999");
  CHECK_FALSE(journal.find("123456").value());
  const auto recent = journal.recent(3).value();
  REQUIRE(recent.size() == 3);
  CHECK(recent[0].job_id == "2001");
  CHECK(recent[1].job_id == "12");
  CHECK(recent[2].job_id == "2000");
  CHECK(journal.recent(5000).value().size() == 2002);
}

TEST_CASE("a journal without a final newline still gives its last line") {
  const test::TempDir tmp;
  const Journal journal((tmp.path() / "jobs.jsonl").string());
  std::ofstream(journal.path()) << R"({"job_id":"4","folder":"/a"})" << "\n"
                                << R"({"job_id":"5","folder":"/b"})";
  CHECK(journal.find("5").value()->folder == "/b");
  CHECK(journal.find("4").value()->folder == "/a");
  CHECK(journal.recent(1).value()[0].job_id == "5");
}

// ---- at scale: status and lookups on a long journal --------------------

namespace {

// A journal of `count` jobs, ids 9000001 on, written as mlsub writes them
// (a line of about 400 bytes), the way years of submits leave it.
void write_journal(const Journal& journal, int count) {
  std::ofstream out(journal.path());
  for (int i = 1; i <= count; ++i) {
    JobRecord r = record(std::to_string(9000000 + i), "/scratch/project_462000001/mlsub-jobs/train-" +
                                                        std::to_string(i));
    r.cwd = "/scratch/project_462000001/me";
    r.output = r.folder + "/slurm-%j.out";
    r.command_line = {"mlsub", "submit", "--system", "lumi", "--gpus", "8", "train.py", "--lr",
                      "3e-4"};
    out << nlohmann::json(r).dump() << "\n";
  }
}

// A stand-in squeue in its own directory, put first on PATH while it
// lives: it writes its arguments, one a line, to squeue.args and answers
// --me with `queue` and --jobs with every id it was given, as pending.
class StandInSqueue {
 public:
  StandInSqueue(const test::TempDir& tmp, const std::string& queue) : m_dir(tmp.path() / "bin") {
    std::filesystem::create_directories(m_dir);
    tmp.write("queue.txt", queue);
    std::ofstream(m_dir / "squeue")
        << "#!/bin/sh\n"
        << "printf '%s\\n' \"$@\" >> '" << (tmp.path() / "squeue.args").string() << "'\n"
        << "while [ $# -gt 0 ]; do\n"
        << "  case $1 in\n"
        << "    --me) cat '" << (tmp.path() / "queue.txt").string() << "';;\n"
        << "    --jobs) shift; echo \"$1\" | tr , '\\n' | sed 's/$/|PENDING|Priority|0:00||mlsub:x/';;\n"
        << "  esac\n"
        << "  shift\n"
        << "done\n";
    std::filesystem::permissions(m_dir / "squeue", std::filesystem::perms::owner_all);
    const char* path = std::getenv("PATH");
    m_old_path = path != nullptr ? path : "/usr/bin:/bin";
    setenv("PATH", (m_dir.string() + ":" + m_old_path).c_str(), 1);
  }
  ~StandInSqueue() { setenv("PATH", m_old_path.c_str(), 1); }
  StandInSqueue(const StandInSqueue&) = delete;
  StandInSqueue& operator=(const StandInSqueue&) = delete;

 private:
  std::filesystem::path m_dir;
  std::string m_old_path;
};

std::vector<std::string> lines_of(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("status past the old 16,384-job cliff: one squeue --me, the journal read from its end") {
  const test::TempDir tmp;
  const Journal journal((tmp.path() / "jobs.jsonl").string());
  write_journal(journal, 20000);
  const auto size = std::filesystem::file_size(journal.path());
  // Queued: two recent mlsub jobs (one an array's task), another user's
  // tool's job (no mlsub comment) and an mlsub job this journal lacks.
  const StandInSqueue squeue(tmp, "9019998_3|RUNNING|None|1:02|nid001|mlsub:abc\n"
                                  "9019990|PENDING|Priority|0:00||mlsub:def\n"
                                  "9019995|RUNNING|None|5:00|nid002|\n"
                                  "123|PENDING|Priority|0:00||mlsub:ghi\n");
  auto slurm = make_slurm_client(std::chrono::seconds(10));
  auto jobs = unfinished_jobs(*slurm, journal);
  REQUIRE(jobs);
  REQUIRE(jobs->size() == 2);
  CHECK((*jobs)[0].state.job_id == "9019998_3");
  CHECK((*jobs)[0].state.state == "RUNNING");
  CHECK((*jobs)[0].record->folder == "/scratch/project_462000001/mlsub-jobs/train-19998");
  CHECK((*jobs)[1].state.job_id == "9019990");
  const auto args = lines_of(tmp.path() / "squeue.args");
  CHECK(std::find(args.begin(), args.end(), "--me") != args.end());
  CHECK(std::find(args.begin(), args.end(), "--jobs") == args.end());
  // The journal lacks job 123, so it was read to its start, but only the
  // two jobs' lines were parsed.
  CHECK(journal.last_read().bytes == size);
  CHECK(journal.last_read().parsed == 2);

  // Only jobs the journal holds near its end queued: it stops there.
  const StandInSqueue recent(tmp, "9019990|PENDING|Priority|0:00||mlsub:def\n");
  REQUIRE(unfinished_jobs(*slurm, journal).value().size() == 1);
  CHECK(journal.last_read().bytes < size / 100);
  CHECK(journal.last_read().parsed == 1);

  // Asking about every journalled job by id works too: at most
  // k_squeue_ids per squeue, each argument far below Linux's 128 KiB.
  std::filesystem::remove(tmp.path() / "squeue.args");
  std::vector<std::string> ids;
  for (int i = 1; i <= 20000; ++i) {
    ids.push_back(std::to_string(9000000 + i));
  }
  auto states = slurm->queued(ids);
  REQUIRE(states);
  CHECK(states->size() == 20000);
  for (const auto& arg : lines_of(tmp.path() / "squeue.args")) {
    CHECK(arg.size() < 16 * 1024);
  }
}

TEST_CASE("finding one job parses its line only, and reads no more of the file than it must") {
  const test::TempDir tmp;
  const Journal journal((tmp.path() / "jobs.jsonl").string());
  write_journal(journal, 20000);
  const auto size = std::filesystem::file_size(journal.path());
  const auto near_end = journal.find("9019900");
  REQUIRE(near_end.value());
  CHECK(near_end.value()->folder == "/scratch/project_462000001/mlsub-jobs/train-19900");
  CHECK(journal.last_read().parsed == 1);
  CHECK(journal.last_read().lines <= 101);
  CHECK(journal.last_read().bytes < size / 100);
  // A job at the start: every line seen, one parsed.
  REQUIRE(journal.find("9000001").value());
  CHECK(journal.last_read().lines == 20000);
  CHECK(journal.last_read().parsed == 1);
  // Not there: no line parsed.
  CHECK_FALSE(journal.find("42").value());
  CHECK(journal.last_read().parsed == 0);
  // Several at once stop at the oldest of them.
  const auto some = journal.find_all({"9019999", "9019000", "9018000"}).value();
  CHECK(some.size() == 3);
  CHECK(journal.last_read().parsed == 3);
  CHECK(journal.last_read().lines <= 2001);
  // A line in another key order or spacing (a hand edit) is still found.
  std::ofstream(journal.path(), std::ios::app) << R"({"folder": "/hand", "job_id" : "77"})" << "\n";
  CHECK(journal.find("77").value()->folder == "/hand");
}

TEST_CASE("pruning under the journal's lock loses no line of a submit waiting for it") {
  const test::TempDir tmp;
  const Journal journal((tmp.path() / "jobs.jsonl").string());
  write_journal(journal, 50);
  // The pruner holds the lock (as flock(1) in docs/guides/monitoring.md)...
  const int held = open(journal.path().c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(held >= 0);
  REQUIRE(flock(held, LOCK_EX) == 0);
  // ...while a submit appends: it opens the file and waits for the lock.
  bool appended = false;  // Catch's assertions are for the main thread only
  std::thread submit([&journal, &appended] { appended = journal.append(record("777")).has_value(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // The pruner keeps the last 10 lines in a new file, moves it into
  // place, and lets go.
  {
    std::ofstream kept(journal.path() + ".new");
    for (int i = 41; i <= 50; ++i) {
      kept << nlohmann::json(record(std::to_string(9000000 + i))).dump() << "\n";
    }
  }
  std::filesystem::rename(journal.path() + ".new", journal.path());
  flock(held, LOCK_UN);
  close(held);
  submit.join();
  CHECK(appended);
  CHECK(journal.find("777").value());
  CHECK(journal.recent(100).value().size() == 11);
}
