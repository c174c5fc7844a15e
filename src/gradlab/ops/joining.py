"""Joining and splitting tensors, and index grids: atleast_1d/2d/3d, hstack, vstack, dstack,
column_stack, meshgrid, broadcast_tensors, broadcast_shapes, tensor_split, hsplit/vsplit/
dsplit, tril_indices, triu_indices, cartesian_prod, block_diag; as PyTorch's, built from
``movement``'s primitives (so differentiable).
"""

from __future__ import annotations

import builtins
import warnings

import numpy as np

from gradlab.backend import array_module, resolve_device
from gradlab.ops import movement
from gradlab.ops.indexing import _dim
from gradlab.tensor import Tensor

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "hstack", "vstack", "dstack", "column_stack",
    "row_stack", "meshgrid", "broadcast_tensors", "broadcast_shapes", "tensor_split", "hsplit",
    "vsplit", "dsplit", "tril_indices", "triu_indices", "cartesian_prod", "block_diag",
]  # fmt: skip


def _tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _atleast(tensors, n):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    out = []
    for t in tensors:
        if t.ndim >= n:
            out.append(t)
        elif n == 3 and t.ndim == 2:
            out.append(movement.reshape(t, t.shape + (1,)))
        elif n == 3 and t.ndim == 1:
            out.append(movement.reshape(t, (1,) + t.shape + (1,)))
        else:
            out.append(movement.reshape(t, (1,) * (n - t.ndim) + t.shape))
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*tensors):
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    return _atleast(tensors, 3)


def hstack(tensors):
    tensors = [atleast_1d(t) for t in tensors]
    return movement.cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    return movement.cat([atleast_2d(t) for t in tensors], 0)


row_stack = vstack


def dstack(tensors):
    return movement.cat([atleast_3d(t) for t in tensors], 2)


def column_stack(tensors):
    columns = [movement.reshape(t, (-1, 1)) if t.ndim <= 1 else t for t in tensors]
    return movement.cat(columns, 1)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: each 1-D input expanded over all inputs' lengths."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn(
            "torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
            "argument.",
            UserWarning,
            stacklevel=2,
        )
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(
            f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}'
        )
    sizes = [t.numel() for t in tensors]
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    grids = []
    for i, t in enumerate(tensors):
        axis = (1 - i if i < 2 else i) if swap else i
        shape = [1] * len(tensors)
        shape[axis] = -1
        grids.append(movement.expand(movement.reshape(t, shape), *sizes))
    return tuple(grids)


def broadcast_shapes(*shapes):
    try:
        return tuple(np.broadcast_shapes(*(_tuple(s) for s in shapes)))
    except ValueError:
        raise RuntimeError(
            f"shape mismatch: objects cannot be broadcast to a single shape {shapes}"
        ) from None


def broadcast_tensors(*tensors):
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if t.shape == shape else movement.expand(t, *shape) for t in tensors)


def tensor_split(input, indices_or_sections, dim=0):  # noqa: A002
    """Split into n nearly equal parts (an int), or at the given indices."""
    dim = _dim("tensor_split", dim, input.ndim)
    length = input.shape[dim]
    value = indices_or_sections
    if isinstance(value, Tensor):
        value = value.tolist()
    if isinstance(value, int):
        if value <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {value}")
        base, extra = divmod(length, value)
        bounds, start = [], 0
        for i in range(value - 1):
            start += base + (1 if i < extra else 0)
            bounds.append(start)
    else:
        bounds = list(value)
    edges = [0] + bounds + [length]
    head = (slice(None),) * dim
    return tuple(movement.getitem(input, head + (slice(a, builtins.max(a, b)),))
                 for a, b in zip(edges[:-1], edges[1:]))  # fmt: skip


def hsplit(input, sections):  # noqa: A002
    return tensor_split(input, sections, 1 if input.ndim > 1 else 0)


def vsplit(input, sections):  # noqa: A002
    return tensor_split(input, sections, 0)


def dsplit(input, sections):  # noqa: A002
    return tensor_split(input, sections, 2)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    xp = resolve_device(device, "tril_indices").xp
    rows, cols = xp.tril_indices(row, offset, col)
    return Tensor(xp.stack([rows, cols]).astype(dtype or np.int64))


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    xp = resolve_device(device, "triu_indices").xp
    rows, cols = xp.triu_indices(row, offset, col)
    return Tensor(xp.stack([rows, cols]).astype(dtype or np.int64))


def cartesian_prod(*tensors):
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return movement.stack([movement.reshape(g, -1) for g in grids], 1)


def block_diag(*tensors):
    """The tensors (at most 2-D each) on the diagonal of one matrix."""
    xp = array_module(*tensors)
    matrices = [movement.reshape(t, (1, -1)) if t.ndim < 2 else t for t in tensors]
    rows = builtins.sum(m.shape[0] for m in matrices)
    cols = builtins.sum(m.shape[1] for m in matrices)
    pieces, c = [], 0
    for m in matrices:
        pieces.append(movement.pad(m, (c, cols - c - m.shape[1])))
        c += m.shape[1]
    return movement.cat(pieces, 0) if pieces else Tensor(xp.zeros((rows, cols)))
