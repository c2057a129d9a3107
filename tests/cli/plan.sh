#!/bin/bash
# mlsub plan, systems and show as a user sees them: exit codes, output on
# the right stream, --json that parses, --explain, --help with examples.
. "$(dirname "$0")/lib.sh"

run plan --system lumi --gpus 8 train.py -- --epochs 10 --lr 3e-4
expect_rc 0
expect_stdout_has "#SBATCH --partition=standard-g"
expect_stdout_has "train.py --epochs 10 --lr 3e-4"
expect_stdout_has "#   mlsub plan --system lumi --gpus 8 train.py -- --epochs 10 --lr 3e-4"
expect_stderr ""

# Retired systems still plan, with exactly one warning line naming the successor.
run plan --system puhti --gpus 1 train.py
expect_rc 0; expect_stderr_lines 1
expect_stderr "mlsub: warning: puhti was retired on 2026-07-31 and runs no new jobs; its successor is roihu (--system roihu)"
run plan --system mahti --gpus 1 train.py
expect_rc 0; expect_stderr_has "its successor is roihu"

# Account from the environment, in order of precedence.
SBATCH_ACCOUNT=project_465000002 run plan --system lumi --gpus 1 train.py
expect_stdout_has "#SBATCH --account=project_465000002"
MLSUB_ACCOUNT=project_465000001 SBATCH_ACCOUNT=project_465000002 run plan --system lumi --gpus 1 train.py
expect_stdout_has "#SBATCH --account=project_465000001"
MLSUB_ACCOUNT=project_465000001 run plan --system lumi --gpus 1 --account project_465000003 train.py
expect_stdout_has "#SBATCH --account=project_465000003"
expect_stdout_lacks "FIXME"
run plan --system lumi --gpus 1 train.py
expect_stdout_has "# FIXME: no account was given"

# --explain: reasons on stderr, the script unchanged on stdout.
run plan --system lumi --gpus 1 --explain train.py
expect_rc 0
expect_stdout_has "#SBATCH --partition=small-g"
expect_stderr_has "How mlsub chose each value for lumi"
expect_stderr_has "partition      small-g"
expect_stderr_has "cpus-per-task  7"
expect_stderr_has "source: https://"
expect_stderr_has "PLACEHOLDER: no --account"

# --explain quotes what the user typed, but never passes a control
# character (a terminal escape) to the terminal as it is.
esc=$(printf '\033[2J')
run plan --system lumi --gpus 1 --explain --env "MLSUB_X=a${esc}b" train.py -- "c${esc}d"
expect_rc 0
if grep -q "$(printf '\033')" "$err"; then bad "--explain printed an escape byte"; else ok; fi

# --json parses and carries the decisions.
run plan --system lumi --gpus 16 --json train.py
expect_rc 0
if /usr/bin/python3 - "$out" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
assert plan["schema_version"] == 1
assert plan["partition"] == "standard-g", plan["partition"]
assert plan["nodes"] == 2 and plan["gpus"] == 16 and plan["tasks"] == 16
assert plan["memory_per_node"] is None
assert {d["option"] for d in plan["directives"]} >= {"partition", "nodes", "gpus-per-node"}
assert any(r["field"] == "partition" for r in plan["reasons"])
PY
then ok; else bad "--json output is not the expected plan"; fi

# systems and show
run systems
expect_rc 0
expect_stdout_has "puhti"
expect_stdout_has "retired 2026-07-31, use roihu"
run systems --json
if /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d) == 12 and {s["name"] for s in d} >= {"lumi","roihu"}' "$out"; then ok; else bad "systems --json"; fi
run show lumi
expect_rc 0
expect_stdout_has "standard-g"
expect_stdout_has "GPU request: --gpus-per-node={count}"
run show nowhere
expect_rc 2; expect_stderr_has "unknown system 'nowhere'"
run show alvis --json
if /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["name"] == "alvis" and len(d["node_types"]) == 5' "$out"; then ok; else bad "show --json"; fi

# --help teaches: every command's help has examples; --version.
for cmd in "" plan systems show; do
  run $cmd --help
  expect_rc 0
  expect_stdout_has "Examples:"
done
run --version
expect_rc 0; expect_stdout_has "mlsub 0."

# User catalogue: a directory given with --catalogue overrides a built-in system.
mkdir -p "$work/mine/systems" "$work/mine/templates"
sed 's/^title: .*/title: My LUMI/; s/^default_time: .*/default_time: "2:00:00"/' \
  "$MLSUB_SOURCE_DIR/systems/lumi.yaml" >"$work/mine/systems/lumi.yaml"
