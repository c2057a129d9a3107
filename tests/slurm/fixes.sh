#!/bin/bash
# No fix breaks a job, part 2: every script of the site corpus and of
# tests/check/corpus that mlsub check suggests a fix for gets all its fixes
# applied (tests/check/apply_fixes.py --write, which also checks that each
# fix removes its own finding), and then its site's Slurm replica must
# accept it (sbatch --test-only) - unless what is left is an error with no
# fix that Slurm itself enforces (a time or node limit the user must
# choose), which the replica must then refuse. Needs root (77 without).
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lablib.sh"
# Only the sites that have scripts to fix (both corpora have the same sites).
# shellcheck disable=SC2046 # one word per site
start_lab "${MLSUB_FIXES_LAB_PORT:-12000}" $(cd "$MLSUB_SOURCE_DIR/tests/check/corpus" && ls)
# The replica's job_submit.lua also refuses an account not of the site's
# form (a placeholder left in), which no fix can choose.
enforced='time-limit|nodes-limit|gpus-limit|cpus-limit|partition|gpu-type|memory|local-disk|unknown-option|account'
fixed=$work/fixed
last_command="apply_fixes.py --write $fixed"
if /usr/bin/python3 "$MLSUB_SOURCE_DIR/tests/check/apply_fixes.py" --write "$fixed" \
  "$MLSUB_SOURCE_DIR/tests/check/site-corpus" "$MLSUB_SOURCE_DIR/tests/check/corpus" >"$work/apply.log" 2>&1; then
  ok
else
  bad "$(cat "$work/apply.log")"
fi
judge_site() {
  local site=$1 f verdict errors
  export SLURM_CONF=$lab/$site/slurm.conf
  out=$work/$site.out err=$work/$site.err passed=0 failed=0
  for f in "$fixed/$site"/*.sbatch; do
    [ -e "$f" ] || continue
    last_command="sbatch --test-only $f (fixed)"
    # The replica has no CSCS uenv plugin: judge such scripts without it.
    grep -v -e '^#SBATCH --uenv' -e '^#SBATCH --view' "$f" >"$work/$site.job.sh"
    if sbatch --test-only "$work/$site.job.sh" >"$out" 2>"$err"; then verdict=accept; else verdict=refuse; fi
    cp "$err" "$work/$site.sbatch.err"
    run check --json --system "$site" "$f"
    # (A missing account is not refused by the replica: the lab's user has a default.)
    errors=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(sorted({x["id"] for x in json.load(open(sys.argv[1])) if x["severity"] == "error" and not x["fix"] and not x["message"].startswith("no --account")})))' "$out")
    if grep -Eqw "$enforced" <<<"$errors"; then
      [ "$verdict" = refuse ] && ok || bad "after its fixes mlsub still reports '$errors', yet Slurm accepts it"
    else
      [ "$verdict" = accept ] && ok || bad "after its fixes Slurm refuses it: $(cat "$work/$site.sbatch.err")"
    fi
  done
  echo "$passed $failed" >"$work/$site.count"
}
judge_sites judge_site
[ "$(find "$fixed" -name '*.sbatch' | wc -l)" -ge 40 ] && ok || bad "fewer than 40 fixed scripts"
finish
