#include "mlsub/launcher.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace mlsub {

std::string_view launcher_name(Launcher l) { return name_of(k_launcher_names, l); }

std::optional<Launcher> parse_launcher(std::string_view name) {
  return value_of(k_launcher_names, name);
}

std::string launcher_names() { return fmt::format("{}", fmt::join(all_names(k_launcher_names), ", ")); }

}  // namespace mlsub
