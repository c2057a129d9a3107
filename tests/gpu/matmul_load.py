"""Load for tests/gpu/real_nvidia_smi.sh: matrix products on every GPU this
process sees for SECONDS, one process per GPU started here (argv: SECONDS)."""
import os
import sys
import time

import torch


def burn(index, seconds):
    torch.cuda.set_device(index)
    a = torch.randn(8192, 8192, device="cuda")
    b = torch.randn_like(a)
    end = time.time() + seconds
    while time.time() < end:
        for _ in range(20):
            a = a @ b
            a /= a.norm()
        torch.cuda.synchronize()


if __name__ == "__main__":
    seconds = float(sys.argv[1])
    n = torch.cuda.device_count()
    children = []
    for index in range(n):
        pid = os.fork()
        if pid == 0:
            burn(index, seconds)
            os._exit(0)
        children.append(pid)
    failed = sum(os.waitpid(pid, 0)[1] != 0 for pid in children)
    sys.exit(1 if failed or n == 0 else 0)
