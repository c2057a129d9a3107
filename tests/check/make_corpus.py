#!/usr/bin/python3
"""Writes tests/check/corpus/<system>/*.sbatch: batch scripts in the styles
people write them (site documentation examples, forum posts, scripts that
grew by hand), right and wrong, with the findings `mlsub check` must report.

Each file states what it expects in comment lines at its top:

    # expect: error gpu-syntax
    # expect: warning memory
    # expect: clean

(a comment does not end sbatch's #SBATCH scan, so these change nothing).
The set of (severity, id) pairs must equal what `mlsub check --json
--system <directory name>` reports; tests/check/run_corpus.py compares.

The expectations are written here by hand for each case and site, not
taken from mlsub. Beside the generated NN-*.sbatch files, each system's
folder holds hand-written scripts in the style of its site's documentation
and of questions users post (site-*.sbatch, forum-*.sbatch), with their
expectations written the same way. Regenerate after editing this file:

    /usr/bin/python3 tests/check/make_corpus.py
"""

import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))


class Site:
    def __init__(self, name, **kw):
        self.name = name
        self.__dict__.update(kw)

    def gpu(self, n, typ=None):
        """The site's own GPU directive value for n GPUs per node."""
        return self.gpu_fmt.format(type=typ or self.type, count=n)


def csc(name, **kw):
    return Site(name, acct="project_2001234", acct_bad="project_46000123",
                acct_placeholder="project_XXXXXXX", acct_missing="error",
                opt="gres", gpu_fmt="gpu:{type}:{count}", wrong_opt="gpus-per-node",
                wrong_value="{count}", untyped="gpu:{count}", launcher="torchrun", **kw)


def alps(name, normal_max, over_time, max_nodes):
    return Site(name, acct="a01", acct_bad=None, acct_placeholder="ACCOUNT",
                acct_missing="warning", opt="gpus-per-node", gpu_fmt="{count}",
                wrong_opt="gres", wrong_value="gpu:{count}", untyped="gh200:{count}",
                typed_is_format_warning=True, launcher="srun", type="gh200",
                bad_type="a100", case_type="GH200", gpn=4, cpg=72, cores=288,
                p_one="normal", p_node="normal", p_multi="normal", mem_one=None,
                mem_node=None, mem_per_gpu=None, max_time_one=normal_max,
                over_time=over_time, max_nodes=max_nodes, nodes_over_extra=[],
                modules=["# uenv or container: see the CSCS docs"], python="srun python3")


