#include "environment.hpp"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "mlsub/catalogue.hpp"
#include "mlsub/catalogue_pack.hpp"

#ifndef MLSUB_SOURCE_DATA_DIR
#error "MLSUB_SOURCE_DATA_DIR must be defined by the build"
#endif

namespace fs = std::filesystem;

namespace mlsub::cli {

std::string data_dir() {
  if (const char* dir = std::getenv("MLSUB_DATA_DIR"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "mlsub";
    if (fs::is_directory(installed / "systems", ec)) {
      return installed.string();
    }
  }
  return MLSUB_SOURCE_DATA_DIR;
}

std::vector<std::string> system_dirs(const GlobalOptions& global) {
  if (global.from_header) {
    std::vector<std::string> dirs{(fs::path(data_dir()) / "systems").string()};
    dirs.insert(dirs.end(), global.catalogue_dirs.begin(), global.catalogue_dirs.end());
    return dirs;
  }
  return catalogue_search_path((fs::path(data_dir()) / "systems").string(),
                               global.catalogue_dirs);
}

Catalogue open_catalogue(const GlobalOptions& global) {
  return Catalogue(system_dirs(global), &builtin_packed_systems());
}

std::vector<std::string> template_dirs(const GlobalOptions& global) {
  const auto systems = system_dirs(global);
  std::vector<std::string> dirs;
  dirs.push_back((fs::path(data_dir()) / "templates").string());
  for (std::size_t i = 1; i < systems.size(); ++i) {
    std::error_code ec;
    fs::path dir(systems[i]);
    if (!dir.has_filename()) {
      dir = dir.parent_path();  // "x/systems/" names the same directory as "x/systems"
    }
    const fs::path beside = dir.parent_path() / "templates";
    if (fs::is_directory(beside, ec)) {
      dirs.push_back(beside.string());
    }
  }
  return dirs;
}

}  // namespace mlsub::cli
