#!/bin/bash
# A real run on every site's replica: a 1-GPU job and a 2-node job whose
# program prints its rank, local rank and node from the environment the
# batch script sets, each submitted with --wait; then the outputs in the job
# folders and the journal are checked. Needs root (77 without).
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lablib.sh"
start_lab "${MLSUB_SITES_LAB_PORT:-16000}" 
export MLSUB_JOURNAL=$work/jobs.jsonl
cat >ranks.sh <<'SH'
#!/bin/bash
echo "rank=${RANK:--} local=${LOCAL_RANK:--} world=${WORLD_SIZE:--} node=$SLURMD_NODENAME"
SH
chmod +x bin/module ranks.sh
# LUMI jobs run in an AI Factory image by default (`singularity run IMAGE
# CMD...`); until the lab emulates the runtime, this stand-in runs CMD here.
printf '#!/bin/bash\nshift; while [[ $1 == -* ]]; do shift; done; shift; exec "$@"\n' >bin/singularity
chmod +x bin/singularity

account_for() {
  case $1 in
    lumi) echo project_465000123 ;;
    puhti | mahti | roihu) echo project_2001234 ;;
    alvis) echo NAISS2026-22-123 ;;
    *) echo a01 ;;
  esac
}

# Alps has no default software environment (plan asks for a uenv or an
# EDF); until the lab has CSCS's Slurm plugins, its jobs load a module. So
# do the jobs of every other site whose catalogue entry names no default
# environment, neither modules nor an image (Leonardo, JUPITER, Karolina,
# Vega: plan asks for one).
environment_for() {
  case $1 in
    alps-*) echo --module lab-pytorch ;;
    *) /usr/bin/python3 -c 'import json,sys
s = next(x for x in json.load(open(sys.argv[1])) if x["name"] == sys.argv[2])
print("" if s["modules"] or s.get("container_image") else "--module lab-pytorch")' "$lab/systems.json" "$1" ;;
  esac
}

jobs=0
for conf in "$lab"/*/slurm.conf; do
  site=$(basename "$(dirname "$conf")")
  export SLURM_CONF=$conf
  acct=$(account_for "$site")
  # shellcheck disable=SC2046 # one flag and its value, or nothing
  set -- $(environment_for "$site")
  run submit --system "$site" --gpus 1 --account "$acct" "$@" --dir "$work/$site" --wait ./ranks.sh
  expect_rc 0
  id=$(head -1 "$out")
  got=$(cat "$work/$site"/ranks-*/slurm-"$id".out 2>/dev/null)
  [ "$got" = "rank=- local=- world=- node=$site-real1" ] && ok || bad "$site 1 GPU printed: $got"
  run submit --system "$site" --nodes 2 --gpus-per-node 2 --launcher srun --account "$acct" "$@" --dir "$work/$site" \
    --wait ./ranks.sh
  expect_rc 0
  id=$(head -1 "$out")
  got=$(sort "$work/$site"/ranks-*/slurm-"$id".out 2>/dev/null | tr '\n' ' ')
  want="rank=0 local=0 world=4 node=$site-real1 rank=1 local=1 world=4 node=$site-real1 "
  want+="rank=2 local=0 world=4 node=$site-real2 rank=3 local=1 world=4 node=$site-real2 "
  [ "$got" = "$want" ] && ok || bad "$site 2 nodes printed: $got"
  jobs=$((jobs + 2))
done
n=$(/usr/bin/python3 -c 'import json,sys; print(len([json.loads(l) for l in open(sys.argv[1])]))' "$MLSUB_JOURNAL")
[ "$n" -eq "$jobs" ] && ok || bad "journal has $n jobs, expected $jobs"
finish
