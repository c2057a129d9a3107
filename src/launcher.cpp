#include "mlsub/launcher.hpp"

#include <fmt/format.h>

namespace mlsub {
namespace {

// Every launcher, in the order help texts list them, with what it starts.
struct LauncherEntry {
  Launcher launcher;
  std::string_view name;
  std::string_view summary;
};

constexpr LauncherEntry k_launchers[] = {
    {Launcher::python, "python", "one process, for one GPU"},
    {Launcher::srun, "srun", "one task per GPU"},
    {Launcher::torchrun, "torchrun", "one task per node, starting a process per GPU"},
    {Launcher::accelerate, "accelerate",
     "one task per node, accelerate launch starting a process per GPU"},
};

const LauncherEntry& entry(Launcher l) {
  for (const auto& e : k_launchers) {
    if (e.launcher == l) {
      return e;
    }
  }
  return k_launchers[0];
}

}  // namespace

std::string_view launcher_name(Launcher l) { return entry(l).name; }

std::string_view launcher_summary(Launcher l) { return entry(l).summary; }

std::vector<Launcher> all_launchers() {
  std::vector<Launcher> out;
  for (const auto& e : k_launchers) {
    out.push_back(e.launcher);
  }
  return out;
}

std::optional<Launcher> parse_launcher(std::string_view name) {
  for (const auto& e : k_launchers) {
    if (e.name == name) {
      return e.launcher;
    }
  }
  return std::nullopt;
}

std::string launcher_names() {
  std::string out;
  for (const auto& e : k_launchers) {
    out += out.empty() ? "" : ", ";
    out += e.name;
  }
  return out;
}

std::string launcher_help() {
  std::string out;
  for (const auto& e : k_launchers) {
    out += fmt::format("{}{} ({})", out.empty() ? "" : ", ", e.name, e.summary);
  }
  return out;
}

}  // namespace mlsub
