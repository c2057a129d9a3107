#!/bin/bash
# mlsub check: output formats, exit codes, --strict, --ignore, and the
# system inferred from the script.
. "$(dirname "$0")/lib.sh"
corpus=$MLSUB_SOURCE_DIR/tests/check/corpus

cat >"$work/lumi.sh" <<'SCRIPT'
#!/bin/bash
#SBATCH --account=project_465000123
#SBATCH --partition=small-g --time=4-00:00:00
#SBATCH --ntasks=1 --cpus-per-task=7
#SBATCH --gres=gpu:1
python3 train.py
SCRIPT

# The system is inferred from the partition; text format names file, line, id.
run check "$work/lumi.sh"
expect_rc 9
expect_stdout_has "$work/lumi.sh:3: error: lumi: small-g allows at most 3-00:00:00, the request asks for 4-00:00:00"
expect_stdout_has "$work/lumi.sh:5: note: --gres=gpu:1 means the same as --gpus-per-node=1"
expect_stdout_has "$work/lumi.sh:5: warning: no --mem: the job gets the partition's small default"

# GitHub Actions annotations.
run check --format=github "$work/lumi.sh"
expect_rc 9
expect_stdout_has "::error file=$work/lumi.sh,line=3,title=mlsub check (time-limit)::lumi: small-g allows"
expect_stdout_has "::notice file=$work/lumi.sh,line=5,title=mlsub check (gpu-syntax)::--gres=gpu:1 means"
expect_stdout_has "::warning file=$work/lumi.sh,line=5,title=mlsub check (memory)::no --mem"

# JSON: an array of findings, each with its fix as directive edits.
run check --json "$work/lumi.sh"
expect_rc 9
if /usr/bin/python3 -c 'import json,sys; f=json.load(open(sys.argv[1])); assert [(x["line"], x["severity"], x["id"], x["system"]) for x in f] == [(3, "error", "time-limit", "lumi"), (5, "note", "gpu-syntax", "lumi"), (5, "warning", "memory", "lumi")]; assert f[2]["fix"] == [{"option": "mem", "value": "60G"}]' "$out"; then ok; else bad "JSON findings"; fi

# --ignore drops an id; warnings fail only with --strict, notes never.
run check --ignore time-limit "$work/lumi.sh"
expect_rc 0
expect_stdout_has "warning:"
run check --ignore time-limit --ignore memory --ignore gpu-syntax "$work/lumi.sh"
expect_rc 0
expect_stdout_empty
run check --strict --ignore time-limit "$work/lumi.sh"
expect_rc 9
run check --strict --ignore time-limit --ignore memory "$work/lumi.sh"
expect_rc 0
expect_stdout_has "note:"

# A retired system is a finding (a warning: --strict fails on it).
run check --json "$corpus/puhti/01-right-1gpu.sbatch"
expect_rc 0
expect_stdout_has '"id": "retired"'
run check --strict --format=github "$corpus/puhti/01-right-1gpu.sbatch"
expect_rc 9
expect_stdout_has "::warning file=$corpus/puhti/01-right-1gpu.sbatch,line=1,title=mlsub check (retired)::puhti was retired"

# --explain ID: the rationale and its source; an unknown id lists them.
run check --explain local-rank
expect_rc 0
expect_stdout_has "source: https://docs.cscs.ch/running/slurm/"
run check --explain nope
expect_rc 2
expect_stderr_has "the ids are retired, ignored-directive"

# sbatch refuses an option it does not know: an error.
printf '#!/bin/bash\n#SBATCH -p small-g --gpu-per-node=1\nsrun x\n' >"$work/typo.sh"
run check "$work/typo.sh"
expect_rc 9
expect_stdout_has "error: sbatch has no option --gpu-per-node and refuses the script"

# A right script: nothing printed, exit 0; several files at once.
run check "$corpus/lumi/01-right-1gpu.sbatch" "$corpus/roihu/01-right-1gpu.sbatch" "$corpus/alvis/03-right-full-node.sbatch"
expect_rc 0
expect_stdout_empty

# The Alps clusters share their partitions: say so and name the fix.
run check "$corpus/alps-daint/01-right-1gpu.sbatch"
expect_rc 2
expect_stderr_has "cannot tell the system from partition normal (alps-clariden, alps-daint, alps-santis fit); name it with --system"
run check --system alps-daint "$corpus/alps-daint/01-right-1gpu.sbatch"
expect_rc 0

# A script on stdin, e.g. straight from mlsub plan: what plan writes is
# clean, and its header names the system (Alps too, whose clusters share
# their partitions). tests/check/plan_pipe.py does this for every golden
# request.
last_command="mlsub plan --system roihu --gpus 8 --account project_2001234 train.py | mlsub check -"
"$MLSUB" plan --system roihu --gpus 4 --account project_2001234 train.py | "$MLSUB" check - >"$out" 2>"$err"
rc=$?
expect_rc 0
last_command="mlsub plan --system alps-santis --gpus 4 --account g123 --uenv pytorch/v2.9.1:/user-environment train.py | mlsub check -"
"$MLSUB" plan --system alps-santis --gpus 4 --account g123 --uenv pytorch/v2.9.1:/user-environment train.py | "$MLSUB" check - >"$out" 2>"$err"
rc=$?
expect_rc 0
expect_stdout_empty
last_command="mlsub plan --system alps-santis --gpus 1 --account g123 --uenv pytorch/v2.9.1:/user-environment train.py | mlsub check --json -"
"$MLSUB" plan --system alps-santis --gpus 1 --account g123 --uenv pytorch/v2.9.1:/user-environment train.py 2>/dev/null | "$MLSUB" check --json - >"$out" 2>"$err"
rc=$?
expect_rc 0
expect_stdout_has '"system": "alps-santis"'
expect_stdout_has "normal gives whole nodes: the job is billed for 4 GPUs per node and uses 1"
last_command="mlsub check - < typo.sh"
"$MLSUB" check --json - <"$work/typo.sh" >"$out" 2>"$err"
rc=$?
expect_rc 9
expect_stdout_has '"file": "-"'

# What mlsub plan writes, mlsub check finds clean: tests/check/plan_pipe.py
# (ctest check.plan-pipe) runs every golden request through plan | check -.

# Usage and I/O errors.
run check --system lumii "$work/lumi.sh"
expect_rc 2
expect_stderr_has "lumi"
run check "$work/missing.sh"
expect_rc 7
expect_stderr "mlsub: error: cannot read $work/missing.sh; check the path"
run check "$work"
expect_rc 2
expect_stderr "mlsub: error: $work is a directory; name the scripts in it, e.g. $work/*.sbatch"
run check --format=xml "$work/lumi.sh"
expect_rc 2
run check
expect_rc 2
finish
