"""A data-parallel training program written the way the sites' guides write
theirs, for the lab's site-job matrix (tests/slurm/sitejobs.sh).

Its form follows (structure only; no code is copied):
- LUMI AI Guide, multi-GPU and multi-node training, ddp_visiontransformer.py:
  https://github.com/Lumi-supercomputer/LUMI-AI-Guide/tree/main/05-multi-gpu-and-node
- CSC, "Multi-GPU and multi-node machine learning":
  https://docs.csc.fi/support/tutorials/ml-multi/
- CSCS, PyTorch: https://docs.cscs.ch/software/ml/pytorch/
- C3SE alvis-intro, tutorial 6 and 7 (ddp.py):
  https://github.com/c3se/alvis-intro/tree/main/tutorial/7_multi_node_multi_gpu
that is: the launcher gives RANK, LOCAL_RANK and WORLD_SIZE in the
environment; `local_rank = int(os.environ["LOCAL_RANK"])`,
`torch.cuda.set_device(local_rank)`, `init_process_group`, a DataLoader
whose num_workers come from the environment, DistributedDataParallel.

The lab has no GPUs and Debian's torch has no CUDA, so:
- `torch.cuda.set_device(local_rank)` is emulated by set_device() below,
  which fails as CUDA/HIP does ("invalid device ordinal") when local_rank is
  not below the number of devices the process can see; that number comes
  from the variable Slurm sets on the site (CUDA_VISIBLE_DEVICES, or
  ROCR_VISIBLE_DEVICES on LUMI, which HIP_VISIBLE_DEVICES/CUDA_VISIBLE_DEVICES
  then index), and is 0 in a container started without the GPU flag;
- DDP runs on the CPU with the gloo backend;
- the DataLoader starts at most LAB_MAX_LOADER_WORKERS (default 2) worker
  processes (the lab machine has 2 cores); the number the environment asks
  for is what the CPU invariant checks.

Invariants, each reported as one line
  LAB-INVARIANT <name> ok|FAILED rank=R node=N: detail
(a FAILED line makes the program exit 3):
  torch-import   torch imports (the site's PyTorch environment is active)
  venv-active    with --expect-venv: the virtual environment's own package
                 (labvenv) imports, in every process
  gpu-visible    LOCAL_RANK indexes a device this process can see
  gpu-distinct   no two processes on a node drive the same device
  cpu-threads    OMP_NUM_THREADS x processes on the node <= the job's CPUs there
  cpu-workers    DataLoader workers x processes on the node <= the job's CPUs
  ranks-agree    all ranks meet and end with identical parameters
  requeue-signal with --checkpoint: the checkpoint signal reaches every
                 training process (SIGUSR2 unless --signal)
  agent-alive    under torchrun (or accelerate, which runs torchrun): the
                 agent is still alive when the worker's checkpoint ends
  resumed        with --checkpoint: after the requeue the job resumes
"""
import argparse
import os
import signal
import socket
import sys
import time

# Install the checkpoint handler first: the signal may come early.
got_signal = {"at": None}


def _on_signal(signum, frame):
    if got_signal["at"] is None:
        got_signal["at"] = time.time()


ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=6)
ap.add_argument("--expect-venv", action="store_true")
ap.add_argument("--checkpoint", help="checkpoint file: train until the signal, then save and exit")
ap.add_argument("--signal", default="USR2")
ap.add_argument("--max-wait", type=float, default=170.0)
args = ap.parse_args()
signal.signal(getattr(signal, "SIG" + args.signal), _on_signal)
PARENT = os.getppid()  # under torchrun: the agent

NODE = os.environ.get("SLURMD_NODENAME") or socket.gethostname()
RANK = int(os.environ.get("RANK", "0"))
failed = []


def report(name, good, detail=""):
    status = "ok" if good else "FAILED"
    line = f"LAB-INVARIANT {name} {status} rank={RANK} node={NODE}: {detail}"
    sys.stdout.flush()
    os.write(1, ("\n" + line + "\n").encode())  # one write: several processes share the log
    if not good:
        failed.append(name)


def finish():
    sys.stdout.flush()
    if failed:
        os._exit(3)
    sys.exit(0)


try:
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    from torch.utils.data import DataLoader, TensorDataset
    from torch.utils.data.distributed import DistributedSampler
except ImportError as e:
    report("torch-import", False, f"{e} (python {sys.executable})")
    finish()
report("torch-import", True, f"torch {torch.__version__} from {sys.executable}")

if args.expect_venv:
    try:
        import labvenv
        report("venv-active", True, f"{labvenv.__file__}")
    except ImportError as e:
        report("venv-active", False, f"{e} (python {sys.executable}, VIRTUAL_ENV="
                                     f"{os.environ.get('VIRTUAL_ENV', '')})")


def visible_devices():
    """The devices this process can see, as the GPU runtime would list them."""
    if os.environ.get("LAB_NO_GPU"):
        return []
    def split(v):
        return [d for d in v.split(",") if d != ""]
    if "ROCR_VISIBLE_DEVICES" in os.environ:  # ROCm: ROCR first, then HIP/CUDA index into it
        devs = split(os.environ["ROCR_VISIBLE_DEVICES"])
        for var in ("HIP_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES"):
            if var in os.environ:
                devs = [devs[int(i)] for i in split(os.environ[var]) if int(i) < len(devs)]
        return devs
    if "CUDA_VISIBLE_DEVICES" in os.environ:
        return split(os.environ["CUDA_VISIBLE_DEVICES"])
    return []  # the job has no GPU on this node


