#!/usr/bin/python3
"""Runs `mlsub check --json --system SYSTEM` on every script of
tests/check/corpus/SYSTEM/ and compares the set of (severity, id) pairs it
reports for each file with the file's `# expect:` lines (see
make_corpus.py). Usage: run_corpus.py CORPUS_DIR [SYSTEM...]; $MLSUB names
the binary."""

import json
import os
import subprocess
import sys


def expected(path):
    want = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("# expect: "):
                value = line[len("# expect: "):].strip()
                if value != "clean":
                    severity, ident = value.split()
                    want.add((severity, ident))
    return want


def main():
    mlsub = os.environ["MLSUB"]
    root = sys.argv[1]
    systems = sys.argv[2:] or sorted(os.listdir(root))
    failed = checked = 0
    for system in systems:
        folder = os.path.join(root, system)
        files = sorted(os.path.join(folder, f) for f in os.listdir(folder)
                       if f.endswith(".sbatch"))
        run = subprocess.run([mlsub, "check", "--json", "--system", system] + files,
                             capture_output=True, text=True)
        if run.returncode not in (0, 9):
            print(f"FAIL: {system}: mlsub check exited {run.returncode}: {run.stderr}")
            failed += 1
            continue
        got = {f: set() for f in files}
        messages = {f: [] for f in files}
        for finding in json.loads(run.stdout):
            got[finding["file"]].add((finding["severity"], finding["id"]))
            messages[finding["file"]].append(
                f'{finding["line"]}: {finding["severity"]}: {finding["message"]} [{finding["id"]}]')
        any_error = False
        for f in files:
            checked += 1
            want = expected(f)
            any_error = any_error or any(s == "error" for s, _ in got[f])
            if got[f] != want:
                failed += 1
                print(f"FAIL: {f}")
                print(f"  expected: {sorted(want)}")
                print(f"  got:      {sorted(got[f])}")
                for m in messages[f]:
                    print(f"    {m}")
        if (run.returncode == 9) != any_error:
            failed += 1
            print(f"FAIL: {system}: exit code {run.returncode} with errors={any_error}")
    print(f"{checked} scripts checked, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
