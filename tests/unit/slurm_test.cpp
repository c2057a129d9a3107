#include <catch2/catch.hpp>

#include "mlsub/slurm.hpp"

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

TEST_CASE("one squeue splitter: at most N fields, the last takes the rest") {
  const auto rows = split_squeue("12|RUNNING|None|1:02|n1\n13|PENDING|Priority||\nbroken\n"
                                 "14|a|b|c|d|e\n",
                                 5);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::vector<std::string>{"12", "RUNNING", "None", "1:02", "n1"});
  CHECK(rows[1] == std::vector<std::string>{"13", "PENDING", "Priority", "", ""});
  CHECK(rows[2][4] == "d|e");
  const auto comments = split_squeue("7|mlsub:abc\n8|\n9|x|y\n", 2);
  REQUIRE(comments.size() == 3);
  CHECK(comments[0][1] == "mlsub:abc");
  CHECK(comments[2][1] == "x|y");
}

TEST_CASE("job ids: digits, or digits_digits for an array task") {
  CHECK(is_job_id("123456"));
  CHECK(is_job_id("12_3"));
  for (const char* bad : {"", "1;id", "12_", "_3", "-1", "123456789012345678901", "1_2_3"}) {
    CHECK_FALSE(is_job_id(bad));
  }
}

TEST_CASE("Slurm's messages come out on one line") {
  CHECK(slurm_message("  sbatch: error: a\nsbatch: error: b\n") == "sbatch: error: a sbatch: error: b");
  CHECK(slurm_message("\n") == "(no message)");
}
