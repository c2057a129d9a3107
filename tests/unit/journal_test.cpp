#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "mlsub/journal.hpp"
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
