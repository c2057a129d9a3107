#!/bin/bash
# Requeue when the program never reacts to the checkpoint signal: Slurm may
# send --signal up to 60 s early (sbatch(1)), and workers started under a
# launcher that ignores SIGUSR2 ignore it too until they set their handler,
# so a signal can be lost. The batch shell must still requeue the job
# before the time limit (it waits for the checkpoint only so long), not let
# it end TIMEOUT. Needs root (77 without).
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lablib.sh"
start_lab "${MLSUB_REQUEUE_LAB_PORT:-11000}" roihu
export SLURM_CONF=$lab/roihu/slurm.conf
cat >deaf.sh <<'SH'
#!/bin/bash
# Ignores SIGUSR2 on its first run; ends at once after a restart.
if [ "${SLURM_RESTART_COUNT:-0}" -ge 1 ]; then
  echo "restarted, restart $SLURM_RESTART_COUNT"
  exit 0
fi
trap '' USR2
echo "running, ignoring SIGUSR2"
while true; do sleep 1; done
SH
chmod +x deaf.sh

# A 2-minute limit, the signal 60 s before it: the script waits 45 s for a
# checkpoint that never comes, then requeues.
run plan --system roihu --gpus 1 --account project_2001234 --time 2 \
  --requeue-on-timeout 60 --explain ./deaf.sh
expect_rc 0
grep -q "requeue wait *45 s" "$err" && ok || bad "--explain names no 45 s wait: $(cat "$err")"
run submit --system roihu --gpus 1 --account project_2001234 --dir "$work/deaf" --time 2 \
  --requeue-on-timeout 60 ./deaf.sh
expect_rc 0
id=$(cat "$out")
state=$(wait_requeued_job "$id")
log=$(cat "$work"/deaf/deaf-*/slurm-"$id".out 2>/dev/null)
grep -q "^mlsub: time limit near" <<<"$log" && ok || bad "the batch shell never got the signal: $log ($state)"
[[ $state == *COMPLETED*Restarts=1* ]] && grep -q "^restarted, restart 1" <<<"$log" && ok ||
  bad "a program deaf to the signal was not requeued before the limit: $log ($state)"
finish
