#!/usr/bin/python3
"""mlsub's verdict against Slurm's, for a matrix of requests per system.

For every partition of every system in the lab: requests at and around each
boundary (nodes, GPUs per node, time) and invalid ones (a GPU type the site
lacks, wrong case). Each request is judged twice:
  * mlsub: `mlsub plan` with the request's partition, nodes, GPUs per node,
    time and account (exit 0 = accepted);
  * Slurm: `sbatch --test-only` of the same request written as the site's
    directives by hand (not by mlsub), against the site's replica.
They must agree. For requests both accept, mlsub's own script must pass
`sbatch --test-only` too. One deliberate difference: a GPU type in the
wrong case (`a40`) is refused by Slurm but corrected by mlsub, whose script
(with `A40`) Slurm then accepts; those rows check exactly that. Prints the agreement table; exits 1 on any
disagreement.

Usage: agreement.py LAB_DIR MLSUB
"""
import concurrent.futures
import json
import os
import subprocess
import sys

from labconf import minutes  # the same reading of Slurm durations as the lab

ACCOUNTS = {  # a valid account of each form
    "project_46[0-9]{7}": "project_465000123",
    "project_[0-9]{7}": "project_2001234",
    "NAISS[0-9]{4}-[0-9]+-[0-9]+": "NAISS2026-22-123",
}


def fmt_minutes(m):
    return f"{m // 1440}-{(m % 1440) // 60:02d}:{m % 60:02d}:00"


