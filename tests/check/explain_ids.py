#!/usr/bin/python3
"""Every finding id that `mlsub check` can emit has a rationale with a
source (`mlsub check --explain ID`), and every id it explains is one it can
emit. The ids are read from the code that emits them: src/check.cpp (the
add(..., Severity::X, "id", ...) calls) and src/planner_limits.cpp (the
partition limits, "...-limit"). Usage: explain_ids.py SOURCE_DIR; $MLSUB
names the binary."""

import os
import re
import subprocess
import sys


def emitted(src):
    ids = set()
    with open(os.path.join(src, "src", "check.cpp"), encoding="utf-8") as f:
        ids |= set(re.findall(r'Severity::\w+,\s*"([a-z-]+)"', f.read()))
    with open(os.path.join(src, "src", "planner_limits.cpp"), encoding="utf-8") as f:
        ids |= set(re.findall(r'"([a-z]+-limit)"', f.read()))
    return ids


def main():
    mlsub = os.environ["MLSUB"]
    ids = emitted(sys.argv[1])
    failed = 0
    if len(ids) < 15:
        print(f"FAIL: only {len(ids)} ids found in the source: {sorted(ids)}")
        failed += 1
    for ident in sorted(ids):
        run = subprocess.run([mlsub, "check", "--explain", ident], capture_output=True, text=True)
        if run.returncode != 0 or "\nsource: " not in run.stdout or len(run.stdout) < 80:
            failed += 1
            print(f"FAIL: mlsub check --explain {ident}: exit {run.returncode}: "
                  f"{run.stdout}{run.stderr}")
    unknown = subprocess.run([mlsub, "check", "--explain", "no-such-id"], capture_output=True,
                             text=True)
    listed = set(re.findall(r"[a-z]+(?:-[a-z]+)*", unknown.stderr.split("the ids are", 1)[-1]))
    if unknown.returncode != 2 or not listed:
        failed += 1
        print(f"FAIL: --explain of an unknown id: exit {unknown.returncode}: {unknown.stderr}")
    elif listed != ids:
        failed += 1
        print(f"FAIL: explained but never emitted: {sorted(listed - ids)}; "
              f"emitted but not explained: {sorted(ids - listed)}")
    print(f"{len(ids)} finding ids, {failed} failures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
