# shellcheck shell=bash
# The monitor block of a script from mlsub plan, run outside Slurm with the
# variables it reads set by hand. Sourced by tests/gpu/real_nvidia_smi.sh
# (a real GPU) and tests/cli/monitor_block.sh (stand-ins).

# monitor_block MLSUB INTERVAL: prints the monitor block of a one-GPU
# script for an NVIDIA system (Roihu's; every NVIDIA system gets the same
# block), from its "# GPU monitor" comment to its TERM trap.
monitor_block() {
  local script
  script=$("$1" plan --system roihu --gpus 1 --account project_2001234 \
    --monitor-interval "$2" train.py) || return 1
  sed -n '/^# GPU monitor/,/^trap .exit 143. TERM$/p' <<<"$script"
}

# run_block BLOCK_FILE SUBMIT_DIR JOB_ID NODE COMMAND...: runs the block,
# then COMMAND, in a bash like the batch shell (set -eo pipefail); the
# block's EXIT trap stops the sampler and reads the counters at the end.
# The samples land in SUBMIT_DIR/mlsub-JOB_ID.
run_block() {
  local block=$1 dir=$2 job=$3 node=$4
  shift 4
  SLURM_JOB_ID=$job SLURM_SUBMIT_DIR=$dir SLURMD_NODENAME=$node SLURM_NNODES=1 \
    MLSUB_JOB_DIR='' bash -c 'set -eo pipefail; unset MLSUB_JOB_DIR; source "$0"; "$@"' "$block" "$@"
}
