#!/bin/bash
# Config files: the user's ($XDG_CONFIG_HOME/mlsub/config.yaml) and the
# project's (.mlsub.yaml upward from the working directory, or --config
# FILE). Each step of the precedence, the environment account left aside
# with a note, errors as FILE:LINE:COLUMN with exit 10, mlsub config, and
# the header that makes the same script without the files.
. "$(dirname "$0")/lib.sh"

export XDG_CONFIG_HOME=$work/xdg HOME=$work/home
unset MLSUB_ACCOUNT SBATCH_ACCOUNT MLSUB_PROJECT_CONFIG  # (the suite's environment sets it empty)
mkdir -p "$XDG_CONFIG_HOME/mlsub" "$HOME" "$work/repo/.git" "$work/repo/exp/run1"
user=$XDG_CONFIG_HOME/mlsub/config.yaml
project=$work/repo/.mlsub.yaml
cd "$work/repo/exp/run1" || exit 1

# directive NAME: the value of #SBATCH --NAME in stdout
directive() { sed -n "s/^#SBATCH --$1=//p" "$out"; }
expect_directive() {
  local got
  got=$(directive "$1")
  if [ "$got" = "$2" ]; then ok; else bad "#SBATCH --$1=$got, expected $2"; fi
}
expect_no_directive() {
  if grep -q "^#SBATCH --$1=" "$out"; then bad "#SBATCH --$1 is there"; else ok; fi
}

# --- no files: the catalogue --------------------------------------------------
run plan --system lumi --gpus 1 train.py
expect_rc 0; expect_directive time 1:00:00; expect_directive account project_46YXXXXXX
run config
expect_rc 0
expect_stdout_has "project  none (no .mlsub.yaml here or in a parent, up to the repository)"
expect_stdout_has "user     $user (none)"
expect_stdout_has "No settings"

# --- each step of the precedence ----------------------------------------------
# 6. the user file's all:
cat >"$user" <<'YAML'
all:
  time: "3:00:00"
  account: project_465000700
lumi:
  partition: standard-g
YAML
run plan --system lumi --gpus 1 train.py
expect_rc 0; expect_directive time 3:00:00; expect_directive account project_465000700
expect_directive partition standard-g

# 5. the project file's all: over the user's all: (found from a subdirectory)
cat >"$project" <<'YAML'
all:
  time: "4:00:00"
YAML
run plan --system lumi --gpus 1 train.py
expect_rc 0; expect_directive time 4:00:00; expect_directive account project_465000700

# 4. the environment over every all:
MLSUB_ACCOUNT=project_465000800 run plan --system lumi --gpus 1 train.py
expect_rc 0; expect_directive account project_465000800
SBATCH_ACCOUNT=project_465000801 run plan --system lumi --gpus 1 train.py
expect_rc 0; expect_directive account project_465000801

# 3. the user file's lumi: over the environment (and over the project's all:)
cat >"$user" <<'YAML'
all:
  time: "3:00:00"
  account: project_465000700
lumi:
  partition: standard-g
  account: project_465000900
  time: "5:00:00"
YAML
MLSUB_ACCOUNT=project_465000800 run plan --system lumi --gpus 1 --explain train.py
expect_rc 0; expect_directive account project_465000900; expect_directive time 5:00:00
expect_stderr_has "from user file $user:6:3 (lumi:)"
expect_stderr_has "(--time from user file $user:7:3 (lumi:))"

# 2. the project file's lumi: over the user file's lumi:
cat >"$project" <<'YAML'
all:
  time: "4:00:00"
lumi:
  partition: small-g
YAML
run plan --system lumi --gpus 1 --explain train.py
expect_rc 0; expect_directive partition small-g; expect_directive time 5:00:00
expect_stderr_has "(--partition from project file $project:4:3 (lumi:))"

# 1. a flag over everything
MLSUB_ACCOUNT=project_465000800 run plan --system lumi --gpus 1 --partition dev-g --time 30 \
  --account project_465000001 train.py
expect_rc 0; expect_directive partition dev-g; expect_directive time 0:30:00
expect_directive account project_465000001

