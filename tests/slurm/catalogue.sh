#!/bin/bash
# mlsub catalogue verify and import against every site's replica (one lab,
# the sites side by side):
#   1. verify: the catalogue's system matches its own replica (no
#      difference; the lab's real nodes, Feature lab_real, left out);
#   2. import: the replica written as a new system loads, verifies with no
#      difference, and plans as the original does on the agreement matrix's
#      requests (tests/slurm/import_agreement.py), its scripts accepted by
#      the replica;
#   3. a changed replica (a partition removed, a time limit lowered, a node
#      type's GPUs changed in slurm.conf, slurmctld restarted) gives exactly
#      those differences, and exit 11;
# then, with a stand-in scontrol (the one fault a real one will not give on
# demand), a Slurm command that fails or hangs. Needs root (77 without).
. "$(dirname "$0")/../cli/lib.sh"
. "$(dirname "$0")/lablib.sh"
start_lab "${MLSUB_CATALOGUE_LAB_PORT:-11000}"
here=$MLSUB_SOURCE_DIR/tests/slurm

# Restarts SITE's slurmctld on its (changed) slurm.conf, its state cleared.
restart_controller() {
  local site=$1 conf=$lab/$1/slurm.conf pid i
  pid=$(cat "$lab/$site/slurmctld.pid")
  kill "$pid"
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  setsid slurmctld -D -c -i -f "$conf" >>"$lab/$site/slurmctld.out" 2>&1 </dev/null &
  echo $! >>"$lab/pids"
  for ((i = 0; i < 200; i++)); do
    SLURM_CONF=$conf scontrol ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "slurmctld of $site did not come back"
  return 1
}

# Changes SITE's replica: removes its last non-default partition (when it has
# two or more), halves the first remaining partition's MaxTime, and gives the
# first node type one GPU fewer (one more if it has one). Prints the
# differences verify must report, one "SUBJECT: FIELD" a line.
change_replica() {
  /usr/bin/python3 - "$lab/$1/slurm.conf" "$lab/systems.json" "$1" <<'PY'
import json, re, sys
conf_path, systems, site = sys.argv[1:4]
system = next(s for s in json.load(open(systems)) if s["name"] == site)
lines = open(conf_path).read().split("\n")
parts = [i for i, l in enumerate(lines) if l.startswith("PartitionName=")]
want = []
if len(parts) > 1:
    victim = next(i for i in reversed(parts) if "Default=YES" not in lines[i])
    name = re.match(r"PartitionName=(\S+)", lines[victim]).group(1)
    want.append(f"partition {name}: exists")
    del lines[victim]
    parts = [i for i, l in enumerate(lines) if l.startswith("PartitionName=")]
first = parts[0]
name = re.match(r"PartitionName=(\S+)", lines[first]).group(1)
minutes = int(re.search(r"MaxTime=(\d+)", lines[first]).group(1))
lines[first] = re.sub(r"MaxTime=\d+", f"MaxTime={max(1, minutes // 2)}", lines[first])
want.append(f"partition {name}: max_time")
t = system["node_types"][0]
for i, l in enumerate(lines):
    if l.startswith("NodeName=") and "State=CLOUD" in l and f"gpu:{t['gpu_type']}:" in l:
        g = t["gpus"]
        lines[i] = l.replace(f"gpu:{t['gpu_type']}:{g}", f"gpu:{t['gpu_type']}:{g - 1 if g > 1 else 2}")
        break
want.append(f"node type {t['name']}: gpus")
open(conf_path, "w").write("\n".join(lines))
print("\n".join(want))
PY
}

