#!/bin/bash
# The GPU monitor in real jobs on the lab (there are no GPUs: stand-in
# nvidia-smi and rocm-smi on PATH print CSV lines like the real tools).
# However the job ends (normal end, program failure, scancel, time limit)
# the samples file is in the job folder, has the header and whole lines,
# and no sampler is left running; a 2-node job has one file per node; and
# mlsub report reads them. Needs root (77 without).
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lablib.sh"
start_lab "${MLSUB_MONITOR_LAB_PORT:-13000}" puhti lumi
export MLSUB_JOURNAL=$work/jobs.jsonl
puhti=$lab/puhti/slurm.conf
lumi=$lab/lumi/slurm.conf

# nvidia-smi --query-gpu=... --format=csv -l N: the header, then one line
# per GPU every N seconds, each line one write (as the real tool flushes).
# --help-query-gpu lists the fields of a driver without power.draw.average
# (tests/cli/monitor_block.sh has one with it), so the script's probe
# leaves it out. No NVML here: the script's energy reader writes nothing.
cat >bin/nvidia-smi <<'SH'
#!/bin/bash
interval=1
while [ $# -gt 0 ]; do
  case $1 in
    -l) interval=$2; shift ;;
    --help-query-gpu) printf '"%s"\n\n' timestamp index utilization.gpu memory.used memory.total power.draw; exit 0 ;;
  esac
  shift
done
echo "timestamp, index, utilization.gpu [%], memory.used [MiB], memory.total [MiB], power.draw [W]"
while :; do
  now=$(date -u '+%Y/%m/%d %H:%M:%S.000')
  for i in 0 1; do
    printf '%s, %d, %d %%, %d MiB, 40960 MiB, %d.00 W\n' "$now" "$i" $((90 - 80 * i)) $((20000 - 10000 * i)) $((300 - 200 * i))
  done
  sleep "$interval"
done
SH
# rocm-smi --showuse --showpower --showmeminfo vram --csv: one reading.
cat >bin/rocm-smi <<'SH'
#!/bin/bash
echo "device,Average Graphics Package Power (W),GPU use (%),VRAM Total Memory (B),VRAM Total Used Memory (B)"
s=$(date +%s)
echo "card0,301.0,$((60 + s % 4 * 10)),68702699520,34359738368"
echo "card1,N/A,$((20 + s % 3 * 10)),68702699520,17179869184"
SH
cat >work.sh <<'SH'
#!/bin/bash
# work.sh SECONDS EXIT_CODE
sleep "$1"
exit "$2"
SH
chmod +x bin/nvidia-smi bin/rocm-smi work.sh
# LUMI jobs run in an AI Factory image by default (`singularity run IMAGE
# CMD...`); until the lab emulates the runtime, this stand-in runs CMD here.
printf '#!/bin/bash\nshift; while [[ $1 == -* ]]; do shift; done; shift; exec "$@"\n' >bin/singularity
chmod +x bin/singularity

submit() {  # submit CONF ARGS...: prints the job id
  SLURM_CONF=$1 "$MLSUB" submit "${@:2}" >"$out" 2>"$err" || { rc=$?; last_command="submit ${*:2}"; bad "submit failed"; return 1; }
  cat "$out"
}
wait_done() {  # wait_done CONF JOBID SECONDS
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    [ -z "$(SLURM_CONF=$1 squeue -h -j "$2" 2>/dev/null)" ] && return 0
    sleep 0.1
  done
  return 1
}
state_of() { SLURM_CONF=$1 scontrol show job "$2" -o 2>/dev/null | grep -o 'JobState=[A-Z]*' | cut -d= -f2; }
folder_of() { ls -d "$work"/jobs/"$1"-* 2>/dev/null | head -n 1; }  # folder_of JOB_NAME