# Another system: only all: applies, and the environment comes first.
MLSUB_ACCOUNT=project_2001234 run plan --system roihu --gpus 1 train.py
expect_rc 0; expect_directive time 4:00:00; expect_directive account project_2001234

# --- the environment account of another site's form --------------------------
rm -f "$user" "$project"
MLSUB_ACCOUNT=project_2001234 run plan --system lumi --gpus 1 train.py
expect_rc 0; expect_directive account project_46YXXXXXX
expect_stderr "mlsub: \$MLSUB_ACCOUNT (project_2001234) is not of lumi's account form (like project_46YXXXXXX), so it is left aside for lumi; give lumi's account with --account, or in a config file under lumi: (mlsub config --help)"
printf 'lumi:\n  account: project_465000123\n' >"$user"
MLSUB_ACCOUNT=project_2001234 run plan --system lumi --gpus 1 train.py
expect_rc 0; expect_directive account project_465000123; expect_stderr ""
MLSUB_ACCOUNT=project_2001234 run plan --system roihu --gpus 1 train.py
expect_rc 0; expect_directive account project_2001234; expect_stderr ""
# ... then $SBATCH_ACCOUNT is tried
rm -f "$user"
MLSUB_ACCOUNT=project_2001234 SBATCH_ACCOUNT=project_465000002 run plan --system lumi --gpus 1 train.py
expect_rc 0; expect_directive account project_465000002
expect_stderr_has "\$MLSUB_ACCOUNT (project_2001234) is not of lumi's account form"
# An account in a file is what the user wrote for that system: of the wrong
# form, it is refused, naming the file.
printf 'lumi:\n  account: project_2001234\n' >"$user"
run plan --system lumi --gpus 1 train.py
expect_rc 3
expect_stderr_has "account 'project_2001234' (from user file $user:2:3 (lumi:)) is not of the site's form"

# --- the header makes the same script without the files ------------------------
cat >"$project" <<'YAML'
all:
  env: {HF_HOME: "/scratch/my hf", WANDB_MODE: offline}
  no-monitor: true
lumi:
  account: project_465000123
  module: [LUMI/24.03, "[1,2]"]
  time: "45"
  dir: jobs   # submit's flag: plan leaves it
YAML
rm -f "$user"
run plan --system lumi --gpus 1 train.py -- --lr 1
expect_rc 0
cp "$out" "$work/job.sh"
expect_stdout_has "#   mlsub plan --account project_465000123 --module LUMI/24.03 --module '[1,2]' --time 45 --env 'HF_HOME=/scratch/my hf' --env WANDB_MODE=offline --no-monitor --system lumi --gpus 1 train.py -- --lr 1"
expect_stdout_has "export HF_HOME='/scratch/my hf'"
expect_stdout_has "module load LUMI/24.03"; expect_stdout_has "module load '[1,2]'"
expect_directive time 0:45:00
cd "$work" || exit 1  # no project file here: the header alone
run plan --check "$work/job.sh"
expect_rc 0; expect_stdout_empty
cd "$work/repo/exp/run1" || exit 1
# submit writes the same header; its dir: setting places the job folder
run submit --system lumi --gpus 1 --dry-run train.py -- --lr 1
expect_rc 0; expect_stdout_has "$work/repo/exp/run1/jobs/"

# --- --config FILE instead of the project file ---------------------------------
printf 'lumi:\n  time: "6:00:00"\n' >"$work/other.yaml"
run --config "$work/other.yaml" plan --system lumi --gpus 1 train.py
expect_rc 0; expect_directive time 6:00:00; expect_directive account project_46YXXXXXX
expect_stdout_has "#   mlsub plan --time 6:00:00 --system lumi --gpus 1 train.py"
run plan --system lumi --gpus 1 --config "$work/nothere.yaml" train.py
expect_rc 10; expect_stdout_empty
expect_stderr "mlsub: error: --config $work/nothere.yaml: no such file; give the path of a config file (mlsub config --help)"

