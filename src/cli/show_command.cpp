// mlsub show SYSTEM: one system's nodes, partitions and rules.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mlsub/catalogue.hpp"
#include "mlsub/system_json.hpp"
#include "output.hpp"
#include "table.hpp"

namespace mlsub::cli {
namespace {

struct ShowOptions {
  std::string system;
  bool json = false;
};

std::string optional_text(const std::optional<int>& v) {
  return v ? std::to_string(*v) : std::string("-");
}

std::string auto_text(const Partition& p) {
  std::string text;
  switch (p.auto_select) {
    case AutoSelect::always:
      text = "yes";
      break;
    case AutoSelect::partial_nodes:
      text = "partial nodes";
      break;
    case AutoSelect::never:
      return "only by name";
    case AutoSelect::test:
      return "only by name (a test queue)";
  }
  if (p.auto_max_time) {
    text += fmt::format(", up to {}", format_duration(*p.auto_max_time));
  }
  return text;
}

void print_system(const System& s) {
  fmt::print("{}: {}\n", s.name, s.title);
  fmt::print("  site: {}\n  docs: {}\n", s.site, s.docs);
  if (s.retired) {
    fmt::print("  RETIRED on {}: {} Successor: {}.\n", s.retired->date, s.retired->note,
               s.retired->successor);
  }
  fmt::print("\nNode types (the first is the default):\n");
  Table nodes({"TYPE", "GPU", "GPUS", "GPU MEMORY", "CORES", "MEMORY", "CPUS/GPU", "NODES"});
  for (const auto& n : s.node_types) {
    nodes.add({n.name, n.gpu_model, std::to_string(n.gpus), format_size(n.gpu_memory),
               std::to_string(n.cores), format_size(n.memory), std::to_string(n.cpus_per_gpu),
               std::to_string(n.count)});
  }
  fmt::print("{}", nodes.str("  "));
  fmt::print("\nPartitions (plan tries them in this order):\n");
  Table parts({"NAME", "MAX TIME", "NODES", "GPUS/JOB", "CPUS/JOB", "WHOLE NODES", "CHOSEN BY PLAN"});
  for (const auto& p : s.partitions) {
    std::string gpus = optional_text(p.max_gpus);
    if (p.min_gpus > 1) {
      gpus = p.max_gpus ? fmt::format("{}-{}", p.min_gpus, *p.max_gpus)
                        : fmt::format("{} or more", p.min_gpus);
    }
    parts.add({p.name, format_duration(p.max_time), fmt::format("{}-{}", p.min_nodes, p.max_nodes),
               gpus, optional_text(p.max_cpus), p.whole_node ? "yes" : "no", auto_text(p)});
  }
  fmt::print("{}", parts.str("  "));
  fmt::print("\nRules:\n");
  fmt::print("  GPU request: --{}={}\n", s.gpu_request.option, s.gpu_request.format);
  if (s.memory.policy == MemoryPolicy::per_gpu && s.memory.per_gpu) {
    fmt::print("  memory:      --mem = {} per GPU on the node\n", format_size(*s.memory.per_gpu));
  } else {
    fmt::print("  memory:      assigned by the site (no --mem)\n");
  }
  fmt::print("  account:     {}{}\n", s.account.placeholder,
             s.account.pattern ? fmt::format(" (must match {})", *s.account.pattern) : "");
  fmt::print("  default time {}; more than one GPU starts with {}\n",
             format_duration(s.default_time), launcher_name(s.launch.multi_gpu));
  // Where PyTorch comes from when the job names no environment.
  const auto& env = s.environment;
  if (env.container && env.container->image) {
    fmt::print("  software:    image {} ({} {})\n", *env.container->image, env.container->runtime,
               env.container->verb);
  } else if (!env.modules.empty()) {
    fmt::print("  software:    module load {}\n", fmt::join(env.modules, " "));
  } else if (!env.no_default.empty()) {
    fmt::print("  software:    no default: {}\n", env.no_default);
  }
  if (s.monitoring) {
    std::string tools;
    if (s.monitoring->energy_counter) {
      tools = fmt::format("energy from {} --save/--diff", *s.monitoring->energy_counter);
    }
    if (!s.monitoring->efficiency_tool.empty()) {
      tools += fmt::format("{}after the job: {}", tools.empty() ? "" : "; ",
                           s.monitoring->efficiency_tool);
    }
    fmt::print("  monitoring:  {}\n", tools);
  }
  fmt::print("  catalogue:   {}\n", s.file);
}

int run_show(const GlobalOptions& global, const ShowOptions& o) {
  const Catalogue catalogue = open_catalogue(global);
  auto system = catalogue.load(o.system);
  if (!system) {
    print_error(system.error());
    return exit_code_for(system.error().kind);
  }
  if (o.json) {
    fmt::print("{}\n", to_json(*system).dump(2));
  } else {
    print_system(*system);
  }
  return k_exit_ok;
}

}  // namespace

Command setup_show_command(CLI::App& root, const GlobalOptions& global) {
  auto options = std::make_shared<ShowOptions>();
  CLI::App* app = root.add_subcommand("show", "Show one system's nodes, partitions and limits");
  app->add_option("system", options->system, "The system (see: mlsub systems)")->required();
  app->add_flag("--json", options->json, "Print the system's catalogue entry as JSON");
  app->footer(
      "Examples:\n"
      "  mlsub show lumi\n"
      "  mlsub show alvis --json");
  return Command{app, [&global, options]() { return run_show(global, *options); }};
}

}  // namespace mlsub::cli
