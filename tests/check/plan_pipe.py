#!/usr/bin/python3
"""`mlsub plan ... | mlsub check -` for every golden request of every system
(tests/golden/SYSTEM/CASE.args): check must tell the system from the script
alone (its header), and report nothing but what is true of every such
script: the retired-system finding on a retired system, and the account
finding where the script carries the placeholder account (no --account
given) - both of which must appear there - and a partial node billed whole
where plan itself warns of it.
Usage: plan_pipe.py GOLDEN_DIR; $MLSUB names the binary."""

import json
import os
import subprocess
import sys


def main():
    mlsub = os.environ["MLSUB"]
    root = sys.argv[1]
    failed = cases = 0
    env = dict(os.environ)
    for var in ("MLSUB_ACCOUNT", "SBATCH_ACCOUNT"):
        env.pop(var, None)
    for system in sorted(os.listdir(root)):
        folder = os.path.join(root, system)
        if not os.path.isdir(folder):
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".args"):
                continue
            cases += 1
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                argv = f.read().split("\n")
            argv = [a for a in argv if a != ""] if argv[-1] == "" else argv
            plan = subprocess.run([mlsub] + argv, capture_output=True, text=True, env=env)
            if plan.returncode != 0:
                failed += 1
                print(f"FAIL: {system}/{name}: mlsub plan exited {plan.returncode}: {plan.stderr}")
                continue
            run = subprocess.run([mlsub, "check", "--json", "-"], input=plan.stdout,
                                 capture_output=True, text=True, env=env)
            if run.returncode not in (0, 9):
                failed += 1
                print(f"FAIL: {system}/{name}: plan | check - exited {run.returncode}: "
                      f"{run.stderr.strip()}")
                continue
            findings = json.loads(run.stdout)
            systems = {f["system"] for f in findings}
            if systems - {system}:
                failed += 1
                print(f"FAIL: {system}/{name}: checked as {sorted(systems)}")
            retired = "\nretired:" in open(f"systems/{system}.yaml").read() if os.path.exists(
                f"systems/{system}.yaml") else None
            placeholder = "# FIXME: no account was given" in plan.stdout
            want = set()
            if placeholder:
                want.add("account")
            got = set()
            for f in findings:
                if f["id"] == "whole-node" and "gives whole nodes" in plan.stderr:
                    continue  # plan warns of the same partial node
                got.add(f["id"])
                if f["id"] not in ("retired", "account"):
                    failed += 1
                    print(f"FAIL: {system}/{name}: {f['line']}: {f['severity']}: {f['message']} "
                          f"[{f['id']}]")
            if placeholder and "account" not in got:
                failed += 1
                print(f"FAIL: {system}/{name}: the placeholder account is not reported")
            if not placeholder and "account" in got:
                failed += 1
                print(f"FAIL: {system}/{name}: an account finding on a script with an account")
            if retired is not None and retired != ("retired" in got):
                failed += 1
                print(f"FAIL: {system}/{name}: retired={retired} but findings {sorted(got)}")
    print(f"{cases} golden requests, {failed} failures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
