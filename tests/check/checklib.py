"""Shared by the corpus runners: one `mlsub check --json --system` run over a
folder of scripts."""

import os
import subprocess
import json


def check_folder(mlsub, folder, system):
    """(files, got, messages) for the *.sbatch of `folder`: got maps each
    file to its set of (severity, id), messages to its printed findings.
    Raises RuntimeError when mlsub check exits with neither 0 nor 9."""
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".sbatch"))
    run = subprocess.run([mlsub, "check", "--json", "--system", system] + files,
                         capture_output=True, text=True)
    if run.returncode not in (0, 9):
        raise RuntimeError(f"{system}: mlsub check exited {run.returncode}: {run.stderr}")
    got = {f: set() for f in files}
    messages = {f: [] for f in files}
    for x in json.loads(run.stdout):
        got[x["file"]].add((x["severity"], x["id"]))
        messages[x["file"]].append(f'{x["line"]}: {x["severity"]}: {x["message"]} [{x["id"]}]')
    return files, got, messages, run.returncode
