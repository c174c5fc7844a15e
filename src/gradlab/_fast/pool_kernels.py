"""2x2, stride-2 max pooling in one pass, compiled with numba (``gradlab[fast]``).

The references, :func:`gradlab.ops.pool.max_pool_2x2` and
:func:`~gradlab.ops.pool.max_pool_2x2_backward`, build the window maxima and the four corner
masks from a dozen whole-array NumPy passes; these kernels visit each window once and write
the same values and masks (NaN windows included: NumPy's maximum lets a NaN win, and a
comparison with NaN is false). They take float32/float64 arrays of any strides; the entry
points return None for anything else, and the caller runs the reference.
"""

from __future__ import annotations

import numba
import numpy as np

from gradlab._fast.compiled import CALLS

__all__ = ["max_pool_2x2", "max_pool_2x2_backward"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


@numba.njit(inline="always", error_model="numpy")
def _nan_max(a, b):
    return a if (a >= b or a != a) else b  # numpy.maximum: a NaN on either side wins


@numba.njit(cache=True, error_model="numpy")
def _forward(x, out, masks, relu, zero):
    n, ho, wo, ch = out.shape
    for b in range(n):
        for i in range(ho):
            for j in range(wo):
                for c in range(ch):
                    va = x[b, 2 * i, 2 * j, c]
                    vb = x[b, 2 * i, 2 * j + 1, c]
                    vc = x[b, 2 * i + 1, 2 * j, c]
                    vd = x[b, 2 * i + 1, 2 * j + 1, c]
                    top = _nan_max(va, vb)
                    bottom = _nan_max(vc, vd)
                    bottom_wins = bottom > top
                    m = _nan_max(top, bottom)
                    if relu:
                        if not (m > 0 or m != m):
                            m = zero
                        positive = m > 0
                        top_wins = positive and not bottom_wins
                        bottom_wins = bottom_wins and positive
                    else:
                        top_wins = not bottom_wins
                    out[b, i, j, c] = m
                    b_beats_a = vb > va
                    d_beats_c = vd > vc
                    masks[0, b, i, j, c] = top_wins and not b_beats_a
                    masks[1, b, i, j, c] = top_wins and b_beats_a
                    masks[2, b, i, j, c] = bottom_wins and not d_beats_c
                    masks[3, b, i, j, c] = bottom_wins and d_beats_c


@numba.njit(cache=True, error_model="numpy")
def _backward(g, masks, dx):
    n, ho, wo, ch = g.shape
    h, w = dx.shape[1], dx.shape[2]
    for b in range(n):
        for i in range(ho):
            for j in range(wo):
                for c in range(ch):
                    v = g[b, i, j, c]
                    # v * mask, as the reference's multiply: inf or NaN times 0 is NaN
                    dx[b, 2 * i, 2 * j, c] = v * masks[0, b, i, j, c]
                    dx[b, 2 * i, 2 * j + 1, c] = v * masks[1, b, i, j, c]
                    dx[b, 2 * i + 1, 2 * j, c] = v * masks[2, b, i, j, c]
                    dx[b, 2 * i + 1, 2 * j + 1, c] = v * masks[3, b, i, j, c]
        for i in range(2 * ho, h):  # rows and columns no window covers (odd H or W)
            for j in range(w):
                for c in range(ch):
                    dx[b, i, j, c] = 0
        for i in range(2 * ho):
            for j in range(2 * wo, w):
                for c in range(ch):
                    dx[b, i, j, c] = 0


def max_pool_2x2(xn, ho, wo, relu, out=None):
    """:func:`gradlab.ops.pool.max_pool_2x2` in one pass: (out, masks), or None when the
    arrays are not ones this kernel takes."""
    if type(xn) is not np.ndarray or xn.dtype not in _FLOATS or xn.ndim != 4:
        return None
    shape = (xn.shape[0], ho, wo, xn.shape[3])
    if out is None:
        out = np.empty(shape, xn.dtype)
    elif type(out) is not np.ndarray or out.dtype != xn.dtype or out.shape != shape:
        return None
    masks = np.empty((4, *shape), np.bool_)
    _forward(xn, out, masks, bool(relu), xn.dtype.type(0))
    CALLS["max_pool_2x2"] += 1
    return out, (masks[0], masks[1], masks[2], masks[3])


def max_pool_2x2_backward(g, masks, x_shape, ho, wo, out=None):
    """:func:`gradlab.ops.pool.max_pool_2x2_backward` in one pass, or None when the arrays are
    not ones this kernel takes (the masks must be the four views that
    :func:`max_pool_2x2` made)."""
    base = masks[0].base
    if (
        type(g) is not np.ndarray
        or g.dtype not in _FLOATS
        or base is None
        or base.shape != (4, *g.shape)
        or any(m.base is not base for m in masks)
    ):
        return None
    dx = np.empty(x_shape, g.dtype) if out is None else out
    _backward(g, base, dx)
    CALLS["max_pool_2x2_backward"] += 1
    return dx
