#!/bin/bash
# Issue 19's check on a real NVIDIA GPU, in one command:
#   tests/gpu/real_nvidia_smi.sh
# It renders a script with mlsub plan, takes its GPU monitor block
# (tests/gpu/blocklib.sh) and runs it outside Slurm, with the variables the
# block reads set by hand, against the real nvidia-smi and NVML: once idle
# (MLSUB_GPU_IDLE_SECONDS, 60) and once under load (torch matrix products
# on every GPU with /usr/bin/python3, MLSUB_GPU_LOAD_SECONDS, 60; left out
# where torch sees no GPU; MLSUB_GPU_LOAD_COMMAND runs another load
# instead). Then mlsub report reads what the block wrote,
# and the checks below judge it. It keeps, in MLSUB_GPU_OUT ($OUT on the
# device machine, else build/gpu-check): the tool's own answers
# (--version, --help-query-gpu, -q -d POWER, an unknown field's error),
# the raw recordings (fixture/: to be turned into tests/fixtures/monitor
# files, see its README), the reports, and checks.txt.
# Exit: 0 all checks pass; 1 a check failed; 77 no NVIDIA GPU here (ctest
# SKIP). mlsub: $MLSUB, else build/device/bin/mlsub (pack_for_device.sh),
# else build/mlsub.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "SKIP: no NVIDIA GPU here (nvidia-smi -L fails or is missing)"
  exit 77
fi
if [ -z "${MLSUB:-}" ]; then
  if [ -x "$src/build/device/bin/mlsub" ]; then
    MLSUB=$src/build/device/bin/mlsub
    export LD_LIBRARY_PATH=$src/build/device/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  else
    MLSUB=$src/build/mlsub
  fi
fi
"$MLSUB" --version >/dev/null || { echo "FAIL: $MLSUB does not run"; exit 1; }
out=${MLSUB_GPU_OUT:-${OUT:-$src/build/gpu-check}}
idle_s=${MLSUB_GPU_IDLE_SECONDS:-60}
load_s=${MLSUB_GPU_LOAD_SECONDS:-60}
interval=${MLSUB_GPU_INTERVAL:-5}
mkdir -p "$out/fixture"
. "$src/tests/gpu/blocklib.sh"
node=$(hostname -s)

# What this driver's nvidia-smi says about itself.
nvidia-smi --version >"$out/version.txt" 2>&1
nvidia-smi -L >"$out/gpus.txt" 2>&1
nvidia-smi --help-query-gpu >"$out/help-query-gpu.txt" 2>&1
nvidia-smi -q -d POWER >"$out/q-power.txt" 2>&1
nvidia-smi --query-gpu=index,mlsub.no.such.field --format=csv >"$out/unknown-field.txt" 2>&1
echo "exit code $?" >>"$out/unknown-field.txt"
LC_ALL=de_DE.UTF-8 nvidia-smi --query-gpu=timestamp,index,power.draw --format=csv >"$out/locale-de.txt" 2>&1

monitor_block "$MLSUB" "$interval" >"$out/block.sh" || { echo "FAIL: mlsub plan"; exit 1; }
echo "== idle, $idle_s s"
run_block "$out/block.sh" "$out/idle" 1001 "$node" sleep "$idle_s"
if [ -n "${MLSUB_GPU_LOAD_COMMAND:-}" ]; then  # another load, e.g. a CUDA program: word-split
  echo "== load ($MLSUB_GPU_LOAD_COMMAND)"
  # shellcheck disable=SC2086
  run_block "$out/block.sh" "$out/load" 1002 "$node" $MLSUB_GPU_LOAD_COMMAND
  echo "load exit code $?" >"$out/load-exit.txt"
elif /usr/bin/python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  echo "== load, $load_s s"
  run_block "$out/block.sh" "$out/load" 1002 "$node" /usr/bin/python3 "$src/tests/gpu/matmul_load.py" "$load_s"
  echo "load exit code $?" >"$out/load-exit.txt"
else
  echo "no load: /usr/bin/python3 has no torch with CUDA" | tee "$out/load-exit.txt"
fi
for run in idle load; do
  folder=$out/$run/mlsub-$([ $run = idle ] && echo 1001 || echo 1002)
  [ -d "$folder" ] || continue
  "$MLSUB" report "$folder" --json >"$out/report-$run.json" 2>"$out/report-$run.err"
  LC_ALL=C.UTF-8 "$MLSUB" report "$folder" >"$out/report-$run.txt" 2>&1
  cp "$folder"/gpu-*.csv "$folder"/energy-*.csv "$out/fixture/" 2>/dev/null
  cp "$folder"/monitor-*.log "$out/fixture/" 2>/dev/null
