#include "mlsub/size.hpp"

#include <cctype>
#include <charconv>
#include <fmt/format.h>

namespace mlsub {

Expected<Size> parse_size(std::string_view text) {
  std::string_view digits = text;
  std::uint64_t scale = 1;  // MiB
  if (!text.empty() && std::isalpha(static_cast<unsigned char>(text.back()))) {
    switch (std::toupper(static_cast<unsigned char>(text.back()))) {
      case 'K':
        scale = 0;  // KiB: must be a whole number of MiB
        break;
      case 'M':
        scale = 1;
        break;
      case 'G':
        scale = 1024;
        break;
      case 'T':
        scale = 1024 * 1024;
        break;
      default:
        return fail(ErrorKind::usage,
                    fmt::format("invalid size '{}': the unit must be K, M, G or T", text));
    }
    digits.remove_suffix(1);
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return fail(ErrorKind::usage,
                fmt::format("invalid size '{}': use a whole number with K, M, G or T (64G)", text));
  }
  if (value > (std::uint64_t{1} << 40)) {
    return fail(ErrorKind::usage, fmt::format("invalid size '{}': too large", text));
  }
  if (scale == 0) {
    if (value % 1024 != 0) {
      return fail(ErrorKind::usage,
                  fmt::format("invalid size '{}': use a whole number of megabytes", text));
    }
    return Size{value / 1024};
  }
  return Size{value * scale};
}

std::string format_size(Size s) {
  constexpr std::uint64_t tib = 1024 * 1024;
  if (s.mib != 0 && s.mib % tib == 0) {
    return fmt::format("{}T", s.mib / tib);
  }
  if (s.mib != 0 && s.mib % 1024 == 0) {
    return fmt::format("{}G", s.mib / 1024);
  }
  return fmt::format("{}M", s.mib);
}

}  // namespace mlsub