SITES = [
    Site("lumi", acct="project_465000123", acct_bad="project_2001234",
         acct_placeholder="project_46YXXXXXX", acct_missing="error", opt="gpus-per-node",
         gpu_fmt="{count}", wrong_opt="gres", wrong_value="gpu:{count}", untyped="mi250:{count}",
         typed_is_format_warning=True, launcher="srun", type="mi250", bad_type="v100",
         case_type="MI250", gpn=8, cpg=7, cores=56, p_one="small-g", p_node="standard-g",
         p_multi="standard-g", mem_one="60G", mem_node=None, mem_per_gpu="60G",
         max_time_one="3-00:00:00", over_time="4-00:00:00", max_nodes=1024,
         nodes_over_extra=[], modules=["module use /appl/local/laifs/modules",
                                       "module load lumi-aif-singularity-bindings"],
         python="python3"),
    csc("puhti", type="v100", bad_type="a100", case_type="V100", gpn=4, cpg=10, cores=40,
        p_one="gpu", p_node="gpu", p_multi="gpu", mem_one="64G", mem_node="256G",
        mem_per_gpu="64G", max_time_one="3-00:00:00", over_time="3-12:00:00", max_nodes=20,
        nodes_over_extra=["error gpus-limit", "error cpus-limit"],
        modules=["module purge", "module load pytorch"], python="python3"),
    csc("mahti", type="a100", bad_type="v100", case_type="A100", gpn=4, cpg=32, cores=128,
        p_one="gpusmall", p_node="gpumedium", p_multi="gpumedium", mem_one=None, mem_node=None,
        mem_per_gpu=None, max_time_one="1-12:00:00", over_time="2-00:00:00", max_nodes=6,
        nodes_over_extra=["error gpus-limit", "error cpus-limit"],
        modules=["module purge", "module load pytorch"], python="python3"),
    csc("roihu", type="gh200", bad_type="a100", case_type="GH200", gpn=4, cpg=72, cores=288,
        # gpumedium takes at most 4 GPUs; CSC's multi-node examples use gpularge.
        p_one="gpumedium", p_node="gpumedium", p_multi="gpularge", mem_one=None,
        mem_node=None, mem_per_gpu=None, max_time_one="1-12:00:00", over_time="2-00:00:00",
        max_nodes=10, nodes_over_extra=[], modules=["module purge", "module load pytorch"],
        python="python3"),
    Site("alvis", acct="NAISS2026-22-123", acct_bad="project_2001234",
         acct_placeholder="NAISSYYYY-RR-XXXX", acct_missing="error", opt="gpus-per-node",
         gpu_fmt="{type}:{count}", wrong_opt="gres", wrong_value="gpu:A100:{count}",
         untyped="{count}", launcher="torchrun", type="A100", bad_type="H100", case_type="a100",
         gpn=4, cpg=16, cores=64, p_one="alvis", p_node="alvis", p_multi="alvis", mem_one=None,
         mem_node=None, mem_per_gpu=None, max_time_one="7-00:00:00", over_time="8-00:00:00",
         max_nodes=20, nodes_over_extra=[],
         modules=["module purge", "module load PyTorch-bundle/2.1.2-foss-2023a-CUDA-12.1.1"],
         python="python3"),
    alps("alps-clariden", "12:00:00", "1-00:00:00", 1200),
    alps("alps-daint", "1-00:00:00", "1-12:00:00", 1022),
    alps("alps-santis", "1-00:00:00", "1-12:00:00", 430),
]


def d(opt, value=None, style="eq"):
    """One option in a given spelling: eq (--opt=v), sp (--opt v), short."""
    if value is None:
        return f"--{opt}"
    return f"--{opt}={value}" if style == "eq" else f"--{opt} {value}"


def script(header, directives, body, expect):
    lines = ["#!/bin/bash"]
    lines += [f"# {h}" for h in header]
    lines += [f"# expect: {e}" for e in (sorted(set(expect)) or ["clean"])]
    lines += directives
    lines += [""] + body + [""]
    return "\n".join(lines)


def sb(*parts):
    return "#SBATCH " + " ".join(parts)


def base(s, gpus=1, nodes=1, part=None, cpus=None, mem="default", time="2:00:00",
         acct="default", style="eq", gpu_value=None, gpu_opt=None, tasks=None):
    """The directives of a right job, varied by the keyword arguments."""
    part = part or (s.p_one if gpus == 1 and nodes == 1 else s.p_node if nodes == 1
                    else s.p_multi)
    per_task = s.launcher == "srun" and gpus > 1
    gpus = gpus // nodes  # from here on: per node
    if tasks is None:
        tasks = gpus if per_task else 1
    if cpus is None:
        cpus = s.cpg if per_task else s.cpg * gpus
    out = [sb(d("job-name", "train", style))]
    if acct == "default":
        acct = s.acct
    if acct:
        out.append(sb(d("account", acct, style)))
    out.append(sb(d("partition", part, style)))
    out.append(sb(d("time", time, style)))
    out.append(sb(d("nodes", nodes, style)))
    out.append(sb(d("ntasks-per-node", tasks, style)))
    out.append(sb(d("cpus-per-task", cpus, style)))
    if mem == "default":
        mem = s.mem_one if gpus == 1 and part == s.p_one else (
            s.mem_node if part != "small-g" else None)
        if s.mem_per_gpu and part == "small-g":
            mem = f"{60 * gpus}G"
        if s.name == "puhti":
            mem = f"{64 * gpus}G"
    if mem:
        out.append(sb(d("mem", mem, style)))
    out.append(sb(d(gpu_opt or s.opt, gpu_value or s.gpu(gpus), style)))
    return out


