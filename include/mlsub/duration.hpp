#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "mlsub/error.hpp"

namespace mlsub {

/// A Slurm time limit, in whole seconds.
struct Duration {
  std::int64_t seconds = 0;

  std::int64_t minutes_rounded_up() const { return (seconds + 59) / 60; }
  friend auto operator<=>(const Duration&, const Duration&) = default;
};

// Parses every form sbatch --time accepts: "MM", "MM:SS", "HH:MM:SS",
// "D-HH", "D-HH:MM" and "D-HH:MM:SS". Fails on anything else, on a zero
// duration, and on fields out of range ("1:75:00").
//
// Example: parse_duration("1-12:00:00")->seconds == 129600
Expected<Duration> parse_duration(std::string_view text);

// Formats as Slurm and the sites' examples write it: "1:00:00",
// "0:15:00", "3-00:00:00".
std::string format_duration(Duration d);

}  // namespace mlsub
