#!/bin/bash
# Writes the man page mlsub.1 from the built binary's --help, with Debian's
# help2man: the top-level help, then each command's own --help, exit
# status, files and environment. Usage: mlsub_man.sh HELP2MAN MLSUB OUT
set -euo pipefail
help2man=$1
mlsub=$2
out=$3
include=$(mktemp)
trap 'rm -f "$include"' EXIT

# roff-safe preformatted text: backslashes doubled, leading . and ' escaped.
roff() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

{
  echo "[COMMANDS]"
  for cmd in $("$mlsub" completion --list commands | cut -f1); do  # every command, from mlsub
    echo ".SS \"mlsub $cmd\""
    echo ".nf"
    "$mlsub" "$cmd" --help | roff
    echo ".fi"
  done
  # The top-level examples, one a line (help2man would run them together).
  echo "[=EXAMPLES]"
  echo ".nf"
  "$mlsub" --help | sed -n '/^Examples:$/,/^$/s/^  //p' | roff
  echo ".fi"
  cat <<'TEXT'
[EXIT STATUS]
.TP
.B 0
success (also for a retired system: the script is printed, with a warning)
.TP
.B 2
usage: unknown flag or command, bad value, unknown system, partition or GPU type; submit: no account or no program; check: the system cannot be told from the script
.TP
.B 3
rejected: the system cannot give what was asked (a limit)
.TP
.B 4
invalid catalogue: a systems/*.yaml file is broken
.TP
.B 5
Slurm: a Slurm command is missing, Slurm is unreachable or refused the job, sbatch printed no job id, or hung
.TP
.B 6
invalid template
.TP
.B 7
I/O: a file could not be read or written
.TP
.B 8
plan \-\-check FILE: FILE differs from the script mlsub writes now
.TP
.B 9
check: a script has errors (or warnings, with \-\-strict)
.TP
.B 10
invalid config file: config.yaml or .mlsub.yaml is broken, or holds an unknown key or a value its flag refuses
.TP
.B 130
interrupted
[FILES]
.TP
.I share/mlsub/systems/*.yaml
the built-in catalogue, one file per system
.TP
.I ~/.config/mlsub/systems/*.yaml
your own systems (also $XDG_CONFIG_HOME/mlsub/systems, $MLSUB_SYSTEMS_PATH, \-\-catalogue DIR)
.TP
.I ~/.config/mlsub/config.yaml
your defaults for plan and submit, per system and for all (also $XDG_CONFIG_HOME/mlsub/config.yaml; mlsub config)
.TP
.I .mlsub.yaml
a project's defaults, in the working directory or a parent up to the repository's root (or \-\-config FILE); before yours
.TP
.I share/mlsub/templates/*.mustache
the templates of the batch scripts
.TP
.I ~/.local/share/mlsub/jobs.jsonl
the journal of submitted jobs ($MLSUB_JOURNAL)
[ENVIRONMENT]
.TP
.B MLSUB_ACCOUNT
the account when \-\-account is not given (then SBATCH_ACCOUNT)
.TP
.B MLSUB_SYSTEMS_PATH
more catalogue directories, colon-separated
.TP
.B MLSUB_PROJECT_CONFIG
the project's config file, instead of .mlsub.yaml found upward; set and empty: none
.TP
.B MLSUB_DATA_DIR
where systems/ and templates/ are, instead of share/mlsub
.TP
.B MLSUB_JOURNAL
the journal of submitted jobs, instead of $XDG_DATA_HOME/mlsub/jobs.jsonl
.TP
.B MLSUB_JOB_DIR
set by mlsub submit for the job: its folder, where the GPU monitor in the script writes (without it, mlsub-JOBID in the directory the job was submitted from)
.TP
.B SBATCH_ACCOUNT
the account when neither \-\-account nor MLSUB_ACCOUNT is given
.TP
.B SBATCH_EXPORT
read by mlsub submit: a value that keeps MLSUB_JOB_DIR from the job is warned about
.TP
.B XDG_CONFIG_HOME
your own systems and config.yaml are in $XDG_CONFIG_HOME/mlsub (default ~/.config)
.TP
.B XDG_DATA_HOME
the journal is in $XDG_DATA_HOME/mlsub (default ~/.local/share)
.TP
.B HOME
for the defaults of XDG_CONFIG_HOME and XDG_DATA_HOME
.TP
.B USER
fills %u in an \-\-output pattern (mlsub logs)
.TP
.B PATH
where sbatch, squeue, scontrol and scancel are found
[SEE ALSO]
.BR sbatch (1),
.BR srun (1).
The documentation in docs/ of the source tree: one page per system and guides.
TEXT
} >"$include"

"$help2man" --no-info --no-discard-stderr --section=1 \
  --name="plan, check, submit and follow GPU jobs on Slurm sites" \
  --include="$include" --output="$out" "$mlsub"
