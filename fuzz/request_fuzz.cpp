// libFuzzer target: a command line, from arbitrary bytes, through the path
// `mlsub plan` takes: CLI11 parses the job flags (add_request_options, the
// binary's own code), to_request checks them, plan_job plans against the
// built-in catalogue and the built-in templates render the script.
//
// The input is split on NUL bytes into words (argv can hold no NUL, so
// every other byte, newlines included, can be in a word). Nothing may
// crash, hang or leak; every word must survive shell_quote (invariants.hpp),
// and every script must keep the script invariants: above all, its #SBATCH
// lines are exactly the plan's directives, so no value added one.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "invariants.hpp"
#include "mlsub/catalogue.hpp"
#include "mlsub/planner.hpp"
#include "mlsub/render.hpp"
#include "request_options.hpp"

#ifndef MLSUB_SOURCE_DATA_DIR
#error "MLSUB_SOURCE_DATA_DIR must be defined by the build"
#endif

namespace {

using mlsub::fuzz::violated;

struct World {
  std::map<std::string, mlsub::System, std::less<>> systems;
  std::vector<mlsub::TemplateSet> templates;  // indexed by Launcher
};

const World* g_world = nullptr;

constexpr std::size_t k_max_words = 256;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The account must come from the input alone.
  unsetenv("MLSUB_ACCOUNT");
  unsetenv("SBATCH_ACCOUNT");
  auto* w = new World;
  const std::string data = MLSUB_SOURCE_DATA_DIR;
  auto all = mlsub::Catalogue({data + "/systems"}).load_all();
  if (!all || all->empty()) {
    violated("cannot load the built-in catalogue");
  }
  for (auto& s : *all) {
    std::string name = s.name;
    w->systems.emplace(std::move(name), std::move(s));
  }
  for (const auto l : {mlsub::Launcher::python, mlsub::Launcher::srun, mlsub::Launcher::torchrun,
                       mlsub::Launcher::accelerate}) {
    auto set = mlsub::TemplateSet::load({data + "/templates"}, l);
    if (!set) {
      violated("cannot load the built-in templates", set.error().message);
    }
    w->templates.push_back(std::move(*set));
  }
  g_world = w;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> words;
  for (std::size_t start = 0; start <= input.size() && words.size() < k_max_words;) {
    auto end = input.find('\0', start);
    if (end == std::string_view::npos) {
      end = input.size();
    }
    words.emplace_back(input.substr(start, end - start));
    start = end + 1;
  }
  for (const auto& w : words) {
    mlsub::fuzz::check_quote(w);
  }

  CLI::App app{"fuzz", "mlsub"};
  mlsub::cli::RequestOptions options;
  mlsub::cli::add_request_options(app, options);
  std::vector<char*> argv;
  std::string argv0 = "mlsub";
  argv.push_back(argv0.data());
  for (auto& w : words) {
    argv.push_back(w.data());
  }
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError&) {
    return 0;  // the binary prints it and exits 2
  }

  std::vector<std::string> command_line = {"mlsub", "plan"};
  command_line.insert(command_line.end(), words.begin(), words.end());
  auto request = mlsub::cli::to_request(options, command_line);
  if (!request) {
    if (request.error().message.empty()) {
      violated("to_request failed without a message");
    }
    return 0;
  }
  const auto system = g_world->systems.find(request->system);
  if (system == g_world->systems.end()) {
    return 0;  // Catalogue::load refuses it
  }
  auto plan = mlsub::plan_job(system->second, *request);
  if (!plan) {
    if (plan.error().message.empty()) {
      violated("plan_job failed without a message");
    }
    return 0;
  }
  auto script = g_world->templates.at(static_cast<std::size_t>(plan->launcher))
                    .render(*plan, "0.0.0-fuzz");
  if (!script) {
    violated("the built-in templates failed to render a plan", script.error().message);
  }
  mlsub::fuzz::check_script(*plan, *script);
  return 0;
}
