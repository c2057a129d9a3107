#!/bin/bash
# mlsub report and mlsub doctor: on the monitor fixtures (values known, see
# tests/fixtures/monitor/README.md) and on generated dataset trees.
. "$(dirname "$0")/lib.sh"
fx=$MLSUB_SOURCE_DIR/tests/fixtures/monitor
export MLSUB_JOURNAL=$work/jobs.jsonl

# NVIDIA: per-GPU numbers, the job line, advice with the site's rule.
run report "$fx/nvidia" --ascii
expect_rc 0
expect_stdout_has "Job 4242 on mahti: GPU utilisation"
expect_stdout_has "Job: 4 GPUs, 0.13 GPU-hours, 26.0 Wh, mean utilisation 31 %: poor"
expect_stdout_has "mahti's rule is 32 CPUs per GPU; the job had 32 per task"
expect_stdout_has "mlsub doctor DATA_DIR"
expect_stdout_has "seff 4242"
expect_stderr_has "1 line of the samples was not a reading"
grep -E '^  gpu01 +0 +94 % +100 % +31.2 / 40.0 +13.3 +400 ' "$out" >/dev/null && ok || bad "GPU 0 row"

# AMD: one GCD busy, the other idle; memory far below; JSON.
run report "$fx/amd" --json
expect_rc 0
/usr/bin/python3 - "$out" <<'PY' && ok || bad "JSON values"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["job_id"] == "5151" and j["job"]["gpus"] == 2, j["job"]
g = j["gpus"][0]
assert round(g["mean_utilization"]) == 98 and abs(g["energy_wh"] - 300 * 20 / 3600) < 1e-6, g
assert any("one process per GPU" in a["what"] for a in j["advice"]), j["advice"]
assert any("larger batch" in a["what"] for a in j["advice"]), j["advice"]
PY

# NVML's energy counters and power.draw.average (nvidia-counter: see the
# fixtures' README): the counters' energy, the integrated power beside it.
run report "$fx/nvidia-counter" --ascii
expect_rc 0
expect_stdout_has "Job: 2 GPUs, 0.07 GPU-hours, 20.2 Wh, mean utilisation 73 %: fair"
expect_stdout_has "Energy is the GPUs' own counters (NVML), read at the start and the end; power.draw.average, else power.draw integrated over the samples gives 20.0 Wh (-1 %)."
expect_stdout_lacks "site's"
run report "$fx/nvidia-counter" --json
expect_rc 0
/usr/bin/python3 - "$out" <<'PY' && ok || bad "JSON energy"
import json, sys
j = json.load(open(sys.argv[1]))["job"]
assert j["energy_method"] == "counter", j
assert abs(j["energy_counter_wh"] - 600 * 121 / 3600) < 1e-9 and abs(j["energy_integrated_wh"] - 20) < 1e-9, j
assert abs(j["energy_difference_percent"] - 100 * (20 - 600 * 121 / 3600) / (600 * 121 / 3600)) < 1e-9, j
PY
# Without the counters file: power integrated, and the JSON says so.
mkdir -p "$work/nocounter"
cp "$fx/nvidia-counter/gpu-4343-gpu01.csv" "$work/nocounter/"
run report "$work/nocounter" --json
expect_rc 0
/usr/bin/python3 - "$out" <<'PY' && ok || bad "JSON without counters"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["job"]["energy_method"] == "integrated" and j["job"]["energy_counter_wh"] is None, j["job"]
assert [g["energy_method"] for g in j["gpus"]] == ["power.draw.average", "power.draw"], j["gpus"]
PY

# By job id through the journal.
printf '{"job_id":"4242","folder":"%s"}\n' "$fx/nvidia" >"$MLSUB_JOURNAL"
run report 4242 --ascii
expect_rc 0; expect_stdout_has "Job 4242 on mahti"
# An array task's own id: found by its samples in a journal folder.
mkdir -p "$work/array"
cp "$fx/nvidia/gpu-4242-gpu01.csv" "$work/array/gpu-4250-gpu01.csv"
printf '{"job_id":"4249","folder":"%s"}\n' "$work/array" >>"$MLSUB_JOURNAL"
run report 4250 --json
expect_rc 0; expect_stdout_has '"job_id": "4250"'
run report 999999
expect_rc 2; expect_stderr_has "job 999999 is not in the journal"
run report not-a-job
expect_rc 2; expect_stderr_has "is neither a job id nor a folder"
mkdir "$work/empty"
run report "$work/empty"
expect_rc 7; expect_stderr_has "no GPU samples"

# The chart: valid XML, and rendered to PNG where rsvg-convert is installed.
run report "$fx/nvidia" --svg "$work/chart.svg"
expect_rc 0; expect_stderr_has "chart written to"
/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); assert r.tag.endswith("svg")' "$work/chart.svg" &&
  ok || bad "chart.svg is not an SVG document"
if command -v rsvg-convert >/dev/null; then
  rsvg-convert -o "$work/chart.png" "$work/chart.svg" && [ -s "$work/chart.png" ] && ok || bad "rsvg-convert failed"
  [ -n "${MLSUB_KEEP_CHART:-}" ] && cp "$work/chart.png" "$MLSUB_KEEP_CHART"
fi
run report "$fx/amd" --html "$work/chart.html"
expect_rc 0
grep -q '<svg' "$work/chart.html" && ok || bad "the HTML page has no chart"
run report "$fx/amd" --svg "$work/nodir/x.svg"
expect_rc 7; expect_stderr_has "cannot write"

