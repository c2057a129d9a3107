#!/usr/bin/python3
"""Runs `mlsub check --json --system SYSTEM` on every script of
tests/check/corpus/SYSTEM/ and compares the set of (severity, id) pairs it
reports for each file with the file's `# expect:` lines (see
make_corpus.py). Usage: run_corpus.py CORPUS_DIR [SYSTEM...]; $MLSUB names
the binary."""

import os
import sys

import checklib


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
        try:
            files, got, messages, rc = checklib.check_folder(mlsub, os.path.join(root, system),
                                                             system)
        except RuntimeError as e:
            print(f"FAIL: {e}")
            failed += 1
            continue
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
        if (rc == 9) != any_error:
            failed += 1
            print(f"FAIL: {system}: exit code {rc} with errors={any_error}")
    print(f"{checked} scripts checked, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
