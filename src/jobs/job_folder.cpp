#include "mlsub/job_folder.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fmt/chrono.h>
#include <fmt/format.h>

#include "mlsub/file.hpp"
#include "mlsub/slurm.hpp"

namespace fs = std::filesystem;

namespace mlsub {
namespace {

// Where a taken name's renames stop.
constexpr int k_max_suffix = 1000;

Expected<void> write_files(const fs::path& dir, const std::map<std::string, std::string>& files) {
  for (const auto& [file, text] : files) {
    if (auto ok = write_file(dir / file, text); !ok) {
      return ok;
    }
  }
  return {};
}

// Renames `tmp` to base/NAME, or NAME-2, NAME-3, ...: rename(2) of a
// directory onto an existing non-empty one fails, so a taken name is never
// overwritten.
Expected<fs::path> rename_to_free_name(const fs::path& tmp, const fs::path& base,
                                       const std::string& name) {
  for (int n = 1; n < k_max_suffix; ++n) {
    const fs::path target = base / (n == 1 ? name : fmt::format("{}-{}", name, n));
    if (std::rename(tmp.c_str(), target.c_str()) == 0) {
      return target;
    }
    if (errno != EEXIST && errno != ENOTEMPTY) {
      return fail(ErrorKind::io,
                  fmt::format("cannot create {}: {}", target.string(), std::strerror(errno)));
    }
  }
  return fail(ErrorKind::io,
              fmt::format("too many job folders named {} in {}", name, base.string()));
}

}  // namespace

std::string JobFolder::samples_name(std::string_view job_id, std::string_view node) {
  return fmt::format("gpu-{}-{}.csv", job_id, node);
}

std::optional<std::pair<std::string, std::string>> JobFolder::parse_samples_name(
    std::string_view name) {
  constexpr std::string_view prefix = "gpu-", suffix = ".csv";
  if (name.size() <= prefix.size() + suffix.size() || name.substr(0, 4) != prefix ||
      name.substr(name.size() - suffix.size()) != suffix) {
    return std::nullopt;
  }
  const std::string_view core = name.substr(4, name.size() - 8);
  const auto dash = core.find('-');
  if (dash == std::string_view::npos || dash + 1 == core.size()) {
    return std::nullopt;
  }
  const std::string_view job_id = core.substr(0, dash);  // $SLURM_JOB_ID: digits
  if (!is_job_id(job_id) || job_id.find('_') != std::string_view::npos) {
    return std::nullopt;
  }
  return std::make_pair(std::string(core.substr(0, dash)), std::string(core.substr(dash + 1)));
}

JobFolder JobFolder::fallback(const fs::path& submit_dir, std::string_view job_id) {
  return JobFolder(submit_dir / ("mlsub-" + std::string(job_id)));
}

std::string job_folder_name(std::string_view job_name, std::time_t when) {
  return fmt::format("{}-{:%Y%m%d-%H%M%S}", job_name, fmt::gmtime(when));
}

Expected<JobFolder> create_job_folder(const fs::path& base, const std::string& name,
                                      const std::map<std::string, std::string>& files) {
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) {
    return fail(ErrorKind::io, fmt::format("cannot create the job folder {}: {}; choose another "
                                           "with --dir",
                                           base.string(), ec.message()));
  }
  std::string tmp = (base / ".mlsub-new-XXXXXX").string();
  if (mkdtemp(tmp.data()) == nullptr) {
    return fail(ErrorKind::io, fmt::format("cannot write in {}: {}; choose another folder with "
                                           "--dir",
                                           base.string(), std::strerror(errno)));
  }
  auto target = write_files(tmp, files).and_then([&] { return rename_to_free_name(tmp, base, name); });
  if (!target) {
    fs::remove_all(tmp, ec);
    return tl::unexpected(target.error());
  }
  return JobFolder(*target);
}

Expected<std::string> output_file(const std::string& pattern, const std::string& job_id,
                                  const std::string& job_name, const std::string& cwd) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%' || i + 1 == pattern.size()) {
      out += pattern[i];
      continue;
    }
    switch (const char code = pattern[++i]) {
      case 'j':
        out += job_id;
        break;
      case 'x':
        out += job_name;
        break;
      case 'u': {
        const char* user = std::getenv("USER");
        out += user != nullptr ? user : "";
        break;
      }
      case '%':
        out += '%';
        break;
      default:
        return fail(ErrorKind::usage,
                    fmt::format("cannot tell which file '{}' names (%{} is not supported here); "
                                "look in the job's folder",
                                pattern, code));
    }
  }
  const fs::path p(out);
  return p.is_absolute() ? out : (fs::path(cwd) / p).string();
}

}  // namespace mlsub
