#include <catch2/catch.hpp>

#include <filesystem>

#include "mlsub/catalogue.hpp"
#include "mlsub/job_folder.hpp"
#include "mlsub/planner.hpp"
#include "mlsub/render.hpp"
#include "temp_dir.hpp"

using namespace mlsub;

TEST_CASE("a job folder appears whole, under a free name") {
  const mlsub::test::TempDir tmp;
  const auto base = tmp.path() / "jobs";
  const auto first = create_job_folder(base, "train-1", {{"job.sh", "#!/bin/bash\n"}});
  REQUIRE(first);
  const auto second = create_job_folder(base, "train-1", {{"job.sh", "#!/bin/bash\n"}});
  REQUIRE(second);
  CHECK(first->dir() != second->dir());
  CHECK(second->dir().filename() == "train-1-2");
  CHECK(std::filesystem::exists(second->script()));
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(base)) {
    ++entries;
  }
  CHECK(entries == 2);  // no temporary folder left behind
  const auto bad = create_job_folder("/proc/mlsub-no", "x", {});
  REQUIRE_FALSE(bad);
  CHECK(bad.error().kind == ErrorKind::io);
}

TEST_CASE("a job folder names every file a job leaves") {
  const JobFolder f("/scratch/jobs/train-20261123-150211");
  CHECK(job_folder_name("train", 1795446131) == "train-20261123-150211");
  CHECK(f.script() == "/scratch/jobs/train-20261123-150211/job.sh");
  CHECK(f.plan().filename() == "plan.json");
  CHECK(f.output_pattern(false) == "/scratch/jobs/train-20261123-150211/slurm-%j.out");
  CHECK(f.output_pattern(true) == "/scratch/jobs/train-20261123-150211/slurm-%A_%a.out");
  CHECK(f.samples("42", "nid005001").filename() == "gpu-42-nid005001.csv");
  CHECK(f.monitor_log("42").filename() == "monitor-42.log");
  CHECK(f.energy("42").filename() == "energy-42.txt");
  CHECK(JobFolder::fallback("/home/u", "42").dir() == "/home/u/mlsub-42");
  const auto parts = JobFolder::parse_samples_name("gpu-42-nid-005001.csv");
  REQUIRE(parts);
  CHECK(parts->first == "42");
  CHECK(parts->second == "nid-005001");
  for (const char* other : {"gpu-42.csv", "gpu-x-n.csv", "gpu-42-.csv", "gpu-42-n.txt", "job.sh"}) {
    CHECK_FALSE(JobFolder::parse_samples_name(other));
  }
}

// templates/monitor.mustache writes the files under the names JobFolder
// reads them by: the two are kept in step here.
TEST_CASE("the job script's monitor writes the files JobFolder names") {
  const Catalogue catalogue({MLSUB_SOURCE_DIR "/systems"});
  const auto system = catalogue.load("lumi");
  REQUIRE(system);
  Request r;
  r.system = "lumi";
  r.nodes = 2;
  r.gpus_per_node = 8;
  r.program = "train.py";
  const auto plan = plan_job(*system, r);
  REQUIRE(plan);
  const auto set = TemplateSet::load({MLSUB_SOURCE_DIR "/templates"}, plan->launcher);
  REQUIRE(set);
  const auto script = set->render(*plan, "test");
  REQUIRE(script);
  const JobFolder in_job("$MLSUB_JOB_DIR");
  const std::string job = "$SLURM_JOB_ID";
  CHECK_THAT(*script, Catch::Contains("file=" + in_job.samples(job, "${SLURMD_NODENAME:-$(hostname -s)}").string()));
  CHECK_THAT(*script, Catch::Contains("\"" + in_job.monitor_log(job).string() + "\""));
  CHECK_THAT(*script, Catch::Contains("\"" + in_job.energy(job).string() + "\""));
  CHECK_THAT(*script, Catch::Contains("export MLSUB_JOB_DIR=${MLSUB_JOB_DIR:-" +
                                      JobFolder::fallback("$SLURM_SUBMIT_DIR", job).dir().string() +
                                      "}"));
}

TEST_CASE("output_file fills in Slurm's placeholders") {
  CHECK(*output_file("/j/slurm-%j.out", "42", "train", "/w") == "/j/slurm-42.out");
  CHECK(*output_file("logs/%x-%j.out", "42", "train", "/w") == "/w/logs/train-42.out");
  CHECK(*output_file("100%%-%j", "7", "x", "/w") == "/w/100%-7");
  const auto array = output_file("%A_%a.out", "7", "x", "/w");
  REQUIRE_FALSE(array);
  CHECK(array.error().message.find("%A is not supported") != std::string::npos);
}
