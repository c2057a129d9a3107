#!/bin/bash
# mlsub check against a real Slurm: every script of tests/check/corpus goes
# to its site's replica with `sbatch --test-only`. A script that mlsub check
# finds clean must be accepted; one with an error that Slurm itself enforces
# (a limit, a partition or GPU type the site lacks, more memory than a node
# has, an option sbatch lacks) must be refused. (The reverse does not hold:
# accounts, the site's GPU form and CPU advice are site policy, which the
# replica does not enforce.) Needs root (77 without).
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lablib.sh"
corpus=$MLSUB_SOURCE_DIR/tests/check/corpus
# Only the sites that have a corpus (a replica of the others would judge
# nothing and cost start-up time).
# shellcheck disable=SC2046 # one word per site
start_lab "${MLSUB_CORPUS_LAB_PORT:-19000}" $(cd "$corpus" && ls)
enforced='time-limit|nodes-limit|gpus-limit|cpus-limit|partition|gpu-type|memory|unknown-option'
# One site's scripts, in a subshell with its own files and counts. Each
# replica answers one sbatch at a time, mostly waiting: the sites run side
# by side.
judge_site() {
  local site=$1 f verdict errors
  export SLURM_CONF=$lab/$site/slurm.conf
  out=$work/$site.out err=$work/$site.err passed=0 failed=0
  for f in "$corpus/$site"/*.sbatch; do
    last_command="sbatch --test-only $f"
    # The replica has no CSCS uenv plugin: judge such scripts without it.
    grep -v '^#SBATCH --uenv' "$f" >"$work/$site.job.sh"
    if sbatch --test-only "$work/$site.job.sh" >"$out" 2>"$err"; then verdict=accept; else verdict=refuse; fi
    run check --json --system "$site" "$f"
    errors=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(sorted({x["id"] for x in json.load(open(sys.argv[1])) if x["severity"] == "error"})))' "$out")
    if grep -q '^# expect: clean$' "$f"; then
      [ "$verdict" = accept ] && ok || bad "mlsub finds it clean, Slurm refuses it"
    elif grep -Eqw "$enforced" <<<"$errors" && ! grep -q -- '--uenv' "$f"; then
      [ "$verdict" = refuse ] && ok || bad "mlsub reports '$errors', Slurm accepts it"
    fi
  done
  echo "$passed $failed" >"$work/$site.count"
}

judge_sites judge_site
[ "${#sites[@]}" -ge 8 ] && ok || bad "only ${#sites[@]} sites in the lab"
finish
