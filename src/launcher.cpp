#include "mlsub/launcher.hpp"

namespace mlsub {

std::string_view launcher_name(Launcher l) {
  switch (l) {
    case Launcher::python:
      return "python";
    case Launcher::srun:
      return "srun";
    case Launcher::torchrun:
      return "torchrun";
    case Launcher::accelerate:
      return "accelerate";
  }
  return "python";
}

std::optional<Launcher> parse_launcher(std::string_view name) {
  for (const Launcher l : {Launcher::python, Launcher::srun, Launcher::torchrun, Launcher::accelerate}) {
    if (launcher_name(l) == name) {
      return l;
    }
  }
  return std::nullopt;
}

std::string launcher_names() { return "python, srun, torchrun, accelerate"; }

}  // namespace mlsub