# check_samples JOBID NAME: the samples file is whole.
check_samples() {
  local job=$1 what=$2 folder file
  last_command="job $job ($what)"
  folder=$(folder_of "$what")
  file=$(ls "$folder"/gpu-"$job"-*.csv 2>/dev/null | head -n 1)
  if [ -z "$file" ]; then bad "no gpu-$job-*.csv in $folder"; return; fi
  ok
  head -n 1 "$file" | grep -q '^timestamp, index, utilization.gpu' && ok || bad "$file has no header"
  [ "$(grep -c '^20[0-9][0-9]/' "$file")" -ge 1 ] && ok || bad "$file has no reading"
  [ -z "$(tail -c 1 "$file")" ] && ok || bad "$file ends in a cut line"
  if awk -F', ' 'NR > 1 && NF != 6 && !/^timestamp/ { exit 1 }' "$file"; then ok; else bad "$file has a broken line"; fi
}
sampler_gone() {
  last_command="after the jobs"
  local left
  left=$(pgrep -f "$work/bin/nvidia-smi" || true)
  [ -z "$left" ] && ok || bad "samplers still running: $left"
}

acct_m=(--account project_2001234)
acct_l=(--account project_465000123)
common=(--system puhti --gpus 1 "${acct_m[@]}" --dir "$work/jobs" --monitor-interval 1)

# Four single-node NVIDIA jobs at once (Puhti: it asks memory per GPU, so
# they share a node): normal end, failure, scancel, time limit.
# (The two labs both count job ids from 1, so jobs are told apart by name.)
ok_job=$(submit "$puhti" "${common[@]}" --job-name ok ./work.sh -- 3 0)
fail_job=$(submit "$puhti" "${common[@]}" --job-name fail ./work.sh -- 3 7)
cancel_job=$(submit "$puhti" "${common[@]}" --job-name cancel ./work.sh -- 300 0)
timeout_job=$(submit "$puhti" "${common[@]}" --job-name timeout --time 1 ./work.sh -- 300 0)
# A 2-node AMD job: one sampler per node, through srun --overlap.
amd_job=$(submit "$lumi" --system lumi --nodes 2 --gpus-per-node 2 "${acct_l[@]}" --dir "$work/jobs" \
  --job-name amd --monitor-interval 1 ./work.sh -- 4 0)

# scancel once the sampler has written a few readings.
for _ in $(seq 100); do
  f=$(ls "$(folder_of cancel)"/gpu-"$cancel_job"-*.csv 2>/dev/null | head -n 1)
  [ -n "$f" ] && [ "$(wc -l <"$f")" -ge 5 ] && break
  sleep 0.2
done
SLURM_CONF=$puhti scancel "$cancel_job"

wait_done "$puhti" "$ok_job" 60 && wait_done "$puhti" "$fail_job" 60 && wait_done "$puhti" "$cancel_job" 60 ||
  bad "jobs did not end"
wait_done "$lumi" "$amd_job" 60 || bad "the 2-node job did not end"
check_samples "$ok_job" ok
check_samples "$fail_job" fail
check_samples "$cancel_job" cancel
last_command="states"
[ "$(state_of "$puhti" "$fail_job")" = FAILED ] && ok || bad "job $fail_job: $(state_of "$puhti" "$fail_job")"
[ "$(state_of "$puhti" "$cancel_job")" = CANCELLED ] && ok ||
  bad "job $cancel_job: $(state_of "$puhti" "$cancel_job")"

# The monitor adds nothing to the job's own output (its messages go to
# monitor-JOBID.log in the job folder).
last_command="job output"
[ ! -s "$(folder_of ok)/slurm-$ok_job.out" ] && ok || bad "job $ok_job printed: $(cat "$(folder_of ok)/slurm-$ok_job.out")"
[ ! -s "$(folder_of amd)/slurm-$amd_job.out" ] && ok || bad "job $amd_job printed: $(cat "$(folder_of amd)/slurm-$amd_job.out")"

