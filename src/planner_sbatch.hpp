#pragma once

// The sbatch options a user asks for that mlsub does not plan: the
// first-class flags (--constraint, --qos, --reservation, --dependency,
// --mail-type, --mail-user, --exclusive) and the --sbatch KEY=VALUE
// pass-through. Private to the planner.

#include <string_view>

#include "mlsub/catalogue.hpp"
#include "mlsub/error.hpp"
#include "mlsub/plan.hpp"
#include "mlsub/request.hpp"

namespace mlsub {

// Checks each value's form (and, where the catalogue records the site's
// values, the value), puts it into `plan` with a Reason, and lets --sbatch
// mem and cpus-per-task raise what was planned within the node. Runs after
// the shape, tasks and memory are decided.
Expected<void> choose_sbatch_options(const System& s, const NodeType& node, const Partition& p,
                                     const Request& r, Plan& plan);

// Slurm's --dependency syntax: TYPE:JOBID[:JOBID...] items (after's job ids
// may carry +MINUTES; a job id may be an array task, 123_4), or
// "singleton", joined by ',' (all must hold) or '?' (any), not both.
//
// Example: is_dependency_spec("afterok:123:456,singleton") == true
bool is_dependency_spec(std::string_view spec);

}  // namespace mlsub
