// mlsub systems: the catalogue as a table or JSON.

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

struct SystemsOptions {
  bool json = false;
  bool names = false;
};

std::string gpu_summary(const System& s) {
  std::vector<std::string> parts;
  for (const auto& n : s.node_types) {
    parts.push_back(fmt::format("{} x {}", n.gpus, n.gpu_type));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

int run_systems(const GlobalOptions& global, const SystemsOptions& o) {
  const Catalogue catalogue = open_catalogue(global);
  if (o.names) {
    // For shell completion: names only, without reading the files.
    for (const auto& name : catalogue.names()) {
      fmt::print("{}\n", name);
    }
    return k_exit_ok;
  }
  auto systems = catalogue.load_all();
  if (!systems) {
    print_error(systems.error());
    return exit_code_for(systems.error().kind);
  }
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : *systems) {
      out.push_back(to_json(s));
    }
    fmt::print("{}\n", out.dump(2));
    return k_exit_ok;
  }
  Table table({"NAME", "GPUS PER NODE", "NODES", "PARTITIONS", "STATUS"});
  for (const auto& s : *systems) {
    int nodes = 0;
    for (const auto& n : s.node_types) {
      nodes += n.count;
    }
    table.add({s.name, gpu_summary(s), std::to_string(nodes),
               fmt::format("{}", fmt::join(s.partition_names(), " ")),
               s.retired ? fmt::format("retired {}, use {}", s.retired->date, s.retired->successor)
                         : std::string("in service")});
  }
  fmt::print("{}", table.str());
  return k_exit_ok;
}

}  // namespace

Command setup_systems_command(CLI::App& root, const GlobalOptions& global) {
  auto options = std::make_shared<SystemsOptions>();
  CLI::App* app = root.add_subcommand("systems", "List the systems in the catalogue");
  app->add_flag("--json", options->json, "Print every system's full entry as JSON");
  app->add_flag("--names", options->names, "Print only the names, one per line");
  app->footer(
      "Examples:\n"
      "  mlsub systems\n"
      "  mlsub systems --json | jq '.[].name'\n"
      "\n"
      "Add or override systems with YAML files in ~/.config/mlsub/systems/, a\n"
      "directory in $MLSUB_SYSTEMS_PATH, or --catalogue DIR (docs/catalogue.md).");
  return Command{app, [&global, options]() { return run_systems(global, *options); }};
}

}  // namespace mlsub::cli
