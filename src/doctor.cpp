// The dataset walk behind mlsub doctor. nftw(3) with FTW_PHYS: one
// getdents per directory and one lstat per entry, no process per file, so a
// million files take seconds (mostly the file system's metadata time).

#include "mlsub/doctor.hpp"

#include <ftw.h>
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fmt/format.h>

#include "mlsub/shell.hpp"

namespace mlsub {
namespace {

constexpr std::array<std::uint64_t, k_size_classes - 1> k_limits = {
    4096, 65536, 1048576, 16777216, k_small_read, 1073741824};

// nftw's callback takes no user pointer: the scan in progress, one per thread.
thread_local DataScan* t_scan = nullptr;

void unreadable(const char* path, const char* why) {
  ++t_scan->unreadable;
  if (t_scan->first_unreadable.empty()) {
    t_scan->first_unreadable = fmt::format("{}: {}", path, why);
  }
}

int visit(const char* path, const struct stat* st, int flag, struct FTW* /*ftw*/) {
  DataScan& s = *t_scan;
  switch (flag) {
    case FTW_F: {
      if (!S_ISREG(st->st_mode)) {
        return 0;  // sockets, devices, fifos
      }
      const auto size = static_cast<std::uint64_t>(st->st_size);
      ++s.files;
      s.bytes += size;
      s.largest = std::max(s.largest, size);
      std::size_t c = 0;
      while (c < k_limits.size() && size >= k_limits[c]) {
        ++c;
      }
      ++s.class_files[c];
      s.class_bytes[c] += size;
      if (size < k_small_read) {
        ++s.small_files;
        s.small_bytes += size;
      }
      return 0;
    }
    case FTW_D:
    case FTW_DP:
      ++s.directories;
      return 0;
    case FTW_DNR:
      unreadable(path, "directory cannot be read (permission denied?)");
      return 0;
    case FTW_NS:
      unreadable(path, "cannot stat");
      return 0;
    default:  // FTW_SL, FTW_SLN: links are not followed
      return 0;
  }
}

}  // namespace

std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

const std::array<const char*, k_size_classes>& size_class_names() {
  static const std::array<const char*, k_size_classes> names = {
      "< 4 KiB", "4-64 KiB", "64 KiB-1 MiB", "1-16 MiB", "16-100 MB", "100 MB-1 GiB", ">= 1 GiB"};
  return names;
}

Expected<DataScan> scan_data_dir(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int e = errno;
    return fail(e == ENOENT ? ErrorKind::usage : ErrorKind::io,
                fmt::format("{}: {}; give the dataset's directory, e.g. mlsub doctor "
                            "/scratch/project/data",
                            path, std::strerror(e)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return fail(ErrorKind::usage,
                fmt::format("{} is a file, not a directory; give the directory that holds the "
                            "dataset",
                            path));
  }
  DataScan scan;
  scan.path = path;
  t_scan = &scan;
  const int rc = ::nftw(path.c_str(), visit, 64, FTW_PHYS);
  const int e = errno;
  t_scan = nullptr;
  if (rc != 0) {
    return fail(ErrorKind::io, fmt::format("{}: the walk stopped: {}", path, std::strerror(e)));
  }
  if (scan.directories > 0) {
    --scan.directories;  // the top directory itself
  }
  return scan;
}

DataAdvice advise_data(const DataScan& s) {
  DataAdvice a;
  if (s.files == 0) {
    a.verdict = "no files";
    a.lines.push_back("the directory holds no regular files (links are not followed)");
    return a;
  }
  const double share = 100.0 * static_cast<double>(s.small_files) / static_cast<double>(s.files);
  const double mean = static_cast<double>(s.bytes) / static_cast<double>(s.files);
  // Reading whole files, each file is one read: the share of reads under
  // 100 MB is the share of files under it.
  a.pack = s.files >= 1000 && share >= 50;
  if (!a.pack) {
    a.verdict = share < 50 ? "good: most reads are large" : "fine: few files";
    a.lines.push_back(fmt::format(
        "{:.0f} % of the files are under 100 MB, but there are only {} files (a job opens "
        "them once each)",
        share, s.files));
    if (share < 50) {
      a.lines.back() =
          fmt::format("{:.0f} % of the reads would be under 100 MB (whole-file reads)", share);
    }
    return a;
  }
  a.verdict = "pack it: most reads are small";
  a.lines.push_back(fmt::format(
      "{:.0f} % of the reads would be under 100 MB ({} files, {} on average); the CSCS guide "
      "advises reads of about 100 MB or more, and parallel file systems serve many small files "
      "slowly (each open is a metadata request)",
      share, s.files, human_bytes(static_cast<std::uint64_t>(mean))));
  // Shards of about 1 GiB; tar stores each file as a 512-byte header and
  // its data padded to 512 bytes.
  const double in_tar = 512.0 + std::ceil(mean / 512.0) * 512.0;
  const auto per_shard =
      static_cast<std::uint64_t>(std::max(1.0, std::floor(1073741824.0 / in_tar)));
  const std::string dir = shell_quote(s.path);
  a.lines.push_back(fmt::format(
      "pack the files into WebDataset tar shards of about 1 GiB ({} files each); files with "
      "the same name before the extension (0001.jpg, 0001.cls) form one sample:",
      per_shard));
  a.lines.push_back(fmt::format(
      "  mkdir -p shards && (cd {} && find . -type f | sort) | split -d -a 6 -l {} - "
      "shards/list- && for l in shards/list-*; do tar -C {} -cf \"shards/data-${{l##*-}}.tar\" "
      "-T \"$l\" && rm \"$l\"; done",
      dir, per_shard, dir));
  a.lines.push_back(
      "  then read them with webdataset.WebDataset(\"shards/data-{000000..NNNNNN}.tar\") "
      "(pip install webdataset)");
  a.lines.push_back(
      "or store arrays in one HDF5 file (h5py) or a Zarr store with large chunks, or one NPZ "
      "file per training step's batch");
  return a;
}

}  // namespace mlsub
