#!/usr/bin/python3
"""An imported system plans as the catalogue's original does.

For one site of the lab: every request of the agreement matrix
(agreement.py's requests) is planned twice, with the catalogue's system and
with the file `mlsub catalogue import` wrote from the site's replica. The
verdicts (planned or refused) must be the same wherever the request is
decided by facts import can know (partitions, their time and node limits,
node types, GPUs per node). Requests that the original refuses for a limit
Slurm's partitions do not carry (GPUs, CPUs or node-minutes per job, jobs
per user, a GPU type's cap: a QOS or submit plugin on the site, the lab's
job_submit.lua) are counted apart, not judged. Every script the imported
system plans must pass `sbatch --test-only` on the replica.

Usage: import_agreement.py LAB_DIR MLSUB SITE IMPORTED_NAME IMPORTED_DIR
"""
import json
import os
import subprocess
import sys

from agreement import ACCOUNTS, directives, fmt_minutes, requests, slurm_verdict


def unknowable(system, request):
    """Why the original's verdict rests on a limit Slurm's partition does
    not carry, or None."""
    label, part, nodes, gpn, mins, gpu_type = request[:6]
    tasks = request[6] if len(request) > 6 else None
    p = next(x for x in system["partitions"] if x["name"] == part)
    types = system["node_types"]
    t = next((x for x in types if gpu_type and x["gpu_type"].lower() == gpu_type.lower()),
             types[0])
    gpus = nodes * gpn
    if p.get("max_gpus") is not None and gpus > p["max_gpus"]:
        return "max_gpus"
    if gpus < p.get("min_gpus", 1):
        return "min_gpus"
    if p.get("max_cpus") is not None and gpus * t["cpus_per_gpu"] > p["max_cpus"]:
        return "max_cpus"
    if p.get("max_node_minutes") is not None and nodes * mins > p["max_node_minutes"]:
        return "max_node_minutes"
    if t.get("max_per_job") is not None and gpus > t["max_per_job"]:
        return "max_per_job"
    if tasks is not None and p.get("max_jobs_per_user") is not None and tasks > p["max_jobs_per_user"]:
        return "max_jobs_per_user"
    return None


def plan(mlsub, argv):
    r = subprocess.run([mlsub] + argv + ["train.py"], capture_output=True, text=True)
    return r.returncode == 0, r.stdout, r.stderr.strip()


def main():
    lab, mlsub, site, name, imported_dir = sys.argv[1:6]
    systems = json.load(open(os.path.join(lab, "systems.json")))
    system = next(s for s in systems if s["name"] == site)
    conf = os.path.join(lab, site, "slurm.conf")
    judged = agree = apart = 0
    bad = []
    # MLSUB_AGREEMENT_EVERY=N: every Nth request, as agreement.py (the
    # sanitizer build in scripts/test).
    every = int(os.environ.get("MLSUB_AGREEMENT_EVERY", "1"))
    for request in requests(system)[::every]:
        label, part, nodes, gpn, mins, gpu_type = request[:6]
        tasks = request[6] if len(request) > 6 else None
        lines = directives(system, part, nodes, gpn, mins, gpu_type, tasks)
        account = next(l for l in lines if l.startswith("--account="))[10:]
        common = ["--partition", part, "--nodes", str(nodes), "--gpus-per-node", str(gpn),
                  "--time", fmt_minutes(mins), "--account", account]
        if gpu_type:
            common += ["--gpu-type", gpu_type]
        if tasks is not None:
            common += ["--array", f"0-{tasks - 1}"]
        original = ["plan", "--system", site] + common
        # Sites with no default environment (plan asks for one), as in
        # agreement.py: Alps an EDF, the others a module (no #SBATCH line).
        if site.startswith("alps-"):
            original += ["--edf", "./pytorch.toml"]
        elif not system.get("modules") and not system.get("container_image"):
            original += ["--module", "lab-pytorch"]
        mine = ["--catalogue", imported_dir, "plan", "--system", name] + common
        o_ok, _, o_err = plan(mlsub, original)
        i_ok, i_script, i_err = plan(mlsub, mine)
        why = None if o_ok else unknowable(system, request)
        if why:
            apart += 1
        else:
            judged += 1
            if o_ok == i_ok:
                agree += 1
            else:
                bad.append(f"{site} {part} {label}: original {'plans' if o_ok else 'refuses'}"
                           f" ({o_err[:140]}), imported {'plans' if i_ok else 'refuses'}"
                           f" ({i_err[:140]})")
        if i_ok:
            ok, says = slurm_verdict(conf, i_script)
            if not ok and not why:
                bad.append(f"{site} {part} {label}: the imported system's script is refused: "
                           f"{says}")
    print(f"{site}: {judged} requests judged, {agree} agree; {apart} decided by limits "
          f"Slurm's partitions do not carry")
    for line in bad:
        print("DISAGREE:", line)
    return 1 if bad or judged == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
