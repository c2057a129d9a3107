#!/bin/bash
# The Slurm lab test: start a replica of every catalogued site, then
#   1. every golden script passes `sbatch --test-only` on its site's replica
#      (those with the placeholder account are refused for the account, as
#      the site would);
#   2. the agreement matrix: mlsub's verdict equals Slurm's for every request
#      (tests/slurm/agreement.py prints the table);
# and stop the lab. Needs root; skipped (77) without it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${MLSUB:?MLSUB must name the mlsub binary}"
if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: the Slurm lab needs root"
  exit 77
fi
# sbatch's input variables ($SBATCH_ACCOUNT, ...) override #SBATCH lines;
# the lab judges the scripts alone.
for v in $(compgen -e | grep '^SBATCH_'); do unset "$v"; done
lab=$(mktemp -d /tmp/mlsub-lab-XXXXXX)
trap 'bash "$here/lab.sh" stop "$lab"; rm -rf "$lab"' EXIT
bash "$here/lab.sh" start "$lab" || { tail -20 "$lab"/*/slurmctld.log; exit 1; }

failures=0
for script in "$MLSUB_SOURCE_DIR"/tests/golden/*/*.sbatch; do
  site=$(basename "$(dirname "$script")")
  # --uenv and --view come from CSCS's Slurm plugin, which plain Slurm does
  # not have: the lab judges the rest of such scripts.
  grep -v '^#SBATCH --\(uenv\|view\)=' "$script" >"$lab/judged.sh"
  verdict=$(SLURM_CONF=$lab/$site/slurm.conf sbatch --test-only "$lab/judged.sh" 2>&1)
  rc=$?
  if grep -q '^#SBATCH --account=.*X' "$script"; then
    if [ $rc -eq 0 ] || ! grep -q "account" <<<"$verdict"; then
      echo "FAIL $script: a placeholder account should be refused; Slurm says: $verdict"
      failures=$((failures + 1))
    fi
  elif [ $rc -ne 0 ]; then
    echo "FAIL $script: Slurm refuses it: $verdict"
    failures=$((failures + 1))
  fi
done
echo "golden scripts against the lab: $failures failed"

PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 "$here/agreement.py" "$lab" "$MLSUB" || failures=$((failures + 1))
[ "$failures" -eq 0 ]
