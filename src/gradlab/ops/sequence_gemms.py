"""The GEMMs of the fused recurrent ops (:mod:`gradlab.ops.recurrent`) that lie off the
sequential chain: the input projection of every step ahead of the loop, and the weight and
input gradients behind the backward loop, all steps at once or CHUNK steps at a time on the
helper thread of :mod:`gradlab.ops.blas` while the loop runs.
"""

from __future__ import annotations

from gradlab.backend import xp
from gradlab.ops import blas, workspace

__all__ = ["CHUNK", "WeightGrads", "always_ready", "input_projection", "previous", "steps"]

_empty = workspace.empty

CHUNK = 10
"""Steps per task handed to the helper thread (projection rows ahead, gradients behind)."""


def steps(T: int, reverse: bool):
    return range(T - 1, -1, -1) if reverse else range(T)


def previous(t: int, T: int, reverse: bool):
    """The time position of the step before ``t`` in processing order, or None."""
    p = t + 1 if reverse else t - 1
    return p if 0 <= p < T else None


def input_projection(x, w, bias, reverse=False):
    """w @ x[t].T + bias for every t: a (T, rows, N) workspace array, and a function
    ``ready(k)`` to call before the k-th step in processing order reads its row.

    With the AVX-512 GEMM and a helper thread (:func:`gradlab.ops.blas.helper`) the first
    CHUNK steps' rows are computed here and the others on the helper, CHUNK steps per task in
    processing order, while the loop runs; otherwise all at once here (one batched GEMM).
    """
    T = x.shape[0]
    out = _empty((T, w.shape[0], x.shape[1]), xp.result_type(w, x))
    pool = blas.helper() if T > CHUNK else None
    if pool is None:
        xp.matmul(w, x.transpose(0, 2, 1), out=out)
        if bias is not None:
            out += bias[:, None]
        return out, always_ready

    def rows(ts):
        for t in ts:
            blas.gemm(w, x[t], out=out[t], trans_b=True)
            if bias is not None:
                out[t] += bias[:, None]

    order = list(steps(T, reverse))
    futures = [None] + [pool.submit(rows, order[k : k + CHUNK]) for k in range(CHUNK, T, CHUNK)]
    rows(order[:CHUNK])  # the first chunk here, while the helper starts on the next

    def ready(k):
        if k % CHUNK == 0 and k:
            futures[k // CHUNK].result()

    return out, ready


def always_ready(k):
    pass


class WeightGrads:
    """Gradients of (x, w_ih, w_hh, b_ih, b_hh) from stacked pre-activation gradients.

    ``g_ih`` (R, T, N) flows into ``x @ w_ih.T + b_ih`` and ``g_hh`` (R, T, N) into
    ``h_prev @ w_hh.T + b_hh``, with their rows in the order that ``back_*`` undoes; ``first``
    is the position of w_ih among the op's inputs; ``y`` (T, N, H) holds the hidden states and
    ``w_x`` (R, I) is w_ih with its rows in g_ih's order. The previous state of step t is y at
    the step before it (h0, or zeros, for the first step).

    The backward loop calls :meth:`done` after each step. With the AVX-512 GEMM and a helper
    thread, every CHUNK finished steps go to the helper (dW_ih, dW_hh accumulated over the
    chunks in order, dx of those steps) while the loop computes the next ones; otherwise
    :meth:`result` does all steps at once.
    """

    def __init__(self, fn, first, x, h0, y, g_ih, g_hh, w_x, reverse, back_ih=None, back_hh=None):
        R, T, N = g_ih.shape
        self.fn, self.first, self.x, self.h0, self.y = fn, first, x, h0, y
        self.g_ih, self.g_hh, self.w_x, self.reverse = g_ih, g_hh, w_x, reverse
        self.back = (back_ih, back_hh, back_ih, back_hh)
        self.want = [fn.needs_input_grad(0)] + [fn.needs_input_grad(first + k) for k in range(4)]
        dtype = g_ih.dtype
        self.dx = xp.empty(x.shape, dtype=dtype) if self.want[0] else None  # no base
        self.dw_ih = xp.zeros((R, x.shape[2]), dtype=dtype) if self.want[1] else None
        self.dw_hh = xp.zeros((R, y.shape[2]), dtype=dtype) if self.want[2] else None
        self.pool = blas.helper() if T > CHUNK else None
        self.futures = []
        # steps finish from T-1 down (from 0 up when reverse); the positions before (after)
        # ``cut`` have not been handed out yet
        self.cut = 0 if reverse else T

    def done(self, k):
        """Step k (0-based, in processing order) is finished."""
        if self.pool is not None and (k + 1) % CHUNK == 0:
            self._submit(k + 1)

    def _submit(self, finished, last=False):
        T = self.g_ih.shape[1]
        if self.reverse:  # positions 0 .. finished-1 are done
            a, b = self.cut, finished
            self.cut = finished
        else:  # positions T-finished .. T-1 are done
            a, b = T - finished, self.cut
            self.cut = T - finished
        if a < b:
            if self.pool is None:
                self._chunk(a, b)
            elif last:  # the helper takes the weights, this thread dx: the tail is shorter
                self.futures.append(self.pool.submit(self._chunk, a, b, False))
                self._chunk(a, b, True, False)
            else:
                self.futures.append(self.pool.submit(self._chunk, a, b))

    def _chunk(self, a, b, dx=True, weights=True):
        """Add the steps at time positions a .. b-1 into the gradients (dx and/or weights)."""
        g_ih, g_hh, y = self.g_ih, self.g_hh, self.y
        R, T, N = g_ih.shape
        H = y.shape[2]
        if (self.want[0] and dx) or (self.want[1] and weights):
            g = g_ih[:, a:b].reshape(R, (b - a) * N)
            if self.want[0] and dx:
                dx = self.dx.reshape(T * N, self.x.shape[2])[a * N : b * N]
                blas.gemm(g, self.w_x, out=dx, trans_a=True)
            if self.want[1] and weights:
                x = self.x[a:b].reshape((b - a) * N, self.x.shape[2])
                blas.gemm(g, x, out=self.dw_ih, beta=1.0)
        if self.want[2] and weights:
            # step t's previous state: y[t - 1] (forward) or y[t + 1] (reverse)
            lo, hi = (max(a, 1), b) if not self.reverse else (a, min(b, T - 1))
            shift = -1 if not self.reverse else 1
            if lo < hi:
                g = g_hh[:, lo:hi].reshape(R, (hi - lo) * N)
                h = y[lo + shift : hi + shift].reshape((hi - lo) * N, H)
                blas.gemm(g, h, out=self.dw_hh, beta=1.0)
            first = T - 1 if self.reverse else 0
            if self.h0 is not None and a <= first < b:
                blas.gemm(g_hh[:, first], self.h0, out=self.dw_hh, beta=1.0)

    def result(self):
        """(dx, dw_ih, dw_hh, db_ih, db_hh): the input's and parameters' gradients (or None)."""
        R, T, N = self.g_ih.shape
        self._submit(T, last=True)
        grads = [None, None, None, None]
        if self.want[3]:
            grads[2] = _row_sums(self.g_ih.reshape(R, T * N))
        if self.want[4]:
            same = self.g_hh is self.g_ih and grads[2] is not None  # LSTM, RNN: one sum
            grads[3] = grads[2] if same else _row_sums(self.g_hh.reshape(R, T * N))
        for future in self.futures:
            future.result()
        grads[:2] = self.dw_ih, self.dw_hh
        for k, back in enumerate(self.back):
            if back is not None and grads[k] is not None:
                grads[k] = grads[k][back]
        return (self.dx, *grads)


def _row_sums(a):
    """Each row's sum of a (R, M), as a product with a vector of ones: a BLAS GEMV reads the
    rows at memory speed, where ``a.sum(axis=1)``'s pairwise sum took 5x as long (0.23 against
    0.04 ms on the LSTM benchmark's (512, 3200))."""
    return a @ xp.ones(a.shape[1], dtype=a.dtype)
