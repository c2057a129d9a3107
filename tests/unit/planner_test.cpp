#include <catch2/catch.hpp>

#include <map>

#include "mlsub/catalogue.hpp"
#include "mlsub/planner.hpp"
#include "test_systems.hpp"

using namespace mlsub;
using mlsub::test::system_named;

namespace {

Request gpus(int n, const char* time = nullptr) {
  Request r;
  r.gpus = n;
  r.program = "train.py";
  if (time != nullptr) {
    r.time = *parse_duration(time);
  }
  return r;
}

// Alps has no default software environment: a job names a uenv (or an EDF).
Request alps(int n, const char* time = nullptr) {
  Request r = gpus(n, time);
  r.uenv = "pytorch/v2.9.1:/user-environment";
  return r;
}

bool has_warning(const Plan& p, const std::string& part) {
  for (const auto& w : p.warnings) {
    if (w.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

Plan must_plan(const std::string& system, const Request& r) {
  auto p = plan_job(system_named(system), r);
  if (!p) {
    FAIL(p.error().message);
  }
  return *p;
}

std::string must_reject(const std::string& system, const Request& r) {
  auto p = plan_job(system_named(system), r);
  REQUIRE_FALSE(p);
  return p.error().message;
}

std::string directive(const Plan& p, const std::string& option) {
  for (const auto& d : p.directives()) {
    if (d.option == option) {
      return d.value;
    }
  }
  return "(absent)";
}

}  // namespace

TEST_CASE("puhti: one GPU matches CSC's single-GPU example") {
  const Plan p = must_plan("puhti", gpus(1));
  CHECK(directive(p, "partition") == "gpu");
  CHECK(directive(p, "ntasks") == "1");
  CHECK(directive(p, "cpus-per-task") == "10");
  CHECK(directive(p, "mem") == "64G");
  CHECK(directive(p, "gres") == "gpu:v100:1");
  CHECK(p.launcher == Launcher::python);
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0] ==
        "puhti was retired on 2026-07-31 and runs no new jobs; its successor is roihu "
        "(--system roihu)");
}

TEST_CASE("puhti: gpu, and gputest only when named (a note when it fits)") {
  const Plan short_one = must_plan("puhti", gpus(1, "15"));
  CHECK(short_one.partition == "gpu");
  CHECK(has_warning(short_one, "would fit gputest"));
  CHECK_FALSE(has_warning(must_plan("puhti", gpus(1, "16")), "gputest"));
  CHECK(must_plan("puhti", gpus(1, "16")).partition == "gpu");
  const Plan two = must_plan("puhti", gpus(8, "10"));
  CHECK(two.partition == "gpu");
  CHECK(two.nodes == 2);
  CHECK(must_plan("puhti", gpus(12, "10")).partition == "gpu");
  const Plan big = must_plan("puhti", gpus(80));
  CHECK(big.nodes == 20);
  // CSC's default multi-GPU launch: torchrun, one task per node with every
  // core the node's GPUs get.
  CHECK(big.launcher == Launcher::torchrun);
  CHECK(directive(big, "ntasks-per-node") == "1");
  CHECK(directive(big, "cpus-per-task") == "40");
  CHECK(directive(big, "mem") == "256G");
  CHECK(must_plan("puhti", gpus(1, "3-00:00:00")).partition == "gpu");
}

TEST_CASE("puhti: limits are rejected with the limit and the way out") {
  CHECK(must_reject("puhti", gpus(84)) ==
        "puhti: no partition can run 84 GPUs (21 nodes x 4) for 1:00:00: gpu allows at most 20 "
        "nodes per job, the request needs 21; ask for at most 80 GPUs (20 nodes x 4)");
  CHECK(must_reject("puhti", gpus(7)) ==
        "puhti: 7 GPUs do not split evenly over nodes of 4; ask for 4 (1 node x 4) or 8 (2 "
        "nodes x 4), or give --nodes and --gpus-per-node (--nodes 7 --gpus-per-node 1)");
  Request named = gpus(1);
  named.partition = "gputest";
  CHECK(must_reject("puhti", named) ==
        "puhti: gputest allows at most 0:15:00, the request asks for 1:00:00; ask for --time "
        "0:15:00 or less, or use --partition gpu, which fits");
  CHECK(must_reject("puhti", gpus(1, "3-00:00:01")).find("gpu allows at most 3-00:00:00") !=
        std::string::npos);
  named.partition = "gpuu";
  CHECK(must_reject("puhti", named) ==
        "puhti: no partition 'gpuu'; did you mean 'gpu'? partitions: gputest, gpu (mlsub show "
        "puhti)");
  CHECK(plan_job(system_named("puhti"), named).error().kind == ErrorKind::usage);
  Request per_node = gpus(1);
  per_node.gpus.reset();
  per_node.nodes = 1;
  per_node.gpus_per_node = 5;
  CHECK(must_reject("puhti", per_node) ==
        "puhti: a v100 node has 4 GPUs, --gpus-per-node 5 asks for more");
}

TEST_CASE("count mismatches say the counts that work, from the node type") {
  Request r = gpus(3);
  r.nodes = 2;  // puhti: 4 GPUs a node
  CHECK(must_reject("puhti", r) ==
        "--gpus 3 does not split evenly over --nodes 2; use --gpus 2 or 4, or --nodes 1");
  CHECK(plan_job(system_named("puhti"), r).error().kind == ErrorKind::usage);
  r.gpus = 16;  // 8 a node on nodes of 4
  CHECK(must_reject("puhti", r) ==
        "--gpus 16 over --nodes 2 is 8 per node, and a node has 4; use --gpus 8, or --nodes 4");
  CHECK(must_plan("lumi", r).gpus_per_node == 8);  // LUMI nodes hold 8: it fits there
  r.gpus = 9;  // LUMI: 8 a node
  CHECK(must_reject("lumi", r) ==
        "--gpus 9 does not split evenly over --nodes 2; use --gpus 8 or 10, or --nodes 3");
  r.gpus = 8;
  r.gpus_per_node = 3;
  CHECK(must_reject("puhti", r) ==
        "--gpus 8 does not equal --nodes 2 x --gpus-per-node 3 (6); leave out --gpus, or use "
        "--gpus-per-node 4");
}

TEST_CASE("a time limit past every partition names the one that allows the longest") {
  // LUMI, 1 GPU for 4 days: small-g allows 3 days, standard-g 2.
  CHECK(must_reject("lumi", gpus(1, "4-00:00:00")) ==
        "lumi: no partition can run 1 GPU on 1 node for 4-00:00:00: small-g allows at most "
        "3-00:00:00, the request asks for 4-00:00:00; ask for --time 3-00:00:00 or less");
  // Named, the partition that would take it for longer is offered.
  Request named = gpus(1, "2-12:00:00");
  named.partition = "standard-g";
  CHECK(must_reject("lumi", named) ==
        "lumi: standard-g allows at most 2-00:00:00, the request asks for 2-12:00:00; ask for "
        "--time 2-00:00:00 or less, or use --partition small-g, which fits");
  named.time = *parse_duration("4-00:00:00");
  CHECK(must_reject("lumi", named) ==
        "lumi: standard-g allows at most 2-00:00:00, the request asks for 4-00:00:00; ask for "
        "--time 2-00:00:00 or less, or use --partition small-g with --time 3-00:00:00 or less");
}

TEST_CASE("a time limit under 5 minutes is warned about (1:30 is 90 seconds)") {
  Request r = gpus(1, "1:30");
  const Plan p = must_plan("lumi", r);
  CHECK(p.time.seconds == 90);
  CHECK(has_warning(p, "--time 0:01:30 is under 5 minutes: Slurm reads M:SS as minutes and "
                       "seconds and a bare number as minutes; for 1 hour and 30 minutes write "
                       "--time 1:30:00"));
  CHECK(has_warning(must_plan("lumi", gpus(1, "2")), "for 2 hours write --time 2:00:00"));
  CHECK_FALSE(has_warning(must_plan("lumi", gpus(1, "5")), "under 5 minutes"));
  CHECK_FALSE(has_warning(must_plan("lumi", gpus(1)), "under 5 minutes"));
}

TEST_CASE("puhti: accounts are checked against the site's form") {
  Request r = gpus(1);
  CHECK(must_plan("puhti", r).account_is_placeholder);
  CHECK(must_plan("puhti", r).account == "project_XXXXXXX");
  r.account = "project_2001234";
  r.account_origin = "--account";
  CHECK(must_plan("puhti", r).account == "project_2001234");
  CHECK_FALSE(must_plan("puhti", r).account_is_placeholder);
  r.account = "myproject";
  CHECK(must_reject("puhti", r).rfind("puhti: account 'myproject' (from --account) is not of "
                                      "the site's form project_[0-9]{7}",
                                      0) == 0);
}

TEST_CASE("a catalogue's account pattern that RE2 cannot read is a catalogue error naming it") {
  System broken = system_named("puhti");
  Request r = gpus(1);
  // A user catalogue may be written for a regex engine with lookaround or
  // backreferences; RE2 has neither.
  for (const std::string pattern : {"project_[0-9", "project_(?=2)[0-9]{7}", "(p)roject_\\1[0-9]+"}) {
    broken.account.pattern = pattern;
    r.account.reset();
    CHECK(plan_job(broken, r));  // no account given: the pattern is not needed
    r.account = "project_2001234";
    r.account_origin = "--account";
    const auto p = plan_job(broken, r);
    REQUIRE_FALSE(p);
    CHECK(p.error().kind == ErrorKind::catalogue);
    INFO(p.error().message);
    CHECK(p.error().message.find(broken.file + ": account.pattern '" + pattern +
                                 "' is not a regular expression mlsub can use (") == 0);
    CHECK(p.error().message.find("without lookaround ((?=, (?!) or backreferences (\\1): fix it "
                                 "in that file") != std::string::npos);
  }
}

TEST_CASE("mahti: gpusmall for 1-2 GPUs, gpumedium from 3, gputest only when named") {
  const Plan one = must_plan("mahti", gpus(1));
  CHECK(directive(one, "partition") == "gpusmall");
  CHECK(directive(one, "cpus-per-task") == "32");
  CHECK(directive(one, "mem") == "(absent)");
  CHECK(directive(one, "gres") == "gpu:a100:1");
  CHECK(must_plan("mahti", gpus(2)).partition == "gpusmall");
  CHECK(must_plan("mahti", gpus(3)).partition == "gpumedium");
  CHECK(must_plan("mahti", gpus(4)).partition == "gpumedium");
  CHECK(must_plan("mahti", gpus(24)).nodes == 6);
  CHECK(must_plan("mahti", gpus(4, "15")).partition == "gpumedium");
  CHECK(must_plan("mahti", gpus(8, "15")).partition == "gpumedium");
  Request r = gpus(4);
  r.partition = "gpusmall";
  CHECK(must_reject("mahti", r) ==
        "mahti: gpusmall allows at most 2 GPUs per job, the request has 4; ask for at most 2 "
        "GPUs, or use --partition gpumedium, which fits");
  CHECK(must_reject("mahti", gpus(28)).find("gpumedium allows at most 6 nodes per job") !=
        std::string::npos);
}

TEST_CASE("lumi: one GCD matches LUMI's example; a full node goes to standard-g") {
  const Plan one = must_plan("lumi", gpus(1));
  CHECK(directive(one, "partition") == "small-g");
  CHECK(directive(one, "ntasks") == "1");
  CHECK(directive(one, "cpus-per-task") == "7");
  CHECK(directive(one, "gpus-per-node") == "1");
  CHECK(directive(one, "mem") == "60G");
  const Plan full = must_plan("lumi", gpus(8));
  CHECK(full.partition == "standard-g");
  CHECK(full.launcher == Launcher::srun);
  CHECK(directive(full, "ntasks") == "8");
  CHECK(directive(full, "cpus-per-task") == "7");
  CHECK(directive(full, "mem") == "(absent)");
  CHECK(full.warnings.empty());
  CHECK(directive(must_plan("lumi", gpus(4)), "mem") == "240G");
  CHECK(must_plan("lumi", gpus(16)).nodes == 2);
  CHECK(must_plan("lumi", gpus(40)).partition == "standard-g");
  const Plan twelve = must_plan("lumi", gpus(12));
  CHECK(twelve.partition == "small-g");
  CHECK(twelve.gpus_per_node == 6);
}

TEST_CASE("lumi: dev-g only when named; whole-node partitions warn about waste") {
  const Plan short_full = must_plan("lumi", gpus(8, "30"));
  CHECK(short_full.partition == "standard-g");
  CHECK(has_warning(short_full, "would fit dev-g"));
  CHECK(has_warning(short_full, "2 jobs per user"));
  CHECK_FALSE(has_warning(must_plan("lumi", gpus(8, "31")), "dev-g"));
  Request sweep = gpus(1, "10");
  sweep.sweeps = {"lr=1,2,3,4,5"};
  CHECK(must_plan("lumi", sweep).partition == "small-g");
  sweep.sweeps = {"lr=1,2"};
  sweep.partition = "dev-g";
  CHECK(must_plan("lumi", sweep).partition == "dev-g");
  Request r = gpus(4);
  r.partition = "standard-g";
  const Plan p = must_plan("lumi", r);
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0] ==
        "standard-g gives whole nodes: the job is billed for 8 GPUs per node and uses 4");
  CHECK(must_reject("lumi", gpus(8, "3-00:00:00")) ==
        "lumi: no partition can run 8 GPUs on 1 node for 3-00:00:00: standard-g allows at most "
        "2-00:00:00, the request asks for 3-00:00:00; ask for --time 2-00:00:00 or less, or use "
        "--partition small-g, which fits");
}

