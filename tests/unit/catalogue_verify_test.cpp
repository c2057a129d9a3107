// mlsub catalogue verify and import over scontrol output of Slurm 23.11 and
// 24.05 (tests/fixtures/slurm, written from the man pages; see its README).
// The lab's 22.05 is read for real by tests/slurm/catalogue.sh.

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "mlsub/catalogue_verify.hpp"
#include "mlsub/slurm.hpp"

using namespace mlsub;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(MLSUB_TEST_DATA_DIR "/fixtures/slurm/" + name, std::ios::binary);
  REQUIRE(in);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Answers scontrol from fixture texts; an error stands for a command that
// failed or hung (the real client's errors are checked on the lab).
class FixtureSlurm final : public SlurmClient {
 public:
  explicit FixtureSlurm(std::string version) : m_version(std::move(version)) {}
  std::optional<Error> broken;
  int probes = 0;
  bool accepts_gpus_per_node = true;

  Expected<Submitted> submit(const std::string&, const SubmitFlags&) override {
    return fail(ErrorKind::slurm, "not asked");
  }
  Expected<std::string> test_only(const std::string& script, const SubmitFlags&) override {
    ++probes;
    std::ifstream in(script);
    std::stringstream s;
    s << in.rdbuf();
    if (s.str().find("--gpus-per-node") != std::string::npos && !accepts_gpus_per_node) {
      return fail(ErrorKind::slurm, "Slurm would refuse the job: Invalid generic resource");
    }
    return std::string("sbatch: Job 1 to start at 2026-12-01T10:00:00");
  }
  Expected<std::vector<JobState>> queued(const std::vector<std::string>&) override { return {}; }
  Expected<std::vector<QueuedJob>> mine() override { return {}; }
  Expected<std::optional<JobState>> show(const std::string&) override {
    return std::optional<JobState>();
  }
  Expected<void> cancel(const std::string&) override { return {}; }
  Expected<std::optional<std::string>> find_by_comment(const std::string&) override {
    return std::optional<std::string>();
  }
  Expected<std::string> partitions_text() override { return answer("partitions"); }
  Expected<std::string> nodes_text() override { return answer("nodes"); }
  Expected<std::string> config_text() override { return answer("config"); }

 private:
  Expected<std::string> answer(const std::string& what) {
    if (broken) {
      return tl::unexpected(*broken);
    }
    return fixture(what + "-" + m_version + ".txt");
  }
  std::string m_version;
};

SiteView site_of(const std::string& version, std::vector<std::string> skip = {}) {
  FixtureSlurm slurm(version);
  auto site = read_site(slurm, skip);
  REQUIRE(site);
  return *site;
}

std::vector<FactCheck> differences(const std::vector<FactCheck>& all) {
  std::vector<FactCheck> out;
  for (const auto& f : all) {
    if (f.status == FactStatus::differs) {
      out.push_back(f);
    }
  }
  return out;
}

System imported(const SiteView& site, const std::string& name) {
  auto text = import_system(site, ImportOptions{name, "2026-12-01", "", std::nullopt});
  REQUIRE(text);
  auto system = parse_system(*text, name + ".yaml");
  INFO(*text);
  REQUIRE(system);
  return *system;
}

}  // namespace

TEST_CASE("gres lists: typed, untyped, socket bindings, several") {
  auto g = parse_gres("gpu:A100:4(S:0-1)");
  REQUIRE(g.size() == 1);
  CHECK(g[0].name == "gpu");
  CHECK(g[0].type == "A100");
  CHECK(g[0].count == 4);
  g = parse_gres("gpu:mi250:8(S:0-7),nvme:3600");
  REQUIRE(g.size() == 2);
  CHECK(g[1].name == "nvme");
  CHECK(g[1].type.empty());
  CHECK(g[1].count == 3600);
  g = parse_gres("gpu:4");
  REQUIRE(g.size() == 1);
  CHECK(g[0].type.empty());
  CHECK(g[0].count == 4);
  CHECK(parse_gres("(null)").empty());
  CHECK(parse_gres("").empty());
}

TEST_CASE("hostlists expand as Slurm writes them") {
  auto h = expand_hostlist("g[001-003,7],x1,nid[005000-005001]");
  REQUIRE(h);
  CHECK(*h == std::vector<std::string>{"g001", "g002", "g003", "g7", "x1", "nid005000",
                                       "nid005001"});
  CHECK(expand_hostlist("")->empty());
  CHECK_FALSE(expand_hostlist("g[1-"));
  CHECK_FALSE(expand_hostlist("g[3-1]"));
  CHECK_FALSE(expand_hostlist("g[1-99999999]"));
}

