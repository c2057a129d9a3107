// mlsub check: lint existing batch scripts against the catalogue.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mlsub/catalogue.hpp"
#include "mlsub/check.hpp"
#include "mlsub/file.hpp"
#include "output.hpp"
#include "repeatable.hpp"

namespace mlsub::cli {
namespace {

struct CheckOptions {
  std::vector<std::string> files;
  std::optional<std::string> system;
  std::string format = "text";
  bool json = false;
  bool strict = false;
  std::vector<std::string> ignore;
  std::optional<std::string> explain;  // --explain ID
};

// --explain ID: the rationale and source of one finding id.
int explain(const std::string& id) {
  const FindingInfo* info = explain_finding(id);
  if (!info) {
    std::vector<std::string> ids;
    for (const auto& f : finding_ids()) {
      ids.emplace_back(f.id);
    }
    print_error(fmt::format("mlsub check has no finding '{}'; the ids are {}", id,
                            fmt::join(ids, ", ")));
    return k_exit_usage;
  }
  fmt::print("{}: {}\nsource: {}\n", info->id, info->rationale, info->source);
  return k_exit_ok;
}

// GitHub's workflow commands: %, CR and LF are escaped in the message, and
// also ':' and ',' in a property (file=...).
std::string github_escape(std::string_view s, bool property) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '%':
        out += "%25";
        break;
      case '\r':
        out += "%0D";
        break;
      case '\n':
        out += "%0A";
        break;
      case ':':
        out += property ? "%3A" : ":";
        break;
      case ',':
        out += property ? "%2C" : ",";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// GitHub's workflow-command levels: its word for a note is "notice".
constexpr EnumNames<Severity, 3> k_github_levels{
    {{Severity::error, "error"}, {Severity::warning, "warning"}, {Severity::note, "notice"}}};

std::string_view github_level(Severity s) { return name_of(k_github_levels, s); }

class Checker {
 public:
  Checker(const GlobalOptions& global, const CheckOptions& o)
      : m_o(o), m_catalogue(open_catalogue(global)) {}

  int run() {
    int code = k_exit_ok;
    bool failing = false;
    nlohmann::json all = nlohmann::json::array();
    for (const std::string& file : m_o.files) {
      std::ostringstream text;
      if (file == "-") {  // the script on stdin: mlsub plan ... | mlsub check -
        text << std::cin.rdbuf();
      } else if (std::error_code ec; std::filesystem::is_directory(file, ec)) {
        print_error(
            fmt::format("{} is a directory; name the scripts in it, e.g. {}/*.sbatch", file, file));
        code = k_exit_usage;
        continue;
      } else {
        auto bytes = read_file(file);
        if (!bytes) {
          print_error(fmt::format("cannot read {}; check the path", file));
          code = k_exit_io;
          continue;
        }
        text << *bytes;
      }
      const SbatchScript script = parse_sbatch_directives(text.str());
      auto system = system_for(file, script);
      if (!system) {
        print_error(system.error());
        code = exit_code_for(system.error().kind);
        continue;
      }
      for (const Finding& f : check_script(**system, script)) {
        if (std::find(m_o.ignore.begin(), m_o.ignore.end(), f.id) != m_o.ignore.end()) {
          continue;
        }
        failing = failing || f.severity == Severity::error ||
                  (m_o.strict && f.severity == Severity::warning);
        print(file, (*system)->name, f, all);
      }
    }
    if (m_o.json) {
      fmt::print("{}\n", all.dump(2));
    }
    if (code != k_exit_ok) {
      return code;
    }
    return failing ? k_exit_findings : k_exit_ok;
  }

 private:
  Expected<const System*> system_for(const std::string& file, const SbatchScript& script) {
    if (m_o.system) {
      if (!m_named) {
        auto loaded = m_catalogue.load(*m_o.system);
        if (!loaded) {
          return tl::unexpected(loaded.error());
        }
        m_named = std::make_unique<System>(std::move(*loaded));
      }
      return m_named.get();
    }
    if (!m_all) {
      auto loaded = m_catalogue.load_all();
      if (!loaded) {
        return tl::unexpected(loaded.error());
      }
      m_all = std::make_unique<std::vector<System>>(std::move(*loaded));
    }
    auto inferred = infer_system(*m_all, script);
    if (!inferred) {
      return fail(inferred.error().kind, fmt::format("{}: {}", file, inferred.error().message));
    }
    return inferred;
  }

