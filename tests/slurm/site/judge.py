#!/usr/bin/python3
"""Judges one cell of the site-job matrix from what its job left behind.

    judge.py CELLDIR SITE_ROOT

CELLDIR holds cell (SITE LAUNCHER SIZE ENV REQUEUE), procs (the number of
training processes the job must run), plan.rc / plan.err (mlsub plan),
state (Slurm's final JobState, ExitCode and Restarts), slurm-*.out (the
job's output) and records/containers.jsonl (container starts, from the
lab's container stand-ins). Prints one line:

    SITE LAUNCHER SIZE ENV REQUEUE PASS|FAIL [invariant: detail; ...]

and exits 1 on FAIL.
"""
import glob
import json
import os
import re
import sys

PER_PROCESS = ["torch-import", "gpu-visible", "gpu-distinct", "cpu-threads", "cpu-workers",
               "ranks-agree"]


def main():
    cell_dir, site_root = sys.argv[1], sys.argv[2]
    site, launcher, size, env, requeue = open(os.path.join(cell_dir, "cell")).read().split()
    name = f"{site} {launcher} {size} {env} requeue={requeue}"
    problems = []

    def fail(inv, detail):
        problems.append(f"{inv}: {detail}")

    prc = open(os.path.join(cell_dir, "plan.rc")).read().strip()
    if prc != "0":
        perr = open(os.path.join(cell_dir, "plan.err")).read().strip().splitlines()
        fail("plan", f"mlsub plan exit {prc}: {perr[-1] if perr else ''}")
        return done(name, problems)

    procs = int(open(os.path.join(cell_dir, "procs")).read())
    state = open(os.path.join(cell_dir, "state")).read().strip() if os.path.exists(
        os.path.join(cell_dir, "state")) else "unknown"
    text = ""
    for f in sorted(glob.glob(os.path.join(cell_dir, "slurm-*.out"))):
        text += open(f, errors="replace").read()
    seen = {}
    for m in re.finditer(r"LAB-INVARIANT (\S+) (ok|FAILED) rank=(\d+) node=(\S+): "
                         r"(.*?)(?=LAB-INVARIANT |\n|$)", text):
        inv, status, rank, node, detail = m.groups()
        seen.setdefault(inv, []).append((status, int(rank), detail))
    for inv, results in seen.items():
        bad = [r for r in results if r[0] == "FAILED"]
        if bad:
            fail(inv, f"rank {bad[0][1]}: {bad[0][2]}" + (f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""))

    expected = list(PER_PROCESS)
    if env == "venv":
        expected.append("venv-active")
    if requeue == "on":
        expected = ["torch-import", "gpu-visible", "gpu-distinct", "cpu-threads", "cpu-workers",
                    "requeue-signal"]
        if env == "venv":
            expected.append("venv-active")
        if launcher in ("torchrun", "accelerate") and procs > 1:
            expected.append("agent-alive")
    broken = bool(problems)  # later invariants go unreported after a broken one
    for inv in expected:
        got = seen.get(inv, [])
        if not got and broken:
            continue
        if not got and not any(p.startswith(inv + ":") for p in problems):
            fail(inv, "never reported (the job did not get that far)")
        elif requeue == "off" and len(got) < procs and not any(r[0] == "FAILED" for r in got):
            fail(inv, f"reported by {len(got)} of {procs} processes")
    if requeue == "on" and not broken:
        resumed = seen.get("resumed", [])
        if not resumed:
            fail("resumed", "the job did not resume from its checkpoint after the requeue")
        for inv in ("ranks-agree",):
            if not seen.get(inv):
                fail(inv, "the resumed job did not finish training")
    if not re.search(r"JobState=COMPLETED\b", state) or "ExitCode=0:0" not in state:
        errs = [l for l in text.splitlines()
                if re.search(r"error|Error|FATAL|not found|cannot|No such", l)
                and not l.startswith("LAB")]
        fail("job", f"{state}" + (f"; {errs[0].strip()[:200]}" if errs else ""))

    # Containers: no site PyTorch module on the host, nothing of it passed in.
    rec = os.path.join(cell_dir, "records", "containers.jsonl")
    if os.path.exists(rec):
        sitej = json.load(open(os.path.join(site_root, "site.json")))
        for r in map(json.loads, open(rec)):
            mods = [m for m in r["loaded_modules"]
                    if any(m.split("/")[0] == p for p in sitej["pytorch_modules"])]
            if mods:
                fail("container-clean", f"site PyTorch module(s) {mods} loaded on the host "
                                        f"when {r['runtime']} {r['verb']} started")
                break
    return done(name, problems)


def done(name, problems):
    if problems:
        names = list(dict.fromkeys(p.split(":", 1)[0] for p in problems))
        print(f"{name} FAIL [{','.join(names)}] " + "; ".join(dict.fromkeys(problems)))
        sys.exit(1)
    print(f"{name} PASS")


if __name__ == "__main__":
    main()