TEST_CASE("time limits: UNLIMITED is none, the rest as sbatch writes them") {
  CHECK_FALSE(parse_slurm_limit("UNLIMITED")->has_value());
  CHECK_FALSE(parse_slurm_limit("NONE")->has_value());
  CHECK(parse_slurm_limit("2-00:00:00")->value().seconds == 2 * 86400);
  CHECK(parse_slurm_limit("00:30:00")->value().seconds == 1800);
  CHECK(parse_slurm_limit("60")->value().seconds == 3600);
  CHECK_FALSE(parse_slurm_limit("soon"));
}

TEST_CASE("scontrol show partition of Slurm 23.11 and 24.05") {
  auto p = parse_partitions(fixture("partitions-23.11.txt"));
  REQUIRE(p);
  REQUIRE(p->size() == 4);
  const SlurmPartition& gpu = (*p)[1];
  CHECK(gpu.name == "gpu");
  CHECK(gpu.is_default);
  CHECK(gpu.max_time->seconds == 2 * 86400);
  CHECK(gpu.default_time->seconds == 1800);
  CHECK(gpu.max_nodes == 16);
  CHECK(gpu.def_cpu_per_gpu == 16);
  CHECK_FALSE(gpu.def_mem_per_gpu);
  CHECK_FALSE(gpu.exclusive);
  const SlurmPartition& large = (*p)[2];
  CHECK(large.exclusive);
  CHECK(large.min_nodes == 2);
  CHECK_FALSE(large.default_time);
  CHECK((*p)[3].nodes.empty());
  CHECK((*p)[3].state == "INACTIVE");
  CHECK_FALSE((*p)[3].max_time);

  auto q = parse_partitions(fixture("partitions-24.05.txt"));
  REQUIRE(q);
  REQUIRE(q->size() == 2);
  CHECK((*q)[0].def_cpu_per_gpu == 7);
  CHECK((*q)[0].def_mem_per_gpu->mib == 61440);
  CHECK((*q)[0].max_mem_per_node->mib == 491520);
  CHECK((*q)[1].exclusive);
  CHECK((*q)[1].max_nodes == 1024);
}

TEST_CASE("scontrol show node: effective CPUs over threads, memory, gres, features") {
  auto n = parse_nodes(fixture("nodes-24.05.txt"));
  REQUIRE(n);
  REQUIRE(n->size() == 100);
  const SlurmNode& first = n->front();
  CHECK(first.name == "nid005000");
  CHECK(first.cpus == 112);  // CPUEfctv: 128 less the specialised cores
  CHECK(first.cores() == 56);
  CHECK(first.memory.mib == 491520);
  CHECK(first.gpu()->type == "mi250");
  CHECK(first.gpu()->count == 8);
  CHECK(first.features == std::vector<std::string>{"AMD_EPYC_7A53", "x1005"});
  CHECK(first.partitions == std::vector<std::string>{"small-g", "standard-g"});

  auto m = parse_nodes(fixture("nodes-23.11.txt"));
  REQUIRE(m);
  CHECK(m->size() == 56);
  CHECK(m->back().gres.empty());
  // Reason= holds spaces; it does not spill into other keys.
  CHECK(std::any_of(m->begin(), m->end(),
                    [](const SlurmNode& x) { return x.state == "DOWN+DRAIN"; }));
}

TEST_CASE("scontrol output that is not scontrol's is an error, not a guess") {
  CHECK_FALSE(parse_partitions("Partition gpu is up\n"));
  CHECK_FALSE(parse_partitions("PartitionName=gpu MaxNodes=lots\n"));
  CHECK_FALSE(parse_nodes("NodeName=x CPUTot=many\n"));
  CHECK(parse_config("Configuration data as of now\nClusterName = c1\nSLURM_VERSION = 24.05.3\n")
            .at("ClusterName") == "c1");
}

TEST_CASE("site node types: grouped by GPU type, the common shape, every node counted") {
  const auto types = site_node_types(site_of("23.11"));
  REQUIRE(types.size() == 2);
  CHECK(types[0].gpu_type == "A100");
  CHECK(types[0].count == 44);  // 40 + 4 big-memory nodes (one with 3 GPUs)
  CHECK(types[0].gpus == 4);
  CHECK(types[0].cores == 64);
  CHECK(types[0].memory.mib == 256000);  // the smaller kind
  CHECK(types[0].partitions == std::vector<std::string>{"gpu", "gpu-large"});
  CHECK(types[1].gpu_type == "V100");
  CHECK(types[1].count == 10);
  CHECK(types[1].partitions == std::vector<std::string>{"gpu"});
}

