#include <catch2/catch.hpp>

#include "mlsub/slurm_jobs.hpp"
#include "mlsub/submit.hpp"
#include "temp_dir.hpp"

using namespace mlsub;

TEST_CASE("parse_parsable reads a job id, with or without a cluster") {
  CHECK(parse_parsable("123456\n")->job_id == "123456");
  const auto with_cluster = parse_parsable("42;lumi\n");
  REQUIRE(with_cluster);
  CHECK(with_cluster->job_id == "42");
  CHECK(with_cluster->cluster == "lumi");
  for (const char* garbage : {"", "\n", "Submitted batch job 12", "<html>", "12\n13\n", "-1"}) {
    const auto r = parse_parsable(garbage);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.rfind("sbatch printed no job id", 0) == 0);
  }
}

TEST_CASE("scontrol records give the job's state and exit code") {
  const auto record = parse_scontrol_record(
      "JobId=77 JobName=train UserId=root(0) JobState=FAILED Reason=NonZeroExitCode "
      "Dependency=(null) ExitCode=3:0 RunTime=00:00:01 NodeList=lumi-real1 "
      "Command=/tmp/a b/job.sh\n");
  CHECK(record.at("JobId") == "77");
  const JobState s = job_state_from_record(record);
  CHECK(s.state == "FAILED");
  CHECK(s.reason == "NonZeroExitCode");
  CHECK(s.elapsed == "00:00:01");
  CHECK(s.nodes == "lumi-real1");
  REQUIRE(s.exit_code);
  CHECK(*s.exit_code == 3);
  const JobState killed =
      job_state_from_record(parse_scontrol_record("JobId=78 JobState=CANCELLED ExitCode=0:15"));
  CHECK(killed.exit_code == 128 + 15);
  const JobState pending = job_state_from_record(
      parse_scontrol_record("JobId=79 JobState=PENDING Reason=Priority NodeList=(null) ExitCode=0:0"));
  CHECK_FALSE(pending.exit_code);
  CHECK(pending.nodes.empty());
}

TEST_CASE("finished states are the ones after which a job never runs") {
  CHECK(is_finished("COMPLETED"));
  CHECK(is_finished("CANCELLED by 0"));
  CHECK(is_finished("TIMEOUT"));
  CHECK_FALSE(is_finished("RUNNING"));
  CHECK_FALSE(is_finished("PENDING"));
  CHECK_FALSE(is_finished("COMPLETING"));
}

TEST_CASE("request_id is stable and tells requests apart") {
  const std::vector<std::string> cmd = {"mlsub", "submit", "--system", "lumi", "train.py"};
  CHECK(request_id(cmd, "/home/a") == request_id(cmd, "/home/a"));
  CHECK(request_id(cmd, "/home/a").size() == 16);
  CHECK(request_id(cmd, "/home/a") != request_id(cmd, "/home/b"));
  CHECK(request_id({"mlsub", "ab", "c"}, "/") != request_id({"mlsub", "a", "bc"}, "/"));
}

TEST_CASE("output_file fills in Slurm's placeholders") {
  CHECK(*output_file("/j/slurm-%j.out", "42", "train", "/w") == "/j/slurm-42.out");
  CHECK(*output_file("logs/%x-%j.out", "42", "train", "/w") == "/w/logs/train-42.out");
  CHECK(*output_file("100%%-%j", "7", "x", "/w") == "/w/100%-7");
  const auto array = output_file("%A_%a.out", "7", "x", "/w");
  REQUIRE_FALSE(array);
  CHECK(array.error().message.find("%A is not supported") != std::string::npos);
}

TEST_CASE("the journal keeps whole lines and skips broken ones") {
  const mlsub::test::TempDir tmp;
  const std::string path = (tmp.path() / "sub" / "jobs.jsonl").string();
  int skipped = -1;
  REQUIRE(read_journal(path, skipped)->empty());
  REQUIRE(append_journal(path, {{"job_id", "1"}, {"system", "lumi"}}));
  REQUIRE(append_journal(path, {{"job_id", "2"}, {"note", "line\nbreak"}}));
  std::ofstream(path, std::ios::app) << "{\"job_id\": 3\n{not json\n";
  const auto entries = read_journal(path, skipped);
  REQUIRE(entries);
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[1]["note"] == "line\nbreak");
  CHECK(skipped == 2);
}

TEST_CASE("a job folder appears whole, under a free name") {
  const mlsub::test::TempDir tmp;
  const std::string base = (tmp.path() / "jobs").string();
  const auto first = create_job_folder(base, "train-1", {{"job.sh", "#!/bin/bash\n"}});
  REQUIRE(first);
  const auto second = create_job_folder(base, "train-1", {{"job.sh", "#!/bin/bash\n"}});
  REQUIRE(second);
  CHECK(*first != *second);
  CHECK(second->substr(second->size() - 2) == "-2");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(base)) {
    ++entries;
  }
  CHECK(entries == 2);  // no temporary folder left behind
  const auto bad = create_job_folder("/proc/mlsub-no", "x", {});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == ErrorKind::io);
}
