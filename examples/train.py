#!/usr/bin/env python3
"""A small PyTorch training script that runs the way mlsub launches it.

One process per GPU (mlsub's srun launcher) or a single process (1 GPU):
the rank and world size come from the environment the batch script sets
(RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). Without a GPU it
trains on the CPU, so it also runs on a laptop:

    python3 examples/train.py --epochs 2
"""
import argparse
import os


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    import torch
    import torch.distributed as dist

    rank = int(os.environ.get("RANK", 0))
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    world_size = int(os.environ.get("WORLD_SIZE", 1))
    if torch.cuda.is_available():  # also true for ROCm builds on LUMI
        device = torch.device("cuda", local_rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
        backend = "nccl"
    else:
        device = torch.device("cpu")
        backend = "gloo"
    if world_size > 1:
        dist.init_process_group(backend, rank=rank, world_size=world_size)

    # Data loader workers: mlsub reserves CPUs per task; use them.
    workers = int(os.environ.get("SLURM_CPUS_PER_TASK", 1))
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(32, 256), torch.nn.ReLU(), torch.nn.Linear(256, 1)
    ).to(device)
    if world_size > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr)

    x = torch.randn(4096, 32)
    y = x.sum(dim=1, keepdim=True)
    data = torch.utils.data.TensorDataset(x, y)
    sampler = (
        torch.utils.data.distributed.DistributedSampler(data)
        if world_size > 1
        else None
    )
    loader = torch.utils.data.DataLoader(
        data,
        batch_size=args.batch_size,
        sampler=sampler,
        shuffle=sampler is None,
        num_workers=min(4, max(0, workers - 1)),
    )
    for epoch in range(args.epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        total = 0.0
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            loss = torch.nn.functional.mse_loss(model(xb), yb)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item()
        if rank == 0:
            print(f"epoch {epoch}: loss {total / len(loader):.4f} "
                  f"({world_size} process(es) on {device.type})", flush=True)
    # Every rank reports the parameters it ended with: under DDP they agree.
    checksum = sum(float(p.detach().double().sum()) for p in model.parameters())
    print(f"rank {rank}/{world_size} parameters {checksum:.10f}", flush=True)
    if world_size > 1:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
