"""The GEMMs of the fused recurrent ops (:mod:`gradlab.ops.recurrent`) that lie off the
sequential chain: the input projection of every step, one batched GEMM ahead of the loop, and
the weight and input gradients, one GEMM each over all steps behind the backward loop.
"""

from __future__ import annotations

from gradlab._fast.buffers import POOL
from gradlab.backend import xp

__all__ = ["WeightGrads", "input_projection", "previous", "steps"]


def steps(T: int, reverse: bool):
    return range(T - 1, -1, -1) if reverse else range(T)


def previous(t: int, T: int, reverse: bool):
    """The time position of the step before ``t`` in processing order, or None."""
    p = t + 1 if reverse else t - 1
    return p if 0 <= p < T else None


def input_projection(x, w, bias):
    """w @ x[t].T + bias for every t of x (T, N, I), w (R, I), bias (R,) or None: a (T, R, N)
    array taken from the buffer pool, owned by the caller (the op's node keeps it for
    backward and gives it back when freed)."""
    T = x.shape[0]
    out = POOL.take((T, w.shape[0], x.shape[1]), xp.result_type(w, x))
    xp.matmul(w, x.transpose(0, 2, 1), out=out)
    if bias is not None:
        out += bias[:, None]
    return out


class WeightGrads:
    """Gradients of (x, w_ih, w_hh, b_ih, b_hh) from stacked pre-activation gradients.

    ``g_ih`` (R, T, N) flows into ``x @ w_ih.T + b_ih`` and ``g_hh`` (R, T, N) into
    ``h_prev @ w_hh.T + b_hh``, with their rows in the order that ``back_*`` undoes; ``first``
    is the position of w_ih among the op's inputs; ``y`` (T, N, H) holds the hidden states and
    ``w_x`` (R, I) is w_ih with its rows in g_ih's order. The previous state of step t is y at
    the step before it (h0, or zeros, for the first step). The backward loop fills g_ih and
    g_hh; :meth:`result` then does every step at once.
    """

    def __init__(self, fn, first, x, h0, y, g_ih, g_hh, w_x, reverse, back_ih=None, back_hh=None):
        self.first, self.x, self.h0, self.y = first, x, h0, y
        self.g_ih, self.g_hh, self.w_x, self.reverse = g_ih, g_hh, w_x, reverse
        self.back = (back_ih, back_hh, back_ih, back_hh)
        self.want = [fn.needs_input_grad(0)] + [fn.needs_input_grad(first + k) for k in range(4)]

    def result(self):
        """(dx, dw_ih, dw_hh, db_ih, db_hh): the input's and parameters' gradients (or None)."""
        g_ih, g_hh, y, x = self.g_ih, self.g_hh, self.y, self.x
        R, T, N = g_ih.shape
        H, I = y.shape[2], x.shape[2]
        dx = dw_ih = dw_hh = None
        if self.want[0] or self.want[1]:
            g = g_ih.reshape(R, T * N)
            if self.want[0]:
                dx = (g.T @ self.w_x).reshape(T, N, I)
            if self.want[1]:
                dw_ih = g @ x.reshape(T * N, I)
        if self.want[2]:
            # step t's previous state: y[t - 1] (forward) or y[t + 1] (reverse); the first
            # step's is h0 (or zeros: no term)
            if self.reverse:
                g, h = g_hh[:, : T - 1], y[1:T]
                first = T - 1
            else:
                g, h = g_hh[:, 1:], y[: T - 1]
                first = 0
            dw_hh = g.reshape(R, (T - 1) * N) @ h.reshape((T - 1) * N, H)
            if self.h0 is not None:
                dw_hh += g_hh[:, first] @ self.h0
        grads = [dw_ih, dw_hh, None, None]
        if self.want[3]:
            grads[2] = _row_sums(g_ih.reshape(R, T * N))
        if self.want[4]:
            same = g_hh is g_ih and grads[2] is not None  # RNN: one sum
            grads[3] = grads[2] if same else _row_sums(g_hh.reshape(R, T * N))
        for k, back in enumerate(self.back):
            if back is not None and grads[k] is not None:
                grads[k] = grads[k][back]
        return (dx, *grads)


def _row_sums(a):
    """Each row's sum of a (R, M), as a product with a vector of ones: a BLAS GEMV reads the
    rows at memory speed, several times faster than ``a.sum(axis=1)``'s pairwise sum here."""
    return a @ xp.ones(a.shape[1], dtype=a.dtype)
