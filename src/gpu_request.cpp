// Reading the GPU request of a batch script (see gpu_request.hpp).

#include "gpu_request.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <cctype>

namespace mlsub {
namespace {

// "[type:]N" (gpus, gpus-per-node, gpus-per-task).
GpuAsk read_typed_count(const SbatchDirective& d) {
  GpuAsk ask{&d, std::nullopt, 0, false};
  const auto parts = split_at(d.value, ':');
  if (parts.size() == 1) {
    if (auto n = parse_count(parts[0])) {
      ask.count = *n;
      return ask;
    }
  } else if (parts.size() == 2) {
    if (auto n = parse_count(parts[1])) {
      ask.type = parts[0];
      ask.count = *n;
      return ask;
    }
  }
  ask.bad = true;
  return ask;
}

// "gpu[:type][:N]" among other comma-separated GRES (nvme:100).
std::optional<GpuAsk> read_gres(const SbatchDirective& d) {
  for (const auto& entry : split_at(d.value, ',')) {
    const auto parts = split_at(entry, ':');
    if (parts[0] != "gpu") {
      continue;
    }
    GpuAsk ask{&d, std::nullopt, 1, false};
    if (parts.size() == 2) {
      if (auto n = parse_count(parts[1])) {
        ask.count = *n;
      } else {
        ask.type = parts[1];
      }
    } else if (parts.size() == 3) {
      ask.type = parts[1];
      auto n = parse_count(parts[2]);
      ask.bad = !n;
      ask.count = n.value_or(0);
    } else if (parts.size() > 3) {
      ask.bad = true;
    }
    return ask;
  }
  return std::nullopt;
}

}  // namespace

std::string lower_case(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<int> parse_count(std::string_view s) {
  if (s.empty() || s.size() > 6 ||
      !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return std::nullopt;
  }
  return std::stoi(std::string(s));
}

std::vector<std::string> split_at(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const auto at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? s.npos : at - start));
    if (at == std::string_view::npos) {
      return out;
    }
    start = at + 1;
  }
}

std::string written(const SbatchDirective& d) {
  if (!d.has_value) {
    return d.spelling;
  }
  return d.spelling.rfind("--", 0) == 0 ? fmt::format("{}={}", d.spelling, d.value)
                                        : fmt::format("{} {}", d.spelling, d.value);
}

// The GPU request: the last of the GPU options that the script uses.
std::optional<GpuAsk> gpu_ask(const SbatchScript& script) {
  for (auto it = script.directives.rbegin(); it != script.directives.rend(); ++it) {
    if (it->option == "gres") {
      if (auto ask = read_gres(*it)) {
        return ask;
      }
    } else if (it->option == "gpus" || it->option == "gpus-per-node" ||
               it->option == "gpus-per-task") {
      return read_typed_count(*it);
    }
  }
  return std::nullopt;
}

std::string format_request(const System& s, const std::string& type, int count) {
  return fmt::format("--{}={}", s.gpu_request.option, format_request_value(s, type, count));
}

std::string format_request_value(const System& s, const std::string& type, int count) {
  std::string value = s.gpu_request.format;
  auto replace = [&value](std::string_view key, const std::string& with) {
    if (const auto at = value.find(key); at != std::string::npos) {
      value.replace(at, key.size(), with);
    }
  };
  replace("{type}", type);
  replace("{count}", std::to_string(count));
  return value;
}

// Whether `value` of the site's own option has the site's format.
bool matches_format(const System& s, const GpuAsk& ask) {
  const bool wants_type = s.gpu_request.format.find("{type}") != std::string::npos;
  if (ask.type.has_value() != wants_type) {
    return false;
  }
  // gres: "gpu:{type}:{count}" needs the count written out too.
  if (s.gpu_request.option == "gres") {
    const auto parts =
        split_at(ask.directive->value.substr(0, ask.directive->value.find(',')), ':');
    return parts.size() == (wants_type ? 3U : 2U);
  }
  return true;
}

}  // namespace mlsub
