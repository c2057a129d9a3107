"""The lab's `accelerate` (Hugging Face Accelerate has no Debian package and
PyPI is out of reach): `accelerate launch` as a multi-node Slurm job starts
it, checked against the job, then run as Accelerate runs a script.

    accelerate launch [--multi_gpu] --num_machines N --machine_rank R \
        --main_process_ip IP --main_process_port PORT --num_processes P \
        [other options] SCRIPT [ARGS...]

Checks (a mismatch prints "accelerate (lab): ..." and exits 2):
- --num_machines is the job's node count ($SLURM_NNODES), --machine_rank is
  this node's ($SLURM_NODEID: each node must get its own, so the argument
  has to be expanded on the node, not in the batch script);
- --main_process_ip names the job's first node (its name or address) and
  --main_process_port is a port number;
- --num_processes (all machines together, as Accelerate counts it) is a
  multiple of --num_machines, and one node's share is at most the GPUs this
  task can see.
Then, as Accelerate's launcher does: one process (no --multi_gpu, one
process in all) runs the script directly; otherwise torch.distributed.run
starts num_processes/num_machines processes on this node with a static
rendezvous at IP:PORT (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR,
MASTER_PORT in their environment).
Source for the options: https://huggingface.co/docs/accelerate/package_reference/cli
"""
import os
import subprocess
import sys


def die(msg):
    print(f"accelerate (lab): {msg}", file=sys.stderr)
    sys.exit(2)


VALUED = {"--num_machines", "--machine_rank", "--main_process_ip", "--main_process_port",
          "--num_processes", "--mixed_precision", "--config_file", "--rdzv_backend",
          "--gpu_ids", "--dynamo_backend", "--num_cpu_threads_per_process", "--same_network",
          "--deepspeed_config_file", "--main_training_function"}
FLAGS = {"--multi_gpu", "--cpu", "--use_deepspeed", "--use_fsdp", "--debug", "-m", "--module",
         "--no_python", "--quiet", "-q"}


def visible():
    if os.environ.get("LAB_NO_GPU"):
        return 0
    for var in ("ROCR_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES"):
        if var in os.environ:
            return len([d for d in os.environ[var].split(",") if d])
    return 0


def main():
    args = sys.argv[1:]
    if not args or args[0] != "launch":
        die("only `accelerate launch` is emulated")
    args.pop(0)
    opts, flags = {}, set()
    while args and args[0].startswith("-"):
        a = args.pop(0)
        if "=" in a:
            a, v = a.split("=", 1)
        elif a in VALUED:
            if not args:
                die(f"{a} needs a value")
            v = args.pop(0)
        elif a in FLAGS:
            flags.add(a)
            continue
        else:
            die(f"unknown option {a}")
        if a not in VALUED:
            die(f"unknown option {a}")
        opts[a] = v
    if not args:
        die("no training script")
    script, script_args = args[0], args[1:]

    def num(opt, default=None):
        v = opts.get(opt, default)
        if v is None:
            die(f"{opt} is missing")
        try:
            return int(v)
        except ValueError:
            die(f"{opt}={v!r} is not a number")

    machines = num("--num_machines", "1")
    procs = num("--num_processes", "1")
    nnodes = int(os.environ.get("SLURM_NNODES", "1"))
    if machines != nnodes:
        die(f"--num_machines={machines}, but the job has {nnodes} node(s)")
    if machines > 1 or "--machine_rank" in opts:
        rank = num("--machine_rank")
        nodeid = int(os.environ.get("SLURM_NODEID", "0"))
        if rank != nodeid:
            die(f"--machine_rank={rank} on node {os.environ.get('SLURMD_NODENAME')} whose "
                f"SLURM_NODEID is {nodeid}")
    if machines > 1:
        ip = opts.get("--main_process_ip") or die("--main_process_ip is missing")
        port = num("--main_process_port")
        nodes = subprocess.run(["scontrol", "show", "hostnames", os.environ["SLURM_JOB_NODELIST"]],
                               capture_output=True, text=True, check=True).stdout.split()
        first = nodes[0]
        addr = subprocess.run(["scontrol", "show", "node", first], capture_output=True,
                              text=True).stdout
        addrs = {first} | {w.split("=", 1)[1] for w in addr.split() if w.startswith("NodeAddr=")}
        if ip not in addrs:
            die(f"--main_process_ip={ip} is not the job's first node {first} ({sorted(addrs)})")
        if not 0 < port < 65536:
            die(f"--main_process_port={port} is not a port")
    if procs % machines:
        die(f"--num_processes={procs} is not a multiple of --num_machines={machines}")
    per_node = procs // machines
    if per_node > max(visible(), 1):
        die(f"{per_node} process(es) per machine, but this task sees {visible()} GPU(s)")
    if procs > 1 and "--multi_gpu" not in flags and "--use_deepspeed" not in flags \
            and "--use_fsdp" not in flags:
        print("accelerate (lab): --num_processes > 1 without --multi_gpu: Accelerate chooses "
              "multi-GPU itself", file=sys.stderr)

    if procs == 1:
        os.execv(sys.executable, [sys.executable, script] + script_args)
    run = ["--nnodes", str(machines), "--nproc_per_node", str(per_node)]
    if machines > 1:
        run += ["--node_rank", str(num("--machine_rank")), "--master_addr",
                opts["--main_process_ip"], "--master_port", str(num("--main_process_port"))]
    else:
        run += ["--standalone"]
    os.execv(sys.executable, [sys.executable, "-m", "torch.distributed.run"] + run
             + [script] + script_args)


if __name__ == "__main__":
    main()
