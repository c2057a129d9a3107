#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "mlsub/error.hpp"

namespace mlsub {

/// An amount of memory in MiB, the unit Slurm counts in.
struct Size {
  std::uint64_t mib = 0;

  friend auto operator<=>(const Size&, const Size&) = default;
};

// Parses a Slurm size: digits with an optional K, M, G or T suffix (binary
// units, case-insensitive); no suffix means MiB, as in sbatch --mem.
//
// Example: parse_size("373G")->mib == 381952
Expected<Size> parse_size(std::string_view text);

// Formats with the largest unit that divides exactly: "64G", "1500M", "2T".
std::string format_size(Size s);

}  // namespace mlsub
