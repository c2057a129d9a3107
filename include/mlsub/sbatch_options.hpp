#pragma once

// The options sbatch has (Slurm 22.05-24.x, and the CSCS plugins' uenv,
// view and environment): one table, in src/sbatch_directives.cpp, read by
// mlsub check's directive parser and by the planner's --sbatch KEY=VALUE.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlsub {

enum class SbatchArg { none, required, optional };

// The argument sbatch's long option `name` takes (exact name, no prefix
// matching, no dashes); nullopt when sbatch has no such option.
//
// Example: sbatch_option_arg("hint") == SbatchArg::required
std::optional<SbatchArg> sbatch_option_arg(std::string_view name);

// The long names of every option sbatch has, for "did you mean".
std::vector<std::string> sbatch_option_names();

// For an sbatch option that mlsub plans itself (gres, partition, ...), what
// to use instead, e.g. "mlsub plans the partition: use --partition"; ""
// for the others. Defined with the planner's use of it (planner_sbatch.cpp).
std::string_view sbatch_option_planned(std::string_view name);

}  // namespace mlsub