  void print(const std::string& file, const std::string& system, const Finding& f,
             nlohmann::json& all) const {
    if (m_o.json) {
      // The fix as directive edits: {"option": "mem", "value": "60G"} sets
      // --mem=60G in place of every --mem; a null value removes the option.
      nlohmann::json fix = nlohmann::json::array();
      for (const FixEdit& e : f.fix) {
        fix.push_back({{"option", e.option},
                       {"value", e.value ? nlohmann::json(*e.value) : nlohmann::json(nullptr)}});
      }
      all.push_back({{"file", file},
                     {"line", f.line},
                     {"severity", std::string(to_string(f.severity))},
                     {"id", f.id},
                     {"message", f.message},
                     {"system", system},
                     {"fix", fix}});
    } else if (m_o.format == "github") {
      fmt::print("::{} file={},line={},title=mlsub check ({})::{}\n", github_level(f.severity),
                 github_escape(file, true), f.line, f.id, github_escape(f.message, false));
    } else {
      fmt::print("{}:{}: {}: {} [{}]\n", file, f.line, to_string(f.severity), f.message, f.id);
    }
  }

  const CheckOptions& m_o;
  Catalogue m_catalogue;
  std::unique_ptr<System> m_named;
  std::unique_ptr<std::vector<System>> m_all;
};

}  // namespace

Command setup_check_command(CLI::App& root, const GlobalOptions& global) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* app = root.add_subcommand(
      "check", "Lint existing batch scripts (#SBATCH lines) against the catalogue");
  app->add_option("SCRIPT", options->files, "Batch scripts to check (- reads one from stdin)")
      ->type_name("FILE");
  app->add_option("--explain", options->explain,
                  "Print why finding ID is a problem, with its source, and exit")
      ->type_name("ID");
  app->add_option("--system,-s", options->system,
                  "The system the scripts are for (default: inferred from the partition and "
                  "the GPU request)")
      ->type_name("S");
  app->add_option("--format", options->format,
                  "text (FILE:LINE: severity: message [id]) or github (GitHub Actions "
                  "annotations)")
      ->check(CLI::IsMember({"text", "github"}))
      ->type_name("F");
  app->add_flag("--json", options->json, "Print the findings as a JSON array");
  app->add_flag("--strict", options->strict, "Exit 9 on warnings too, not only on errors");
  repeatable(
      app->add_option("--ignore", options->ignore, "Leave out findings with this id (repeatable)")
          ->type_name("ID"));
  app->footer(
      "Examples:\n"
      "  mlsub check job.sh\n"
      "  mlsub check --system lumi --strict jobs/*.sh\n"
      "  mlsub check --format=github --ignore account jobs/*.sbatch\n"
      "  mlsub plan --system lumi --gpus 8 train.py | mlsub check -\n"
      "  mlsub check --explain local-rank\n"
      "\n"
      "sbatch reads #SBATCH lines only up to the first command; so does mlsub check.\n"
      "Finding ids (mlsub check --explain ID says why, with the source): retired,\n"
      "ignored-directive, unknown-option, bad-value, partition, no-gpus, gpu-syntax,\n"
      "gpu-type, cpus-per-gpu, gpus-limit, nodes-limit, cpus-limit, time-limit, jobs-limit,\n"
      "whole-node, memory, local-disk, account, no-srun, single-process,\n"
      "launcher-per-gpu, local-rank, threads. A retired system is a warning.\n"
      "Exit codes: 0 no errors, 9 errors (or warnings with --strict), 2 usage or\n"
      "the system cannot be told, 4 invalid catalogue, 7 a script cannot be read.");
  return Command{app, [&global, options]() -> int {
                   if (options->explain) {
                     return explain(*options->explain);
                   }
                   if (options->files.empty()) {
                     print_error("name the scripts to check, e.g. mlsub check job.sh (- reads "
                                 "one from stdin)");
                     return static_cast<int>(k_exit_usage);
                   }
                   return Checker(global, *options).run();
                 }};
}

}  // namespace mlsub::cli