# $MLSUB_PROJECT_CONFIG: a file instead of the search; set and empty: none
MLSUB_PROJECT_CONFIG=$work/other.yaml run plan --system lumi --gpus 1 train.py
expect_rc 0; expect_directive time 6:00:00
MLSUB_PROJECT_CONFIG= run plan --system lumi --gpus 1 train.py
expect_rc 0; expect_directive time 1:00:00; expect_stdout_has "#   mlsub plan --system lumi --gpus 1 train.py"
MLSUB_PROJECT_CONFIG= run config
expect_rc 0; expect_stdout_has "project  none (\$MLSUB_PROJECT_CONFIG is set and empty)"
MLSUB_PROJECT_CONFIG=$work/nothere.yaml run plan --system lumi --gpus 1 train.py
expect_rc 10
expect_stderr "mlsub: error: \$MLSUB_PROJECT_CONFIG $work/nothere.yaml: no such file; give the path of a config file (mlsub config --help)"

# --- invalid files: FILE:LINE:COLUMN, exit 10 ----------------------------------
printf 'lumi:\n  acount: project_465000123\n' >"$project"
run plan --system lumi --gpus 1 train.py
expect_rc 10; expect_stdout_empty
expect_stderr "mlsub: error: $project:2:3: lumi.acount: unknown setting 'acount'; did you mean 'account'? settings are the long flags of mlsub plan and submit, without -- (mlsub config --help)"
printf 'lumii:\n  time: "1:00:00"\n' >"$project"
run plan --system lumi --gpus 1 train.py
expect_rc 10
expect_stderr_has "$project:1:1: 'lumii' is not a system mlsub knows, nor all; did you mean 'lumi'?"
printf 'lumi:\n  time: [1, 2\n' >"$project"
run plan --system lumi --gpus 1 train.py
expect_rc 10; expect_stderr_lines 1; expect_stderr_has "$project:3:1: not valid YAML"
run config
expect_rc 10; expect_stderr_has "$project:3:1: not valid YAML"
# A value the flag refuses: the flag's message, with where it is.
printf 'all:\n  time: 1h\n' >"$project"
run plan --system lumi --gpus 1 train.py
expect_rc 10
expect_stderr "mlsub: error: $project:2:3: all.time: invalid time '1h': not a Slurm time; use minutes (90), HH:MM:SS (1:30:00) or D-HH:MM:SS (2-00:00:00); fix it in that file"
printf 'lumi:\n  monitor-interval: 0\n' >"$project"
run plan --system lumi --gpus 1 train.py
expect_rc 10; expect_stderr_has "$project:2:3: lumi.monitor-interval: "
printf 'lumi:\n  time: ["1:00:00", "2:00:00"]\n' >"$project"
run plan --system lumi --gpus 1 train.py
expect_rc 10
expect_stderr "mlsub: error: $project:2:3: lumi.time: --time takes one value, the file gives 2; fix it in that file"
printf 'lumi:\n  no-monitor: maybe\n' >"$project"
run plan --system lumi --gpus 1 train.py
expect_rc 10; expect_stderr_has "$project:2:3: lumi.no-monitor: "
printf 'lumi:\n  job-name: "a\\n#SBATCH --partition=evil"\n' >"$project"
run plan --system lumi --gpus 1 train.py
expect_rc 10; expect_stdout_empty
expect_stderr_has "$project:2:3: lumi.job-name: --job-name holds a newline"
printf 'system: lumi\n' >"$project"
run plan --system lumi --gpus 1 train.py
expect_rc 10; expect_stderr_has "$project:1:1: 'system' is not a system mlsub knows"
# A broken user file is found as well, even when the project file is fine.
printf 'all: {}\n' >"$project"
printf 'roihu:\n  partiton: gpumedium\n' >"$user"
run plan --system lumi --gpus 1 train.py
expect_rc 10; expect_stderr_has "$user:2:3: roihu.partiton: unknown setting 'partiton'; did you mean 'partition'?"
rm -f "$user"

# --- mlsub config ----------------------------------------------------------------
cat >"$project" <<'YAML'
all:
  time: "2:00:00"
  env: {HF_HOME: /scratch/hf}
lumi:
  account: project_465000123