TEST_CASE("nodes with a skipped feature are left out of node types") {
  const auto site = site_of("23.11", {"mem1024"});
  CHECK(site.skipped_nodes.size() == 4);
  CHECK(site_node_types(site)[0].count == 40);
}

TEST_CASE("import writes a file that loads, plans, and verifies with no difference") {
  for (const std::string version : {"23.11", "24.05"}) {
    INFO(version);
    const SiteView site = site_of(version);
    const System s = imported(site, "imported");
    // What Slurm told: the GPU partitions, limits and node types.
    if (version == "23.11") {
      REQUIRE(s.partitions.size() == 2);  // cpu (no GPUs) and maint (no nodes) left out
      CHECK(s.partitions[0].name == "gpu");
      CHECK(s.partitions[0].is_default);
      CHECK(s.partitions[0].max_nodes == 16);
      CHECK(s.partitions[1].whole_node);
      CHECK(s.partitions[1].min_nodes == 2);
      CHECK(s.partitions[1].node_types == std::vector<std::string>{"A100"});
      CHECK(s.default_time.seconds == 1800);
      REQUIRE(s.node_types.size() == 2);
      CHECK(s.node_types[0].cpus_per_gpu == 16);
      CHECK(s.node_types[1].cpus_per_gpu == 8);
      CHECK(s.memory.policy == MemoryPolicy::per_gpu);
      CHECK(s.memory.per_gpu->mib == 62 * 1024);  // 256000 MiB / 4, whole GiB
    } else {
      CHECK(s.node_types[0].cores == 56);
      CHECK(s.node_types[0].cpus_per_gpu == 7);  // DefCpuPerGPU
      CHECK(s.node_types[0].facts.assumed("cpus_per_gpu").empty());
      CHECK(s.node_types[0].gpu_vendor == GpuVendor::amd);
      CHECK(s.partitions[1].whole_node);
    }
    // What it could not tell is marked assumed, never stated as the site's.
    CHECK_FALSE(s.launch.facts.assumed("multi_gpu").empty());
    CHECK_FALSE(s.environment.facts.assumed("modules").empty());
    CHECK_FALSE(s.account.facts.assumed("required").empty());
    CHECK_FALSE(s.gpu_request.facts.assumed("option").empty());  // not probed here
    CHECK_FALSE(s.node_types[0].facts.assumed("gpu_memory").empty());
    CHECK(s.partitions[0].source.url == "slurm://" + site.cluster);

    const auto findings = verify_system(s, site, std::nullopt);
    for (const auto& f : differences(findings)) {
      FAIL_CHECK(f.subject << ": " << f.field << ": " << f.catalogue << " vs " << f.site);
    }
    CHECK(std::any_of(findings.begin(), findings.end(), [](const FactCheck& f) {
      return f.status == FactStatus::not_checked && f.subject == "launch";
    }));
  }
}

TEST_CASE("import takes the GPU form sbatch --test-only accepts") {
  const SiteView site = site_of("23.11");
  FixtureSlurm slurm("23.11");
  auto form = probe_gpu_form(slurm, site, ".");
  REQUIRE(form);
  CHECK(form->option == "gpus-per-node");
  CHECK(form->format == "{type}:{count}");
  CHECK(form->probed);
  slurm.accepts_gpus_per_node = false;
  form = probe_gpu_form(slurm, site, ".");
  REQUIRE(form);
  CHECK(form->option == "gres");
  CHECK(form->format == "gpu:{type}:{count}");
  auto text = import_system(site, ImportOptions{"x", "2026-12-01", "", form});
  REQUIRE(text);
  auto s = parse_system(*text, "x.yaml");
  REQUIRE(s);
  CHECK(s->gpu_request.option == "gres");
  CHECK(s->gpu_request.facts.assumed("option").empty());  // Slurm accepted it
}

