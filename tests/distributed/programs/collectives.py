"""Every collective and DDP's no_sync on the ranks of an MPI job; prints "ok RANK"."""

import numpy as np

import gradlab
import gradlab.distributed as dist
from gradlab import nn

dist.init_process_group(backend="mpi", world_size=2)
rank, world = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and world == 2

t = gradlab.tensor([1.0, 2.0]) * (rank + 1)
dist.all_reduce(t)
assert t.numpy().tolist() == [3.0, 6.0]
for op, expected in [(dist.ReduceOp.MAX, 2.0), (dist.ReduceOp.MIN, 1.0),
                     (dist.ReduceOp.PRODUCT, 2.0), (dist.ReduceOp.AVG, 1.5)]:  # fmt: skip
    a = np.array([rank + 1.0])
    assert dist.all_reduce(a, op=op, async_op=True).wait()
    assert a[0] == expected, (op, a)
b = gradlab.tensor([float(rank)] * 3)
dist.broadcast(b, src=1)
assert b.numpy().tolist() == [1.0, 1.0, 1.0]
gathered = [np.zeros(2) for _ in range(world)]
dist.all_gather(gathered, np.array([rank, 10.0 * rank]))
assert [g.tolist() for g in gathered] == [[0, 0], [1, 10]]
objects = [None, None]
dist.all_gather_object(objects, {"rank": rank})
assert objects == [{"rank": 0}, {"rank": 1}]
box = [f"from {rank}"]
dist.broadcast_object_list(box, src=0)
assert box == ["from 0"]
dist.barrier()

# DDP: no_sync accumulates locally; the next synchronized backward averages the sum
gradlab.manual_seed(rank)
ddp = dist.DistributedDataParallel(nn.Linear(3, 1))
w = ddp.module.weight
x = gradlab.tensor(np.full((1, 3), rank + 1.0, dtype=np.float32))
with ddp.no_sync():
    ddp(x).sum().backward()
assert np.allclose(np.asarray(w.grad), rank + 1.0)  # local only
ddp(x).sum().backward()
assert np.allclose(np.asarray(w.grad), 3.0)  # (2*1 + 2*2) / 2
with gradlab.no_grad():
    assert ddp(x).shape == (1, 1)
try:
    dist.init_process_group("mpi")
except ValueError as error:
    assert "twice" in str(error)
else:
    raise AssertionError("a second init_process_group must raise")
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"ok {rank}", flush=True)
