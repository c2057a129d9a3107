// mlsub show SYSTEM: one system's nodes, partitions and rules.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mlsub/catalogue.hpp"
#include "mlsub/system_json.hpp"
#include "mlsub/words.hpp"
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

// A value, marked where the catalogue says no site page states it.
std::string marked(std::string value, const FactNotes& facts, std::string_view field) {
  return facts.assumed(field).empty() ? value : value + " (assumed)";
}

std::string per_user_text(const Partition& p) {
  if (!p.max_jobs_per_user && !p.max_running_per_user) {
    return "-";
  }
  std::string text = p.max_jobs_per_user ? plural(*p.max_jobs_per_user, "job") : "";
  if (p.max_running_per_user) {
    text += fmt::format("{}{} running", text.empty() ? "" : ", ", *p.max_running_per_user);
  }
  return text;
}

// Every fact the catalogue marks as assumed, with why: `show` must never
// let one pass for the site's rule.
void print_assumptions(const System& s) {
  std::vector<std::string> lines;
  const auto add = [&lines](const std::string& where, const FactNotes& facts) {
    for (const auto& n : facts.notes) {
      if (!n.assumed.empty()) {
        lines.push_back(fmt::format("  {}{}: {}", where, n.field, n.assumed));
      }
    }
  };
  add("account.", s.account.facts);
  add("gpu_request.", s.gpu_request.facts);
  add("memory.", s.memory.facts);
  add("launch.", s.launch.facts);
  add("environment.", s.environment.facts);
  if (s.monitoring) {
    add("monitoring.", s.monitoring->facts);
  }
  for (const auto& n : s.node_types) {
    add(fmt::format("node type {}: ", n.name), n.facts);
  }
  for (const auto& p : s.partitions) {
    add(fmt::format("partition {}: ", p.name), p.facts);
  }
  if (lines.empty()) {
    return;
  }
  fmt::print("\nAssumed (no page of the site states these; mlsub's own figures):\n");
  for (const auto& line : lines) {
    fmt::print("{}\n", line);
  }
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
    const FactNotes& f = n.facts;
    nodes.add({n.name, n.gpu_model, marked(std::to_string(n.gpus), f, "gpus"),
               marked(format_size(n.gpu_memory), f, "gpu_memory"),
               marked(std::to_string(n.cores), f, "cores"), marked(format_size(n.memory), f, "memory"),
               marked(std::to_string(n.cpus_per_gpu), f, "cpus_per_gpu"),
               marked(std::to_string(n.count), f, "count")});
  }
  fmt::print("{}", nodes.str("  "));
  fmt::print("\nPartitions (plan tries them in this order):\n");
  Table parts({"NAME", "MAX TIME", "NODES", "GPUS/JOB", "CPUS/JOB", "PER USER", "WHOLE NODES",
               "CHOSEN BY PLAN"});
  for (const auto& p : s.partitions) {
    std::string gpus = optional_text(p.max_gpus);
    if (p.min_gpus > 1) {
      gpus = p.max_gpus ? fmt::format("{}-{}", p.min_gpus, *p.max_gpus)
                        : fmt::format("{} or more", p.min_gpus);
    }
    parts.add({p.name, marked(format_duration(p.max_time), p.facts, "max_time"),
               marked(fmt::format("{}-{}", p.min_nodes, p.max_nodes), p.facts, "max_nodes"), gpus,
               optional_text(p.max_cpus), per_user_text(p), p.whole_node ? "yes" : "no",
               auto_text(p)});
  }
  fmt::print("{}", parts.str("  "));
  fmt::print("\nRules:\n");
  fmt::print("  GPU request: --{}={}\n", s.gpu_request.option, s.gpu_request.format);
  if (s.memory.policy == MemoryPolicy::per_gpu && s.memory.per_gpu) {
    fmt::print("  memory:      --mem = {} per GPU on the node\n", format_size(*s.memory.per_gpu));
  } else {
    fmt::print("  memory:      {}\n",
               marked("assigned by the site (no --mem)", s.memory.facts, "policy"));
  }
  if (s.account.required) {
    fmt::print("  account:     {}{}\n", s.account.placeholder,
               s.account.pattern ? fmt::format(" (must match {})", *s.account.pattern) : "");
  } else {
    fmt::print("  account:     not needed: without --account the job goes to your primary "
               "project\n");
  }
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
    if (!s.monitoring->site_tool.empty()) {
      tools += fmt::format("{}in the job: {}", tools.empty() ? "" : "; ", s.monitoring->site_tool);
    }
    if (s.monitoring->none_documented) {
      tools = fmt::format("no site tool documented: {}", s.monitoring->why);
    }
    fmt::print("  monitoring:  {}\n", tools);
  }
  for (const auto& n : s.node_types) {
    if (n.local_disk_gres && n.local_disk_max) {
      fmt::print("  local disk:  {}: up to {} per node with --local-disk, at ${}\n", n.name,
                 format_size(*n.local_disk_max), n.local_disk_variable);
    } else if (!n.local_disk_variable.empty()) {
      fmt::print("  local disk:  {}: none to reserve; every job has ${}{}\n", n.name,
                 n.local_disk_variable,
                 n.local_disk_size ? fmt::format(" ({} per user)", format_size(*n.local_disk_size))
                                   : std::string());
    }
  }
  for (const auto& c : s.constraints) {
    fmt::print("  constraint:  -C {}: {}\n", c.name, c.meaning);
  }
  fmt::print("  catalogue:   {}\n", s.file);
  print_assumptions(s);
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
  app->add_option("system", options->system, "The system (see: mlsub systems)")
      ->type_name("SYSTEM")
      ->required();
  app->add_flag("--json", options->json, "Print the system's catalogue entry as JSON");
  app->footer(
      "Examples:\n"
      "  mlsub show lumi\n"
      "  mlsub show alvis --json");
  return Command{app, [&global, options]() { return run_show(global, *options); }};
}

}  // namespace mlsub::cli
