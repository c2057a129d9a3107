#pragma once
// mlsub doctor: how a dataset directory is laid out, and whether a training
// job would read it in many small pieces (the shared file systems' weak
// spot) or in large ones.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mlsub/error.hpp"

namespace mlsub {

/// Files are counted in size classes: under 4 KiB, 64 KiB, 1 MiB, 16 MiB,
/// 100 MB, 1 GiB, and 1 GiB or more.
constexpr std::size_t k_size_classes = 7;

struct DataScan {
  std::string path;
  std::uint64_t files = 0;
  std::uint64_t directories = 0;
  std::uint64_t bytes = 0;
  std::uint64_t largest = 0;
  std::array<std::uint64_t, k_size_classes> class_files{};
  std::array<std::uint64_t, k_size_classes> class_bytes{};
  std::uint64_t small_files = 0;  // under k_small_read bytes
  std::uint64_t small_bytes = 0;
  std::uint64_t unreadable = 0;   // entries the walk could not enter or stat
  std::string first_unreadable;   // one of them, with the reason
};

/// The CSCS guide's advice: reads of about 100 MB or more.
constexpr std::uint64_t k_small_read = 100'000'000;

/// Names of the size classes, for tables.
const std::array<const char*, k_size_classes>& size_class_names();

/// Walks `path` (symbolic links are not followed). A path that does not
/// exist or is not a directory is an error saying so; an unreadable entry
/// inside is counted, not an error.
Expected<DataScan> scan_data_dir(const std::string& path);

struct DataAdvice {
  bool pack = false;        // many small reads: pack the data
  std::string verdict;      // one line
  std::vector<std::string> lines;  // reasons and commands
};

DataAdvice advise_data(const DataScan& scan);

/// A byte count for people: "512 B", "1.5 KiB", "2.0 GiB".
std::string human_bytes(std::uint64_t bytes);

}  // namespace mlsub