# The 2-node AMD job: a file per node, each with readings.
amd_folder=$(folder_of amd)
last_command="2-node job $amd_job"
n=$(ls "$amd_folder"/gpu-"$amd_job"-*.csv 2>/dev/null | wc -l)
[ "$n" -eq 2 ] && ok || bad "$n sample files in $amd_folder, expected 2"
for f in "$amd_folder"/gpu-"$amd_job"-*.csv; do
  grep -q ',card0,301.0,[0-9]*,' "$f" && ok || bad "$f has no reading"
  # One sampler per node: each second's header appears once.
  dup=$(grep ',device,' "$f" | sort | uniq -d)
  [ -z "$dup" ] && ok || bad "$f was written by more than one sampler: $dup"
done

# mlsub report reads them, from the folder (by job id through the journal
# in tests/cli/report.sh: here the two labs' job ids collide).
run report "$(folder_of ok)" --ascii
expect_rc 0; expect_stdout_has "mean utilisation 50 %"; expect_stdout_has "Wh"
run report "$amd_folder" --json
expect_rc 0; expect_stdout_has '"gpus": 4'
# MLSUB_KEEP_REPORT=FILE keeps this job's report (README.md shows one).
[ -n "${MLSUB_KEEP_REPORT:-}" ] && LC_ALL=C.UTF-8 "$MLSUB" report "$amd_folder" >"$MLSUB_KEEP_REPORT" 2>&1
run report "$(folder_of ok)" --svg "$work/ok.svg"
expect_rc 0
/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$work/ok.svg" && ok || bad "the SVG is not XML"

# The time limit: Slurm ends the job within a minute or so of its limit.
wait_done "$puhti" "$timeout_job" 150 || bad "job $timeout_job outlived its time limit"
check_samples "$timeout_job" timeout
last_command="states"
[ "$(state_of "$puhti" "$timeout_job")" = TIMEOUT ] && ok || bad "job $timeout_job: $(state_of "$puhti" "$timeout_job")"
sleep 1
sampler_gone

# A 2-node NVIDIA job with a stand-in NVML library (Debian has none;
# tests/fixtures/monitor/standin) on LD_LIBRARY_PATH, which sbatch passes
# on: each node's counters are read at the start and the end through
# srun --overlap, and the report takes them.
if command -v cc >/dev/null; then
  mkdir -p nvml
  cc -shared -fPIC -o nvml/libnvidia-ml.so.1 "$MLSUB_SOURCE_DIR/tests/fixtures/monitor/standin/libnvidia-ml.c"
  nv_job=$(LD_LIBRARY_PATH=$work/nvml submit "$puhti" --system puhti --nodes 2 --gpus-per-node 2 "${acct_m[@]}" \
    --dir "$work/jobs" --job-name nv2 --monitor-interval 1 ./work.sh -- 3 0)
  wait_done "$puhti" "$nv_job" 90 || bad "the 2-node NVIDIA job did not end"
  nv_folder=$(folder_of nv2)
  last_command="2-node NVIDIA job $nv_job"
  n=$(ls "$nv_folder"/energy-"$nv_job"-*.csv 2>/dev/null | wc -l)
  [ "$n" -eq 2 ] && ok || bad "$n energy counter files in $nv_folder, expected 2: $(cat "$nv_folder"/monitor-*.log)"
  for f in "$nv_folder"/energy-"$nv_job"-*.csv; do
    [ "$(grep -c ', start$' "$f")" -eq 2 ] && [ "$(grep -c ', end$' "$f")" -eq 2 ] && ok || bad "$f: $(cat "$f")"
  done
  run report "$nv_folder" --json
  expect_rc 0; expect_stdout_has '"energy_method": "counter"'
fi

# No NVML for the other jobs: no energy counters file.
last_command="energy counters"
[ -z "$(ls "$(folder_of ok)"/energy-*.csv 2>/dev/null)" ] && ok || bad "an energy counters file without NVML"

# Nothing outside the job folders.
last_command="working directory"
stray=$(find "$work" -name 'gpu-*.csv' -not -path "$work/jobs/*")
[ -z "$stray" ] && ok || bad "sample files outside the job folders: $stray"
finish
