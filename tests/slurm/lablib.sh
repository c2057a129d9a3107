# Helpers for the lab suites (tests/slurm/*.sh that run jobs): sourced after
# tests/cli/lib.sh.
#
# start_lab PORT SYSTEM...: skips the suite (77) without root, clears
# sbatch's input variables (they would override the scripts' #SBATCH
# lines), starts a lab for SYSTEM... on PORT in $work/lab, stops it on exit,
# and makes $work the working directory with a stand-in `module` command
# first on PATH. Sets $lab.
start_lab() {
  local port=$1
  shift
  if [ "$(id -u)" -ne 0 ]; then
    echo "skipped: the Slurm lab needs root"
    exit 77
  fi
  local v
  for v in $(compgen -e | grep '^SBATCH_'); do unset "$v"; done
  lab=$work/lab
  MLSUB_LAB_PORT=$port bash "$MLSUB_SOURCE_DIR/tests/slurm/lab.sh" start "$lab" "$@" >/dev/null || exit 1
  trap 'bash "$MLSUB_SOURCE_DIR/tests/slurm/lab.sh" stop "$lab"; rm -rf "$work"' EXIT
  export MLSUB_JOURNAL=$work/jobs.jsonl
  cd "$work" || exit 1
  mkdir -p bin
  printf '#!/bin/bash\nexit 0\n' >bin/module  # the sites' module command
  chmod +x bin/module
  export PATH=$work/bin:$PATH
}

# judge_sites FUNC: runs `FUNC SITE` for every site of the lab side by side
# (each replica answers one sbatch at a time, mostly waiting), each in a
# subshell that writes "PASSED FAILED" to $work/SITE.count, then prints
# their logs and adds their counts to $passed and $failed. Sets $sites.
judge_sites() {
  local fn=$1 site conf p f
  sites=()
  for conf in "$lab"/*/slurm.conf; do
    sites+=("$(basename "$(dirname "$conf")")")
  done
  for site in "${sites[@]}"; do
    "$fn" "$site" >"$work/$site.log" 2>&1 &
  done
  wait
  for site in "${sites[@]}"; do
    cat "$work/$site.log"
    if read -r p f 2>/dev/null <"$work/$site.count"; then
      passed=$((passed + p))
      failed=$((failed + f))
    else
      last_command="judging $site's scripts"
      bad "the subshell for $site ended without its counts"
    fi
  done
}

# wait_requeued_job ID [SECONDS]: waits until the job ends (after a requeue
# and its restart, if any; at most SECONDS, 240 by default) and prints
# Slurm's "JobState=... Restarts=..." for it.
wait_requeued_job() {
  local id=$1 limit=$((${2:-240} * 5)) state="" held=0 done0=0 i
  for ((i = 0; i < limit; i++)); do
    state=$(scontrol show job "$id" -o 2>/dev/null | grep -o 'JobState=[A-Z]*\|Restarts=[0-9]*' | tr '\n' ' ')
    case $state in
      # COMPLETED before any restart may be the moment of the requeue
      # itself: believe it when it stays.
      *COMPLETED*Restarts=0*) [ $((done0 += 1)) -lt 25 ] && { sleep 0.2; continue; }; break ;;
      *COMPLETED* | *FAILED* | *TIMEOUT* | *CANCELLED*) break ;;
      # Slurm holds a requeued job back for a while; the lab need not wait
      # that long, but a few seconds: a start in the same second as the
      # requeue finds the job's credential revoked and fails the job.
      *PENDING*Restarts=[1-9]*) [ $((held += 1)) -eq 15 ] && scontrol update jobid="$id" starttime=now >/dev/null 2>&1 ;;
    esac
    sleep 0.2
  done
  echo "$state"
}
