#include "mlsub/launcher.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mlsub {
namespace {

// What each launcher starts, for --help (names: k_launcher_names).
constexpr EnumNames<Launcher, 4> k_launcher_summaries{
    {{Launcher::python, "one process, for one GPU"},
     {Launcher::srun, "one task per GPU"},
     {Launcher::torchrun, "one task per node, starting a process per GPU"},
     {Launcher::accelerate, "one task per node, accelerate launch starting a process per GPU"}}};

}  // namespace

std::string_view launcher_name(Launcher l) { return name_of(k_launcher_names, l); }

std::string_view launcher_summary(Launcher l) { return name_of(k_launcher_summaries, l); }

std::vector<Launcher> all_launchers() {
  std::vector<Launcher> out;
  for (const auto& n : k_launcher_names) {
    out.push_back(n.value);
  }
  return out;
}

std::optional<Launcher> parse_launcher(std::string_view name) {
  return value_of(k_launcher_names, name);
}

std::string launcher_names() { return fmt::format("{}", fmt::join(all_names(k_launcher_names), ", ")); }

std::string launcher_help() {
  std::vector<std::string> parts;
  for (const auto& n : k_launcher_names) {
    parts.push_back(fmt::format("{} ({})", n.name, launcher_summary(n.value)));
  }
  return fmt::format("{}", fmt::join(parts, ", "));
}

}  // namespace mlsub