TEST_CASE("verify reports exactly what changed, with the catalogue's source") {
  const SiteView site = site_of("23.11");
  System s = imported(site, "changed");
  s.partitions[0].max_time = Duration{3 * 86400};
  s.node_types[1].gpus = 8;
  s.node_types[1].cpus_per_gpu = 4;
  s.partitions.push_back(s.partitions[1]);
  s.partitions.back().name = "gone";
  s.partitions.back().facts = {};
  s.partitions.back().source = SourceRef{"https://hpc.example.org/gone", "2026-11-01"};
  const auto diff = differences(verify_system(s, site, std::nullopt));
  REQUIRE(diff.size() == 3);
  CHECK(diff[0].subject == "partition gpu");
  CHECK(diff[0].field == "max_time");
  CHECK(diff[0].catalogue == "3-00:00:00");
  CHECK(diff[0].site == "2-00:00:00");
  CHECK(diff[0].changes_plan);
  CHECK(diff[1].subject == "partition gone");
  CHECK(diff[1].field == "exists");
  CHECK(diff[1].source.url == "https://hpc.example.org/gone");
  CHECK(diff[1].source.checked == "2026-11-01");
  CHECK(diff[2].subject == "node type V100");
  CHECK(diff[2].field == "gpus");
  CHECK(diff[2].catalogue == "8");
  CHECK(diff[2].site == "4");
}

TEST_CASE("verify: Slurm's per-partition defaults and memory cap") {
  const SiteView site = site_of("24.05");
  System s = imported(site, "amd");
  // DefMemPerGPU on small-g only: memory stays mlsub's per-GPU share.
  REQUIRE(s.memory.policy == MemoryPolicy::per_gpu);
  CHECK(s.memory.per_gpu->mib == 60 * 1024);  // Slurm's DefMemPerGPU on small-g: holds
  s.node_types[0].cpus_per_gpu = 8;           // Slurm's DefCpuPerGPU is 7
  s.memory.per_gpu = Size{64 * 1024};         // 8 x 64G is over MaxMemPerNode (480G)
  s.node_types[0].memory = Size{600 * 1024};  // over MaxMemPerNode on small-g (and RealMemory)
  const auto diff = differences(verify_system(s, site, std::nullopt));
  std::vector<std::string> fields;
  for (const auto& f : diff) {
    fields.push_back(f.subject + ": " + f.field + (f.changes_plan ? " (plan)" : ""));
  }
  CHECK(fields ==
        std::vector<std::string>{"partition small-g: DefCpuPerGPU (mi250 cpus_per_gpu)",
                                 "partition small-g: DefMemPerGPU (memory.per_gpu)",
                                 "partition small-g: MaxMemPerNode (mi250 memory) (plan)",
                                 "node type mi250: memory (plan)"});
}

TEST_CASE("paths are checked only where asked, and a missing one is a difference") {
  const SiteView site = site_of("23.11");
  System s = imported(site, "paths");
  s.environment.module_use = {"/nonexistent/modules", MLSUB_TEST_DATA_DIR};
  MonitoringRule energy;
  energy.energy_counter = "gpu-energy";
  s.monitoring = energy;
  auto findings = verify_system(s, site, std::nullopt);
  int unchecked = 0;
  for (const auto& f : findings) {
    if (f.field == "module_use" || f.field == "energy_counter") {
      CHECK(f.status == FactStatus::not_checked);
      ++unchecked;
    }
  }
  CHECK(unchecked == 3);
  const PathProbe here{[](const std::string& p) { return p == MLSUB_TEST_DATA_DIR; },
                       [](const std::string& t) { return t == "gpu-energy"; }};
  const auto diff = differences(verify_system(s, site, here));
  REQUIRE(diff.size() == 1);
  CHECK(diff[0].catalogue == "/nonexistent/modules");
  CHECK(diff[0].changes_plan);
}

TEST_CASE("a Slurm command that fails or hangs stops read_site with its error") {
  FixtureSlurm slurm("23.11");
  slurm.broken = slurm_process_error(ProcessError{ProcessError::timed_out, "scontrol", ""},
                                     std::chrono::seconds(30));
  auto site = read_site(slurm, {});
  REQUIRE_FALSE(site);
  CHECK(site.error().kind == ErrorKind::slurm);
  CHECK(site.error().message.find("scontrol did not finish within 30 s") != std::string::npos);
}

TEST_CASE("import: names Slurm reports cannot break the file") {
  SiteView site = site_of("23.11");
  site.cluster = "evil\n# x: y\"";
  site.partitions[2].name = "gpu \"#1\": x";  // gpu-large
  for (auto& n : site.nodes) {
    std::replace(n.partitions.begin(), n.partitions.end(), std::string("gpu-large"),
                 site.partitions[2].name);
    for (auto& g : n.gres) {
      if (g.type == "V100") {
        g.type = "v100 [\"x\"]";
      }
    }
  }
  const System s = imported(site, "odd");
  CHECK(s.partitions[1].name == "gpu \"#1\": x");
  CHECK(s.partitions[0].source.url == "slurm://evil---x--y-");
  CHECK(s.node_types[1].gpu_type == "v100 [\"x\"]");
  CHECK(s.node_types[1].name == "v100___x__");
}
