#!/bin/bash
# Arrays and requeue on the lab: a sweep of 2 x 2 parameters becomes an
# array of 4 whose outputs name their own parameters, with the table in
# sweep.tsv; and a job that gets SIGUSR2 before its time limit checkpoints,
# is requeued, and resumes from the checkpoint. Needs root (77 without).
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lablib.sh"
start_lab "${MLSUB_ARRAYS_LAB_PORT:-14000}" lumi
export SLURM_CONF=$lab/lumi/slurm.conf MLSUB_JOURNAL=$work/jobs.jsonl
cat >params.sh <<'SH'
#!/bin/bash
echo "task $SLURM_ARRAY_TASK_ID args: $*"
SH
cat >ckpt.sh <<'SH'
#!/bin/bash
# The checkpoint contract: on SIGUSR2 save and exit; on start resume.
if [ -f checkpoint ]; then
  echo "resumed from step $(cat checkpoint), restart ${SLURM_RESTART_COUNT:-0}"
  exit 0
fi
step=0
trap 'echo "$step" >checkpoint; echo "checkpoint at step $step"; exit 0' USR2
while true; do step=$((step + 1)); sleep 1; done
SH
chmod +x bin/module params.sh ckpt.sh
# LUMI jobs run in an AI Factory image by default (`singularity run IMAGE
# CMD...`); until the lab emulates the runtime, this stand-in runs CMD here.
printf '#!/bin/bash\nshift; while [[ $1 == -* ]]; do shift; done; shift; exec "$@"\n' >bin/singularity
chmod +x bin/singularity
acct=(--account project_465000123)

run submit --system lumi --gpus 1 "${acct[@]}" --dir "$work/sweep" \
  --sweep lr=1e-3,3e-4 --sweep 'tag=a b,c' ./params.sh -- --epochs 1
expect_rc 0
id=$(cat "$out")
for _ in $(seq 300); do [ -z "$(squeue -h -j "$id")" ] && break; sleep 0.1; done
folder=$(ls -d "$work"/sweep/params-*)
got=$(cat "$folder"/slurm-"${id}"_*.out | sort | tr '\n' '|')
want="task 0 args: --epochs 1 --lr 1e-3 --tag a b|task 1 args: --epochs 1 --lr 1e-3 --tag c|"
want+="task 2 args: --epochs 1 --lr 3e-4 --tag a b|task 3 args: --epochs 1 --lr 3e-4 --tag c|"
[ "$got" = "$want" ] && ok || bad "array outputs: $got"
grep -qx "1	--lr 1e-3 --tag c" "$folder/sweep.tsv" && ok || bad "sweep.tsv: $(cat "$folder/sweep.tsv")"

# Requeue: 2-minute limit, SIGUSR2 115 s before it.
run submit --system lumi --gpus 1 "${acct[@]}" --dir "$work/rq" --time 2 \
  --requeue-on-timeout 115 ./ckpt.sh
expect_rc 0
id=$(cat "$out")
state=$(wait_requeued_job "$id" 180)
log=$(cat "$work"/rq/ckpt-*/slurm-"$id".out 2>/dev/null)
grep -q "^checkpoint at step [0-9]" <<<"$log" && ok || bad "no checkpoint before the limit: $log ($state)"
grep -q "^resumed from step [0-9]*, restart 1" <<<"$log" && ok || bad "not resumed after requeue: $log ($state)"
finish
