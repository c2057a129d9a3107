#!/usr/bin/python3
"""mlsub check over the site corpus (tests/check/site-corpus/SYSTEM/*.sbatch):
GPU batch scripts written in the forms the sites publish, each naming the
page it follows. Each script's "# expect: SEVERITY ID" lines must be exactly
the findings `mlsub check --json --system SYSTEM` reports (no false finding,
none missed), and each must be followed by a "# because ..." line that says
what the site documents the script gets wrong. Without --system, check must
infer the script's own system, or (only for the Alps clusters, which share
partition names) say it cannot tell.

Prints the table of files and findings by class and compares it with the
copy in DOC (between the markers); MLSUB_APPROVE=1 rewrites the copy.
Usage: run_site_corpus.py CORPUS_DIR DOC; $MLSUB names the binary."""

import collections
import json
import os
import subprocess
import sys

import checklib

BEGIN = "<!-- site-corpus-table: begin (tests/check/run_site_corpus.py writes it) -->"
END = "<!-- site-corpus-table: end -->"


def expectations(path):
    want, problems = set(), []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if not lines[1].startswith("# Follows: "):
        problems.append("line 2 does not name the page it follows (# Follows: ...)")
    for i, line in enumerate(lines):
        if line.startswith("# expect: ") and line != "# expect: clean":
            severity, ident = line[len("# expect: "):].split()
            want.add((severity, ident))
            if i + 1 >= len(lines) or not lines[i + 1].startswith(f"# because {ident}"):
                problems.append(f"'{line}' has no '# because {ident}: ...' line after it")
    return want, problems


def table(rows, classes):
    head = "| system | scripts | clean | " + " | ".join(f"{s} {i}" for s, i in classes) + " |"
    out = [head, "|" + "---|" * (3 + len(classes))]
    totals = collections.Counter()
    for system, files, clean, counts in rows:
        totals["files"] += files
        totals["clean"] += clean
        cells = []
        for c in classes:
            totals[c] += counts[c]
            cells.append(str(counts[c]) if counts[c] else "")
        out.append(f"| {system} | {files} | {clean} | " + " | ".join(cells) + " |")
    out.append(f"| **all** | {totals['files']} | {totals['clean']} | " +
               " | ".join(str(totals[c]) for c in classes) + " |")
    return "\n".join(out)


def main():
    mlsub = os.environ["MLSUB"]
    root, doc = sys.argv[1], sys.argv[2]
    failed = 0
    rows = []
    classes = set()
    for system in sorted(os.listdir(root)):
        try:
            files, got, messages, _ = checklib.check_folder(mlsub, os.path.join(root, system),
                                                            system)
        except RuntimeError as e:
            print(f"FAIL: {e}")
            failed += 1
            continue
        counts = collections.Counter()
        clean = 0
        for f in files:
            want, problems = expectations(f)
            for p in problems:
                failed += 1
                print(f"FAIL: {f}: {p}")
            if got[f] != want:
                failed += 1
                print(f"FAIL: {f}\n  expected: {sorted(want)}\n  got:      {sorted(got[f])}")
                for m in messages[f]:
                    print(f"    {m}")
            counts.update(got[f])
            classes.update(got[f])
            clean += not got[f]
            # The system, inferred from the script alone.
            inferred = subprocess.run([mlsub, "check", "--json", f], capture_output=True,
                                      text=True)
            if inferred.returncode in (0, 9):
                systems = {x["system"] for x in json.loads(inferred.stdout)}
                if systems - {system}:
                    failed += 1
                    print(f"FAIL: {f}: inferred {sorted(systems)}, not {system}")
            elif not (inferred.returncode == 2 and system.startswith("alps-") and
                      "cannot tell the system" in inferred.stderr):
                failed += 1
                print(f"FAIL: {f}: without --system, exit {inferred.returncode}: "
                      f"{inferred.stderr.strip()}")
        rows.append((system, len(files), clean, counts))
    order = {"error": 0, "warning": 1, "note": 2}
    text = table(rows, sorted(classes, key=lambda c: (order[c[0]], c[1])))
    print(text)
    with open(doc, encoding="utf-8") as f:
        page = f.read()
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < 0:
        print(f"FAIL: {doc} has no table markers")
        return 1
    new = page[:start + len(BEGIN)] + "\n" + text + "\n" + page[end:]
    if new != page:
        if os.environ.get("MLSUB_APPROVE") == "1":
            with open(doc, "w", encoding="utf-8") as f:
                f.write(new)
            print(f"rewrote the table in {doc}")
        else:
            failed += 1
            print(f"FAIL: the table in {doc} is not this one; MLSUB_APPROVE=1 rewrites it")
    print(f"{sum(r[1] for r in rows)} scripts, {failed} failures")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