TEST_CASE("alps: whole nodes, normal; debug only when named") {
  const Plan node = must_plan("alps-clariden", alps(4));
  CHECK(node.partition == "normal");
  CHECK(directive(node, "gpus-per-node") == "4");
  CHECK(directive(node, "cpus-per-task") == "72");
  CHECK(directive(node, "mem") == "(absent)");
  const Plan short_two = must_plan("alps-clariden", alps(8, "20"));
  CHECK(short_two.partition == "normal");
  CHECK(has_warning(short_two, "would fit debug"));
  CHECK(has_warning(short_two, "1 running and 2 submitted jobs per user"));
  CHECK_FALSE(has_warning(must_plan("alps-clariden", alps(16, "30")), "debug"));
  const Plan one = must_plan("alps-clariden", alps(1));
  REQUIRE(one.warnings.size() == 1);
  CHECK(one.warnings[0].find("gives whole nodes") != std::string::npos);
  CHECK(must_reject("alps-clariden", alps(4, "13:00:00")).find("--partition low") !=
        std::string::npos);
  CHECK(must_plan("alps-daint", alps(8, "30")).partition == "normal");
  Request named = alps(8, "30");
  named.partition = "debug";
  CHECK(must_plan("alps-daint", named).partition == "debug");
  // No default environment: a one-line refusal that shows both ways.
  for (const char* name : {"alps-clariden", "alps-daint", "alps-santis"}) {
    const auto p = plan_job(system_named(name), gpus(4));
    REQUIRE_FALSE(p);
    CHECK(p.error().kind == ErrorKind::usage);
    CHECK(p.error().message.find("--uenv pytorch/v2.9.1:/user-environment") != std::string::npos);
    CHECK(p.error().message.find("--edf FILE.toml") != std::string::npos);
    CHECK(p.error().message.find('\n') == std::string::npos);
  }
}

