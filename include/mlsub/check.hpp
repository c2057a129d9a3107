#pragma once

// mlsub check: reading the #SBATCH directives of an existing batch script
// the way sbatch does, and linting them against a system of the catalogue.
// Pure: reads no file, runs no process.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mlsub/catalogue.hpp"
#include "mlsub/error.hpp"

namespace mlsub {

/// One option of one #SBATCH line. `option` is sbatch's long name without
/// dashes ("partition" for -p, --partition and the prefix --part); `value`
/// is empty for flags (has_value false).
struct SbatchDirective {
  int line = 0;        // 1-based line in the script
  std::string option;  // the long name; as written when sbatch does not know it
  std::string value;
  bool has_value = false;
  std::string spelling;  // as written: "-p", "--partition", "--part"
  bool known = true;     // sbatch (or a site plugin mlsub knows) has this option
};

/// A line of the script after the directives: what the batch shell runs.
struct ScriptLine {
  int line = 0;
  std::string text;
};

/// What sbatch reads from a script, and what it ignores.
struct SbatchScript {
  std::vector<SbatchDirective> directives;  // in order; the last of an option wins
  // #SBATCH lines after the first command: sbatch never reads them.
  std::vector<SbatchDirective> ignored;
  int first_command_line = 0;        // 0: the script runs nothing
  std::vector<ScriptLine> commands;  // non-comment, non-blank lines from the first command on
  std::string text;                  // the whole script (the header names its system)

  // The last directive for `option` (sbatch's getopt: the last one wins).
  const SbatchDirective* last(std::string_view option) const;
};

// Reads a batch script as sbatch does (Slurm's src/sbatch/opt.c,
// _opt_batch_script and _get_argument):
// - a directive line starts with "#SBATCH" in column 1; "  #SBATCH",
//   "# SBATCH" and "##SBATCH" are comments;
// - sbatch stops reading directives at the first line whose first
//   non-blank character is not '#' (the first command); blank lines,
//   comments and the shebang do not stop it;
// - after "#SBATCH" the line holds any number of arguments, split at
//   whitespace; single or double quotes group, a backslash escapes the next
//   character, and an unquoted '#' starts a comment that ends the line;
// - the arguments are parsed like sbatch's command line (getopt_long):
//   --opt=value, --opt value, -p value, -pvalue, and unambiguous prefixes
//   of long options (--part=gpu).
// Never fails: what it cannot read is kept as an unknown option.
//
// Example: parse_sbatch_directives("#!/bin/bash\n#SBATCH -p gpu -N 2\nsrun x\n")
//          -> directives {partition=gpu (line 2), nodes=2 (line 2)}, first_command_line 3
SbatchScript parse_sbatch_directives(std::string_view text);

enum class Severity { error, warning, note };
inline constexpr EnumNames<Severity, 3> k_severity_names{
    {{Severity::error, "error"}, {Severity::warning, "warning"}, {Severity::note, "note"}}};
std::string_view to_string(Severity s);

/// One change to the #SBATCH lines that a fix makes: set `option` to
/// `value` (replacing every directive for it), or remove it (no value).
struct FixEdit {
  std::string option;                // sbatch's long name: "mem", "partition"
  std::optional<std::string> value;  // nullopt: remove the option
};

/// One problem in a script. `id` is stable, so CI can grep for it or
/// ignore it; finding_ids() lists every id with its rationale and source
/// (mlsub check --explain ID).
struct Finding {
  int line = 0;
  Severity severity = Severity::error;
  std::string id;
  std::string message;        // names the problem and the fix
  std::vector<FixEdit> fix;   // the fix as directive edits; empty when it is not one
};

/// What a finding id means, why it is a problem, and the page that says so.
struct FindingInfo {
  std::string_view id;
  std::string_view rationale;
  std::string_view source;
};

// Every id check_script can emit, in a stable order.
const std::vector<FindingInfo>& finding_ids();
// The rationale of `id`; nullptr for an unknown id.
const FindingInfo* explain_finding(std::string_view id);

// Lints `script` against `system`: the GPU request syntax and type, CPUs per
// GPU, memory, partition limits (the planner's own checks), account, and
// the launch (one process for several GPUs, no srun across nodes). Findings
// are sorted by line.
std::vector<Finding> check_script(const System& system, const SbatchScript& script);

// Which of `systems` the script is for: the system named by the header of
// a script mlsub wrote ("#   mlsub plan --system X ..."); else the ones
// that have its partition and its GPU type, narrowed to the systems with
// CSCS's Slurm plugins when it uses --uenv, --view or srun --environment,
// then by its GPU request option, then to live systems over retired ones.
// Fails (usage) when none or several fit, naming them and the fix
// (--system).
Expected<const System*> infer_system(const std::vector<System>& systems,
                                     const SbatchScript& script);

}  // namespace mlsub
