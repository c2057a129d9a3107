// mlsub doctor DATA_DIR: is the dataset laid out for fast reading?

#include <chrono>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "mlsub/doctor.hpp"
#include "mlsub/words.hpp"
#include "output.hpp"
#include "table.hpp"

namespace mlsub::cli {
namespace {

struct DoctorOptions {
  std::string dir;
  bool json = false;
};

int run_doctor(const DoctorOptions& o) {
  const auto start = std::chrono::steady_clock::now();
  auto scan = scan_data_dir(o.dir);
  if (!scan) {
    print_error(scan.error());
    return exit_code_for(scan.error().kind);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const DataAdvice advice = advise_data(*scan);
  const auto& names = size_class_names();
  const double share = scan->files ? 100.0 * static_cast<double>(scan->small_files) /
                                         static_cast<double>(scan->files)
                                   : 0.0;
  if (o.json) {
    nlohmann::json classes = nlohmann::json::array();
    for (std::size_t i = 0; i < k_size_classes; ++i) {
      classes.push_back({{"class", names[i]},
                         {"files", scan->class_files[i]},
                         {"bytes", scan->class_bytes[i]}});
    }
    nlohmann::json j = {{"path", scan->path},
                        {"files", scan->files},
                        {"directories", scan->directories},
                        {"bytes", scan->bytes},
                        {"largest", scan->largest},
                        {"size_classes", classes},
                        {"small_read_bytes", k_small_read},
                        {"small_reads_percent", share},
                        {"unreadable", scan->unreadable},
                        {"pack", advice.pack},
                        {"verdict", advice.verdict},
                        {"advice", advice.lines},
                        {"seconds", seconds}};
    fmt::print("{}\n", j.dump(2));
  } else {
    fmt::print("{}: {} in {}, {}; largest {}\n\n", scan->path,
               plural(static_cast<long long>(scan->files), "file"),
               plural(static_cast<long long>(scan->directories), "directory", "directories"),
               human_bytes(scan->bytes), human_bytes(scan->largest));
    Table table({"size", "files", "share", "bytes"});
    for (std::size_t i = 0; i < k_size_classes; ++i) {
      table.add({names[i], std::to_string(scan->class_files[i]),
                 scan->files ? fmt::format("{:.0f} %", 100.0 * static_cast<double>(scan->class_files[i]) /
                                                           static_cast<double>(scan->files))
                             : "-",
                 human_bytes(scan->class_bytes[i])});
    }
    fmt::print("{}\n", table.str("  "));
    fmt::print("Reads under 100 MB: {:.0f} % (one read per file). Verdict: {}\n", share,
               advice.verdict);
    for (const auto& line : advice.lines) {
      fmt::print("{}{}\n", line.rfind("  ", 0) == 0 ? "  " : "- ", line);
    }
  }
  if (scan->unreadable > 0) {
    print_warning(fmt::format("{} entries could not be read and are not counted, e.g. {}",
                              scan->unreadable, scan->first_unreadable));
  }
  return k_exit_ok;
}

}  // namespace

Command setup_doctor_command(CLI::App& root, const GlobalOptions&) {
  auto options = std::make_shared<DoctorOptions>();
  CLI::App* app = root.add_subcommand(
      "doctor", "Check a dataset's layout: many small files, or a few large ones?");
  app->add_option("data_dir", options->dir, "The dataset's directory")
      ->required()
      ->type_name("DATA_DIR");
  app->add_flag("--json", options->json, "Print the counts and advice as JSON");
  app->footer(
      "Examples:\n"
      "  mlsub doctor /scratch/project_465000123/imagenet/train\n"
      "  mlsub doctor --json data/ | jq .small_reads_percent\n"
      "\n"
      "Walks the directory once (no process per file; symbolic links are not followed),\n"
      "counts files by size, and reports the share of reads under 100 MB, the size the\n"
      "CSCS guide advises reading at least. When most reads are small it shows how to\n"
      "pack the files into WebDataset tar shards (or HDF5, Zarr, NPZ per step).\n"
      "Exit codes: 2 not a directory or no such path, 7 the walk failed.");
  return Command{app, [options]() { return run_doctor(*options); }};
}

}  // namespace mlsub::cli
