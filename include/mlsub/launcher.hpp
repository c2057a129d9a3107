#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlsub/enum_names.hpp"

namespace mlsub {

/// How the batch script starts the user's program.
enum class Launcher {
  python,  // one process on one GPU, started by the batch shell
  srun,    // one task per GPU, started by srun; ranks from SLURM_PROCID/LOCALID
  torchrun,  // one task per node, started by srun; torchrun starts a process per GPU
  accelerate,  // one task per node, started by srun; `accelerate launch` starts a process per GPU
};
inline constexpr EnumNames<Launcher, 4> k_launcher_names{{{Launcher::python, "python"},
                                                         {Launcher::srun, "srun"},
                                                         {Launcher::torchrun, "torchrun"},
                                                         {Launcher::accelerate, "accelerate"}}};

std::string_view launcher_name(Launcher l);
std::optional<Launcher> parse_launcher(std::string_view name);
// What it starts, in a few words: "one task per GPU".
std::string_view launcher_summary(Launcher l);
// Every launcher, in help-text order.
std::vector<Launcher> all_launchers();
// The names parse_launcher accepts, for help texts and errors: "python, srun, torchrun, accelerate".
std::string launcher_names();
// Each name with its summary, for --help: "python (one process, for one GPU), srun (...), ...".
std::string launcher_help();

}  // namespace mlsub