def body(s, gpus=1, nodes=1, launch="default"):
    out = ["set -eo pipefail", ""] + s.modules + [""]
    out += ["export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK"]
    if launch == "default":
        launch = "single" if gpus == 1 and nodes == 1 else s.launcher
    if launch == "single":
        out += [f"{s.python} train.py --epochs 10"]
    elif launch == "plain":
        out += ["python3 train.py --epochs 10"]
    elif launch == "srun":
        out += ["export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)",
                "export MASTER_PORT=29500",
                "srun bash -c 'RANK=$SLURM_PROCID LOCAL_RANK=$SLURM_LOCALID "
                "WORLD_SIZE=$SLURM_NTASKS python3 train.py'"]
    elif launch == "torchrun":
        out += ["export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n 1)",
                f"srun torchrun --nnodes=$SLURM_NNODES --nproc_per_node={gpus // nodes} "
                "--rdzv_backend=c10d --rdzv_endpoint=$MASTER_ADDR:29500 train.py"]
    elif launch == "torchrun-no-srun":
        out += [f"torchrun --standalone --nproc_per_node={gpus // nodes} train.py"]
    return out


def cases(s):
    """(name, header comments, directives, body, expected findings)."""
    n = s.gpn
    full = dict(gpus=n)
    # A typed request where the site's format has no type: a format warning too.
    typed_warn = ["warning gpu-syntax"] if getattr(s, "typed_is_format_warning", False) else []
    mem_warn_when_unset = ["warning memory"] if s.name in ("lumi", "puhti") else []
    yield ("right-1gpu", ["A single-GPU job as the site's guide writes it."], base(s),
           body(s), [])
    short = [sb("-J", "train"), sb("-A", s.acct), sb("-p", s.p_one), sb("-t", "2:00:00"),
             sb("-N", "1"), sb("-n", "1"), sb(f"-c {s.cpg}")]
    if s.mem_one:
        short.append(sb(d("mem", s.mem_one)))
    short.append(sb(d(s.opt, s.gpu(1), "sp")))
    yield ("right-short-options", ["Short options, as in many forum answers."], short,
           body(s), [])
    yield ("right-full-node", [f"One full node ({n} GPUs), '--opt value' spelling."],
           base(s, style="sp", **full), body(s, **full), [])
    yield ("right-two-nodes", ["Two full nodes."], base(s, gpus=2 * n, nodes=2),
           body(s, gpus=2 * n, nodes=2), [])
    merged = base(s)
    merged = [merged[0] + " " + merged[1][len("#SBATCH "):] + "   # name and project"] + merged[2:]
    yield ("right-several-per-line", ["Several options on one line, a trailing comment."],
           merged, body(s), [])
    commented = base(s)[:3] + [f"# SBATCH --partition=nonexistent", "##SBATCH --mem=9T",
                               "  #SBATCH --time=99-00:00:00"] + base(s)[3:]
    yield ("right-commented-out", ["Lines that look like directives but are comments."],
           commented, body(s), [])
    after = body(s)
    after.insert(3, "#SBATCH --time=30-00:00:00")
    yield ("ignored-after-command",
           ["A directive after the first command: sbatch never reads it."],
           base(s), after, ["warning ignored-directive"])
    quoted = base(s)
    quoted[0] = '#SBATCH --job-name="my training run"'
    quoted.append("#SBATCH --output='logs/%x-%j.out' --error=logs/%x-%j.err")
    yield ("right-quoted-values", ["Quoted values with spaces."], quoted, body(s), [])
    yield ("right-at-time-limit", ["Exactly the partition's time limit."],
           base(s, time=s.max_time_one), body(s), [])
    yield ("wrong-gpu-syntax", ["The GPU request of another site."],
           base(s, gpu_opt=s.wrong_opt, gpu_value=s.wrong_value.format(count=1)), body(s),
           ["warning gpu-syntax"])
    yield ("wrong-gpu-syntax-node", ["Another site's GPU request, full node."],
           base(s, gpu_opt=s.wrong_opt, gpu_value=s.wrong_value.format(count=n), **full),
           body(s, **full), ["warning gpu-syntax"])
    yield ("wrong-gpu-format", ["The site's option in a form it does not document."],
           base(s, gpu_value=s.untyped.format(count=1)), body(s), ["warning gpu-syntax"])
    yield ("wrong-gpu-type", ["A GPU type this site does not have."],
           base(s, gpu_value=s.gpu_fmt.format(type=s.bad_type, count=1)
                if "{type}" in s.gpu_fmt else f"{s.bad_type}:1"), body(s),
           ["error gpu-type"] + typed_warn)
    yield ("wrong-gpu-type-case", ["The GPU type in the wrong case (Slurm is case-sensitive)."],
           base(s, gpu_value=s.gpu_fmt.format(type=s.case_type, count=1)
                if "{type}" in s.gpu_fmt else f"{s.case_type}:1"), body(s),
           ["error gpu-type"] + typed_warn)
    yield ("cpus-over", ["Twice the CPU cores per GPU the site allows."],
           base(s, cpus=2 * s.cpg), body(s), ["error cpus-per-gpu"] +
           (["error cpus-limit"] if s.name == "mahti" and 2 * s.cpg > 64 else []))
    yield ("cpus-far-under", ["One core for a GPU."], base(s, cpus=1), body(s),
           ["warning cpus-per-gpu"])
    no_cpus = [l for l in base(s) if "cpus-per-task" not in l]
    yield ("cpus-missing", ["No --cpus-per-task: one core per task."], no_cpus, body(s),
           ["warning cpus-per-gpu"])
    # Memory where the site assigns it, or no memory where it must be asked.
    if s.mem_per_gpu:
        yield ("memory-missing", ["No --mem where the site wants memory per GPU."],
               base(s, mem=None), body(s), ["warning memory"])
        yield ("memory-over-node", ["More memory than a node has."],
               base(s, mem="2T"), body(s), ["error memory"])
    else:
        yield ("memory-set", ["--mem where the site assigns memory with the GPUs."],
               base(s, mem="100G"), body(s), ["warning memory"])
        yield ("memory-per-cpu", ["--mem-per-cpu where the site assigns memory."],
               base(s) + ["#SBATCH --mem-per-cpu=4000"], body(s), ["warning memory"])
    if s.name == "lumi":
        yield ("memory-on-whole-node", ["--mem on standard-g, where nodes come whole."],
               base(s, mem="480G", **full), body(s, **full), ["warning memory"])
    yield ("time-over", ["Over the partition's time limit."], base(s, time=s.over_time),
           body(s), ["error time-limit"])
    t = [l if "--time" not in l else sb("-t", s.over_time) for l in base(s)]
    yield ("time-over-short", ["Over the time limit, with -t."], t, body(s),
           ["error time-limit"])
    yield ("nodes-over", ["More nodes than the partition allows."],
           base(s, gpus=(s.max_nodes + 1) * n, nodes=s.max_nodes + 1),
           body(s, gpus=(s.max_nodes + 1) * n, nodes=s.max_nodes + 1),
           ["error nodes-limit"] + s.nodes_over_extra)
    over = base(s, gpus=2 * n, nodes=1, gpu_value=s.gpu(2 * n),
                mem=s.mem_node if s.name != "puhti" else "256G")
    yield ("gpus-per-node-over", ["More GPUs per node than a node has."], over,
           body(s, gpus=2 * n), ["error gpus-limit"])
    yield ("account-missing", ["No --account."], base(s, acct=None), body(s),
           [f"{s.acct_missing} account"])
    yield ("account-placeholder", ["The placeholder of a generated script, never replaced."],
           base(s, acct=s.acct_placeholder), body(s), ["error account"])
    if s.acct_bad:
        yield ("account-wrong-form", ["Another site's project."], base(s, acct=s.acct_bad),
               body(s), ["error account"])
    indented = [("  " + l) if "--account" in l else l for l in base(s)]
    yield ("account-indented", ["An indented #SBATCH is a comment to sbatch."], indented,
           body(s), [f"{s.acct_missing} account"])
    yield ("single-process", [f"{n} GPUs, one python process."], base(s, **full),
           body(s, launch="plain", **full), ["warning single-process"])
    multi = base(s, gpus=2 * n, nodes=2)
    yield ("no-srun", ["Two nodes, torchrun without srun: the second node idles."], multi,
           body(s, gpus=2 * n, nodes=2, launch="torchrun-no-srun"), ["error no-srun"])
    yield ("two-nodes-single-process", ["Two nodes, one python process."], multi,
           body(s, gpus=2 * n, nodes=2, launch="plain"), ["error no-srun"])
    typo = [l.replace(s.p_one, s.p_one + "x") if "--partition" in l else l for l in base(s)]
    yield ("partition-typo", ["A partition the site does not have."], typo, body(s),
           ["error partition"])
    yield ("partition-missing", ["No partition."],
           [l for l in base(s) if "--partition" not in l], body(s), ["warning partition"])
    yield ("no-gpus", ["A GPU partition, but no GPUs asked for."],
           [l for l in base(s, mem=None) if f"--{s.opt}" not in l], body(s),
           ["warning no-gpus"] + (["warning memory"] if s.mem_per_gpu else []))
    typo = [l.replace("cpus-per-task", "cpu-per-task") for l in base(s)]
    yield ("option-typo", ["--cpu-per-task is not an sbatch option."], typo, body(s),
           ["error unknown-option", "warning cpus-per-gpu"])
    if s.name in ("lumi", "alvis"):
        uenv = base(s) + ["#SBATCH --uenv=pytorch/v2.8.0:/user-environment --view=default"]
        yield ("uenv-elsewhere", ["CSCS's uenv options on a site without the plugin."], uenv,
               body(s), ["error unknown-option"])
    late = ["cd \"$SLURM_SUBMIT_DIR\""] + base(s)
    yield ("all-after-command",
           ["Every directive after a command: sbatch reads none of them."], late, body(s),
           ["warning ignored-directive", "warning partition", "warning no-gpus",
            f"{s.acct_missing} account"] + mem_warn_when_unset)
    prefix = [l.replace("--partition", "--part").replace("--ntasks-per-node", "--ntasks-per-n")
              for l in base(s)]
    yield ("right-option-prefixes", ["Unambiguous prefixes, which sbatch's getopt accepts."],
           prefix, body(s), [])


def main():
    root = os.path.join(HERE, "corpus")
    for s in SITES:
        folder = os.path.join(root, s.name)
        os.makedirs(folder, exist_ok=True)
        # Only the generated files (NN-name.sbatch) are replaced; the
        # hand-written ones (named after where their style comes from) stay.
        for old in os.listdir(folder):
            if re.match(r"^[0-9]{2}-.*\.sbatch$", old):
                os.remove(os.path.join(folder, old))
        for i, (name, header, directives, lines, expect) in enumerate(cases(s), 1):
            text = script(header, directives, lines, expect)
            with open(os.path.join(root, s.name, f"{i:02d}-{name}.sbatch"), "w") as f:
                f.write(text)


if __name__ == "__main__":
    main()
