#!/bin/bash
# Jobs that run on each site (issue 14): the software environment, GPUs and
# CPUs per process, launcher-looking programs, containers, requeue under
# torchrun, and which partitions plan chooses. One block per point of the
# issue's "What is wrong today"; each failed before the change.
. "$(dirname "$0")/lib.sh"

# The launch line of a script (the line that starts the program).
launch_line() { grep -E '^(srun|singularity|apptainer|python3|bash) ' "$out" | grep -v -- '--overlap' | tail -n 1; }

# 1. LUMI with no --container runs the program in the LUMI AI Factory image
# the AI Guide uses, with `singularity run IMAGE bash -c ...`, the bindings
# module loaded on the host; --explain says where PyTorch comes from.
run plan --system lumi --gpus 8 --account project_465000001 --explain train.py
expect_rc 0
expect_stdout_has "module use /appl/local/laifs/modules"
expect_stdout_has "module load lumi-aif-singularity-bindings"
expect_stdout_has "singularity run /appl/local/laifs/containers/lumi-multitorch-"
expect_stdout_has ".sif bash -c 'export RANK=\$SLURM_PROCID LOCAL_RANK=\$SLURM_LOCALID; exec \"\$@\"' mlsub-task python3 train.py"
expect_stdout_lacks "--rocm"
expect_stderr_has "LUMI AI Factory images"
expect_stderr_has "runs under the python3 of the container image"
if grep -q "which every site's PyTorch environment provides\|the site's software environment for PyTorch" "$err"; then
  bad "--explain still says the host provides PyTorch"
else ok; fi
# --container replaces the default image; the run verb and host module stay.
run plan --system lumi --gpus 1 --account project_465000001 --container my.sif train.py
expect_rc 0
expect_stdout_has "singularity run my.sif python3 train.py"
expect_stdout_lacks "lumi-multitorch"
expect_stdout_has "module load lumi-aif-singularity-bindings"
# --module picks a host environment instead: no image then.
run plan --system lumi --gpus 1 --account project_465000001 --module Local-CSC/default train.py
expect_rc 0
expect_stdout_lacks "singularity"

# 2. Alps with neither --uenv nor --edf: a one-line refusal showing both ways.
for system in alps-clariden alps-daint alps-santis; do
  run plan --system "$system" --gpus 4 train.py
  expect_rc 2
  expect_stderr_lines 1
  expect_stderr_has "--uenv pytorch/v2.9.1:/user-environment"
  expect_stderr_has "--edf FILE.toml"
  expect_stdout_empty
done
run plan --system alps-clariden --gpus 4 --uenv pytorch/v2.9.1:/user-environment train.py
expect_rc 0
expect_stdout_has "#SBATCH --uenv=pytorch/v2.9.1:/user-environment"

# 3. GPU visibility and LOCAL_RANK agree: on a full LUMI node every task
# keeps its CPU mask and sees all GCDs, so set_device(LOCAL_RANK) works.
run plan --system lumi --gpus 8 --account project_465000001 train.py
expect_stdout_has "--cpu-bind=mask_cpu:fe000000000000,"
expect_stdout_lacks "ROCR_VISIBLE_DEVICES=\$SLURM_LOCALID"
expect_stdout_lacks "CUDA_VISIBLE_DEVICES=\$SLURM_LOCALID"
for system in roihu alvis; do
  run plan --system "$system" --gpus 4 --launcher srun train.py
  expect_stdout_lacks "_VISIBLE_DEVICES=\$SLURM_LOCALID"
  expect_stdout_has "LOCAL_RANK=\$SLURM_LOCALID"
done

