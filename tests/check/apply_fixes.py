#!/usr/bin/python3
"""No fix breaks a job, part 1: for every finding of `mlsub check --json`
that carries a fix (directive edits: {"option", "value"}, value null to
remove), apply the fix to the script and check it again: that finding must
be gone (fewer findings with its id). Then apply every fix of the script,
repeatedly, and with --write DIR keep the result as DIR/SYSTEM/NAME, for
tests/slurm/fixes.sh to hand to the site's Slurm replica.
Usage: apply_fixes.py [--write DIR] CORPUS_DIR...; $MLSUB names the binary."""

import json
import os
import shlex
import subprocess
import sys
import tempfile

SHORT = {"partition": "p", "nodes": "N", "ntasks": "n", "cpus-per-task": "c", "account": "A",
         "gpus": "G", "time": "t"}
ALIASES = {"ntasks-per-node": ["tasks-per-node"]}


def first_command(lines):
    for i, line in enumerate(lines):
        s = line.strip()
        if s and not s.startswith("#"):
            return i
    return len(lines)


def without(tokens, option):
    longs = [option] + ALIASES.get(option, [])
    short = SHORT.get(option)
    out, i = [], 0
    while i < len(tokens):
        t = tokens[i]
        if any(t == f"--{o}" for o in longs) or (short and t == f"-{short}"):
            i += 2
            continue
        if any(t.startswith(f"--{o}=") for o in longs) or (short and t.startswith(f"-{short}")
                                                           and len(t) > 2):
            i += 1
            continue
        out.append(t)
        i += 1
    return out


def apply(text, edits):
    lines = text.split("\n")
    end = first_command(lines)
    for e in edits:
        option, value = e["option"], e["value"]
        last = 0
        for i in range(end):
            if lines[i].startswith("#SBATCH"):
                tokens = shlex.split(lines[i][len("#SBATCH"):], comments=True)
                kept = without(tokens, option)
                if kept != tokens:
                    lines[i] = ("#SBATCH " + " ".join(shlex.quote(t) for t in kept)) if kept else ""
                last = i
        if value is not None:
            at = last + 1 if last else (1 if lines[0].startswith("#!") else 0)
            lines.insert(at, f"#SBATCH --{option}={shlex.quote(value)}")
            end += 1
    return "\n".join(lines)


def check(mlsub, system, path):
    run = subprocess.run([mlsub, "check", "--json", "--system", system, path],
                         capture_output=True, text=True)
    if run.returncode not in (0, 9):
        raise RuntimeError(f"mlsub check exited {run.returncode} on {path}: {run.stderr}")
    return json.loads(run.stdout)


def main():
    mlsub = os.environ["MLSUB"]
    args = sys.argv[1:]
    write = None
    if args[:1] == ["--write"]:
        write, args = args[1], args[2:]
    failed = fixes = 0
    with tempfile.TemporaryDirectory() as tmp:
        for root in args:
            for system in sorted(os.listdir(root)):
                folder = os.path.join(root, system)
                for name in sorted(os.listdir(folder)):
                    if not name.endswith(".sbatch"):
                        continue
                    path = os.path.join(folder, name)
                    text = open(path, encoding="utf-8").read()
                    findings = check(mlsub, system, path)
                    for f in findings:
                        if not f["fix"]:
                            continue
                        fixes += 1
                        fixed = os.path.join(tmp, name)
                        with open(fixed, "w", encoding="utf-8") as out:
                            out.write(apply(text, f["fix"]))
                        before = sum(1 for x in findings if x["id"] == f["id"])
                        after = sum(1 for x in check(mlsub, system, fixed) if x["id"] == f["id"])
                        if after >= before:
                            failed += 1
                            print(f"FAIL: {path}:{f['line']}: the fix {f['fix']} for [{f['id']}] "
                                  f"leaves it reported")
                    if write and any(f["fix"] for f in findings):
                        for _ in range(4):  # fixes can uncover others (a partition's memory rule)
                            current = os.path.join(tmp, "all-" + name)
                            with open(current, "w", encoding="utf-8") as out:
                                out.write(text)
                            edits = [e for f in check(mlsub, system, current) for e in f["fix"]]
                            if not edits:
                                break
                            text = apply(text, edits)
                        os.makedirs(os.path.join(write, system), exist_ok=True)
                        with open(os.path.join(write, system, f"{os.path.basename(root)}-{name}"),
                                  "w", encoding="utf-8") as out:
                            out.write(text)
    print(f"{fixes} fixes applied, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