check_site() {
  local site=$1 p=0 f=0 conf=$lab/$1/slurm.conf got want
  local -a skip=(--skip-feature lab_real)
  note() { echo "$site: $*"; }
  export SLURM_CONF=$conf
  # 1. The catalogue's own system against its replica.
  "$MLSUB" catalogue verify --system "$site" "${skip[@]}" >"$work/$site.verify" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && ! grep -q '^differs:' "$work/$site.verify" &&
    grep -q "^$site on cluster .*: 0 differences" "$work/$site.verify"; then
    p=$((p + 1))
  else
    f=$((f + 1)); note "verify of the catalogue's system: exit $rc"; cat "$work/$site.verify"
  fi
  # Facts Slurm cannot tell are said to be not checked, never to hold.
  if grep -q '^not checked: launch: multi_gpu' "$work/$site.verify" &&
    grep -q '^not checked: account: pattern' "$work/$site.verify"; then
    p=$((p + 1))
  else
    f=$((f + 1)); note "verify does not list the launcher and account as not checked"
  fi
  # 2. Import, then verify and plan with the imported file.
  mkdir -p "$work/imported-$site"
  if "$MLSUB" catalogue import "$site-imported" --output "$work/imported-$site" "${skip[@]}" \
    >"$work/$site.import" 2>&1 && [ -f "$work/imported-$site/$site-imported.yaml" ]; then
    p=$((p + 1))
  else
    f=$((f + 1)); note "import failed"; cat "$work/$site.import"
  fi
  # The GPU form was asked of Slurm (sbatch --test-only), not assumed.
  if grep -q "sbatch --test-only accepted" "$work/imported-$site/$site-imported.yaml"; then
    p=$((p + 1))
  else
    f=$((f + 1)); note "the imported GPU request form was not probed"
  fi
  # Every fact sourced or marked assumed, and `mlsub show` flags the assumed.
  if MLSUB_SYSTEMS_PATH=$work/imported-$site /usr/bin/python3 \
    "$MLSUB_SOURCE_DIR/tests/catalogue/facts_sourced.py" "$work/imported-$site" \
    >"$work/$site.facts" 2>&1; then
    p=$((p + 1))
  else
    f=$((f + 1)); note "the imported file's facts:"; cat "$work/$site.facts"
  fi
  "$MLSUB" --catalogue "$work/imported-$site" catalogue verify --system "$site-imported" \
    "${skip[@]}" >"$work/$site.reverify" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && ! grep -q '^differs:' "$work/$site.reverify"; then
    p=$((p + 1))
  else
    f=$((f + 1)); note "verify of the imported system: exit $rc"; cat "$work/$site.reverify"
  fi
  if (cd "$here" && PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 import_agreement.py "$lab" \
    "$MLSUB" "$site" "$site-imported" "$work/imported-$site") >"$work/$site.agree" 2>&1; then
    p=$((p + 1)); head -1 "$work/$site.agree"
  else
    f=$((f + 1)); note "imported plans disagree"; head -30 "$work/$site.agree"
  fi
  # A second import into the same place refuses to overwrite.
  if "$MLSUB" catalogue import "$site-imported" --output "$work/imported-$site" "${skip[@]}" \
    >/dev/null 2>"$work/$site.again"; then
    f=$((f + 1)); note "import overwrote an existing file"
  elif grep -q "exists; pass --force" "$work/$site.again"; then
    p=$((p + 1))
  else
    f=$((f + 1)); note "a second import: $(cat "$work/$site.again")"
  fi
  # --force replaces it (atomically: a rename).
  if "$MLSUB" catalogue import "$site-imported" --output "$work/imported-$site" --force \
    "${skip[@]}" >/dev/null 2>&1 && [ -z "$(ls -A "$work/imported-$site" | grep -v '\.yaml$')" ]; then
    p=$((p + 1))
  else
    f=$((f + 1)); note "import --force failed or left a temporary file"
  fi
  # 3. A changed replica.
  want=$(change_replica "$site")
  if restart_controller "$site"; then
    "$MLSUB" catalogue verify --system "$site" "${skip[@]}" >"$work/$site.changed" 2>&1
    rc=$?
    got=$(sed -n 's/^differs: \([^:]*\): \([^:]*\):.*/\1: \2/p' "$work/$site.changed" | sort)
    want=$(sort <<<"$want")
    if [ $rc -eq 11 ] && [ "$got" = "$want" ]; then
      p=$((p + 1))
    else
      f=$((f + 1)); note "changed replica: exit $rc; wanted"; echo "$want"; cat "$work/$site.changed"
    fi
    "$MLSUB" catalogue verify --system "$site" "${skip[@]}" --json >"$work/$site.json" 2>/dev/null
    if /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); n=int(sys.argv[2]); sys.exit(0 if d["plan_changing"] == n == sum(f["status"] == "differs" for f in d["findings"]) else 1)' \
      "$work/$site.json" "$(wc -l <<<"$want")"; then
      p=$((p + 1))
    else
      f=$((f + 1)); note "--json does not count the same differences"
    fi
  else
    f=$((f + 1))
  fi
  echo "$p $f" >"$work/$site.count"
}

judge_sites check_site
echo "verify and import on ${#sites[@]} replicas"

# Faults: scontrol that fails, and one that hangs (stand-ins first on PATH).
site=${sites[0]}
export SLURM_CONF=$lab/$site/slurm.conf
mkdir -p "$work/fault"
printf '#!/bin/bash\necho "slurm_load_partitions: Unable to contact slurm controller (connect failure)" >&2\nexit 1\n' \
  >"$work/fault/scontrol"
chmod +x "$work/fault/scontrol"
PATH=$work/fault:$PATH run catalogue verify --system "$site"
expect_rc 5
expect_stderr_has "scontrol show config failed: slurm_load_partitions: Unable to contact slurm controller"
# --skip-feature is repeatable (it reaches Slurm, which then fails here).
PATH=$work/fault:$PATH run catalogue verify --system "$site" --skip-feature a --skip-feature b
expect_rc 5
printf '#!/bin/bash\nexec sleep 60\n' >"$work/fault/scontrol"
PATH=$work/fault:$PATH run catalogue import x --output "$work/fault" --timeout 1
expect_rc 5
expect_stderr_has "scontrol did not finish within 1 s and was stopped"
[ ! -e "$work/fault/x.yaml" ] && ok || bad "a failed import left a file"
PATH=/nonexistent run catalogue verify --system "$site"
expect_rc 5
expect_stderr_has "scontrol is not on PATH"
run catalogue verify --system nosuchsystem
expect_rc 2
run catalogue import Bad_Name --output "$work/fault"
expect_rc 2
expect_stderr_has "'Bad_Name' is not a system name"
run catalogue
expect_rc 2
expect_stderr "mlsub: error: mlsub catalogue needs a command: verify --system NAME, or import NAME (mlsub catalogue --help)"
finish