# 4. CPUs per process: under torchrun (and accelerate) each task starts one
# process per GPU, which share its CPUs. Evaluated as the job would.
cpus_of_one_process() {  # CPUS_PER_TASK: prints OMP_NUM_THREADS MLSUB_NUM_WORKERS
  SLURM_CPUS_PER_TASK=$1 bash -c "$(grep -E '^export (OMP_NUM_THREADS|MLSUB_NUM_WORKERS)=' "$out")
echo \$OMP_NUM_THREADS \$MLSUB_NUM_WORKERS"
}
run plan --system roihu --gpus 4 --account project_2001234 train.py
expect_stdout_has "#SBATCH --cpus-per-task=288"
got=$(cpus_of_one_process 288)
if [ "$got" = "72 72" ]; then ok; else bad "torchrun on Roihu: OMP_NUM_THREADS and workers are '$got', expected 72 each"; fi
run plan --system roihu --nodes 2 --gpus-per-node 4 --launcher accelerate --partition gpularge --account project_2001234 train.py
got=$(cpus_of_one_process 288)
if [ "$got" = "72 72" ]; then ok; else bad "accelerate: '$got', expected 72 each"; fi
run plan --system lumi --gpus 8 --account project_465000001 train.py
got=$(cpus_of_one_process 7)
if [ "$got" = "7 7" ]; then ok; else bad "srun on LUMI: '$got', expected 7 each"; fi

# 5. A program that is itself a launcher is refused with the fix (usage, 2).
for program in torchrun accelerate deepspeed /usr/bin/torchrun; do
  run plan --system roihu --gpus 4 "$program" train.py
  expect_rc 2
  expect_stderr_has "is itself a launcher"
  expect_stderr_has "use --launcher"
done
run plan --system roihu --gpus 4 python3 -- -m torch.distributed.run --nproc_per_node 4 train.py
expect_rc 2
expect_stderr_has "python3 -m torch.distributed.run"
expect_stderr_has "use --launcher torchrun"
run plan --system roihu --gpus 4 accelerate -- launch train.py
expect_rc 2
expect_stderr_has "use --launcher accelerate"

# 6. Containers the sites' way: no site PyTorch module on the host (only a
# module purge), the runtime's verb and flags, the venv inside, every task.
run plan --system roihu --gpus 4 --account project_2001234 --container pt.sif --venv venv train.py
expect_rc 0
expect_stdout_lacks "module load python-pytorch"
expect_stdout_has "module purge"
expect_stdout_has "apptainer exec --nv --bind=\"\$(csc-common-bind)\" pt.sif bash -c '"
expect_stdout_has "source \"\$1\"; shift; exec \"\$@\"' mlsub-task venv/bin/activate python3 -m torch.distributed.run"
if grep -q '^source ' "$out"; then bad "the venv is still activated on the host"; else ok; fi
run plan --system alvis --gpus 1 --account NAISS2024-22-219 --container pt.sif --venv venv train.py
expect_stdout_lacks "module load PyTorch-bundle"
expect_stdout_has "apptainer exec --nv pt.sif bash -c 'source \"\$1\"; shift; exec \"\$@\"' mlsub-task venv/bin/activate python3 train.py"
run plan --system alps-clariden --gpus 4 --edf ./pt.toml --venv venv train.py
expect_stdout_has "srun --mpi=pmix --network=disable_rdzv_get --environment=./pt.toml bash -c 'export RANK=\$SLURM_PROCID LOCAL_RANK=\$SLURM_LOCALID; source \"\$1\"; shift; exec \"\$@\"' mlsub-task venv/bin/activate python3 train.py"
run plan --system alps-clariden --gpus 4 --edf ./pt.toml --plain-edf --explain train.py
expect_stdout_has "srun --environment=./pt.toml bash -c"
expect_stderr_has "--plain-edf left out --mpi=pmix --network=disable_rdzv_get"
run plan --system alps-clariden --gpus 4 --uenv pytorch/v2.9.1:/user-environment --venv venv train.py
expect_stdout_has "mlsub-task venv/bin/activate python3 train.py"
run plan --system roihu --gpus 1 --plain-edf train.py
expect_rc 2