TEST_CASE("alvis: typed GPU requests, A40 by default") {
  const Plan one = must_plan("alvis", gpus(1));
  CHECK(directive(one, "gpus-per-node") == "A40:1");
  CHECK(directive(one, "cpus-per-task") == "16");
  Request r = gpus(4);
  r.gpu_type = "a100";
  CHECK(directive(must_plan("alvis", r), "gpus-per-node") == "A100:4");
  r.gpu_type = "T4";
  r.gpus = 8;
  const Plan t4 = must_plan("alvis", r);
  CHECK(t4.nodes == 1);
  CHECK(directive(t4, "gpus-per-node") == "T4:8");
  r.gpu_type = "h100";
  CHECK(must_reject("alvis", r) ==
        "alvis: no GPU type 'h100'; did you mean 'A100'? this system has A40, A100, A100fat, T4, "
        "V100 (mlsub show alvis)");
  CHECK(plan_job(system_named("alvis"), r).error().kind == ErrorKind::usage);
  r.gpu_type = "A4O";
  CHECK(must_reject("alvis", r) ==
        "alvis: no GPU type 'A4O'; did you mean 'A40'? this system has A40, A100, A100fat, T4, "
        "V100 (mlsub show alvis)");
}

TEST_CASE("roihu: gpumedium up to 4 GPUs, gpularge beyond (with its access note)") {
  const Plan one = must_plan("roihu", gpus(1));
  CHECK(one.partition == "gpumedium");
  CHECK(directive(one, "gres") == "gpu:gh200:1");
  CHECK(directive(one, "cpus-per-task") == "72");
  CHECK(must_plan("roihu", gpus(4, "10")).partition == "gpumedium");
  CHECK(must_plan("roihu", gpus(4)).partition == "gpumedium");
  const Plan eight = must_plan("roihu", gpus(8));
  CHECK(eight.partition == "gpularge");
  CHECK(has_warning(eight, "gpularge needs access"));
  CHECK(must_plan("roihu", gpus(16)).partition == "gpularge");
  CHECK(must_plan("roihu", gpus(20)).partition == "gpularge");
  CHECK(must_plan("roihu", gpus(40)).nodes == 10);
  CHECK_FALSE(plan_job(system_named("roihu"), gpus(44)));
  CHECK(must_plan("roihu", gpus(1)).warnings.empty());
}

