#!/bin/bash
# The Slurm lab: a real Slurm (Debian's slurm-wlm 22.05) on loopback, one
# controller per catalogued site, each replicating the site's partitions,
# limits and node shapes, generated from systems/*.yaml.
#
#   tests/slurm/lab.sh start DIR [SYSTEM...]   start (all systems by default)
#   tests/slurm/lab.sh stop DIR                stop what `start` started
#   tests/slurm/lab.sh env DIR SYSTEM          print `export SLURM_CONF=...`
#
# Then, e.g.:  eval "$(tests/slurm/lab.sh env /tmp/lab lumi)"; sinfo
#
# Each site's node software is emulated under DIR/sw/SITE (make_sw.py):
# `. DIR/sw/SITE/init.sh` gives a shell the site's login environment.
#
# Every process started is recorded in DIR/pids and `stop` kills only those.
# Needs root (slurmd runs jobs as their user) and $MLSUB or build/mlsub.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mlsub=${MLSUB:-$repo/build/mlsub}
# MLSUB_LAB_PORT_SHIFT moves every lab up, so two checkouts can run the
# same suite at once on one machine.
base_port=$(( ${MLSUB_LAB_PORT:-17000} + ${MLSUB_LAB_PORT_SHIFT:-0} ))

die() { echo "lab: $*" >&2; exit 1; }

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2 i
  shift 2
  for ((i = 0; i < limit * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "$what did not happen within ${limit}s"
}

start_bg() {  # start_bg LOG COMMAND...: run in its own session, record the PID
  local log=$1
  shift
  setsid "$@" >>"$log" 2>&1 </dev/null &
  echo $! >>"$dir/pids"
}

node_idle() {  # node_idle CONF NODE
  [ "$(SLURM_CONF=$1 sinfo -h -n "$2" -o %t 2>/dev/null)" = idle ]
}

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: lab.sh start|stop|env DIR [SYSTEM...]"
shift 2 || true

case $cmd in
start)
  [ "$(id -u)" -eq 0 ] || die "the lab needs root (slurmd and munged)"
  if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    (cd "$repo" && . scripts/deps.sh && mlsub_install_deps slurm-wlm munge)
  fi
  [ -x "$mlsub" ] || die "no mlsub binary at $mlsub (build first, or set MLSUB)"
  [ -e "$dir/pids" ] && die "$dir already holds a running lab; stop it first"
  mkdir -p "$dir/munge"
  dir=$(cd "$dir" && pwd)
  : >"$dir/pids"
  chmod 700 "$dir/munge"
  [ -f "$dir/munge/munge.key" ] || dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  start_bg "$dir/munge/munged.out" munged -F --force --key-file="$dir/munge/munge.key" \
    --socket="$dir/munge/munge.socket.2" --pid-file="$dir/munge/munged.pid" \
    --seed-file="$dir/munge/munge.seed" --log-file="$dir/munge/munged.log"
  wait_for 10 "munged's socket" test -S "$dir/munge/munge.socket.2"
  "$mlsub" systems --json >"$dir/systems.json"
  if [ $# -gt 0 ]; then
    /usr/bin/python3 -c 'import json,sys; keep=set(sys.argv[1:]); d=json.load(open(0)); print(json.dumps([s for s in d if s["name"] in keep]))' "$@" \
      <"$dir/systems.json" >"$dir/systems.sel.json"
    mv "$dir/systems.sel.json" "$dir/systems.json"
  fi
  # The stand-in for Alps's uenv and Container Engine SPANK options, built
  # against Debian's libslurm-dev (slurm/spank.h).
  if [ ! -f /usr/include/slurm/spank.h ] || ! command -v gcc >/dev/null; then
    (cd "$repo" && . scripts/deps.sh && mlsub_install_deps libslurm-dev gcc)
  fi
  mkdir -p "$dir/spank"
  gcc -shared -fPIC -O2 -Wall -Wno-format-truncation -o "$dir/spank/uenv_lab.so" \
    "$here/site/uenv_spank.c" || die "cannot build the SPANK stand-in"
  sites=$(MLSUB_LAB_SPANK=$dir/spank/uenv_lab.so /usr/bin/python3 "$here/labconf.py" "$dir" "$base_port" \
    <"$dir/systems.json")
  [ -n "$sites" ] || die "no systems to start"
  # Each site's node software (modules, container runtime, uenvs, the host
  # python3 without torch): tests/slurm/site/make_sw.py.
  # shellcheck disable=SC2086 # one word per site
  /usr/bin/python3 "$here/site/make_sw.py" "$dir" $sites || die "cannot write the site software"
  for site in $sites; do
    conf=$dir/$site/slurm.conf
    start_bg "$dir/$site/slurmctld.out" slurmctld -D -i -f "$conf"
  done
  for site in $sites; do
    conf=$dir/$site/slurm.conf
    wait_for 20 "$site's slurmctld to answer" env SLURM_CONF="$conf" scontrol ping
    while read -r node port; do
      mkdir -p "$dir/$site/spool-$node"
      start_bg "$dir/$site/slurmd-$node.out" slurmd -D -N "$node" -f "$conf"
    done <"$dir/$site/real-nodes"
  done
  for site in $sites; do
    while read -r node port; do
      wait_for 30 "$site node $node to be idle" node_idle "$dir/$site/slurm.conf" "$node"
    done <"$dir/$site/real-nodes"
    echo "lab: $site ready (SLURM_CONF=$dir/$site/slurm.conf)"
  done
  ;;
stop)
  [ -f "$dir/pids" ] || exit 0
  # Slurm daemons first, munged last.
  tac "$dir/pids" | while read -r pid; do
    kill "$pid" 2>/dev/null || true
  done
  for _ in $(seq 50); do
    alive=0
    while read -r pid; do kill -0 "$pid" 2>/dev/null && alive=1; done <"$dir/pids"
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  while read -r pid; do kill -9 "$pid" 2>/dev/null || true; done <"$dir/pids"
  rm -f "$dir/pids"
  ;;
env)
  site=${1:?usage: lab.sh env DIR SYSTEM}
  [ -f "$dir/$site/slurm.conf" ] || die "no lab for $site in $dir"
  echo "export SLURM_CONF=$(cd "$dir" && pwd)/$site/slurm.conf"
  ;;
*)
  die "unknown command $cmd (start, stop, env)"
  ;;
esac
