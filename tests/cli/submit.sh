#!/bin/bash
# mlsub submit without Slurm: --dry-run writes the job folder, and the
# script in it is byte for byte what mlsub plan prints for the same
# request, so plan --check holds for it. The folder reaches the job from
# outside the script (sbatch --output, MLSUB_JOB_DIR); an SBATCH_EXPORT
# that would drop MLSUB_JOB_DIR is warned about.
. "$(dirname "$0")/lib.sh"
export MLSUB_JOURNAL=$work/jobs.jsonl
unset SBATCH_EXPORT

# same_as_plan SYSTEM ARGS...: submit --dry-run, then plan with the same
# request; job.sh must equal plan's stdout.
same_as_plan() {
  run submit --dry-run --dir "$work/jobs" "$@"
  expect_rc 0
  local script
  script=$(cat "$out")
  run plan "$@"
  expect_rc 0
  if cmp -s "$script" "$out"; then ok; else
    bad "job.sh differs from mlsub plan's output: $(diff "$script" "$out" | head -5)"
  fi
  run plan --check "$script" "$@"
  expect_rc 0
}
same_as_plan --system lumi --gpus 8 --account project_465000123 train.py -- --lr 3e-4 'a b'
same_as_plan --system roihu --nodes 2 --gpus-per-node 4 --launcher torchrun train.py
same_as_plan --system alvis --gpus 1 --gpu-type A40 --sweep 'lr=1e-3,1e-4' train.py
same_as_plan --system mahti --gpus 1 --output 'logs/%x-%j.out' --no-monitor train.py
# Words that look like submit's own are left alone as values and program
# arguments.
same_as_plan --system roihu --gpus 1 --job-name submit train.py -- --dir x --timeout 3 submit --dry-run

# The dry run says how to submit it as mlsub would: the folder from outside.
run submit --dry-run --dir "$work/jobs" --system roihu --gpus 1 train.py
expect_rc 0
folder=$(dirname "$(cat "$out")")
expect_stderr_has "dry run: nothing was submitted; to submit: MLSUB_JOB_DIR=$folder sbatch --output=$folder/slurm-%j.out $folder/job.sh"
if grep -q "$folder" "$folder/job.sh"; then bad "job.sh names its folder"; else ok; fi
if [ -e "$MLSUB_JOURNAL" ]; then bad "a dry run wrote the journal"; else ok; fi

# SBATCH_EXPORT that drops MLSUB_JOB_DIR: a warning; ALL or naming it: none.
SBATCH_EXPORT=NONE run submit --dry-run --dir "$work/jobs" --system roihu --gpus 1 train.py
expect_rc 0
expect_stderr_has "mlsub: warning: SBATCH_EXPORT=NONE keeps MLSUB_JOB_DIR from the job"
for value in ALL "HOME,MLSUB_JOB_DIR"; do
  SBATCH_EXPORT=$value run submit --dry-run --dir "$work/jobs" --system roihu --gpus 1 train.py
  expect_rc 0
  if grep -q "SBATCH_EXPORT" "$err"; then bad "SBATCH_EXPORT=$value warned"; else ok; fi
done
# Before sbatch: the placeholder account, a program that is not there, and
# --output's directory. This sbatch stand-in only records that it ran.
mkdir -p "$work/fake" "$work/sub"
printf '#!/bin/bash\necho called >>"%s"\necho 4242\n' "$work/sbatch-calls" >"$work/fake/sbatch"
chmod +x "$work/fake/sbatch"
cd "$work/sub" || exit 1
PATH=$work/fake:$PATH run submit --dir "$work/jobs" --system lumi --gpus 1 train.py
expect_rc 2; expect_stdout_empty
expect_stderr "mlsub: error: no account was given, and the script holds the placeholder project_46YXXXXXX; give --account (or set MLSUB_ACCOUNT) with your lumi project"
PATH=$work/fake:$PATH run submit --dir "$work/jobs" --system lumi --gpus 1 --account project_465000123 train.py
expect_rc 2
expect_stderr "mlsub: error: the program train.py is not in $work/sub, where the job starts; give its path from there, or run mlsub submit in the directory that holds it"
if [ -e "$work/sbatch-calls" ]; then bad "sbatch was called for a request refused before it"; else ok; fi
touch train.py
PATH=$work/fake:$PATH run submit --dir "$work/jobs" --system lumi --gpus 1 --account project_465000123 --output 'logs/%x-%j.out' train.py
expect_rc 0; expect_stdout_has "4242"
expect_stderr_has "mlsub: created $work/sub/logs for --output"
[ -d "$work/sub/logs" ] && ok || bad "--output's directory was not created"
[ "$(wc -l <"$work/sbatch-calls")" -eq 1 ] && ok || bad "sbatch was not called once"
# Refused and unreachable read differently (the lab stops a real controller
# for the second; here a stand-in prints what sbatch prints then).
printf '#!/bin/bash\necho "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)" >&2\nexit 1\n' >"$work/fake/sbatch"
PATH=$work/fake:$PATH run submit --dir "$work/jobs" --system lumi --gpus 1 --account project_465000123 train.py
expect_rc 5; expect_stderr_has "mlsub: error: Slurm is unreachable: sbatch could not reach the Slurm controller"
printf '#!/bin/bash\necho "sbatch: error: Batch job submission failed: Invalid account" >&2\nexit 1\n' >"$work/fake/sbatch"
PATH=$work/fake:$PATH run submit --dir "$work/jobs" --system lumi --gpus 1 --account project_465000123 train.py
expect_rc 5; expect_stderr_has "mlsub: error: Slurm refused the job: sbatch: error: Batch job submission failed: Invalid account"
finish
