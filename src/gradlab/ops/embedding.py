"""Embedding lookup: rows of a weight matrix picked by integer indices; backward scatter-adds.

The backward is a scatter-add of the output gradient into the rows that were looked up
(repeated indices accumulate). ``np.add.at`` is the obvious way and the slowest (see
benchmarks/results/embedding_backward.md), so a flat ``bincount`` (one pass, float64 sums)
serves tables up to a few times the number of lookups, and sorting the indices then
``add.reduceat`` over runs of equal ones serves larger.
"""

from __future__ import annotations

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module

__all__ = ["EmbeddingOp", "scatter_add_rows"]


def scatter_add_rows(indices, values, num_rows: int):
    """A (num_rows, D) array whose row r is the sum of ``values[k]`` over k with
    ``indices[k] == r``; indices (M,) of ints in [0, num_rows), values (M, D)."""
    xp = array_module(values)
    m, d = values.shape
    indices = indices.astype(np.intp, copy=False)
    if num_rows <= 8 * max(m, 1):
        flat = (indices[:, None] * d + xp.arange(d)).reshape(-1)
        sums = xp.bincount(flat, weights=values.reshape(-1), minlength=num_rows * d)
        return sums.reshape(num_rows, d).astype(values.dtype, copy=False)
    order = xp.argsort(indices, kind="stable")
    ordered = indices[order]
    starts = xp.flatnonzero(xp.concatenate(([True], ordered[1:] != ordered[:-1])))
    out = xp.zeros((num_rows, d), dtype=values.dtype)
    out[ordered[starts]] = xp.add.reduceat(values[order], starts, axis=0)
    return out


class EmbeddingOp(Function):
    """weight[indices]: weight (V, D), indices (*) ints in [0, V) -> (*, D).

    ``padding_idx`` (or None): that row gets no gradient. The indices are a setting, not an
    input: they are never differentiated.
    """

    __slots__ = ()

    def forward(self, weight, *, indices, padding_idx=None):
        xp = array_module(weight)
        self.saved = (indices, weight.shape[0], padding_idx)
        return xp.take(weight, indices, axis=0)

    def backward(self, grad):
        indices, num_rows, padding_idx = self.saved
        flat = indices.reshape(-1)
        grad_w = scatter_add_rows(flat, grad.reshape(flat.size, grad.shape[-1]), num_rows)
        if padding_idx is not None:
            grad_w[padding_idx] = 0
        return grad_w

    def backward_graph(self, grad):  # the same on Tensors (see gradlab.autograd_graph)
        from gradlab.ops.movement import IndexGrad

        indices, num_rows, padding_idx = self.saved
        if padding_idx is not None:
            grad = grad * (indices != padding_idx)[..., None].astype(grad.dtype)
        return IndexGrad.apply(grad, shape=(num_rows, grad.shape[-1]), key=indices)
