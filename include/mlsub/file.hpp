#pragma once
// Reading and writing a whole file: the one place that does it.

#include <filesystem>
#include <string>
#include <string_view>

#include "mlsub/error.hpp"

namespace mlsub {

/// The file's bytes; an io error "cannot read PATH: WHY" when it cannot.
Expected<std::string> read_file(const std::filesystem::path& path);

/// Writes `text` to `path` (replacing it); an io error "cannot write PATH:
/// WHY" when it cannot.
Expected<void> write_file(const std::filesystem::path& path, std::string_view text);

}  // namespace mlsub
