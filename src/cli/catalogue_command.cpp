// mlsub catalogue verify | import: the catalogue against the live site's
// Slurm (include/mlsub/catalogue_verify.hpp does the work; this prints).

#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <system_error>
#include <unistd.h>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mlsub/catalogue.hpp"
#include "mlsub/catalogue_verify.hpp"
#include "mlsub/file.hpp"
#include "mlsub/slurm.hpp"
#include "output.hpp"
#include "repeatable.hpp"

namespace mlsub::cli {
namespace {

namespace fs = std::filesystem;

struct CatalogueOptions {
  std::string system;   // verify
  std::string name;     // import
  bool json = false;
  bool check_paths = false;
  std::vector<std::string> skip_features;
  std::string output;
  bool force = false;
  bool probe = true;
  std::string docs;
  int timeout_s = 30;
};

const char* status_word(FactStatus s) {
  switch (s) {
    case FactStatus::holds:
      return "holds";
    case FactStatus::differs:
      return "differs";
    case FactStatus::not_checked:
      return "not_checked";
  }
  return "";
}

bool on_path(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "";
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const std::string dir(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    if (!dir.empty() && ::access((fs::path(dir) / tool).c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

// Paths are looked for only with --check-paths (on the site's host).
std::optional<PathProbe> path_probe(bool check_paths) {
  if (!check_paths) {
    return std::nullopt;
  }
  return PathProbe{[](const std::string& p) {
                     std::error_code ec;
                     return fs::exists(p, ec);
                   },
                   on_path};
}

// The findings counted by status; `plan` counts the differences that change a plan.
struct Tally {
  int differs = 0;
  int plan = 0;
  int holds = 0;
  int unchecked = 0;
};

Tally tally(const std::vector<FactCheck>& findings) {
  Tally t;
  for (const auto& f : findings) {
    t.differs += f.status == FactStatus::differs;
    t.plan += f.status == FactStatus::differs && f.changes_plan;
    t.holds += f.status == FactStatus::holds;
    t.unchecked += f.status == FactStatus::not_checked;
  }
  return t;
}

// --json: every finding, then the counts of differences.
void print_verify_json(const System& system, const SiteView& site,
                       const std::vector<FactCheck>& findings, const Tally& t) {
  nlohmann::json out;
  out["system"] = system.name;
  out["cluster"] = site.cluster;
  out["skipped_nodes"] = site.skipped_nodes;
  out["findings"] = nlohmann::json::array();
  for (const auto& f : findings) {
    out["findings"].push_back({{"subject", f.subject},
                               {"field", f.field},
                               {"status", status_word(f.status)},
                               {"catalogue", f.catalogue},
                               {"site", f.site},
                               {"changes_plan", f.changes_plan},
                               {"source", f.source.url},
                               {"checked", f.source.checked}});
  }
  out["differences"] = t.differs;
  out["plan_changing"] = t.plan;
  fmt::print("{}\n", out.dump(2));
}

// Text: the differences first, then what was not checked, then one summary line.
void print_verify_text(const System& system, const SiteView& site,
                       const std::vector<FactCheck>& findings, const Tally& t) {
  for (const auto& f : findings) {
    if (f.status == FactStatus::differs) {
      fmt::print("differs: {}: {}: catalogue {}, site {}{} (source {}, checked {})\n",
                 printable(f.subject), printable(f.field), printable(f.catalogue),
                 printable(f.site), f.changes_plan ? "; plans change" : "",
                 printable(f.source.url), f.source.checked);
    }
  }
  for (const auto& f : findings) {
    if (f.status == FactStatus::not_checked) {
      fmt::print("not checked: {}: {}: {} ({}; source {}, checked {})\n", printable(f.subject),
                 printable(f.field), printable(f.catalogue), printable(f.site),
                 printable(f.source.url), f.source.checked);
    }
  }
  fmt::print("{} on cluster {}: {} differences ({} change plans), {} facts hold, {} not "
             "checked{}\n",
             system.name, printable(site.cluster), t.differs, t.plan, t.holds, t.unchecked,
             site.skipped_nodes.empty()
                 ? std::string()
                 : fmt::format(", {} nodes skipped", site.skipped_nodes.size()));
}

// `catalogue verify`: exit 11 (k_exit_differs) when a difference changes a plan.
int run_verify(const GlobalOptions& global, const CatalogueOptions& o) {
  auto system = open_catalogue(global).load(o.system);
  if (!system) {
    return fail_with(system.error());
  }
  auto slurm = make_slurm_client(std::chrono::seconds(o.timeout_s));
  auto site = read_site(*slurm, o.skip_features);
  if (!site) {
    return fail_with(site.error());
  }
  const auto findings = verify_system(*system, *site, path_probe(o.check_paths));
  const Tally t = tally(findings);
  if (o.json) {
    print_verify_json(*system, *site, findings, t);
  } else {
    print_verify_text(*system, *site, findings, t);
  }
  return t.plan > 0 ? k_exit_differs : k_exit_ok;
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

fs::path default_output() {
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) {
    return fs::path(xdg) / "mlsub" / "systems";
  }
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : ".") / ".config" / "mlsub" / "systems";
}

// Writes `text` to `path` atomically: a temporary file beside it, then a
// rename (with --force) or a hard link, which fails when `path` exists.
Expected<void> write_new(const fs::path& path, const std::string& text, bool force) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const fs::path tmp = path.parent_path() / fmt::format(".{}.tmp-{}", path.filename().string(),
                                                         ::getpid());
  if (auto w = write_file(tmp, text); !w) {
    return w;
  }
  if (force) {
    fs::rename(tmp, path, ec);
  } else if (::link(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    fs::remove(tmp, ec);
    if (err == EEXIST) {
      return fail(ErrorKind::io, fmt::format("{} exists; pass --force to replace it, or "
                                             "--output DIR to write elsewhere",
                                             path.string()));
    }
    return fail(ErrorKind::io, fmt::format("cannot write {}: {}", path.string(),
                                           std::generic_category().message(err)));
  } else {
    fs::remove(tmp, ec);
    ec.clear();
  }
  if (ec) {
    fs::remove(tmp, ec);
    return fail(ErrorKind::io, fmt::format("cannot write {}: {}", path.string(), ec.message()));
  }
  return {};
}

int run_import(const GlobalOptions& global, const CatalogueOptions& o) {
  (void)global;
  const bool good_name =
      !o.name.empty() && o.name.size() <= 64 &&
      o.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos &&
      o.name.front() != '-';
  if (!good_name) {
    return fail_with(Error{ErrorKind::usage,
                           fmt::format("'{}' is not a system name; use lower-case letters, digits "
                                       "and '-' (e.g. mycluster)",
                                       printable(o.name))});
  }
  auto slurm = make_slurm_client(std::chrono::seconds(o.timeout_s));
  auto site = read_site(*slurm, o.skip_features);
  if (!site) {
    return fail_with(site.error());
  }
  const fs::path dir = o.output.empty() ? default_output() : fs::path(o.output);
  const fs::path path = dir / (o.name + ".yaml");
  std::error_code ec;
  if (!o.force && fs::exists(path, ec)) {
    return fail_with(Error{ErrorKind::io,
                           fmt::format("{} exists; pass --force to replace it, or --output DIR "
                                       "to write elsewhere",
                                       path.string())});
  }
  ImportOptions io{o.name, today(), o.docs, std::nullopt};
  if (o.probe) {
    io.gpu_form = probe_gpu_form(*slurm, *site, fs::temp_directory_path(ec).string());
  }
  auto text = import_system(*site, io);
  if (!text) {
    return fail_with(text.error());
  }
  // The file must load as it is: a problem here is mlsub's own bug.
  auto parsed = parse_system(*text, path.string());
  if (!parsed) {
    return fail_with(Error{ErrorKind::catalogue,
                           "the imported file does not load (please report it): " +
                               parsed.error().message});
  }
  if (auto w = write_new(path, *text, o.force); !w) {
    return fail_with(w.error());
  }
  fmt::print("{}\n", path.string());
  print_note(fmt::format("{} node types and {} partitions from cluster {}; every fact Slurm "
                         "cannot tell is marked assumed (mlsub show {} lists them)",
                         parsed->node_types.size(), parsed->partitions.size(),
                         printable(site->cluster), o.name));
  return k_exit_ok;
}

void add_slurm_options(CLI::App* app, CatalogueOptions& o) {
  repeatable(app->add_option("--skip-feature", o.skip_features,
                             "Leave out nodes with this Slurm feature (repeatable), e.g. nodes "
                             "kept for something else")
                 ->type_name("FEATURE"));
  app->add_option("--timeout", o.timeout_s,
                  "Seconds to wait for each Slurm command before giving up (default: 30)")
      ->check(CLI::Range(1, 3600))
      ->type_name("SECONDS");
}

// `catalogue verify`: its flags and help.
CLI::App* add_verify_command(CLI::App* app, CatalogueOptions& o) {
  CLI::App* verify = app->add_subcommand(
      "verify", "Compare systems/SYSTEM.yaml with what this cluster's Slurm reports");
  verify->add_option("--system,-s", o.system, "The catalogue's system to check")
      ->required()
      ->type_name("SYSTEM");
  verify->add_flag("--json", o.json, "Every fact compared, as JSON");
  verify->add_flag("--check-paths", o.check_paths,
                   "Also check that the paths the catalogue names (container images, module "
                   "directories, energy tools) exist here: use it on the site's login node");
  add_slurm_options(verify, o);
  verify->footer(
      "Examples:\n"
      "  mlsub catalogue verify --system lumi --check-paths\n"
      "  mlsub catalogue verify --system alvis --json\n"
      "\n"
      "Prints one line per difference (the catalogue's value, the site's, the\n"
      "entry's source and date), then the facts Slurm cannot tell (not checked).\n"
      "Exit codes: 0 when no difference changes a plan, 11 when one does,\n"
      "5 when a Slurm command fails or hangs.");
  return verify;
}

// `catalogue import`: its flags and help.
CLI::App* add_import_command(CLI::App* app, CatalogueOptions& o) {
  CLI::App* import = app->add_subcommand(
      "import", "Write systems/NAME.yaml from this cluster's Slurm");
  import->add_option("name", o.name, "The new system's name")->required()->type_name("NAME");
  import->add_option("--output,-o", o.output,
                     "Directory to write NAME.yaml in (default: ~/.config/mlsub/systems)")
      ->type_name("DIR");
  import->add_flag("--force", o.force, "Replace NAME.yaml if it exists");
  import->add_option("--docs", o.docs, "The site's user guide, for the file's docs: field")
      ->type_name("URL");
  import->add_flag("!--no-probe", o.probe,
                   "Do not ask sbatch --test-only which GPU request form the cluster accepts");
  add_slurm_options(import, o);
  import->footer(
      "Examples:\n"
      "  mlsub catalogue import mycluster\n"
      "  mlsub catalogue import mycluster --output systems --docs https://hpc.example.org/\n"
      "\n"
      "Partitions, their limits and the GPU nodes come from Slurm; the launcher,\n"
      "software environment, memory policy and account form are conservative\n"
      "choices marked `assumed:` (docs/guides/catalogue-entry.md says how to\n"
      "settle them). Exit codes: 5 when a Slurm command fails, 7 when the file\n"
      "exists (without --force) or cannot be written.");
  return import;
}

}  // namespace

Command setup_catalogue_command(CLI::App& root, const GlobalOptions& global) {
  auto o = std::make_shared<CatalogueOptions>();
  CLI::App* app = root.add_subcommand(
      "catalogue", "Compare a system file with the site's Slurm, or write one from it");
  app->require_subcommand(0, 1);
  app->footer(
      "Examples:\n"
      "  mlsub catalogue verify --system lumi\n"
      "  mlsub catalogue import mycluster\n"
      "\n"
      "Run 'mlsub catalogue verify --help' or 'mlsub catalogue import --help' for their flags.");
  CLI::App* verify = add_verify_command(app, *o);
  CLI::App* import = add_import_command(app, *o);
  return Command{app, [&global, o, verify, import]() {
                   if (verify->parsed()) {
                     return run_verify(global, *o);
                   }
                   if (import->parsed()) {
                     return run_import(global, *o);
                   }
                   print_error("mlsub catalogue needs a command: verify --system NAME, or import "
                               "NAME (mlsub catalogue --help)");
                   return static_cast<int>(k_exit_usage);
                 }};
}

}  // namespace mlsub::cli