# 7. Debug and test partitions only when named; a note when the job fits.
run plan --system lumi --gpus 1 --time 0:20:00 --array 0-1 --account project_465000001 train.py
expect_rc 0
expect_stdout_has "#SBATCH --partition=small-g"
expect_stderr_has "would fit dev-g, which mlsub uses only when named (--partition dev-g)"
expect_stderr_has "2 jobs per user"
# A 10-task sweep would not fit dev-g's per-user cap at all: no note.
run plan --system lumi --gpus 1 --time 0:20:00 --sweep lr=0,1,2,3,4,5,6,7,8,9 --account project_465000001 train.py
expect_rc 0
expect_stdout_has "#SBATCH --partition=small-g"
if grep -q "dev-g" "$err"; then bad "a note about dev-g for an array over its cap"; else ok; fi
run plan --system alps-clariden --gpus 4 --time 0:20:00 --uenv pytorch/v2.9.1:/user-environment train.py
expect_stdout_has "#SBATCH --partition=normal"
expect_stderr_has "1 running and 2 submitted jobs per user"
for system in alps-daint alps-santis; do
  run plan --system "$system" --gpus 4 --time 0:20:00 --uenv pytorch/v2.9.1:/user-environment train.py
  expect_stdout_has "#SBATCH --partition=normal"
  expect_stderr_has "would fit debug"
done
run plan --system roihu --gpus 1 --time 0:10:00 --account project_2001234 train.py
expect_stdout_has "#SBATCH --partition=gpumedium"
expect_stderr_has "would fit gputest"
run plan --system lumi --gpus 1 --time 0:20:00 --partition dev-g --account project_465000001 train.py
expect_rc 0
expect_stdout_has "#SBATCH --partition=dev-g"

# 8. Requeue under torchrun: the agent ignores the checkpoint signal (the
# workers inherit that and set their own handler), so it outlives them.
# The task's own command is run here, with python3 in torchrun's place.
run plan --system roihu --gpus 4 --account project_2001234 --requeue-on-timeout 120 train.py
expect_rc 0
task_script=$(/usr/bin/python3 - "$out" <<'PY'
import shlex, sys
for line in open(sys.argv[1]):
    if line.startswith("srun ") and "torch.distributed.run" in line:
        words = shlex.split(line.split(" &")[0])
        print(words[words.index("-c") + 1])
PY
)
if [ -n "$task_script" ] && bash -c "$task_script" mlsub-task /usr/bin/python3 -c \
    'import signal, sys; sys.exit(signal.getsignal(signal.SIGUSR2) != signal.SIG_IGN)'; then
  ok
else
  bad "the torchrun task does not start with SIGUSR2 ignored: [$task_script]"
fi
run plan --system roihu --gpus 4 --account project_2001234 train.py
expect_stdout_lacks 'trap "" USR2'

# 9. Roihu: gpumedium takes at most 4 GPUs; more go to gpularge, with its
# access condition.
run plan --system roihu --gpus 8 --account project_2001234 train.py
expect_rc 0
expect_stdout_has "#SBATCH --partition=gpularge"
expect_stderr_has "gpularge needs access"
run plan --system roihu --gpus 8 --partition gpumedium --account project_2001234 train.py
expect_rc 3
expect_stderr_has "allows at most 4 GPUs per job"

# --launcher accelerate: one `accelerate launch` per node.
run plan --system lumi --nodes 2 --gpus-per-node 8 --launcher accelerate --account project_465000001 train.py -- --lr 1
expect_rc 0
expect_stdout_has "#SBATCH --ntasks-per-node=1"
expect_stdout_has "exec accelerate launch --machine_rank=\"\$SLURM_NODEID\" \"\$@\"' mlsub-task --multi_gpu --num_machines=\"\$SLURM_NNODES\" --num_processes=16 --main_process_ip=\"\$MASTER_ADDR\" --main_process_port=\"\$MASTER_PORT\" train.py --lr 1"

finish
