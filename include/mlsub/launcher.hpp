#pragma once

#include <optional>
#include <string>
#include <string_view>

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
// The names parse_launcher accepts, for help texts and errors: "python, srun, torchrun, accelerate".
std::string launcher_names();

}  // namespace mlsub
