#!/bin/bash
# mlsub submit, status, cancel and logs against a real Slurm (the lab's
# LUMI and Mahti replicas): --test-only, --dry-run, real 1-GPU and 2-node
# jobs, --wait, the journal, 20 concurrent submits, a job with a config
# file's defaults, and the faults: sbatch
# missing, refusing, printing garbage, hanging; a retry after an unclear
# failure; a folder that cannot be written; the controller down. Needs root
# (77 without).
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lablib.sh"
start_lab "${MLSUB_SUBMIT_LAB_PORT:-18000}" lumi mahti
export SLURM_CONF=$lab/lumi/slurm.conf
export MLSUB_JOURNAL=$work/jobs.jsonl
cat >hello.sh <<'SH'
#!/bin/bash
echo "rank=$RANK local=$LOCAL_RANK world=$WORLD_SIZE node=$SLURMD_NODENAME args=$*"
SH
chmod +x bin/module hello.sh
# LUMI jobs run in an AI Factory image by default (`singularity run IMAGE
# CMD...`); until the lab emulates the runtime, this stand-in runs CMD here.
printf '#!/bin/bash\nshift; while [[ $1 == -* ]]; do shift; done; shift; exec "$@"\n' >bin/singularity
chmod +x bin/singularity
acct=(--account project_465000123)

