"""A PyTorch-style training loop with DistributedDataParallel and DistributedSampler.

Usage: python raw_loop.py OUT_DIR GLOBAL_BATCH EPOCHS. Under mpiexec each rank takes
GLOBAL_BATCH / world_size samples per step; as one process (no launcher) it trains on
GLOBAL_BATCH samples per step without a process group. Writes OUT_DIR/weights-RANK.npy.
"""

import sys
from pathlib import Path

import numpy as np

import gradlab
import gradlab.distributed as dist
from gradlab import nn, optim
from gradlab.data import DataLoader, TensorDataset

out, global_batch, epochs = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
distributed = dist.launched_world_size() > 1
if distributed:
    dist.init_process_group(backend="mpi")
rank = dist.get_rank() if distributed else 0
world = dist.get_world_size() if distributed else 1

rng = np.random.default_rng(0)
x = rng.normal(size=(64, 5)).astype(np.float32)
y = rng.integers(0, 3, 64)
gradlab.manual_seed(rank)  # another init on each rank: DDP must broadcast rank 0's weights
net = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
model = dist.DistributedDataParallel(net) if distributed else net
optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
dataset = TensorDataset(x, y)
sampler = dist.DistributedSampler(dataset, shuffle=False) if distributed else None
loader = DataLoader(dataset, batch_size=global_batch // world, sampler=sampler)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(epochs):
    if sampler is not None:
        sampler.set_epoch(epoch)
    for xb, yb in loader:
        optimizer.zero_grad()
        loss_fn(model(xb), yb).backward()
        optimizer.step()
out.mkdir(parents=True, exist_ok=True)
np.save(out / f"weights-{rank}.npy", np.concatenate([p.numpy().ravel() for p in net.parameters()]))
