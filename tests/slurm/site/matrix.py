#!/usr/bin/python3
"""The site-job matrix: site x launcher x size x environment x requeue.

    matrix.py full|pairwise

prints one cell a line: SITE LAUNCHER SIZE ENV REQUEUE. `full` is every
valid cell; `pairwise` a subset in which every pair of values of any two
factors occurs at least once (greedy all-pairs, deterministic, starting
from the MUST cells), for CI.
Valid: the python launcher (one process) only with 1 GPU.
"""
import itertools
import sys

SITES = ["lumi", "alps-clariden", "alvis", "roihu"]
LAUNCHERS = ["srun", "torchrun", "accelerate", "python"]
SIZES = ["1gpu", "node", "2nodes"]
ENVS = ["default", "container", "venv"]
REQUEUE = ["off", "on"]
FACTORS = [SITES, LAUNCHERS, SIZES, ENVS, REQUEUE]


def valid(cell):
    site, launcher, size, env, requeue = cell
    return launcher != "python" or size == "1gpu"


def cost(cell):
    """Prefer cheap cells (fewer processes, no requeue wait)."""
    site, launcher, size, env, requeue = cell
    procs = {"1gpu": 1, "node": 8 if site == "lumi" else 4, "2nodes": 4}[size]
    return procs + (6 if requeue == "on" else 0)


def pairs(cell):
    return {(i, cell[i], j, cell[j]) for i, j in itertools.combinations(range(len(cell)), 2)}


# Always in the subset: the headline jobs, `mlsub plan --system lumi
# --gpus 8` and `--system alps-clariden --gpus 4` with no other flag.
MUST = [("lumi", "srun", "node", "default", "off"),
        ("alps-clariden", "srun", "node", "default", "off")]


def pairwise(cells):
    need = set()
    for c in cells:
        need |= pairs(c)
    chosen = list(MUST)
    for c in MUST:
        need -= pairs(c)
    while need:
        best = max(cells, key=lambda c: (len(pairs(c) & need), -cost(c)))
        chosen.append(best)
        need -= pairs(best)
    return chosen


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "pairwise"
    cells = [c for c in itertools.product(*FACTORS) if valid(c)]
    if mode == "pairwise":
        cells = pairwise(cells)
    elif mode != "full":
        raise SystemExit(__doc__)
    for c in cells:
        print(" ".join(c))


if __name__ == "__main__":
    main()
