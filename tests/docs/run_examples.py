#!/usr/bin/python3
"""Runs every mlsub example shown with its output in README.md and docs/,
and compares the output, so that the documentation cannot go stale.

The convention (docs/README.md): a fenced block marked `console` holds one
or more commands, each on a line that starts with `$ mlsub `, and below
each the output it prints: stdout, then stderr. A command may end with
`> /dev/null` to show only stderr. Commands run without a shell, from the
repository's root, with the built binary and the repository's systems/ and
templates/, and without the user's configuration. Other blocks are not run.

    run_examples.py ROOT FILE...     compare; exit 1 on a difference
    MLSUB_APPROVE=1 run_examples.py ROOT FILE...   rewrite the blocks

$MLSUB names the binary.
"""

import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^(\s*)```console\s*$")


def run(command, root, env):
    words = shlex.split(command)
    quiet = words[-2:] == [">", "/dev/null"]
    if quiet:
        words = words[:-2]
    if not words or words[0] != "mlsub":
        raise ValueError(f"a console block runs only mlsub commands: {command}")
    if any(w in ("|", ">", "<", ">>", "&&", ";") for w in words):
        raise ValueError(f"not runnable without a shell: {command}")
    result = subprocess.run([os.environ["MLSUB"]] + words[1:], cwd=root, env=env,
                            capture_output=True, text=True, errors="replace")
    return ("" if quiet else result.stdout) + result.stderr


def process(path, root, env, approve):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out, failures, count = [], 0, 0
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        out.append(lines[i])
        i += 1
        if not m:
            continue
        indent = m.group(1)
        body = []
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        closing = lines[i] if i < len(lines) else indent + "```"
        i += 1
        # Split the block into (command, shown output) pairs.
        pairs, current = [], None
        for line in body:
            if line.startswith("$ "):
                current = [line[2:], []]
                pairs.append(current)
            elif current is not None:
                current[1].append(line)
        new_body = []
        for command, shown in pairs:
            count += 1
            got = run(command, root, env).rstrip("\n").split("\n")
            if got == [""]:
                got = []
            if got != shown and not approve:
                failures += 1
                print(f"FAIL: {path}: $ {command}")
                for d in difflib.unified_diff(shown, got, "shown", "printed now", lineterm=""):
                    print("  " + d)
            new_body += ["$ " + command] + got
        out += [indent + l if l else l for l in new_body]
        out.append(closing)
    if approve:
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(out))
    return count, failures


def main():
    root = os.path.abspath(sys.argv[1])
    approve = os.environ.get("MLSUB_APPROVE") == "1"
    home = tempfile.mkdtemp()
    env = {k: v for k, v in os.environ.items()
           if k not in ("MLSUB_ACCOUNT", "SBATCH_ACCOUNT", "MLSUB_SYSTEMS_PATH",
                        "MLSUB_DATA_DIR", "MLSUB_JOURNAL", "XDG_CONFIG_HOME", "XDG_DATA_HOME")}
    env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"), COLUMNS="80",
               MLSUB_PROJECT_CONFIG="")  # no .mlsub.yaml of the reader's
    total = failed = 0
    for path in sys.argv[2:]:
        count, failures = process(path, root, env, approve)
        total += count
        failed += failures
    print(f"{total} examples run, {failed} differ" + (" (approved)" if approve else ""))
    if total == 0:
        print("FAIL: no examples found")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