TEST_CASE("the planner knows no site by name: an invented system plans from its YAML alone") {
  const Plan p = must_plan("tiny", gpus(8));
  CHECK(p.partition == "main");
  CHECK(p.nodes == 2);
  CHECK(directive(p, "gpus-per-node") == "4");
  CHECK(directive(p, "cpus-per-task") == "8");
  System changed = system_named("tiny");
  changed.gpu_request.option = "gres";
  changed.gpu_request.format = "gpu:{type}:{count}";
  changed.node_types[0].cpus_per_gpu = 6;
  auto q = plan_job(changed, gpus(8));
  REQUIRE(q);
  CHECK(directive(*q, "gres") == "gpu:g1:4");
  CHECK(directive(*q, "cpus-per-task") == "6");
}

TEST_CASE("launchers: python for one GPU, the site's launcher beyond, checked combinations") {
  CHECK(must_plan("lumi", gpus(2)).launcher == Launcher::srun);
  Request r = gpus(2);
  r.launcher = Launcher::python;
  const Plan p = must_plan("lumi", r);
  CHECK(directive(p, "ntasks") == "1");
  CHECK(directive(p, "cpus-per-task") == "14");
  REQUIRE(p.warnings.size() == 1);
  CHECK(p.warnings[0].find("--launcher srun") != std::string::npos);
  r.gpus = 16;
  CHECK(must_reject("lumi", r).find("use --launcher srun") != std::string::npos);
}

TEST_CASE("launchers: torchrun is one task per node with the node's GPUs' CPUs") {
  for (const char* name : {"puhti", "mahti", "roihu", "alvis"}) {
    CHECK(must_plan(name, gpus(4)).launcher == Launcher::torchrun);
  }
  Request r = gpus(16);
  r.launcher = Launcher::torchrun;
  const Plan p = must_plan("lumi", r);
  CHECK(p.nodes == 2);
  CHECK(directive(p, "ntasks-per-node") == "1");
  CHECK(directive(p, "cpus-per-task") == "56");
  r.program = "run.sh";
  r.args = {"--x"};
  const Plan q = must_plan("lumi", r);
  CHECK_FALSE(q.python_program);
  CHECK(q.program == "run.sh");
  CHECK(q.program_args == std::vector<std::string>{"--x"});
}

