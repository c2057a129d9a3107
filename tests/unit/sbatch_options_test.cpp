// The sbatch options mlsub does not plan: first-class flags, the --sbatch
// pass-through, and --sweep's escaped comma (src/planner_sbatch.cpp,
// src/planner.cpp).

#include <catch2/catch.hpp>

#include <map>

#include "mlsub/catalogue.hpp"
#include "mlsub/planner.hpp"
#include "mlsub/sbatch_options.hpp"
#include "test_systems.hpp"

using namespace mlsub;
using mlsub::test::system_named;

namespace {

Request one_gpu() {
  Request r;
  r.gpus = 1;
  r.program = "train.py";
  return r;
}

Expected<Plan> plan_on(const std::string& system, const Request& r) {
  return plan_job(system_named(system), r);
}

std::string directive(const Plan& p, const std::string& option) {
  for (const auto& d : p.directives()) {
    if (d.option == option) {
      return d.value;
    }
  }
  return "(absent)";
}

const Reason* reason(const Plan& p, const std::string& field) {
  for (const auto& r : p.reasons) {
    if (r.field == field) {
      return &r;
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("sbatch options: the table knows sbatch's options and their arguments") {
  CHECK(sbatch_option_arg("hint") == SbatchArg::required);
  CHECK(sbatch_option_arg("requeue") == SbatchArg::none);
  CHECK(sbatch_option_arg("exclusive") == SbatchArg::optional);
  CHECK_FALSE(sbatch_option_arg("hin"));  // no prefix matching here
  CHECK_FALSE(sbatch_option_arg("--hint"));
  const auto names = sbatch_option_names();
  CHECK(std::find(names.begin(), names.end(), "mail-type") != names.end());
}

TEST_CASE("dependency: Slurm's syntax is accepted, anything else refused") {
  for (const char* good : {"afterok:1", "afterok:1:2", "after:5+10", "afterany:7_3", "singleton",
                           "afterok:1,afternotok:2", "afterok:1?afterany:2",
                           "aftercorr:3,singleton", "afterburstbuffer:9"}) {
    Request r = one_gpu();
    r.slurm.dependency = good;
    auto p = plan_on("lumi", r);
    INFO(good);
    REQUIRE(p);
    CHECK(directive(*p, "dependency") == good);
  }
  for (const char* bad : {"afterok", "afterok:", "afterok:x", "afterok:1,", "before:1",
                          "afterok:1+5", "afterok:1,afterok:2?afterok:3", "afterok::1",
                          "afterok:1_", "singleton:1", "AFTEROK:1"}) {
    Request r = one_gpu();
    r.slurm.dependency = bad;
    auto p = plan_on("lumi", r);
    INFO(bad);
    REQUIRE_FALSE(p);
    CHECK(p.error().kind == ErrorKind::usage);
  }
}

TEST_CASE("constraint: checked part by part against the features the catalogue lists") {
  Request r = one_gpu();
  r.uenv = "pytorch/v2.9.1:/user-environment";
  r.slurm.constraint = "thp_never&nvidia_vboost_enabled";
  auto p = plan_on("alps-clariden", r);
  REQUIRE(p);
  CHECK(directive(*p, "constraint") == "thp_never&nvidia_vboost_enabled");
  REQUIRE(reason(*p, "constraint"));
  CHECK(reason(*p, "constraint")->source == "https://docs.cscs.ch/software/ml/pytorch/");
  const auto unlisted = [](const Plan& plan) {
    std::string found;
    for (const auto& w : plan.warnings) {
      found += w.find("does not list the feature") != std::string::npos ? w : "";
    }
    return found;
  };
  CHECK(unlisted(*p).empty());

  r.slurm.constraint = "[thp_never|thp_madvise]&nvidia_vboost_enabled*2";
  p = plan_on("alps-clariden", r);
  REQUIRE(p);  // thp_madvise is not listed: a warning, not an error
  CHECK(unlisted(*p).find("feature thp_madvise (") != std::string::npos);

  r.slurm.constraint = "thp_nevr";  // close to a listed name: a typo
  p = plan_on("alps-clariden", r);
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("did you mean 'thp_never'?") != std::string::npos);

  r.slurm.constraint = "a;b";
  p = plan_on("alps-clariden", r);
  REQUIRE_FALSE(p);
  CHECK(p.error().kind == ErrorKind::usage);
}

TEST_CASE("constraint: where the catalogue lists none, the reason says so") {
  Request r = one_gpu();
  r.slurm.constraint = "whatever";
  auto p = plan_on("lumi", r);
  REQUIRE(p);
  REQUIRE(reason(*p, "constraint"));
  CHECK(reason(*p, "constraint")->why.find("records no constraint names for lumi") !=
        std::string::npos);
}

TEST_CASE("mail: types from Slurm's list, any case; a user alone is warned about") {
  Request r = one_gpu();
  r.slurm.mail_type = "begin,END,Time_Limit_80";
  auto p = plan_on("lumi", r);
  REQUIRE(p);
  CHECK(directive(*p, "mail-type") == "begin,END,Time_Limit_80");
  r.slurm.mail_type = "END,ENDD";
  p = plan_on("lumi", r);
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("did you mean 'END'?") != std::string::npos);
  r.slurm.mail_type.reset();
  r.slurm.mail_user = "me@example.org";
  p = plan_on("lumi", r);
  REQUIRE(p);
  CHECK(directive(*p, "mail-user") == "me@example.org");
  CHECK(p->warnings.size() == 1);
}

TEST_CASE("exclusive and the pass-through become directives after the planned ones") {
  Request r = one_gpu();
  r.slurm.exclusive = true;
  r.sbatch = {"hint=nomultithread", "requeue", "comment=a b"};
  auto p = plan_on("lumi", r);
  REQUIRE(p);
  const auto d = p->directives();
  REQUIRE(d.size() >= 4);
  CHECK(d[d.size() - 4].option == "exclusive");
  CHECK(d[d.size() - 3].option == "hint");
  CHECK(d[d.size() - 3].value == "nomultithread");
  CHECK(d[d.size() - 2].option == "requeue");
  CHECK(d[d.size() - 2].value.empty());
  CHECK(d[d.size() - 1].value == "a b");
}

TEST_CASE("pass-through: options mlsub plans are refused with the flag to use") {
  const std::map<std::string, std::string> refused = {
      {"gres=gpu:1", "--gpus"},         {"gpus-per-node=2", "--gpus-per-node"},
      {"partition=small-g", "--partition"}, {"nodes=2", "--nodes"},
      {"account=project_465000001", "--account"}, {"ntasks=4", "--launcher"},
      {"time=10", "--time"},            {"mem-per-cpu=1G", "--sbatch mem=SIZE"},
      {"qos=normal", "--qos"},          {"exclusive", "--exclusive"}};
  for (const auto& [entry, fix] : refused) {
    Request r = one_gpu();
    r.sbatch = {entry};
    auto p = plan_on("lumi", r);
    INFO(entry);
    REQUIRE_FALSE(p);
    CHECK(p.error().kind == ErrorKind::usage);
    CHECK(p.error().message.find(fix) != std::string::npos);
  }
}

TEST_CASE("pass-through: a typo gets did-you-mean; values must be one line of ASCII") {
  Request r = one_gpu();
  r.sbatch = {"nodelst=nid001"};
  auto p = plan_on("lumi", r);
  REQUIRE_FALSE(p);
  CHECK(p.error().message.find("did you mean 'nodelist'?") != std::string::npos);
  for (const char* bad : {"comment=a\nb", "comment=caf\xc3\xa9", "comment=", "hint"}) {
    r.sbatch = {bad};
    p = plan_on("lumi", r);
    INFO(bad);
    REQUIRE_FALSE(p);
    CHECK(p.error().kind == ErrorKind::usage);
  }
}

TEST_CASE("pass-through: mem and cpus-per-task raise the plan within the node") {
  Request r = one_gpu();
  r.sbatch = {"mem=100G", "cpus-per-task=7"};
  auto p = plan_on("lumi", r);
  REQUIRE(p);
  CHECK(directive(*p, "mem") == "100G");
  CHECK(directive(*p, "cpus-per-task") == "7");
  CHECK(p->cpus_per_task == 7);
  REQUIRE(reason(*p, "mem"));
  CHECK(reason(*p, "mem")->why.find("overridden with --sbatch mem=100G (mlsub planned 60G") !=
        std::string::npos);
  CHECK(reason(*p, "threads")->value == "7");
  CHECK(p->warnings.size() == 1);  // more memory than LUMI's 60G per GCD
  // Only once each, in the planned place.
  int mems = 0;
  for (const auto& d : p->directives()) {
    mems += d.option == "mem" ? 1 : 0;
  }
  CHECK(mems == 1);

  r.sbatch = {"mem=481G"};  // a LUMI-G node has 480G
  p = plan_on("lumi", r);
  REQUIRE_FALSE(p);
  CHECK(p.error().kind == ErrorKind::rejected);
  r.sbatch = {"mem=59G"};
  p = plan_on("lumi", r);
  REQUIRE_FALSE(p);
  CHECK(p.error().kind == ErrorKind::usage);
  r.sbatch = {"mem=0"};
  p = plan_on("lumi", r);
  REQUIRE_FALSE(p);
  // CPUs: never over the site's cores per GPU (what mlsub check holds a
  // script to), which is what mlsub plans.
  r.sbatch = {"cpus-per-task=8"};
  p = plan_on("lumi", r);
  REQUIRE_FALSE(p);
  CHECK(p.error().kind == ErrorKind::rejected);
  r.gpus = 8;
  r.sbatch = {"cpus-per-task=8"};  // 8 tasks x 7 CPUs already fill the 56 cores
  p = plan_on("lumi", r);
  REQUIRE_FALSE(p);
  CHECK(p.error().kind == ErrorKind::rejected);
}

TEST_CASE("sweep: \\, is a comma inside a value, \\\\ a backslash") {
  Request r = one_gpu();
  r.sweeps = {"layers=[1\\,2],[3\\,4],x\\\\,y\\z"};
  auto p = plan_on("lumi", r);
  REQUIRE(p);
  REQUIRE(p->sweep.size() == 4);
  CHECK(p->sweep[0] == std::vector<std::string>{"--layers", "[1,2]"});
  CHECK(p->sweep[1] == std::vector<std::string>{"--layers", "[3,4]"});
  CHECK(p->sweep[2] == std::vector<std::string>{"--layers", "x\\"});
  CHECK(p->sweep[3] == std::vector<std::string>{"--layers", "y\\z"});
  CHECK(*p->array == "0-3");
}
