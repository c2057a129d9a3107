#include "mlsub/duration.hpp"

#include <charconv>
#include <fmt/format.h>
#include <vector>

namespace mlsub {
namespace {

// Splits "a:b:c" into numbers; fails on empty fields and non-digits.
bool parse_fields(std::string_view text, std::vector<std::int64_t>& out) {
  while (true) {
    const auto colon = text.find(':');
    const auto field = text.substr(0, colon);
    if (field.empty() || field.size() > 9) {
      return false;
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (ec != std::errc() || end != field.data() + field.size()) {
      return false;
    }
    out.push_back(value);
    if (colon == std::string_view::npos) {
      return true;
    }
    text.remove_prefix(colon + 1);
  }
}

Error bad_time(std::string_view text, std::string_view why) {
  return Error{ErrorKind::usage,
               fmt::format("invalid time '{}': {}; use minutes (90), HH:MM:SS (1:30:00) "
                           "or D-HH:MM:SS (2-00:00:00)",
                           text, why)};
}

}  // namespace

Expected<Duration> parse_duration(std::string_view text) {
  std::int64_t days = 0;
  std::string_view rest = text;
  const auto dash = text.find('-');
  const bool has_days = dash != std::string_view::npos;
  if (has_days) {
    std::vector<std::int64_t> d;
    if (!parse_fields(text.substr(0, dash), d) || d.size() != 1) {
      return tl::unexpected(bad_time(text, "the days before '-' are not a number"));
    }
    days = d[0];
    rest = text.substr(dash + 1);
  }
  std::vector<std::int64_t> f;
  if (!parse_fields(rest, f) || f.size() > 3) {
    return tl::unexpected(bad_time(text, "not a Slurm time"));
  }
  std::int64_t h = 0;
  std::int64_t m = 0;
  std::int64_t s = 0;
  if (has_days) {
    // D-HH, D-HH:MM, D-HH:MM:SS
    h = f[0];
    m = f.size() > 1 ? f[1] : 0;
    s = f.size() > 2 ? f[2] : 0;
    if (h > 23) {
      return tl::unexpected(bad_time(text, "hours after a day count must be 0-23"));
    }
  } else if (f.size() == 1) {
    m = f[0];  // MM: minutes, any number of them
  } else if (f.size() == 2) {
    m = f[0];  // MM:SS
    s = f[1];
  } else {
    h = f[0];  // HH:MM:SS
    m = f[1];
    s = f[2];
  }
  // Minutes are bounded only where hours stand before them.
  const bool minutes_bounded = has_days || f.size() == 3;
  if (minutes_bounded && m > 59) {
    return tl::unexpected(bad_time(text, "minutes must be 0-59"));
  }
  if (s > 59) {
    return tl::unexpected(bad_time(text, "seconds must be 0-59"));
  }
  const std::int64_t total = ((days * 24 + h) * 60 + m) * 60 + s;
  if (total <= 0) {
    return tl::unexpected(bad_time(text, "a time limit must be longer than zero"));
  }
  if (days > 365) {
    return tl::unexpected(bad_time(text, "more than a year"));
  }
  return Duration{total};
}

std::string format_duration(Duration d) {
  const std::int64_t days = d.seconds / 86400;
  const std::int64_t h = d.seconds / 3600 % 24;
  const std::int64_t m = d.seconds / 60 % 60;
  const std::int64_t s = d.seconds % 60;
  if (days > 0) {
    return fmt::format("{}-{:02}:{:02}:{:02}", days, h, m, s);
  }
  return fmt::format("{}:{:02}:{:02}", h, m, s);
}

}  // namespace mlsub