TEST_CASE("values that reach #SBATCH lines must be one line") {
  Request r = gpus(1);
  r.job_name = "ok\n#SBATCH --partition=evil";
  auto p = plan_job(system_named("lumi"), r);
  REQUIRE_FALSE(p);
  CHECK(p.error().kind == ErrorKind::usage);
  CHECK(p.error().message.rfind("--job-name holds a newline or control character", 0) == 0);
  r.job_name.reset();
  r.output = "logs/\r%j.out";
  CHECK_FALSE(plan_job(system_named("lumi"), r));
  r.output.reset();
  // sbatch cannot read the $'\xc3' form shell_quote writes for non-ASCII.
  r.job_name = "caf\xc3\xa9";
  p = plan_job(system_named("lumi"), r);
  REQUIRE_FALSE(p);
  CHECK(p.error().message.rfind("--job-name holds a byte that is not ASCII", 0) == 0);
  r.job_name.reset();
  r.program.clear();
  CHECK_FALSE(plan_job(system_named("lumi"), r));
}

TEST_CASE("every plan the planner returns respects the catalogue's limits") {
  for (const char* name : {"puhti", "mahti", "lumi", "alps-clariden", "alps-daint", "alps-santis",
                           "alvis", "roihu"}) {
    const System& s = system_named(name);
    for (int n = 1; n <= 64; ++n) {
      for (const char* t : {"10", "1:00:00", "1-12:00:00", "6-00:00:00"}) {
        INFO(name << " --gpus " << n << " --time " << t);
        const auto p = plan_job(s, std::string(name).rfind("alps", 0) == 0 ? alps(n, t)
                                                                            : gpus(n, t));
        if (!p) {
          CHECK(p.error().kind == ErrorKind::rejected);
          CHECK(p.error().message.rfind(std::string(name) + ": ", 0) == 0);
          continue;
        }
        const Partition* part = s.find_partition(p->partition);
        const NodeType* node = s.find_node_type(p->node_type);
        REQUIRE(part != nullptr);
        REQUIRE(node != nullptr);
        CHECK(p->gpus_total() == n);
        CHECK(p->nodes <= part->max_nodes);
        CHECK(p->nodes >= part->min_nodes);
        CHECK(p->time <= part->max_time);
        CHECK(p->gpus_per_node <= node->gpus);
        CHECK(p->cpus_per_task * p->tasks_per_node <= node->cores);
        if (part->max_gpus) {
          CHECK(n <= *part->max_gpus);
        }
        if (p->memory_per_node) {
          CHECK(*p->memory_per_node <= node->memory);
        }
      }
    }
  }
}

TEST_CASE("site specifics come from the catalogue: binding, local disk, advice, variables") {
  // LUMI binds each task to its CCD and GCD, but only when the job has
  // whole nodes (the masks assume all 8 GCDs).
  Request r = gpus(16);
  const Plan full = must_plan("lumi", r);
  REQUIRE(full.cpu_bind);
  CHECK(full.cpu_bind->rfind("mask_cpu:", 0) == 0);
  // Every task sees all GCDs, so LOCAL_RANK indexes one it can see.
  for (const auto& [k, v] : full.env) {
    CHECK(k != "ROCR_VISIBLE_DEVICES");
  }
  CHECK(full.gpu_visibility_var == "ROCR_VISIBLE_DEVICES");
  CHECK_FALSE(must_plan("lumi", gpus(4)).cpu_bind);
  // RCCL's network settings only where GPUs talk to each other.
  CHECK(full.env.at(0).first == "NCCL_SOCKET_IFNAME");
  CHECK(must_plan("lumi", gpus(1)).env.empty());
  // CSC's NVMe goes into the GPU request, within the node's limit.
  r = gpus(1);
  r.local_disk = Size{100 * 1024};
  const Plan disk = must_plan("puhti", r);
  CHECK(directive(disk, "gres") == "gpu:v100:1,nvme:100");
  r.local_disk = Size{4000 * 1024};
  CHECK(must_reject("puhti", r).find("at most 3600G of local disk") != std::string::npos);
  r.local_disk = Size{100 * 1024};
  CHECK(must_reject("lumi", r).find("no local disk to reserve") != std::string::npos);
  // Alvis warns about A40 nodes (no InfiniBand) in multi-node jobs.
  Request two;
  two.program = "train.py";
  two.nodes = 2;
  two.gpus_per_node = 4;
  const Plan a40 = must_plan("alvis", two);
  REQUIRE(a40.warnings.size() == 1);
  CHECK(a40.warnings[0].find("no InfiniBand") != std::string::npos);
  two.gpu_type = "A100";
  CHECK(must_plan("alvis", two).warnings.empty());
}

