#pragma once

#include <string_view>

namespace mlsub {

// The text without the blanks around it (spaces, tabs, CR and LF), as the
// Slurm commands' and the GPU tools' output is read.
//
// Example: trim(" 42 MiB\r\n") == "42 MiB"
inline std::string_view trim(std::string_view s) {
  constexpr std::string_view blanks = " \t\r\n";
  const auto first = s.find_first_not_of(blanks);
  if (first == std::string_view::npos) {
    return {};
  }
  return s.substr(first, s.find_last_not_of(blanks) - first + 1);
}

}  // namespace mlsub
