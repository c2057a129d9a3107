#include <catch2/catch.hpp>

#include <algorithm>

#include "mlsub/catalogue.hpp"
#include "mlsub/check.hpp"

using namespace mlsub;

namespace {

std::vector<std::string> options(const std::vector<SbatchDirective>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) {
    out.push_back(d.option + (d.has_value ? "=" + d.value : "") + "@" + std::to_string(d.line));
  }
  return out;
}

std::vector<std::string> ids(const std::vector<Finding>& fs) {
  std::vector<std::string> out;
  for (const auto& f : fs) {
    out.push_back(std::string(to_string(f.severity)) + " " + f.id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const std::vector<System>& all_systems() {
  static const std::vector<System> systems = [] {
    auto loaded = Catalogue({MLSUB_SOURCE_DIR "/systems"}).load_all();
    REQUIRE(loaded);
    return std::move(*loaded);
  }();
  return systems;
}

const System& system_named(const std::string& name) {
  for (const auto& s : all_systems()) {
    if (s.name == name) {
      return s;
    }
  }
  FAIL("no system " << name);
  throw;
}

}  // namespace

TEST_CASE("parse_sbatch_directives: every spelling of an option") {
  const auto s = parse_sbatch_directives(
      "#!/bin/bash\n"
      "#SBATCH --partition=small-g\n"
      "#SBATCH --time 1:00:00\n"
      "#SBATCH -N 2 -n16\n"
      "#SBATCH -c7 --gpus-per-node 8\n"
      "#SBATCH -A project_465000123\n"
      "#SBATCH --part=dev-g\n"
      "srun python3 train.py\n");
  CHECK(options(s.directives) ==
        std::vector<std::string>{"partition=small-g@2", "time=1:00:00@3", "nodes=2@4",
                                 "ntasks=16@4", "cpus-per-task=7@5", "gpus-per-node=8@5",
                                 "account=project_465000123@6", "partition=dev-g@7"});
  // The last one wins, as in sbatch.
  REQUIRE(s.last("partition"));
  CHECK(s.last("partition")->value == "dev-g");
  CHECK(s.first_command_line == 8);
  CHECK(s.ignored.empty());
}

TEST_CASE("parse_sbatch_directives: directives stop at the first command") {
  const auto s = parse_sbatch_directives(
      "#!/bin/bash\n"
      "\n"
      "# a comment does not stop them\n"
      "#SBATCH -p gpu\n"
      "   \t\n"
      "module load pytorch\n"
      "#SBATCH --time=10\n");
  CHECK(options(s.directives) == std::vector<std::string>{"partition=gpu@4"});
  CHECK(options(s.ignored) == std::vector<std::string>{"time=10@7"});
  CHECK(s.first_command_line == 6);
  REQUIRE(s.commands.size() == 1);
  CHECK(s.commands[0].text == "module load pytorch");
}

TEST_CASE("parse_sbatch_directives: what is a comment, not a directive") {
  const auto s = parse_sbatch_directives(
      "#!/bin/bash\n"
      "  #SBATCH --partition=indented\n"
      "# SBATCH --partition=spaced\n"
      "##SBATCH --partition=doubled\n"
      "#SBATCH --time=10 # --partition=in-a-comment\n"
      "#SBATCH --job-name=a#b\n"
      "#SBATCH --comment=\"x # y\" --mem=1G\r\n");
  CHECK(options(s.directives) ==
        std::vector<std::string>{"time=10@5", "job-name=a@6", "comment=x # y@7", "mem=1G@7"});
  CHECK(s.first_command_line == 0);
}

TEST_CASE("parse_sbatch_directives: quotes, escapes, flags and unknown options") {
  const auto s = parse_sbatch_directives(
      "#SBATCH --job-name='my run' --output=logs/%x\\ %j.out\n"
      "#SBATCH --exclusive --requeue -H\n"
      "#SBATCH --cpu-per-task=8 stray\n"
      "#SBATCH --gpus\n"
      "#SBATCH --comment=end\\\n");
  CHECK(options(s.directives) == std::vector<std::string>{"job-name=my run@1",
                                                          "output=logs/%x %j.out@1", "exclusive@2",
                                                          "requeue@2", "hold@2", "cpu-per-task=8@3",
                                                          "stray@3", "gpus@4", "comment=end@5"});
  CHECK_FALSE(s.directives[5].known);
  CHECK_FALSE(s.directives[6].known);
  CHECK(s.directives[0].known);
}

TEST_CASE("parse_sbatch_directives: an empty text and text without directives") {
  CHECK(parse_sbatch_directives("").directives.empty());
  const auto s = parse_sbatch_directives("echo hi");
  CHECK(s.first_command_line == 1);
  CHECK(s.directives.empty());
}

TEST_CASE("check_script: a right LUMI script is clean") {
  const auto s = parse_sbatch_directives(
      "#!/bin/bash\n"
      "#SBATCH -A project_465000123 -p standard-g -t 12:00:00\n"
      "#SBATCH --nodes=2 --ntasks-per-node=8 --cpus-per-task=7 --gpus-per-node=8\n"
      "srun python3 train.py\n");
  CHECK(check_script(system_named("lumi"), s).empty());
}

TEST_CASE("check_script: --gres=gpu:4 on LUMI is a note naming the site's form") {
  const auto s = parse_sbatch_directives(
      "#SBATCH -A project_465000123 -p small-g --mem=240G\n"
      "#SBATCH -n 4 -c 7\n"
      "#SBATCH --gres=gpu:4\n"
      "srun python3 train.py\n");
  const auto f = check_script(system_named("lumi"), s);
  REQUIRE(ids(f) == std::vector<std::string>{"note gpu-syntax"});
  CHECK(f[0].line == 3);
  CHECK(f[0].message.find("means the same as --gpus-per-node=4") != std::string::npos);
  REQUIRE(f[0].fix.size() == 2);
  CHECK(f[0].fix[0].option == "gres");
  CHECK_FALSE(f[0].fix[0].value);
  CHECK(f[0].fix[1].option == "gpus-per-node");
  CHECK(f[0].fix[1].value == std::optional<std::string>("4"));
}

TEST_CASE("check_script: what the sites document is not reported") {
  // Alps: --gpus-per-task, no GPU option, no partition, no account.
  CHECK(check_script(system_named("alps-clariden"),
                     parse_sbatch_directives("#SBATCH --nodes=2 --ntasks-per-node=4\n"
                                             "#SBATCH --gpus-per-task=1\nsrun ./app\n"))
            .empty());
  CHECK(check_script(system_named("alps-clariden"),
                     parse_sbatch_directives("#SBATCH --nodes=2 --ntasks-per-node=4\n"
                                             "srun python train.py\n"))
            .empty());
  // LUMI: --tasks-per-node (Slurm's older spelling) and --mem=480G on standard-g.
  CHECK(check_script(system_named("lumi"),
                     parse_sbatch_directives(
                         "#SBATCH -A project_465000123 -p standard-g --nodes=2\n"
                         "#SBATCH --tasks-per-node=1 -c 56 --mem=480G --gpus-per-node=8\n"
                         "srun python -m torch.distributed.run --nproc_per_node=8 t.py\n"))
            .empty());
  // Alvis: no -p (the only partition) and no -c.
  CHECK(check_script(system_named("alvis"),
                     parse_sbatch_directives("#SBATCH -A NAISS2024-22-219 -t 1:00:00\n"
                                             "#SBATCH --gpus-per-node=A40:1\npython t.py\n"))
            .empty());
}

TEST_CASE("check_script: real problems the sites' forms can hide") {
  const auto lumi = [](const std::string& text) {
    return ids(check_script(system_named("lumi"), parse_sbatch_directives(text)));
  };
  const std::string head = "#SBATCH -A project_465000123 -p standard-g -c 7 --gpus-per-node=8\n";
  CHECK(lumi(head + "#SBATCH --ntasks-per-node=8\n"
                    "srun bash -c 'ROCR_VISIBLE_DEVICES=$SLURM_LOCALID LOCAL_RANK=$SLURM_LOCALID "
                    "python t.py'\n") == std::vector<std::string>{"error local-rank"});
  CHECK(lumi(head + "#SBATCH --ntasks-per-node=8\n"
                    "srun torchrun --nproc_per_node=8 t.py\n") ==
        std::vector<std::string>{"error launcher-per-gpu"});
  CHECK(lumi(head + "#SBATCH --ntasks-per-node=8\nexport OMP_NUM_THREADS=14\nsrun python t.py\n") ==
        std::vector<std::string>{"warning threads"});
  CHECK(lumi("#SBATCH -A project_465000123 -p small-g -n 8 -c 7 --gpus-per-node=8\n"
             "#SBATCH --mem-per-gpu=120G\nsrun python t.py\n") ==
        std::vector<std::string>{"error memory"});
  CHECK(lumi("#SBATCH -A project_465000123 -p standard-g -c 7 --gpus-per-node=1\npython t.py\n") ==
        std::vector<std::string>{"warning whole-node"});
  for (const char* placeholder : {"<ACCOUNT>", "<project>", "project_xxxxxxxxx", "project_<id>"}) {
    CHECK(lumi(std::string("#SBATCH -A ") + placeholder +
               " -p small-g -c 7 --mem=60G --gpus-per-node=1\npython t.py\n") ==
          std::vector<std::string>{"error account"});
  }
  const auto mahti = ids(check_script(
      system_named("mahti"),
      parse_sbatch_directives("#SBATCH -A project_2001234 -p gpumedium -N 2 -n 8 -c 32\n"
                              "#SBATCH --gres=gpu:a100:4,nvme:3600\nsrun python t.py\n")));
  CHECK(mahti == std::vector<std::string>{"error local-disk", "warning retired"});
}

TEST_CASE("finding ids: each has a rationale and a source") {
  for (const auto& f : finding_ids()) {
    CHECK_FALSE(f.rationale.empty());
    CHECK_FALSE(f.source.empty());
    CHECK(explain_finding(f.id) == &f);
  }
  CHECK(explain_finding("no-such-id") == nullptr);
}

TEST_CASE("check_script: limits come from the partition") {
  const auto s = parse_sbatch_directives(
      "#SBATCH -A project_2001234 -p gpusmall -t 2-00:00:00 -c 32\n"
      "#SBATCH --gres=gpu:a100:1\n"
      "python3 train.py\n");
  const auto f = check_script(system_named("mahti"), s);
  REQUIRE(ids(f) == std::vector<std::string>{"error time-limit", "warning retired"});
  CHECK(f[0].line == 1);
}

TEST_CASE("infer_system: from the partition and the GPU type") {
  auto lumi = infer_system(all_systems(), parse_sbatch_directives("#SBATCH -p small-g\n"));
  REQUIRE(lumi);
  CHECK((*lumi)->name == "lumi");
  auto puhti = infer_system(all_systems(),
                            parse_sbatch_directives("#SBATCH -p gputest --gres=gpu:v100:1\n"));
  REQUIRE(puhti);
  CHECK((*puhti)->name == "puhti");
  auto alvis =
      infer_system(all_systems(), parse_sbatch_directives("#SBATCH --gpus-per-node=A40:1\n"));
  REQUIRE(alvis);
  CHECK((*alvis)->name == "alvis");
  auto alps = infer_system(all_systems(), parse_sbatch_directives("#SBATCH -p normal\n"));
  REQUIRE_FALSE(alps);
  CHECK(alps.error().kind == ErrorKind::usage);
  CHECK(alps.error().message.find("--system") != std::string::npos);
  auto none = infer_system(all_systems(), parse_sbatch_directives("#SBATCH -p nowhere\n"));
  REQUIRE_FALSE(none);
  // mlsub's own header names the system; CSCS's plugins name Alps.
  auto header = infer_system(all_systems(),
                             parse_sbatch_directives("#!/bin/bash\n# Generated by mlsub 1. To "
                                                     "make it again:\n#   mlsub plan --system "
                                                     "alps-santis --gpus 4 t.py\n"));
  REQUIRE(header);
  CHECK((*header)->name == "alps-santis");
  auto uenv = infer_system(all_systems(), parse_sbatch_directives("#SBATCH --uenv=pytorch/v2.8.0\n"));
  REQUIRE_FALSE(uenv);
  CHECK(uenv.error().message.find("alps-clariden, alps-daint, alps-santis fit") !=
        std::string::npos);
  // Live systems before retired ones: gputest is Mahti's, Puhti's and Roihu's.
  auto live = infer_system(all_systems(),
                           parse_sbatch_directives("#SBATCH -p gputest --gres=gpu:4\n"));
  REQUIRE(live);
  CHECK((*live)->name == "roihu");
}

TEST_CASE("check_script: values sbatch cannot read") {
  const auto s = parse_sbatch_directives(
      "#SBATCH -A project_465000123 -p small-g -t 1:75:00 -N two --mem=60G -c 7\n"
      "#SBATCH --gpus-per-node=one\n"
      "python3 train.py\n");
  const auto f = check_script(system_named("lumi"), s);
  REQUIRE(ids(f) ==
          std::vector<std::string>{"error bad-value", "error bad-value", "error bad-value"});
  CHECK(f[0].message.find("write e.g. --nodes=1") != std::string::npos);
  CHECK(f[1].message.find("cannot read -t 1:75:00") != std::string::npos);
  CHECK(f[2].message.find("write it as --gpus-per-node=1") != std::string::npos);
}

// Accounts and command lines far longer than any real one: a std::regex
// would recurse once per character and overflow the stack.
TEST_CASE("check_script: a 200,000-character account or command line is read, not a crash") {
  const std::string huge(200'000, 'a');
  const auto s = parse_sbatch_directives(
      "#!/bin/bash\n"
      "#SBATCH -A " + huge + " -p small-g -t 1:00:00\n"
      "#SBATCH -n 1 -c 7 --gpus-per-node=1\n"
      "accelerate" + std::string(200'000, ' ') + "launch train.py\n"
      "srun " + huge + "\n");
  const auto f = check_script(system_named("lumi"), s);
  const auto account = std::find_if(f.begin(), f.end(), [](const Finding& x) { return x.id == "account"; });
  REQUIRE(account != f.end());
  // RE2 matches in linear time: the account is tried, and differs.
  CHECK(account->message == "--account=" + huge + " is not a lumi account (" +
                                system_named("lumi").account.why +
                                "): lumi accounts look like " +
                                system_named("lumi").account.placeholder);
}

TEST_CASE("check_script: which commands count as srun and as a launcher of several processes") {
  const auto findings = [](int nodes, const std::string& command) {
    const auto f = ids(check_script(
        system_named("lumi"),
        parse_sbatch_directives("#SBATCH -A project_465000123 -p standard-g -c 7\n"
                                "#SBATCH --nodes=" + std::to_string(nodes) +
                                " --ntasks-per-node=8 --gpus-per-node=8\n" + command + "\n")));
    return std::find_if(f.begin(), f.end(), [](const std::string& id) {
             return id == "error no-srun" || id == "warning single-process";
           }) == f.end()
               ? std::string("launched")
               : "not launched";
  };
  // Two nodes need srun (or mpirun) to reach the second one.
  CHECK(findings(2, "srun python3 train.py") == "launched");
  CHECK(findings(2, "x=1; srun\tpython3 train.py") == "launched");
  CHECK(findings(2, "$(srun hostname)") == "launched");
  CHECK(findings(2, "python3 train.py") == "not launched");
  CHECK(findings(2, "/opt/srun python3 train.py") == "not launched");
  CHECK(findings(2, "srun_wrapper python3 train.py") == "not launched");
  // One node, eight GPUs: anything that starts several processes.
  CHECK(findings(1, "torchrun --nproc-per-node=8 train.py") == "launched");
  CHECK(findings(1, "accelerate \t launch train.py") == "launched");
  CHECK(findings(1, "python3 -m torch.distributed.run train.py") == "launched");
  CHECK(findings(1, "python3 train.py") == "not launched");
  CHECK(findings(1, "accelerate launcher train.py") == "launched");  // as the regex read it
  CHECK(findings(1, "accelerate") == "not launched");
}