TEST_CASE("arrays and sweeps") {
  Request r = gpus(1);
  r.array = "0-9%2";
  CHECK(directive(must_plan("lumi", r), "array") == "0-9%2");
  for (const char* bad : {"", "0-9%", "a-b", ",1", "1,,2", "0-9%2%3", "1;id"}) {
    r.array = bad;
    CHECK(must_reject("lumi", r).find("is not Slurm's array syntax") != std::string::npos);
  }
  r.array.reset();
  r.sweeps = {"lr=1e-3,3e-4", "bs=32,64,128"};
  const Plan p = must_plan("lumi", r);
  CHECK(directive(p, "array") == "0-5");
  REQUIRE(p.sweep.size() == 6);
  CHECK(p.sweep[0] == std::vector<std::string>{"--lr", "1e-3", "--bs", "32"});
  CHECK(p.sweep[5] == std::vector<std::string>{"--lr", "3e-4", "--bs", "128"});
  r.array = "0-5";
  CHECK(must_reject("lumi", r).find("leave out --array") != std::string::npos);
  r.array.reset();
  r.sweeps = {"noequals"};
  CHECK(must_reject("lumi", r).find("write NAME=V1,V2") != std::string::npos);
}

TEST_CASE("requeue on timeout: USR2 to the batch shell, requeue, append to the log") {
  Request r = gpus(1);
  r.requeue_lead_seconds = 300;
  const Plan p = must_plan("lumi", r);
  CHECK(directive(p, "signal") == "B:USR2@300");
  CHECK(directive(p, "open-mode") == "append");
  bool requeue = false;
  for (const auto& d : p.directives()) {
    requeue = requeue || (d.option == "requeue" && d.value.empty());
  }
  CHECK(requeue);
}

TEST_CASE("Alps: uenv and the Container Engine, from the catalogue") {
  Request r = gpus(8);
  r.uenv = "pytorch/v2.8.0:/user-environment";
  const Plan u = must_plan("alps-daint", r);
  CHECK(directive(u, "uenv") == "pytorch/v2.8.0:/user-environment");
  CHECK(directive(u, "view") == "default");
  bool libfabric = false;
  for (const auto& [k, v] : u.env) {
    libfabric = libfabric || (k == "NCCL_NET" && v == "AWS Libfabric");
  }
  CHECK(libfabric);
  CHECK(must_reject("lumi", r).find("knows no user environments") != std::string::npos);
  r.uenv.reset();
  r.edf = "./ngc.toml";
  const Plan e = must_plan("alps-clariden", r);
  CHECK(e.srun_options == std::vector<std::string>{"--mpi=pmix", "--network=disable_rdzv_get",
                                                   "--environment=./ngc.toml"});
  r.plain_edf = true;
  CHECK(must_plan("alps-clariden", r).srun_options ==
        std::vector<std::string>{"--environment=./ngc.toml"});
  r.plain_edf = false;
  CHECK(must_reject("puhti", r).find("knows no Container Engine") != std::string::npos);
  r.container = "x.sif";
  CHECK_FALSE(plan_job(system_named("alps-clariden"), r));
}

TEST_CASE("a job cannot have more nodes of a type than the site has") {
  Request r;
  r.program = "train.py";
  r.nodes = 9;
  r.gpus_per_node = 1;
  r.gpu_type = "A100fat";  // Alvis has 8 of them; the partition allows 20 nodes
  CHECK(must_reject("alvis", r) ==
        "alvis: there are 8 A100fat nodes, the request needs 9; ask for 8 nodes or fewer, or "
        "another --gpu-type");
  r.nodes = 8;
  CHECK(must_plan("alvis", r).nodes == 8);
}

TEST_CASE("the user's --env comes after the site's variables, so it wins") {
  Request r = gpus(8);
  r.uenv = "pytorch/v2.8.0:/user-environment";
  r.env = {"NCCL_CROSS_NIC=0"};
  const Plan p = must_plan("alps-daint", r);
  REQUIRE_FALSE(p.env.empty());
  CHECK(p.env.back() == std::make_pair(std::string("NCCL_CROSS_NIC"), std::string("0")));
}

// libstdc++'s std::regex matched by recursion, one level per character: a
// 100,000-character account crashed mlsub on Alvis (NAISS[0-9]{4}-[0-9]+-...)
// with a stack overflow. RE2 matches in linear time without recursion.
TEST_CASE("a very long account is matched by the site's pattern, without a crash") {
  Request r = gpus(1);
  r.account = "NAISS2024-1-" + std::string(100000, '1');
  r.account_origin = "--account";
  CHECK(plan_job(system_named("alvis"), r));
  r.account = "NAISS2024-1-" + std::string(100000, '1') + "x";
  auto p = plan_job(system_named("alvis"), r);
  REQUIRE_FALSE(p);
  CHECK(p.error().kind == ErrorKind::rejected);
}

// (On roihu, which records no per-user job cap: LUMI's 210 would refuse
// these arrays first.)
// The product used to be built before its size was checked: 1,000 values
// times a sweep of 100,000 commas took 16 GB and a minute before mlsub died.
TEST_CASE("a sweep product past the array limit is refused before it is built") {
  Request r = gpus(1);
  std::string a = "a=1";
  for (int i = 2; i <= 1000; ++i) {
    a += "," + std::to_string(i);
  }
  r.sweeps = {a, "b=" + std::string(100000, ',')};
  CHECK(must_reject("roihu", r).find("more than 10000 jobs") != std::string::npos);
  r.sweeps = {a, "b=1,2,3,4,5,6,7,8,9,10"};
  CHECK(must_plan("roihu", r).sweep.size() == 10000);
  r.sweeps = {a, "b=1,2,3,4,5,6,7,8,9,10,11"};
  CHECK(must_reject("roihu", r).find("more than 10000 jobs") != std::string::npos);
}