run --catalogue "$work/mine/systems" plan --system lumi --gpus 1 train.py
expect_rc 0; expect_stdout_has "#SBATCH --time=2:00:00"
MLSUB_SYSTEMS_PATH="$work/mine/systems" run plan --system lumi --gpus 1 train.py
expect_stdout_has "#SBATCH --time=2:00:00"
mkdir -p "$work/xdg/mlsub"
cp -r "$work/mine/systems" "$work/xdg/mlsub/"
XDG_CONFIG_HOME="$work/xdg" run plan --system lumi --gpus 1 train.py
expect_stdout_has "#SBATCH --time=2:00:00"
# ... and a templates/ directory beside it overrides the built-in templates.
printf '#!/bin/bash\n# my layout for {{system}}\n' >"$work/mine/templates/python.sbatch.mustache"
run --catalogue "$work/mine/systems" plan --system lumi --gpus 1 train.py
expect_stdout_has "# my layout for lumi"

# --check FILE: drift check for scripts kept in docs and repositories.
golden=$MLSUB_SOURCE_DIR/tests/golden/lumi/1-gpu.sbatch
run plan --system lumi --gpus 1 --account project_465000123 train.py --check "$golden"
expect_rc 0; expect_stdout_empty; expect_stderr ""
run plan --system lumi --gpus 2 --account project_465000123 --check "$golden" train.py
expect_rc 8; expect_stdout_has "-#SBATCH --gpus-per-node=1"; expect_stdout_has "+#SBATCH --gpus-per-node=2"
expect_stderr_has "differs from what mlsub writes now"
run plan --system lumi --gpus 1 --check "$work/none.sh" train.py
expect_rc 7; expect_stderr_has "--check: cannot read"
# The header leaves out flags that change only the output, so it remakes
# the same script.
run plan --system lumi --gpus 1 --explain --account project_465000123 train.py -- --json
expect_stdout_has "#   mlsub plan --system lumi --gpus 1 --account project_465000123 train.py -- --json"

# The header is the fully resolved command: an account from the environment
# is written out, and `mlsub plan --check FILE` alone re-plans from it,
# ignoring the environment.
last_command="MLSUB_ACCOUNT=project_465000999 mlsub plan --system lumi --gpus 8 train.py"
MLSUB_ACCOUNT=project_465000999 "$MLSUB" plan --system lumi --gpus 8 train.py -- --lr '3e-4 x' >"$work/env.sh" 2>"$err"
rc=$?; out=$work/env.sh
expect_rc 0
expect_stdout_has "#   mlsub plan --account project_465000999 --system lumi --gpus 8 train.py -- --lr '3e-4 x'"
last_command="SBATCH_ACCOUNT=project_465000111 mlsub plan --check env.sh"
SBATCH_ACCOUNT=project_465000111 "$MLSUB" plan --check "$work/env.sh" >"$work/out" 2>"$err"
rc=$?; out=$work/out
expect_rc 0
run plan --system alps-clariden --gpus 4 --uenv pytorch/v2.9.1:/user-environment train.py
cp "$out" "$work/alps.sh"
last_command="MLSUB_ACCOUNT=a01 mlsub plan --check=alps.sh"
MLSUB_ACCOUNT=a01 "$MLSUB" plan --check="$work/alps.sh" >"$work/out" 2>"$err"
rc=$?; out=$work/out
expect_rc 0
# A changed request in the header: the diff, exit 8.
sed -i '3s/--gpus 4/--gpus 8/' "$work/alps.sh"
run plan --check "$work/alps.sh"
expect_rc 8
# The header is read as words, never through a shell.
sed -i "3s|.*|#   mlsub plan --system lumi --gpus 1 \$(touch $work/pwned) train.py|" "$work/alps.sh"
run plan --check "$work/alps.sh"
expect_rc 2; expect_stderr_has "the command in its header cannot be read: shell syntax"
if [ -e "$work/pwned" ]; then bad "the header ran"; else ok; fi
printf '#!/bin/bash\n#   mlsub plan --system lumi --gpus 1 --validate train.py\n' >"$work/validate.sh"
run plan --check "$work/validate.sh"
expect_rc 2; expect_stderr_has "is not an mlsub plan request"
printf '#!/bin/bash\n#SBATCH -p small-g\n' >"$work/no-header.sh"
run plan --check "$work/no-header.sh"
expect_rc 2; expect_stderr_has "has no mlsub header"

finish