def set_device(local_rank):
    """Stands for torch.cuda.set_device(local_rank)."""
    devs = visible_devices()
    if local_rank >= len(devs):
        raise RuntimeError(f"CUDA error: invalid device ordinal (LOCAL_RANK={local_rank}, "
                           f"{len(devs)} visible device(s): {','.join(devs) or 'none'})")
    return devs[local_rank]


distributed = "WORLD_SIZE" in os.environ
if distributed:
    local_rank = int(os.environ["LOCAL_RANK"])
    world_size = int(os.environ["WORLD_SIZE"])
else:
    local_rank, world_size = 0, 1
try:
    device = set_device(local_rank)
    report("gpu-visible", True, f"LOCAL_RANK={local_rank} -> device {device} of {visible_devices()}")
except RuntimeError as e:
    device = None
    report("gpu-visible", False, str(e))

if distributed:
    dist.init_process_group(backend="gloo", rank=RANK, world_size=world_size)
    everyone = [None] * world_size
    dist.all_gather_object(everyone, (NODE, device, os.getpid()))
else:
    everyone = [(NODE, device, os.getpid())]

mine = [e for e in everyone if e[0] == NODE]
devices = [e[1] for e in mine if e[1] is not None]
report("gpu-distinct", len(devices) == len(set(devices)),
       f"devices of the {len(mine)} process(es) on {NODE}: {[e[1] for e in mine]}")

cpus = int(os.environ.get("SLURM_CPUS_ON_NODE", os.cpu_count()))
procs = len(mine)
threads = int(os.environ.get("OMP_NUM_THREADS", cpus))
workers = int(os.environ.get("MLSUB_NUM_WORKERS", os.environ.get("SLURM_CPUS_PER_TASK", "0")))
report("cpu-threads", threads * procs <= cpus,
       f"OMP_NUM_THREADS={threads} x {procs} process(es) vs {cpus} CPUs of the job on {NODE}")
report("cpu-workers", workers * procs <= cpus,
       f"num_workers={workers} x {procs} process(es) vs {cpus} CPUs of the job on {NODE}")

# The training itself.
torch.manual_seed(1234)
data = TensorDataset(torch.randn(256, 16), torch.randn(256, 1))
sampler = DistributedSampler(data) if distributed else None
loader = DataLoader(data, batch_size=16, sampler=sampler, shuffle=sampler is None,
                    num_workers=min(workers, int(os.environ.get("LAB_MAX_LOADER_WORKERS", "2"))))
model = torch.nn.Linear(16, 1)
if distributed:
    model = DistributedDataParallel(model)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
start_step = 0
restarts = int(os.environ.get("SLURM_RESTART_COUNT", "0"))
if args.checkpoint and os.path.exists(args.checkpoint):
    state = torch.load(args.checkpoint)
    (model.module if distributed else model).load_state_dict(state["model"])
    start_step = state["step"]
    report("resumed", restarts >= 1, f"from step {start_step}, restart {restarts}")
    args.checkpoint_done = True
else:
    args.checkpoint_done = False


def one_epoch():
    for x, y in loader:
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()


def stop_everywhere(local_stop):
    if not distributed:
        return local_stop
    t = torch.tensor([1 if local_stop else 0])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


step = start_step
agent = PARENT if os.environ.get("TORCHELASTIC_RUN_ID") else None
if args.checkpoint and not args.checkpoint_done:
    # Train until the checkpoint signal (at most --max-wait seconds).
    begin = time.time()
    while not stop_everywhere(got_signal["at"] is not None or time.time() - begin > args.max_wait):
        one_epoch()
        step += 1
        time.sleep(0.2)
    # The signal reaches every process of the step: wait a moment for ours.
    for _ in range(50):
        if got_signal["at"] is not None:
            break
        time.sleep(0.1)
    report("requeue-signal", got_signal["at"] is not None,
           f"SIG{args.signal} {'arrived' if got_signal['at'] else 'never arrived'} in pid {os.getpid()}")
    if RANK == 0:
        time.sleep(2)  # a checkpoint takes a while
        torch.save({"step": step, "model": (model.module if distributed else model).state_dict()},
                   args.checkpoint + ".tmp")
        os.replace(args.checkpoint + ".tmp", args.checkpoint)
    else:
        time.sleep(2)
    if agent is not None:
        alive = os.getppid() == agent
        try:
            os.kill(agent, 0)
        except OSError:
            alive = False
        report("agent-alive", alive, f"torchrun agent pid {agent} "
                                     f"{'alive' if alive else 'gone'} after the checkpoint")
    print(f"LAB checkpoint at step {step} rank={RANK}", flush=True)
    finish()

for _ in range(args.steps):
    one_epoch()
    step += 1

params = torch.cat([p.detach().flatten() for p in model.parameters()])
digest = f"{float(params.double().sum()):.10f}/{float(params.double().abs().sum()):.10f}"
if distributed:
    sums = [None] * world_size
    dist.all_gather_object(sums, digest)
    report("ranks-agree", len(set(sums)) == 1 and len(sums) == world_size,
           f"{world_size} rank(s), parameter digests {sorted(set(sums))}")
    dist.destroy_process_group()
else:
    report("ranks-agree", True, f"1 process, parameters {digest}")
print(f"LAB done rank={RANK} world={world_size} steps={step}", flush=True)
finish()
