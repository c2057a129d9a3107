#!/bin/bash
# A real 2-node, 4-rank PyTorch DDP job on the lab (Debian's python3-torch,
# CPU, gloo): examples/train.py launched by the srun script mlsub writes.
# All ranks must end with the same parameters. Needs root and python3-torch
# (installed if missing); 77 without root.
. "$(dirname "$0")/../cli/lib.sh"
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  (cd "$MLSUB_SOURCE_DIR" && . scripts/deps.sh && mlsub_install_deps python3-torch) >/dev/null || exit 1
fi
. "$(dirname "$0")/lablib.sh"
start_lab "${MLSUB_DDP_LAB_PORT:-15000}" puhti
export SLURM_CONF=$lab/puhti/slurm.conf MLSUB_JOURNAL=$work/jobs.jsonl
ln -s /usr/bin/python3 bin/python3   # Debian's, which sees python3-torch
chmod +x bin/module
cp "$MLSUB_SOURCE_DIR/examples/train.py" .

run submit --system puhti --nodes 2 --gpus-per-node 2 --launcher srun --account project_2001234 --dir "$work/jobs" \
  --time 10 --wait train.py -- --epochs 2
expect_rc 0
id=$(head -1 "$out")
log=$(ls "$work"/jobs/train-*/slurm-"$id".out)
grep -q "(4 process(es) on cpu)" "$log" && ok || bad "rank 0 did not train with 4 processes"
sums=$(sed -n 's/^rank [0-3]\/4 parameters //p' "$log" | sort -u)
ranks=$(grep -c '^rank [0-3]/4 parameters ' "$log")
if [ "$ranks" -eq 4 ] && [ "$(wc -l <<<"$sums")" -eq 1 ]; then ok; else
  bad "expected 4 ranks with one parameter checksum, got $ranks ranks and: $sums"
  cat "$log"
fi
finish
