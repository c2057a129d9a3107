// libFuzzer target: a systems/NAME.yaml file from arbitrary bytes.
//
// parse_system must never throw, crash or hang, and must either report at
// least one problem or return a System that keeps the invariants
// catalogue.hpp documents. A System that loads is then planned for a few
// requests and rendered with the built-in templates; every script must keep
// the invariants in invariants.hpp, whatever the catalogue says (a module
// name or GPU option with a newline in it must not add a line to the
// script). Each System that loads must also survive the build's packed
// form unchanged.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "invariants.hpp"
#include "mlsub/catalogue.hpp"
#include "mlsub/catalogue_pack.hpp"
#include "mlsub/planner.hpp"
#include "mlsub/render.hpp"

#ifndef MLSUB_SOURCE_DATA_DIR
#error "MLSUB_SOURCE_DATA_DIR must be defined by the build"
#endif

namespace {

using mlsub::fuzz::violated;

struct Templates {
  std::vector<mlsub::TemplateSet> by_launcher;
};

const Templates* g_templates = nullptr;

void check_system(const mlsub::System& s) {
  if (s.node_types.empty() || s.partitions.empty()) {
    violated("a system without node types or partitions loaded");
  }
  for (const auto& n : s.node_types) {
    if (n.gpus < 1 || static_cast<long long>(n.cpus_per_gpu) * n.gpus > n.cores) {
      violated("a node type breaks gpus >= 1 and cpus_per_gpu * gpus <= cores");
    }
  }
  for (const auto& p : s.partitions) {
    if (p.min_nodes < 1 || p.min_nodes > p.max_nodes || p.min_gpus < 1) {
      violated("a partition breaks 1 <= min_nodes <= max_nodes, min_gpus >= 1");
    }
  }
}

// No value that reaches the script may hold a NUL: bash cannot, and would
// silently cut the value there (the loader refuses NUL in the catalogue).
void check_no_nul(const mlsub::Plan& p) {
  const auto nul = [](const std::string& v) { return v.find('\0') != std::string::npos; };
  const auto any = [&](const std::vector<std::string>& vs) {
    return std::any_of(vs.begin(), vs.end(), nul);
  };
  bool bad = any(p.modules) || any(p.module_use) || any(p.run_prefix) || any(p.srun_options) ||
             any(p.cache_dirs) || any(p.program_argv) || nul(p.gpu_visibility_var) ||
             nul(p.cpu_bind.value_or("")) || nul(p.venv.value_or(""));
  for (const auto& [k, v] : p.env) {
    bad = bad || nul(k) || nul(v);
  }
  for (const auto& d : p.directives()) {
    bad = bad || nul(d.option) || nul(d.value);
  }
  if (bad) {
    violated("a NUL byte from the catalogue reached the plan");
  }
}

void plan_and_render(const mlsub::System& s, const mlsub::Request& r) {
  auto plan = mlsub::plan_job(s, r);
  if (!plan) {
    if (plan.error().message.empty()) {
      violated("plan_job failed without a message");
    }
    return;
  }
  check_no_nul(*plan);
  const auto& set = g_templates->by_launcher.at(static_cast<std::size_t>(plan->launcher));
  auto script = set.render(*plan, "0.0.0-fuzz");
  if (!script) {
    // The one refusal a catalogue can cause: a directive value sbatch could
    // not read (a control or non-ASCII byte in, say, a GPU type).
    if (script.error().message.rfind("#SBATCH --", 0) != 0) {
      violated("the built-in templates failed to render a plan", script.error().message);
    }
    return;
  }
  mlsub::fuzz::check_script(*plan, *script);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto* t = new Templates;
  const std::vector<std::string> dirs = {std::string(MLSUB_SOURCE_DATA_DIR) + "/templates"};
  for (const auto l : {mlsub::Launcher::python, mlsub::Launcher::srun, mlsub::Launcher::torchrun,
                       mlsub::Launcher::accelerate}) {
    auto set = mlsub::TemplateSet::load(dirs, l);
    if (!set) {
      violated("cannot load the built-in templates", set.error().message);
    }
    t->by_launcher.push_back(std::move(*set));
  }
  g_templates = t;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto system = mlsub::parse_system(text, "fuzz.yaml");
  if (!system) {
    if (system.error().message.empty() || system.error().kind != mlsub::ErrorKind::catalogue) {
      violated("an invalid catalogue file was refused without a catalogue message");
    }
    return 0;
  }
  check_system(*system);
  // The form the build compiles in (catalogue_pack.hpp) must give it back.
  const std::string packed = mlsub::pack_system(*system);
  const auto unpacked = mlsub::unpack_system(packed);
  if (!unpacked || mlsub::pack_system(*unpacked) != packed) {
    violated("a System packed and unpacked is not the same System");
  }

  mlsub::Request r;
  r.system = system->name;
  r.program = "train.py";
  r.args = {"--lr", "3e-4"};
  r.command_line = {"mlsub", "plan", "--system", system->name, "--gpus", "1", "train.py"};
  r.gpus = 1;
  plan_and_render(*system, r);
  r.gpus = 8;
  r.account = "project_465000123";
  r.account_origin = "--account";
  plan_and_render(*system, r);
  r.gpus.reset();
  r.nodes = 2;
  r.gpus_per_node = system->node_types.front().gpus;
  r.launcher = mlsub::Launcher::torchrun;
  r.container = "image.sif";
  plan_and_render(*system, r);
  return 0;
}