// The sweep table repeats each value in every task: one 100 KB value in
// 10,000 tasks would have made a gigabyte of script.
TEST_CASE("a sweep table past 16 MB is refused before it is built") {
  Request r = gpus(1);
  r.sweeps = {"a=" + std::string(100000, 'x'), "b=" + std::string(9999, ',')};
  CHECK(must_reject("roihu", r).find("more than 16 MB") != std::string::npos);
  r.sweeps = {"a=" + std::string(1000, 'x'), "b=" + std::string(9999, ',')};
  CHECK(must_plan("roihu", r).sweep.size() == 10000);
}

// LUMI counts every array task against a partition's per-user job cap
// (210 in small-g and standard-g, 2 in dev-g), pending tasks included.
TEST_CASE("an array over a partition's per-user job cap is refused with the fix") {
  Request r = gpus(1, "2:00:00");
  r.partition = "small-g";
  r.array = "0-299";
  const std::string why = must_reject("lumi", r);
  CHECK(why.find("small-g allows 210 jobs per user") != std::string::npos);
  CHECK(why.find("300 array tasks") != std::string::npos);
  CHECK(why.find("%N") != std::string::npos);
  CHECK(why.find("split the sweep into arrays of at most 210 tasks") != std::string::npos);
  r.array = "0-209";
  CHECK(must_plan("lumi", r).partition == "small-g");
  // Steps, lists and a %N limit: the tasks are counted, the limit changes nothing.
  r.array = "0-418:2,1000%4";  // 210 + 1 tasks
  CHECK(must_reject("lumi", r).find("211 array tasks") != std::string::npos);
  // A sweep is an array too.
  r.array.reset();
  r.sweeps = {"lr=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15", "seed=" + std::string(14, ',')};
  CHECK(must_reject("lumi", r).find("225 array tasks") != std::string::npos);
  // dev-g (a test queue) only when named, and then within its cap of 2.
  Request shortjob = gpus(1, "0:20:00");
  shortjob.array = "0-1";
  CHECK(must_plan("lumi", shortjob).partition == "small-g");
  shortjob.partition = "dev-g";
  CHECK(must_plan("lumi", shortjob).partition == "dev-g");
  shortjob.array = "0-9";
  CHECK(must_reject("lumi", shortjob).find("dev-g allows 2 jobs per user") != std::string::npos);
}

TEST_CASE("Mahti's MIG slices: one per job, 4 cores, memory fixed by the site") {
  Request r = gpus(1);
  r.gpu_type = "a100_1g.5gb";
  const Plan p = must_plan("mahti", r);
  CHECK(p.partition == "gpusmall");
  CHECK(directive(p, "gres") == "gpu:a100_1g.5gb:1");
  CHECK(p.cpus_per_task == 4);
  CHECK_FALSE(p.memory_per_node);
  r.gpus = 2;
  const std::string why = must_reject("mahti", r);
  CHECK(why.find("at most 1 a100_1g.5gb") != std::string::npos);
  CHECK(why.find("--gpu-type a100") != std::string::npos);
  // Slices are only in gpusmall.
  r.gpus = 1;
  r.partition = "gpumedium";
  CHECK(must_reject("mahti", r).find("has no a100_1g.5gb nodes") != std::string::npos);
}

TEST_CASE("Roihu refuses --local-disk and says what CSC documents instead") {
  Request r = gpus(1);
  r.local_disk = Size{100 * 1024};
  const std::string why = must_reject("roihu", r);
  CHECK(why.find("$TMPDIR there (150 GiB per user") != std::string::npos);
  CHECK(why.find("--bb") != std::string::npos);
  CHECK(why.find("--exclusive") != std::string::npos);
  // Where a disk is reserved, --explain names the variable from the catalogue.
  const Plan disk = must_plan("puhti", r);
  bool named = false;
  for (const auto& reason : disk.reasons) {
    named = named || (reason.field == "local disk" &&
                      reason.why.find("$LOCAL_SCRATCH") != std::string::npos);
  }
  CHECK(named);
}

TEST_CASE("Alps: no account line without --account, and CSCS's uenv variables") {
  Request r = gpus(1);
  r.edf = "./pytorch.toml";  // Alps has no default environment
  const Plan p = must_plan("alps-clariden", r);
  CHECK(directive(p, "account") == "(absent)");
  CHECK_FALSE(p.account_is_placeholder);
  r.account = "g123";
  CHECK(directive(must_plan("alps-clariden", r), "account") == "g123");
  // Placeholder sites keep their placeholder.
  CHECK(must_plan("lumi", gpus(1)).account_is_placeholder);
  // The four variables of CSCS's PyTorch uenv template, one GPU or many.
  r.edf.reset();
  r.uenv = "pytorch/v2.9.1:/user-environment";
  const Plan uenv = must_plan("alps-daint", r);
  std::map<std::string, std::string> env(uenv.env.begin(), uenv.env.end());
  CHECK(env["MPICH_GPU_SUPPORT_ENABLED"] == "0");
  CHECK(env["TORCH_NCCL_ASYNC_ERROR_HANDLING"] == "1");
  CHECK(env["TRITON_HOME"] == "/dev/shm/");
  CHECK(env["CUDA_CACHE_DISABLE"] == "1");
  CHECK(env.count("NCCL_NET") == 0);  // the NCCL list stays for multi-GPU jobs
  // Without the uenv none of them.
  Request edf = gpus(1);
  edf.edf = "./pytorch.toml";
  CHECK(must_plan("alps-daint", edf).env.empty());
}