# A large job (128 nodes x 4 GPUs): the verdict first, a summary per node,
# the GPUs that stand out, at most 120 lines; every GPU with --all; a chart
# of fixed size whose legend stays on the picture.
big=$work/big
mkdir -p "$big"
/usr/bin/python3 - "$big" <<'PY'
import json, os, sys
d = sys.argv[1]
for n in range(128):
    node = "nid%06d" % n
    with open(os.path.join(d, "gpu-777-%s.csv" % node), "w") as f:
        f.write("timestamp, index, utilization.gpu [%], memory.used [MiB], memory.total [MiB], power.draw [W]\n")
        for i in range(40):
            for g in range(4):
                util = 90
                if n % 16 == 0 and g == 3: util = 2
                elif n % 7 == 0: util = 30
                mem = 81000 if (n % 11 == 0 and g == 0) else 40000
                f.write("2026/11/23 15:%02d:%02d.000, %d, %d %%, %d MiB, 81920 MiB, 400.00 W\n"
                        % (i // 2, (i % 2) * 30, g, util, mem))
with open(os.path.join(d, "energy-777.txt"), "w") as f:
    for k in range(30):
        f.write("GPU %d: 1.23 kWh\n" % k)
json.dump({"system": "lumi", "cpus_per_task": 7, "monitor": {"gpu_memory_mib": 81920,
           "cpus_per_gpu": 7, "efficiency_tool": "seff {job}"}}, open(os.path.join(d, "plan.json"), "w"))
PY
run report "$big" --ascii --svg "$work/big.svg"
expect_rc 0
lines=$(wc -l <"$out")
[ "$lines" -le 120 ] && ok || bad "the report of 512 GPUs has $lines lines (at most 120)"
sed -n 3p "$out" | grep -q '^Job: 512 GPUs on 128 nodes, ' && ok || bad "the verdict is not the third line"
expect_stdout_has "Nodes: 128; mean utilisation per node: lowest"
expect_stdout_has "GPUs that stand out: 8 idle (under 10 %), 74 starved (10 to 49 %), 12 memory-full"
expect_stdout_has "--all lists every GPU"
expect_stdout_has "... 20 more lines in $big/energy-777.txt"
run report "$big" --ascii --all
expect_rc 0
rows=$(grep -cE '^  nid[0-9]{6} +[0-3] ' "$out")
[ "$rows" -ge 512 ] && ok || bad "--all printed $rows GPU rows, expected 512"
run report "$big" --json
expect_rc 0
/usr/bin/python3 - "$out" <<'PY' && ok || bad "--json of the large job"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["job"]["gpus"] == 512 and j["job"]["nodes"] == 128 and len(j["gpus"]) == 512, j["job"]
assert sum("idle" in g["stands_out"] for g in j["gpus"]) == 8
PY
/usr/bin/python3 - "$work/big.svg" <<'PY' && ok || bad "the large job's chart"
import os, sys, xml.etree.ElementTree as E
path = sys.argv[1]
assert os.path.getsize(path) < 4 * 1024 * 1024, os.path.getsize(path)
root = E.parse(path).getroot()
x0, y0, w, h = map(float, root.get("viewBox").split())
ns = "{http://www.w3.org/2000/svg}"
texts = root.findall(ns + "text")
assert any(t.text == "median of 512 GPUs" for t in texts), [t.text for t in texts]
for el in texts + root.findall(ns + "rect"):
    x, y = float(el.get("x", 0)), float(el.get("y", 0))
    assert x0 <= x <= x0 + w and y0 <= y <= y0 + h, (el.tag, el.attrib, el.text)
    if el.tag == ns + "text" and el.get("text-anchor") is None:
        # 12 px sans-serif: under 7 px a character
        assert x + 7 * len(el.text) <= x0 + w, (el.text, x)
PY

# Rounding: a mean of 49.9996 % prints as 50 %, and is judged as 50 %.
mkdir -p "$work/round"
/usr/bin/python3 - "$work/round/gpu-31-n1.csv" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("timestamp, index, utilization.gpu [%]\n")
    for i in range(2500):
        f.write("2026/11/23 %02d:%02d:%02d.000, 0, %d %%\n" % (i // 3600, i // 60 % 60, i % 60, 49 if i == 0 else 50))
PY
run report "$work/round" --ascii
expect_rc 0
expect_stdout_has "mean utilisation 50 %: fair"
expect_stdout_lacks "under 50 %"

# doctor: many small files -> pack; a few large shards -> good.
mkdir -p "$work/small"
for d in $(seq 0 9); do
  mkdir "$work/small/$d"
  (cd "$work/small/$d" && for f in $(seq 0 149); do echo "sample $f" >"$f.txt"; done)
done
run doctor "$work/small"
expect_rc 0
expect_stdout_has "1500 files in 10 directories"
expect_stdout_has "Reads under 100 MB: 100 %"
expect_stdout_has "WebDataset"
expect_stdout_has "tar -C"
mkdir "$work/shards"
for i in 0 1 2; do truncate -s 300M "$work/shards/data-$i.tar"; done
run doctor "$work/shards" --json
expect_rc 0
/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["files"]==3 and j["small_reads_percent"]==0 and not j["pack"], j' "$out" &&
  ok || bad "doctor --json on shards"
run doctor "$work/nope"
expect_rc 2; expect_stderr_has "No such file or directory"
run doctor "$work/chart.svg"
expect_rc 2; expect_stderr_has "is a file, not a directory"

# The packing command doctor prints works: 1500 files into tar shards.
run doctor "$work/small"
cmd=$(sed -n 's/^    mkdir -p shards/mkdir -p shards/p' "$out")
(cd "$work" && eval "$cmd") && ok || bad "the packing command failed: $cmd"
n=$(for t in "$work"/shards/data-0*.tar; do tar -tf "$t"; done 2>/dev/null | wc -l)
[ "$n" -eq 1500 ] && ok || bad "the shards hold $n files, expected 1500"

finish
