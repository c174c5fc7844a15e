"""Collectives over the default process group, with PyTorch's names and signatures:
``all_reduce``, ``broadcast``, ``all_gather``, ``barrier``, and the picklable-object
versions ``all_gather_object`` and ``broadcast_object_list``.

Tensors change in place (their array; gradients are not tracked through a collective, as in
PyTorch). A NumPy array may be given instead of a Tensor. Every rank must make the same calls
in the same order with arrays of the same shape and dtype, or MPI waits (or fails).
"""

from __future__ import annotations

import enum

import numpy as np

from gradlab.distributed.process_group import default_comm

__all__ = [
    "ReduceOp",
    "all_gather",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object_list",
]


class ReduceOp(enum.Enum):
    """How ``all_reduce`` combines the ranks' values, elementwise (``AVG``: the mean)."""

    SUM = "SUM"
    AVG = "AVG"
    PRODUCT = "PROD"
    MIN = "MIN"
    MAX = "MAX"
    BAND = "BAND"
    BOR = "BOR"
    BXOR = "BXOR"


class _Work:
    """What ``async_op=True`` returns; the collective has already completed."""

    def wait(self, timeout=None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True


def _array(tensor, where: str) -> np.ndarray:
    """The array of ``tensor`` (a Tensor or ndarray), written in place by the collective."""
    array = tensor.numpy() if hasattr(tensor, "numpy") and not isinstance(tensor, np.ndarray) \
        else tensor  # fmt: skip
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{where}: expected a Tensor or a NumPy array, got {type(tensor).__name__}")
    if not array.flags.c_contiguous or not array.flags.writeable:
        raise ValueError(f"{where}: the tensor must be contiguous and writable")
    return array


def _done(async_op: bool):
    return _Work() if async_op else None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Replace ``tensor`` on every rank by the reduction (``op``) of all ranks' values."""
    from mpi4py import MPI

    array = _array(tensor, "all_reduce")
    if not isinstance(op, ReduceOp):
        raise TypeError(f"all_reduce: op must be a ReduceOp, got {op!r}")
    comm = default_comm()
    if op is ReduceOp.AVG:
        if array.dtype.kind != "f":
            raise TypeError(f"all_reduce: ReduceOp.AVG needs a float tensor, got {array.dtype}")
        comm.Allreduce(MPI.IN_PLACE, array, op=MPI.SUM)
        array /= comm.size
    else:
        comm.Allreduce(MPI.IN_PLACE, array, op=getattr(MPI, op.value))
    return _done(async_op)


def broadcast(tensor, src=0, group=None, async_op=False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every other rank."""
    array = _array(tensor, "broadcast")
    comm = default_comm()
    if not 0 <= src < comm.size:
        raise ValueError(f"broadcast: src={src} is not a rank (world size {comm.size})")
    comm.Bcast(array, root=src)
    return _done(async_op)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Fill ``tensor_list`` (world_size tensors shaped like ``tensor``) with every rank's
    ``tensor``, in rank order."""
    array = _array(tensor, "all_gather")
    comm = default_comm()
    if len(tensor_list) != comm.size:
        raise ValueError(
            f"all_gather: tensor_list has {len(tensor_list)} tensors, expected world size "
            f"{comm.size}"
        )
    gathered = np.empty((comm.size, *array.shape), dtype=array.dtype)
    comm.Allgather(array, gathered)
    for i, out in enumerate(tensor_list):
        _array(out, "all_gather")[...] = gathered[i]
    return _done(async_op)


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank has called ``barrier``."""
    default_comm().Barrier()
    return _done(async_op)


def all_gather_object(object_list, obj, group=None) -> None:
    """Fill ``object_list`` (a list of world_size items) with every rank's picklable
    ``obj``, in rank order. (Pickle: use it only between processes of one job.)"""
    gathered = default_comm().allgather(obj)
    if len(object_list) != len(gathered):
        raise ValueError(
            f"all_gather_object: object_list has {len(object_list)} items, expected world "
            f"size {len(gathered)}"
        )
    object_list[:] = gathered


def broadcast_object_list(object_list, src=0, group=None) -> None:
    """Replace the items of ``object_list`` on every rank by rank ``src``'s."""
    object_list[:] = default_comm().bcast(list(object_list), root=src)
