#!/bin/bash
# The NVIDIA monitor block of a script from mlsub plan, run outside Slurm
# (tests/gpu/blocklib.sh) against stand-ins of nvidia-smi and NVML
# (tests/fixtures/monitor/standin: Debian has neither), then read back by
# mlsub report. A driver that lists power.draw.average, with NVML: the
# sampler asks for the field, the script reads the energy counters at the
# start and the end, and the report takes the counters and sets the
# integrated power beside them. An older driver without NVML: the probe
# leaves the field out (asking for it would fail the whole query), the
# sampler samples, and the report integrates power.draw. tests/gpu/
# real_nvidia_smi.sh does the same against a real GPU.
. "$(dirname "$0")/lib.sh"
. "$MLSUB_SOURCE_DIR/tests/gpu/blocklib.sh"
standin=$MLSUB_SOURCE_DIR/tests/fixtures/monitor/standin
command -v cc >/dev/null || { echo "SKIP: no C compiler for the NVML stand-in"; exit 77; }
mkdir -p "$work/bin" "$work/lib"
cp "$standin/nvidia-smi" "$work/bin/"
cc -shared -fPIC -o "$work/lib/libnvidia-ml.so.1" "$standin/libnvidia-ml.c"
monitor_block "$MLSUB" 1 >"$work/block.sh"
last_command="mlsub plan (its monitor block)"
grep -q '^mlsub_nvml_energy()' "$work/block.sh" && ok || bad "no NVML reader in the block: $(cat "$work/block.sh")"

# check_report FOLDER PYTHON: mlsub report FOLDER --json, judged by PYTHON
# (the JSON is `j`, the energy counter lines `counters`).
check_report() {
  run report "$1" --json
  expect_rc 0
  /usr/bin/python3 - "$out" "$1" "$2" <<'PY' && ok || bad "report of $1"
import glob, json, sys
j = json.load(open(sys.argv[1]))
counters = []
for path in glob.glob(sys.argv[2] + "/energy-*.csv"):
    counters += [l.split(", ") for l in open(path) if l[0].isdigit()]
exec(sys.argv[3])
PY
}

# A driver with power.draw.average, and NVML.
PATH=$work/bin:$PATH LD_LIBRARY_PATH=$work/lib run_block "$work/block.sh" "$work/new" 501 node1 sleep 4
new=$work/new/mlsub-501
last_command="the block, newer driver, NVML"
head -n 1 "$new/gpu-501-node1.csv" | grep -qF 'power.draw [W], power.draw.average [W]' && ok ||
  bad "the sampler did not ask for power.draw.average: $(head -n 1 "$new/gpu-501-node1.csv")"
[ "$(grep -c ', start$' "$new/energy-501-node1.csv")" = 2 ] && [ "$(grep -c ', end$' "$new/energy-501-node1.csv")" = 2 ] &&
  ok || bad "not a start and an end per GPU: $(cat "$new/energy-501-node1.csv")"
check_report "$new" '
span = float([c for c in counters if c[3].strip() == "end"][0][0]) - float(counters[0][0])
g0, g1 = j["gpus"]
assert j["job"]["energy_method"] == "counter", j["job"]
assert g0["energy_method"] == "counter" and abs(g0["energy_wh"] - 300 * span / 3600) < 0.01 * g0["energy_wh"], (g0, span)
assert abs(g1["energy_counter_wh"] - 100 * span / 3600) < 0.01 * g1["energy_counter_wh"], (g1, span)
# beside it, power integrated: GPU 0 from power.draw.average (300 W, not
# power.draw 305 W), GPU 1 from power.draw (its average is [N/A])
assert abs(g0["energy_integrated_wh"] - 300 * g0["seconds"] / 3600) < 1e-6, g0
assert abs(g1["energy_integrated_wh"] - 100 * g1["seconds"] / 3600) < 1e-6, g1
d = j["job"]["energy_difference_percent"]
assert d is not None and -60 < d <= 0, j["job"]  # the samples cover less time than the counters
'
run report "$new" --ascii
expect_stdout_has "Energy is the GPUs' own counters (NVML), read at the start and the end; power.draw.average, else power.draw integrated over the samples gives"

# An older driver without power.draw.average, and no NVML.
if /sbin/ldconfig -p 2>/dev/null | grep -q libnvidia-ml; then
  echo "SKIP (part): this machine has a real libnvidia-ml; the path without NVML is not tested here"
else
  MLSUB_STANDIN_OLD_DRIVER=1 PATH=$work/bin:$PATH run_block "$work/block.sh" "$work/old" 502 node1 sleep 3
  old=$work/old/mlsub-502
  last_command="the block, older driver, no NVML"
  head -n 1 "$old/gpu-502-node1.csv" | grep -qx 'timestamp, index, utilization.gpu \[%\], memory.used \[MiB\], memory.total \[MiB\], power.draw \[W\]' &&
    ok || bad "header: $(head -n 1 "$old/gpu-502-node1.csv")"
  [ "$(grep -c '^20' "$old/gpu-502-node1.csv")" -ge 4 ] && ok || bad "no readings: $(cat "$old/gpu-502-node1.csv" "$old/monitor-502.log")"
  [ ! -e "$old/energy-502-node1.csv" ] && ok || bad "an energy file without NVML"
  check_report "$old" '
assert j["job"]["energy_method"] == "integrated" and j["job"]["energy_counter_wh"] is None, j["job"]
g0 = j["gpus"][0]
assert g0["energy_method"] == "power.draw" and abs(g0["energy_wh"] - 305 * g0["seconds"] / 3600) < 1e-6, g0
'
  run report "$old" --ascii
  expect_stdout_has "Energy is power.draw integrated over the samples"
fi
finish