done

/usr/bin/python3 - "$out" "$idle_s" "$interval" <<'PY'
import glob, json, os, sys
out, idle_s, interval = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
help_text = open(os.path.join(out, "help-query-gpu.txt")).read()
n_gpus = sum(1 for l in open(os.path.join(out, "gpus.txt")) if l.startswith("GPU "))
lines, failed = [], 0
def check(ok, what):
    global failed
    lines.append(("ok   " if ok else "FAIL ") + what)
    failed += not ok
def note(what):
    lines.append("note " + what)

has_avg = '"power.draw.average"' in help_text
note("nvidia-smi lists power.draw.average: %s; an energy field: %s" % (
    has_avg, [l for l in help_text.splitlines() if "energy" in l.lower()]))
note("an unknown field: " + " | ".join(open(os.path.join(out, "unknown-field.txt")).read().split("\n")))
for run in ("idle", "load"):
    path = os.path.join(out, "report-%s.json" % run)
    if not os.path.exists(path):
        note("%s: not run" % run)
        continue
    samples = glob.glob(os.path.join(out, run, "mlsub-*", "gpu-*.csv"))
    check(len(samples) == 1, "%s: one samples file (%d)" % (run, len(samples)))
    header = open(samples[0]).readline().strip() if samples else ""
    check(("power.draw.average [W]" in header) == has_avg,
          "%s: the header asks for power.draw.average exactly when the driver lists it: %s" % (run, header))
    try:
        j = json.load(open(path))
    except ValueError as e:
        check(False, "%s: mlsub report --json: %s" % (run, e))
        continue
    check(j["skipped_lines"] == 0, "%s: every line a reading (skipped %d)" % (run, j["skipped_lines"]))
    check(j["job"]["gpus"] == n_gpus, "%s: %d GPUs in the report, %d in nvidia-smi -L" % (run, j["job"]["gpus"], n_gpus))
    for g in j["gpus"]:
        check(g["samples"] >= idle_s / interval / 2 if run == "idle" else g["samples"] >= 2,
              "%s GPU %d: %d samples" % (run, g["index"], g["samples"]))
        check(g["memory_total_mib"] > 0, "%s GPU %d: memory.total %s MiB" % (run, g["index"], g["memory_total_mib"]))
        check(g["mean_power_w"] is not None and g["mean_power_w"] > 0,
              "%s GPU %d: mean power %s W" % (run, g["index"], g["mean_power_w"]))
        note("%s GPU %d: mean %.1f %%, peak memory %.0f MiB, energy %s Wh by %s, counter %s Wh, integrated %s Wh" % (
            run, g["index"], g["mean_utilization"], g["peak_memory_mib"], g["energy_wh"], g["energy_method"],
            g["energy_counter_wh"], g["energy_integrated_wh"]))
        if run == "load":
            check(g["mean_utilization"] > 50, "load GPU %d: mean utilisation %.0f %% over 50 %%" % (g["index"], g["mean_utilization"]))
    job = j["job"]
    check(job["energy_method"] == "counter",
          "%s: energy from the GPUs' own counters (NVML): %s" % (run, job["energy_method"]))
    d = job["energy_difference_percent"]
    # The counters span the whole run, the samples first to last reading:
    # up to an interval at each end, so allow that share plus 10 %.
    seconds = max(g["seconds"] for g in j["gpus"]) or 1
    allowed = 10 + 100 * 2 * interval / seconds
    check(d is not None and abs(d) <= allowed,
          "%s: integrated power vs the counters: %s %% (allowed +-%.0f %%)" % (run, d, allowed))
text = "\n".join(lines) + "\n"
open(os.path.join(out, "checks.txt"), "w").write(text)
print(text, end="")
sys.exit(1 if failed else 0)
PY
rc=$?
{
  echo "Raw recordings of tests/gpu/real_nvidia_smi.sh on $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | sort -u | paste -sd';')"
  echo "(gpu-*.csv: the sampler; energy-*.csv: the NVML reader; 1001 idle, 1002 under load)."
  echo "To make a fixture: copy them to tests/fixtures/monitor/nvidia-real/, keep a few"
  echo "minutes at most, and list in its README the values the tests check."
} >"$out/fixture/README.txt"
echo "checks: $([ $rc = 0 ] && echo passed || echo FAILED); everything is in $out"
exit $rc