TEST_CASE("assumed facts are marked in the reasons, and C3SE's rendezvous is explained") {
  const Plan p = must_plan("alvis", gpus(1));
  std::map<std::string, Reason> by_field;
  for (const auto& reason : p.reasons) {
    by_field[reason.field] = reason;
  }
  CHECK(by_field["cpus-per-task"].assumed.find("64 cores / 4 GPUs") != std::string::npos);
  CHECK(by_field["gpus-per-node"].assumed.empty());
  // T4's 4 cores per GPU has a C3SE source of its own.
  Request t4 = gpus(1);
  t4.gpu_type = "T4";
  for (const auto& reason : must_plan("alvis", t4).reasons) {
    if (reason.field == "cpus-per-task") {
      CHECK(reason.assumed.empty());
      CHECK(reason.source.find("c3se/alvis-intro") != std::string::npos);
    }
  }
  Request two;
  two.program = "train.py";
  two.gpus = 8;
  two.gpu_type = "A100";
  bool rendezvous = false;
  for (const auto& reason : must_plan("alvis", two).reasons) {
    rendezvous = rendezvous || (reason.field == "rendezvous" &&
                                reason.value == "$PROEPI_HEAD_NODE:$PROEPI_FREE_PORT");
  }
  CHECK(rendezvous);
  // The assumed 20-node cap says so when it refuses.
  Request big;
  big.program = "train.py";
  big.gpus = 84;
  big.gpu_type = "A100";
  CHECK(must_reject("alvis", big).find("an assumed cap") != std::string::npos);
}

TEST_CASE("issue 14: the default environment, launcher-looking programs, accelerate") {
  // LUMI: the AI Factory image by default, the bindings module on the host.
  const Plan lumi = must_plan("lumi", gpus(8));
  REQUIRE(lumi.run_prefix.size() == 3);
  CHECK(lumi.run_prefix[0] == "singularity");
  CHECK(lumi.run_prefix[1] == "run");
  CHECK(lumi.run_prefix[2].find("/appl/local/laifs/containers/lumi-multitorch-") == 0);
  CHECK(lumi.modules == std::vector<std::string>{"lumi-aif-singularity-bindings"});
  Request r = gpus(1);
  r.modules = {"Local-CSC/default/pytorch"};
  CHECK(must_plan("lumi", r).run_prefix.empty());  // --module: the host environment
  // A container brings PyTorch: no site module, the venv inside every task.
  r = gpus(4);
  r.container = "pt.sif";
  r.venv = "venv";
  const Plan roihu = must_plan("roihu", r);
  CHECK(roihu.modules.empty());
  CHECK(roihu.module_purge);
  CHECK(roihu.venv_in_task);
  CHECK(roihu.run_prefix == std::vector<std::string>{"apptainer", "exec", "--nv",
                                                     "--bind=\"$(csc-common-bind)\"", "pt.sif"});
  r.container.reset();
  CHECK_FALSE(must_plan("roihu", r).venv_in_task);
  // torchrun: one task per node, its processes share the task's CPUs.
  const Plan torch = must_plan("roihu", gpus(4));
  CHECK(torch.processes_per_task == 4);
  CHECK(torch.cpus_per_task == 288);
  CHECK(must_plan("lumi", gpus(8)).processes_per_task == 1);
  // --launcher accelerate: like torchrun, one task per node.
  r = gpus(16);
  r.launcher = Launcher::accelerate;
  const Plan acc = must_plan("lumi", r);
  CHECK(acc.tasks_per_node == 1);
  CHECK(acc.processes_per_task == 8);
  CHECK(acc.cpus_per_task == 56);
  // A launcher as the program would start once per GPU: refused (usage).
  for (const auto& [program, args] :
       std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"torchrun", {"train.py"}},
           {"/opt/bin/deepspeed", {"train.py"}},
           {"accelerate", {"launch", "train.py"}},
           {"python3", {"-m", "torch.distributed.run", "train.py"}},
           {"python", {"-m", "torch.distributed.launch", "train.py"}}}) {
    Request bad = gpus(4);
    bad.program = program;
    bad.args = args;
    const auto p = plan_job(system_named("roihu"), bad);
    INFO(program);
    REQUIRE_FALSE(p);
    CHECK(p.error().kind == ErrorKind::usage);
    CHECK(p.error().message.find("use --launcher") != std::string::npos);
  }
  Request fine = gpus(4);
  fine.program = "python3";
  fine.args = {"-m", "mypackage.train"};
  CHECK(plan_job(system_named("roihu"), fine));
}
