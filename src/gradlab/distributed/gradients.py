"""Average the gradients of parameters over the process group in one all-reduce.

The gradients are packed into one flat buffer per dtype (the bucket), all-reduced in place,
divided by the world size and unpacked into each ``.grad`` in place: one MPI call per step
instead of one per parameter. A parameter without a gradient on a rank counts as a zero
gradient there; one without a gradient on every rank keeps ``grad`` None (so an optimizer
still skips it). The bucket is kept between steps (``GradientBucket``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["GradientBucket", "average_gradients"]


class GradientBucket:
    """Flat buffers for the gradients of ``params`` (a list of Tensors), one per dtype,
    each (sum of sizes + one "has a gradient" flag per parameter,)."""

    def __init__(self, params):
        self.params = [p for p in params if p.requires_grad]
        self._buffers: dict = {}
        self._groups: dict = {}
        for p in self.params:
            self._groups.setdefault(p.numpy().dtype, []).append(p)
        for dtype, group in self._groups.items():
            size = sum(p.numpy().size for p in group) + len(group)
            self._buffers[dtype] = np.empty(size, dtype=dtype)

    def average(self, comm) -> None:
        """All-reduce and average every parameter's gradient over ``comm`` in place."""
        from mpi4py import MPI

        for dtype, group in self._groups.items():
            flat = self._buffers[dtype]
            offset = 0
            for p in group:  # pack
                size = p.numpy().size
                if p.grad is None:
                    flat[offset : offset + size] = 0
                else:
                    flat[offset : offset + size] = np.asarray(p.grad).reshape(-1)
                offset += size
            flags = flat[offset:]
            flags[...] = [p.grad is not None for p in group]
            comm.Allreduce(MPI.IN_PLACE, flat, op=MPI.SUM)
            flat[:offset] /= comm.size
            offset = 0
            for i, p in enumerate(group):  # unpack
                size = p.numpy().size
                values = flat[offset : offset + size].reshape(p.numpy().shape)
                offset += size
                if p.grad is not None:
                    np.asarray(p.grad)[...] = values
                elif flags[i] > 0:  # a gradient on other ranks only: it gets one here too
                    p.grad = values.copy()


def average_gradients(params, comm=None) -> None:
    """Average the gradients of ``params`` over the process group (``comm``: the default
    group's communicator when None), in one all-reduce per dtype."""
    from gradlab.distributed.process_group import default_comm

    GradientBucket(list(params)).average(comm if comm is not None else default_comm())