def requests(system):
    """(label, partition, nodes, gpus_per_node, minutes, gpu_type[, array tasks]) tuples:
    for every partition and every node type it has, every GPUs-per-node
    count from 1 to one too many, node counts at and around the partition's
    bounds, and times under, at and over its limit; then GPU types the site
    lacks or spells otherwise."""
    out = []
    types = system["node_types"]
    for p in system["partitions"]:
        ptypes = [t for t in types if not p["node_types"] or t["name"] in p["node_types"]]
        max_time = minutes(p["max_time"])
        for t in ptypes:
            total_nodes = sum(x["count"] for x in ptypes if x["name"] == t["name"])
            max_nodes = min(p["max_nodes"], total_nodes)
            node_counts = sorted({1, 2, 3, 4, p["min_nodes"], max(1, p["min_nodes"] - 1),
                                  max(1, max_nodes // 2), max(1, max_nodes - 1), max_nodes,
                                  max_nodes + 1})
            for nodes in node_counts:
                for gpn in range(1, t["gpus"] + 2):
                    for mins in (1, max(1, max_time // 2), max_time, max_time + 1):
                        out.append((f"{t['name']} {nodes}x{gpn} {fmt_minutes(mins)}", p["name"],
                                    nodes, gpn, mins, t["gpu_type"] if len(types) > 1 else None))
        cap = p.get("max_jobs_per_user")
        if cap is not None:
            # An array at and over the per-user job cap (1 node, 1 GPU).
            t = ptypes[0]
            for tasks in (cap, cap + 1):
                out.append((f"array of {tasks}", p["name"], max(1, p["min_nodes"]),
                            max(1, p["min_gpus"]), max(1, max_time // 2),
                            t["gpu_type"] if len(types) > 1 else None, tasks))
        if len(types) > 1:
            t = ptypes[0]
            out.append(("unknown GPU type", p["name"], 1, 1, 60, "H200"))
            out.append(("GPU type in the wrong case", p["name"], 1, 1, 60, t["gpu_type"].lower()))
    return out


def directives(system, partition, nodes, gpn, mins, gpu_type, tasks=None):
    """The request as the site's #SBATCH lines, written from the catalogue's
    rules, independently of mlsub's planner."""
    p = next(x for x in system["partitions"] if x["name"] == partition)
    types = system["node_types"]
    t = next((x for x in types if x["gpu_type"] == gpu_type), types[0])
    req = system["gpu_request"]
    value = (req["format"].replace("{count}", str(gpn))
             .replace("{type}", gpu_type or t["gpu_type"]))
    cpus = min(t["cpus_per_gpu"], t["cores"])
    lines = [f"--partition={partition}", f"--nodes={nodes}", f"--ntasks-per-node={gpn}",
             f"--cpus-per-task={cpus}", f"--time={fmt_minutes(mins)}", f"--{req['option']}={value}"]
    mem = system["memory"]
    if mem["policy"] == "per_gpu" and not p["whole_node"]:
        per_gpu = int(mem["per_gpu"].rstrip("G"))
        lines.append(f"--mem={per_gpu * gpn}G")
    pattern = system["account"].get("pattern")
    lines.append(f"--account={ACCOUNTS.get(pattern, 'a01')}")
    if tasks is not None:
        lines.append(f"--array=0-{tasks - 1}")
    return lines


def slurm_verdict(conf, script):
    r = subprocess.run(["sbatch", "--test-only"], input=script, text=True, capture_output=True,
                       env={**os.environ, "SLURM_CONF": conf}, timeout=30)
    text = (r.stdout + r.stderr).strip().splitlines()
    return r.returncode == 0, text[-1] if text else ""


def judge(mlsub, system, conf, request):
    """One request: (agrees, accepted by both, problems)."""
    name = system["name"]
    label, part, nodes, gpn, mins, gpu_type = request[:6]
    tasks = request[6] if len(request) > 6 else None
    lines = directives(system, part, nodes, gpn, mins, gpu_type, tasks)
    account = next(l for l in lines if l.startswith("--account="))[10:]
    argv = [mlsub, "plan", "--system", name, "--partition", part, "--nodes", str(nodes),
            "--gpus-per-node", str(gpn), "--time", fmt_minutes(mins), "--account", account]
    if gpu_type:
        argv += ["--gpu-type", gpu_type]
    if name.startswith("alps-"):
        # Alps has no default software environment (plan asks for one); an
        # EDF adds no #SBATCH line, so the replica judges the same header.
        argv += ["--edf", "./pytorch.toml"]
    elif not system["modules"] and not system.get("container_image"):
        # Other sites with no default environment (no modules, no image:
        # Leonardo, JUPITER, Karolina, Vega; plan asks for one): a module,
        # which adds no #SBATCH line either.
        argv += ["--module", "lab-pytorch"]
    if tasks is not None:
        argv += ["--array", f"0-{tasks - 1}"]
    mine = subprocess.run(argv + ["train.py"], capture_output=True, text=True)
    raw = "#!/bin/bash\n" + "".join(f"#SBATCH {l}\n" for l in lines) + "true\n"
    slurm_ok, slurm_says = slurm_verdict(conf, raw)
    mlsub_ok = mine.returncode == 0
    corrected = label == "GPU type in the wrong case"
    if corrected:
        slurm_ok = slurm_verdict(conf, mine.stdout)[0] if mlsub_ok else False
    bad = []
    if mlsub_ok != slurm_ok:
        bad.append(f"{name} {part} {label}: mlsub {'accepts' if mlsub_ok else 'rejects'}"
                   f" ({mine.stderr.strip()[:160]}), Slurm "
                   f"{'accepts' if slurm_ok else 'rejects'} ({slurm_says[:160]})")
    accepted = mlsub_ok and slurm_ok
    if accepted:
        ok, says = slurm_verdict(conf, mine.stdout)
        if not ok:
            bad.append(f"{name} {part} {label}: mlsub's own script is refused: {says}")
    return mlsub_ok == slurm_ok, accepted, bad


def main():
    lab, mlsub = sys.argv[1], sys.argv[2]
    systems = json.load(open(os.path.join(lab, "systems.json")))
    rows = []
    bad = []
    # MLSUB_AGREEMENT_EVERY=N takes every Nth request (the sanitizer build
    # in scripts/test, where each mlsub run is slower).
    every = int(os.environ.get("MLSUB_AGREEMENT_EVERY", "1"))
    # Each site's replica answers one sbatch at a time, and an answer takes
    # tens of milliseconds of waiting, not of CPU: the sites are judged side
    # by side, each site's requests in order.
    def judge_system(system):
        conf = os.path.join(lab, system["name"], "slurm.conf")
        return [judge(mlsub, system, conf, r) for r in requests(system)[::every]]

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(systems) or 1) as pool:
        for system, verdicts in zip(systems, pool.map(judge_system, systems)):
            for _, _, problems in verdicts:
                bad.extend(problems)
            rows.append((system["name"], len(verdicts), sum(1 for v in verdicts if v[1]),
                         sum(1 for v in verdicts if v[0])))
    print(f"{'system':<15} {'requests':>8} {'valid':>6} {'agree':>6}  agreement")
    for name, total, accepted, agree in rows:
        print(f"{name:<15} {total:>8} {accepted:>6} {agree:>6}  {100 * agree / total:6.1f} %")
    grand = sum(r[1] for r in rows)
    print(f"{'all':<15} {grand:>8} {sum(r[2] for r in rows):>6} {sum(r[3] for r in rows):>6}")
    for line in bad:
        print("DISAGREE:", line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
