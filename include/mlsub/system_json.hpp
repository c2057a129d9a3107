#pragma once

#include <nlohmann/json_fwd.hpp>

#include "mlsub/catalogue.hpp"

namespace mlsub {

// A system as JSON, for `mlsub systems --json` and `mlsub show --json`:
// every catalogue field, sizes as Slurm text ("480G") and durations as
// "D-HH:MM:SS" text.
nlohmann::json to_json(const System& system);

}  // namespace mlsub