YAML
printf 'lumi:\n  partition: small-g\n  account: project_465000999\n' >"$user"
MLSUB_ACCOUNT=project_2001234 run config --system lumi
expect_rc 0
expect_stdout_has "  project  $project"
expect_stdout_has "  user     $user"
expect_stdout_has "Settings for lumi (a flag on the command line wins over each):"
expect_stdout_has "  account    project_465000123    project file $project:5:3 (lumi:)"
expect_stdout_has "  partition  small-g              user file $user:2:3 (lumi:)"
expect_stdout_has "  time       2:00:00              project file $project:2:3 (all:)"
expect_stdout_has "  env        HF_HOME=/scratch/hf  project file $project:3:3 (all:)"
expect_stdout_has "Everything else: the catalogue's defaults (mlsub show lumi)."
MLSUB_ACCOUNT=project_2001234 run config --system roihu --json
expect_rc 0
/usr/bin/python3 - "$out" "$project" <<'PY' && ok || bad "config --json is not what was set"
import json, sys
d = json.load(open(sys.argv[1]))
s = {x["key"]: x for x in d["settings"]}
assert d["system"] == "roihu", d
assert s["account"]["value"] == "project_2001234", s
assert s["account"]["origin"] == {"kind": "environment", "variable": "MLSUB_ACCOUNT"}, s
assert s["env"]["value"] == ["HF_HOME=/scratch/hf"], s
assert s["time"]["origin"] == {"kind": "project", "file": sys.argv[2], "section": "all",
                               "line": 2, "column": 3}, s
assert "partition" not in s, s
assert d["project_file"] == sys.argv[2] and d["notes"] == [], d
PY
MLSUB_ACCOUNT=project_2001234 run config
expect_rc 0
expect_stdout_has "lumi:    partition  small-g"
expect_stdout_has "  \$MLSUB_ACCOUNT=project_2001234 (the account, after a system's own section, where of the site's form)"
run config --json
expect_rc 0
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["files"][0]["sections"]["all"]["env"] == ["HF_HOME=/scratch/hf"], d' "$out" && ok || bad "config --json"
run config --system lumii
expect_rc 2; expect_stderr_has "did you mean 'lumi'?"
# config checks the keys and what the flags check as they are read; plan
# checks the rest (the time's form, above).
printf 'lumi:\n  monitor-interval: 0\n' >"$project"
run config --system lumi
expect_rc 10; expect_stderr_has "$project:2:3: lumi.monitor-interval"
run config --help
expect_rc 0; expect_stdout_has "First wins: a flag;"; expect_stdout_has ".mlsub.yaml"
run --help
expect_rc 0; expect_stdout_has "--config FILE"

# The README's example file is docs/examples/config.yaml (whose output the
# README shows, tests/docs), comments aside.
last_command="README.md's config example"
/usr/bin/python3 - "$MLSUB_SOURCE_DIR" <<'PY' && ok || bad "README.md's yaml block differs from docs/examples/config.yaml"
import re, sys
root = sys.argv[1]
readme = open(f"{root}/README.md").read()
section = readme[readme.index("### Defaults per site"):]
block = re.search(r"```yaml\n(.*?)```", section, re.S).group(1)
example = "".join(l for l in open(f"{root}/docs/examples/config.yaml") if not l.startswith("#"))
sys.exit(0 if block == example else 1)
PY

# --- completion knows the command ---------------------------------------------------
mkdir -p "$work/bin"; ln -s "$MLSUB" "$work/bin/mlsub"
"$MLSUB" completion bash >"$work/completion.bash"
# shellcheck disable=SC1091
. "$work/completion.bash"
complete_words() {
  COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
  PATH=$work/bin:$PATH _mlsub
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}
last_command="complete: mlsub conf"
[ "$(complete_words mlsub conf)" = "config " ] && ok || bad "mlsub conf does not complete to config"
last_command="complete: mlsub config --"
[ "$(complete_words mlsub config --)" = "--catalogue --config --help --json --system --verbose --version " ] && ok || bad "config's flags (and the global ones)"
last_command="complete: mlsub --config f.yaml plan --sys"
[ "$(complete_words mlsub --config f.yaml plan --sys)" = "--system " ] && ok || bad "after --config FILE"

finish