wait_done() {  # wait_done JOBID: until Slurm no longer lists it as pending/running
  local i
  for ((i = 0; i < 300; i++)); do
    [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  return 1
}

# --test-only: Slurm's verdict; the placeholder account is refused before
# sbatch is asked (plan --validate below shows Slurm refuses it too).
run submit --system lumi --gpus 1 "${acct[@]}" --test-only ./hello.sh
expect_rc 0; expect_stdout_has "sbatch: Job"
run submit --system lumi --gpus 1 --test-only ./hello.sh
expect_rc 2; expect_stderr_has "no account was given, and the script holds the placeholder"

# plan --validate: the script on stdout, Slurm's verdict on stderr.
run plan --system lumi --gpus 1 "${acct[@]}" --validate ./hello.sh
expect_rc 0; expect_stdout_has "#SBATCH --partition=small-g"; expect_stderr_has "Slurm would accept the job"
run plan --system lumi --gpus 1 --validate ./hello.sh
expect_rc 5; expect_stderr_has "Slurm would refuse the job"
PATH=/nonexistent run plan --system lumi --gpus 1 --validate ./hello.sh
expect_rc 5; expect_stderr_has "needs a Slurm login node"
# The sbatch options mlsub does not plan (first-class flags, --sbatch
# pass-through, raised memory and CPUs): Slurm reads them from the script.
run plan --system lumi --gpus 1 "${acct[@]}" --exclusive --mail-type END,FAIL --mail-user me \
  --dependency singleton --sbatch hint=nomultithread --sbatch 'comment=a b' --sbatch mem=120G \
  --sbatch cpus-per-task=7 --validate ./hello.sh
expect_rc 0; expect_stdout_has "#SBATCH --exclusive"; expect_stderr_has "Slurm would accept the job"
run plan --system lumi --gpus 1 "${acct[@]}" --reservation no-such-reservation --validate ./hello.sh
expect_rc 5; expect_stderr_has "Slurm would refuse the job"

# --dry-run: a complete folder, nothing submitted, nothing recorded.
run submit --system lumi --gpus 1 "${acct[@]}" --dry-run --dir "$work/dry" ./hello.sh
expect_rc 0
folder=$(dirname "$(cat "$out")")
if [ -f "$folder/job.sh" ] && [ -f "$folder/plan.json" ]; then ok; else bad "dry run folder incomplete"; fi
if [ -e "$MLSUB_JOURNAL" ]; then bad "a dry run wrote the journal"; else ok; fi
if ls -A "$work/dry" | grep -q '^\.mlsub-new'; then bad "a temporary folder was left"; else ok; fi

# A real 1-GPU job and a real 2-node job: the program sees its ranks.
run submit --system lumi --gpus 1 "${acct[@]}" --dir "$work/jobs" ./hello.sh -- 'a b' '$(id)'
expect_rc 0
job1=$(cat "$out")
run submit --system lumi --nodes 2 --gpus-per-node 2 "${acct[@]}" --dir "$work/jobs" ./hello.sh
expect_rc 0
job2=$(cat "$out")
wait_done "$job1" && wait_done "$job2" || bad "jobs did not finish"
out1=$(cat "$work"/jobs/hello-*/slurm-"$job1".out 2>/dev/null)
[ "$out1" = 'rank= local= world= node=lumi-real1 args=a b $(id)' ] && ok || bad "1-GPU job printed: $out1"
ranks=$(sort "$work"/jobs/hello-*/slurm-"$job2".out 2>/dev/null | cut -d' ' -f1-4 | tr '\n' ' ')
[ "$ranks" = "rank=0 local=0 world=4 node=lumi-real1 rank=1 local=1 world=4 node=lumi-real1 rank=2 local=0 world=4 node=lumi-real2 rank=3 local=1 world=4 node=lumi-real2 " ] &&
  ok || bad "2-node job printed: $ranks"
# The submitted script is what mlsub plan prints for the same request: the
# folder reached the job from outside it (--output, MLSUB_JOB_DIR).
folder1=$(dirname "$(grep -lx "$job1" "$work"/jobs/hello-*/job-id)")
"$MLSUB" plan --system lumi --gpus 1 "${acct[@]}" ./hello.sh -- 'a b' '$(id)' >"$work/plan1.sh" 2>/dev/null
cmp -s "$work/plan1.sh" "$folder1/job.sh" && ok || bad "job.sh of job $job1 is not mlsub plan's output"
[ -s "$folder1/slurm-$job1.out" ] && ok || bad "job $job1 wrote no output in its folder $folder1"
[ "$(wc -l <"$MLSUB_JOURNAL")" -eq 2 ] && ok || bad "journal has $(wc -l <"$MLSUB_JOURNAL") lines, expected 2"
/usr/bin/python3 -c 'import json,sys; [json.loads(l)["job_id"] for l in open(sys.argv[1])]' "$MLSUB_JOURNAL" && ok || bad "journal lines are not JSON"
grep -q "\"job_id\":\"$job2\"" "$MLSUB_JOURNAL" && ok || bad "job $job2 is not in the journal"

# 20 concurrent submits: 20 jobs, 20 whole journal lines.
: >"$MLSUB_JOURNAL"
for i in $(seq 20); do
  SLURM_CONF=$lab/mahti/slurm.conf "$MLSUB" submit --system mahti --gpus 1 --account project_2001234 --dir "$work/many" \
    ./hello.sh -- "$i" >"$work/many.$i" 2>&1 &
done
wait
ids=$(cat "$work"/many.* | grep -cE '^[0-9]+$')
[ "$ids" -eq 20 ] && ok || bad "20 concurrent submits gave $ids job ids"
[ "$(ls "$work/many" | wc -l)" -eq 20 ] && ok || bad "20 concurrent submits gave $(ls "$work/many" | wc -l) folders"
n=$(/usr/bin/python3 -c 'import json,sys; print(len({json.loads(l)["job_id"] for l in open(sys.argv[1])}))' "$MLSUB_JOURNAL")
[ "$n" -eq 20 ] && ok || bad "journal holds $n distinct jobs, expected 20"

# Faults. sbatch not on PATH: say where submit works.
PATH=/nonexistent run submit --system lumi --gpus 1 "${acct[@]}" ./hello.sh
expect_rc 5; expect_stderr_has "sbatch is not on PATH: mlsub submit needs a Slurm login node"
# Stand-ins for what a real Slurm cannot do on demand: refuse with a
# message, print garbage, hang.
mkdir -p fake
printf '#!/bin/bash\necho "sbatch: error: Batch job submission failed: Invalid qos specification" >&2\nexit 1\n' >fake/sbatch
chmod +x fake/sbatch
: >"$MLSUB_JOURNAL"
PATH=$work/fake:$PATH run submit --system lumi --gpus 1 "${acct[@]}" --dir "$work/f1" ./hello.sh
expect_rc 5; expect_stderr_has "Slurm refused the job: sbatch: error: Batch job submission failed: Invalid qos specification"
expect_stderr_has "the script is kept in"
[ -s "$MLSUB_JOURNAL" ] && bad "a refused job was recorded" || ok
printf '#!/bin/bash\necho "<html>proxy error</html>"\n' >fake/sbatch
PATH=$work/fake:$PATH run submit --system lumi --gpus 1 "${acct[@]}" --dir "$work/f2" ./hello.sh
expect_rc 5; expect_stderr_has "sbatch printed no job id"
printf '#!/bin/bash\nsleep 30\n' >fake/sbatch
PATH=$work/fake:$PATH run submit --system lumi --gpus 1 "${acct[@]}" --timeout 1 --dir "$work/f3" ./hello.sh
expect_rc 5; expect_stderr_has "did not finish within 1 s"
# --wait follows a job to its end and exits with its exit code; status and
# logs find it afterwards.
printf '#!/bin/bash\necho "started"\nexit 3\n' >fails.sh
chmod +x fails.sh
run submit --system lumi --gpus 1 "${acct[@]}" --dir "$work/w" --wait ./fails.sh
expect_rc 3; expect_stderr_has "ended FAILED with exit code 3"
failed_id=$(head -1 "$out")
run status "$failed_id"
expect_rc 0; expect_stdout_has "FAILED (exit 3)"; expect_stdout_has "$work/w/fails-"
run status --json "$failed_id"
expect_rc 0
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[0]["exit_code"] == 3 and d[0]["state"] == "FAILED"' "$out" && ok || bad "status --json"
run logs "$failed_id"
expect_rc 0; expect_stdout_has "started"

# Per-site defaults from a project config file: the account from its lumi:
# section (which comes before $MLSUB_ACCOUNT, here a Roihu project), an
# --env from all:. Slurm takes the job; the program sees both.
printf 'all:\n  env: {GREETING: "hi there"}\nlumi:\n  account: project_465000123\n' >"$work/site.yaml"
printf '#!/bin/bash\necho "greeting=$GREETING account=$SLURM_JOB_ACCOUNT"\n' >greet.sh
chmod +x greet.sh
MLSUB_ACCOUNT=project_2001234 MLSUB_PROJECT_CONFIG=$work/site.yaml \
  run submit --system lumi --gpus 1 --dir "$work/cfg" --wait ./greet.sh
expect_rc 0
run logs "$(head -1 "$out")"
expect_rc 0; expect_stdout_has "greeting=hi there account=project_465000123"

# A long job: status lists it (unfinished jobs by default), cancel stops it,
# logs --follow returns when it has ended.
printf '#!/bin/bash\necho "long job up"\nsleep 120\n' >long.sh
chmod +x long.sh
run submit --system lumi --gpus 1 "${acct[@]}" --dir "$work/l" ./long.sh
long_id=$(cat "$out")
for _ in $(seq 100); do
  [ "$(squeue -h -j "$long_id" -o %T)" = RUNNING ] && break
  sleep 0.1
done
# RUNNING comes a moment before the script's first line runs: wait for its
# output, or the cancel below can come first (seen with other labs beside).
for _ in $(seq 100); do
  grep -qs "long job up" "$work"/l/long-*/slurm-"$long_id".out && break
  sleep 0.1
done
run status
expect_rc 0; expect_stdout_has "$long_id"; expect_stdout_has "RUNNING"; expect_stdout_lacks "FAILED"
run cancel "$long_id"
expect_rc 0
run logs --follow "$long_id"
expect_rc 0; expect_stdout_has "long job up"
run status "$long_id"
expect_stdout_has "CANCELLED"
run cancel '1;id'
expect_rc 2; expect_stderr_has "is not a Slurm job id"
run logs 999999
expect_rc 2; expect_stderr_has "is not in the journal"

# A retry after an unclear failure does not make a second job: this sbatch
# submits for real, then answers garbage.
printf '#!/bin/bash\n/usr/bin/sbatch "$@" >/dev/null || exit 1\necho "Submitted?"\n' >fake/sbatch
chmod +x fake/sbatch
PATH=$work/fake:$PATH run submit --system lumi --gpus 1 "${acct[@]}" --dir "$work/r" ./long.sh -- retry
expect_rc 5; expect_stderr_has "will not submit it twice"
run submit --system lumi --gpus 1 "${acct[@]}" --dir "$work/r" ./long.sh -- retry
expect_rc 0; expect_stderr_has "already queued; not submitting it again"
retry_id=$(cat "$out")
n=$(squeue -h -o %k | grep -c '^mlsub:')
[ "$n" -eq 1 ] && ok || bad "$n mlsub jobs queued after the retry, expected 1"
grep -q "\"job_id\":\"$retry_id\"" "$MLSUB_JOURNAL" && ok || bad "the adopted job is not in the journal"
scancel "$retry_id"

# A folder that cannot be made.
run submit --system lumi --gpus 1 "${acct[@]}" --dir /proc/mlsub-cannot ./hello.sh
expect_rc 7; expect_stderr_has "choose another"
expect_stderr_lines 1

# The controller down (stopped for real): one clear line, exit 5.
scontrol shutdown slurmctld >/dev/null 2>&1
run submit --system lumi --gpus 1 "${acct[@]}" --timeout 20 --dir "$work/down" ./hello.sh
expect_rc 5; expect_stderr_has "mlsub: error: Slurm is unreachable: sbatch could not reach the Slurm controller"
run status
expect_rc 5
finish
