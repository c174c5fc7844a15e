"""The fused LSTM primitive: one graph node runs one direction of one LSTM layer over a whole
sequence, with backpropagation through time written by hand.

The readable reference is :func:`gradlab.nn.reference.recurrent_cells.lstm_cell` (the gate
equations as Tensor ops, ``c = f*c + i*g``, ``h = o*tanh(c)``) in the loop of
:mod:`gradlab.nn.reference.recurrent`; the tests compare the two, values and every gradient.

Layout: batch-major, as the layer's own input and output, (N, 4H) gates and (N, H) states per
step, so that every large array is written and read one contiguous block per step:
- the input projection of all T steps is one GEMM, (T*N, I) @ (I, 4H), before the loop, into
  a pooled (T, N, 4H) array that the loop turns into the activated gates in place (kept for
  backward); per step one GEMM ``h_prev @ W_hh^T`` (W_hh^T stored contiguous, which OpenBLAS
  runs faster than the transposed view) and the step's pointwise math, which also adds the
  summed biases;
- the hidden states are written straight into the output (T + 1, N, H) (row T: the final
  cell state), which is also the next step's GEMM operand; the cell states go to a pooled
  (T, N, H) array; tanh(c) is recomputed in backward rather than stored;
- backward writes each step's pre-activation gradients into a pooled (T, N, 4H) array, one
  contiguous block per step, which is also the step's GEMM operand ``dh_prev = d @ W_hh``;
  after the loop, each weight gradient is one GEMM over all steps (``dW_hh = D^T @ H_prev``),
  the input gradient one GEMM and the bias gradient one GEMV;
- the gates and cell states (kept for backward) and the stacked pre-activation gradients
  come from the buffer pool of :mod:`gradlab._fast.buffers` (given back by ``release`` and
  after backward); the output and the returned gradients are allocated normally;
- sigmoid through tanh, sigma(x) = (1 + tanh(x / 2)) / 2: the sigmoid gates' weight rows are
  pre-scaled by 1/2 (exact in floating point) and placed side by side (inside, the gate
  order is i, f, o, g), so one ``tanh`` covers every gate of a step.
With ``gradlab[fast]`` each step's pointwise work, forward and backward, is one compiled pass
(:mod:`gradlab._fast.recurrent_kernels`); otherwise a few in-place NumPy passes.
"""

from __future__ import annotations

from gradlab._fast.buffers import POOL
from gradlab._fast.compiled import kernels
from gradlab.autograd import Function
from gradlab.backend import xp
from gradlab.ops.sequence_gemms import previous, steps

__all__ = ["LSTMOp"]


def _inside_order(H: int):
    """Row indices taking PyTorch's gate blocks (i, f, g, o) to the inside order (i, f, o, g);
    the permutation is its own inverse."""
    return xp.concatenate([xp.arange(b * H, (b + 1) * H) for b in (0, 1, 3, 2)])


class LSTMOp(Function):
    """LSTM (PyTorch's formulas, gate order i, f, g, o):
    i, f, o = sigma(.), g = tanh(.), c_t = f c_{t-1} + i g, h_t = o tanh(c_t).

    Inputs x (T, N, I), h0, c0 (N, H) or None, w_ih (4H, I), w_hh (4H, H), b_ih, b_hh (4H,)
    or None; setting reverse. Returns (T + 1, N, H): rows 0..T-1 the hidden states, row T the
    final cell state c_n (one output array, so the op stays one graph node).
    """

    __slots__ = ("buffers",)  # pool buffers kept for backward, given back by release()

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        T, N, I = x.shape
        H = w_hh.shape[1]
        perm = _inside_order(H)
        w_ih_s, w_hh_s = w_ih[perm], w_hh[perm]
        w_ih_s[: 3 * H] *= 0.5
        w_hh_s[: 3 * H] *= 0.5
        dtype = xp.result_type(x, w_ih)
        bias = xp.zeros(4 * H, dtype) if b_ih is None else (b_ih + b_hh)[perm]
        bias[: 3 * H] *= 0.5
        gates = POOL.take((T, N, 4 * H), dtype)
        xp.matmul(x.reshape(T * N, I), w_ih_s.T, out=gates.reshape(T * N, 4 * H))
        w_hh_st = xp.ascontiguousarray(w_hh_s.T)  # (H, 4H)
        y = xp.empty((T + 1, N, H), dtype)
        cells = POOL.take((T, N, H), dtype)
        self.buffers = (gates, cells)
        h = xp.zeros((N, H), dtype) if h0 is None else h0
        c = xp.zeros((N, H), dtype) if c0 is None else xp.ascontiguousarray(c0)
        hw = xp.empty((N, 4 * H), dtype)
        fast = kernels("recurrent")  # the step's pointwise math in one pass (gradlab[fast])
        step = fast and fast.lstm_forward_stepper(gates, hw, bias, c, cells, y)
        tmp = None if step else xp.empty((N, H), dtype)
        p = -1  # the previous step's position (-1: the initial state)
        for t in steps(T, reverse):
            xp.matmul(h if p < 0 else y[p], w_hh_st, out=hw)
            if step:
                step(t, p)
            else:
                _forward_step(gates[t], hw, bias, c if p < 0 else cells[p], cells[t], y[t], tmp)
            p = t
        y[T] = c if p < 0 else cells[p]
        self.saved = (x, h0, c0, w_ih, w_hh, gates, cells, y, reverse)
        return y

    def release(self):
        POOL.give(*self.buffers)

    def backward(self, grad):
        x, h0, c0, w_ih, w_hh, gates, cells, y, reverse = self.saved
        T, N, H4 = gates.shape
        H, I = H4 // 4, x.shape[2]
        dtype = gates.dtype
        perm = _inside_order(H)
        w_hh_p = w_hh[perm]  # (4H, H): dh_prev = d @ w_hh_p
        d_all = POOL.take((T, N, H4), dtype)  # pre-activation gradients, i, f, o, g
        dh_next = xp.empty((N, H), dtype)  # the gradient of h at each step's previous state
        grad = xp.ascontiguousarray(grad)  # as the compiled steps want it
        dc = grad[T].copy()  # the gradient of c_n, then of each step's previous cell state
        c0_ = xp.zeros((N, H), dtype) if c0 is None else xp.ascontiguousarray(c0)
        fast = kernels("recurrent")  # the step's pointwise math in one pass (gradlab[fast])
        step = fast and fast.lstm_backward_stepper(gates, grad, dh_next, cells, c0_, dc, d_all)
        scratch = None
        for k, t in enumerate(steps(T, not reverse)):
            p = previous(t, T, reverse)
            if step:
                step(t, -1 if p is None else p, k > 0)
            else:
                if scratch is None:
                    scratch = [xp.empty((N, H), dtype) for _ in range(3)]
                    scratch.append(xp.empty((N, H4), dtype))
                c_prev = c0_ if p is None else cells[p]
                dh = dh_next if k else None
                _backward_step(gates[t], grad[t], dh, cells[t], c_prev, dc, d_all[t], scratch)
            xp.matmul(d_all[t], w_hh_p, out=dh_next)
        grads = _weight_grads(self, x, h0, y, d_all, w_ih[perm], reverse)
        POOL.give(d_all)
        dh0 = dh_next if self.needs_input_grad(1) else None
        dc0 = dc if self.needs_input_grad(2) else None
        dx = None if grads[0] is None else grads[0].reshape(T, N, I)
        return (dx, dh0, dc0, *(None if g is None else g[perm] for g in grads[1:]))


def _forward_step(a, hw, bias, c_prev, c_t, h_t, tmp):
    """The NumPy passes of one forward step (what the compiled kernel does in one): the
    activated gates into a (N, 4H), c_t and h_t (N, H)."""
    H = c_t.shape[1]
    a += hw
    a += bias
    xp.tanh(a, out=a)
    s = a[:, : 3 * H]
    s *= 0.5
    s += 0.5
    xp.multiply(a[:, :H], a[:, 3 * H :], out=c_t)  # i * g
    xp.multiply(a[:, H : 2 * H], c_prev, out=tmp)  # f * c_prev
    c_t += tmp
    xp.tanh(c_t, out=tmp)
    xp.multiply(a[:, 2 * H : 3 * H], tmp, out=h_t)


def _backward_step(a, grad_t, dh_next, c_t, c_prev, dc, d, scratch):
    """The NumPy passes of one backward step (what the compiled kernel does in one):
    pre-activation gradients into d (N, 4H), dc (N, H) from the step after to the one before.
    """
    H = c_t.shape[1]
    dh, tc, tmp, deriv = scratch
    i, f, o, g = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
    if dh_next is None:
        dh[...] = grad_t
    else:
        xp.add(grad_t, dh_next, out=dh)
    xp.tanh(c_t, out=tc)  # as forward computed it
    do = d[:, 2 * H : 3 * H]
    xp.multiply(dh, tc, out=do)
    xp.multiply(dh, o, out=dh)  # dc += dh o (1 - tanh(c)^2)
    xp.multiply(tc, tc, out=tmp)
    xp.subtract(1, tmp, out=tmp)
    dh *= tmp
    dc += dh
    xp.multiply(dc, g, out=d[:, :H])  # d i
    xp.multiply(dc, c_prev, out=d[:, H : 2 * H])  # d f
    xp.multiply(dc, i, out=d[:, 3 * H :])  # d g
    dc *= f
    # through the activations: s(1 - s) for i, f, o; 1 - g^2 for g
    xp.multiply(a, a, out=deriv)
    xp.subtract(a[:, : 3 * H], deriv[:, : 3 * H], out=deriv[:, : 3 * H])
    xp.subtract(1, deriv[:, 3 * H :], out=deriv[:, 3 * H :])
    d *= deriv


def _weight_grads(fn, x, h0, y, d_all, w_ih_p, reverse):
    """(dx (T*N, I), dw_ih, dw_hh, db_ih, db_hh), rows in the inside gate order, or None where
    not wanted: one GEMM each over every step of d_all (T, N, 4H)."""
    T, N, H4 = d_all.shape
    H, I = y.shape[2], x.shape[2]
    d2 = d_all.reshape(T * N, H4)
    dx = d2 @ w_ih_p if fn.needs_input_grad(0) else None
    dw_ih = d2.T @ x.reshape(T * N, I) if fn.needs_input_grad(3) else None
    dw_hh = None
    if fn.needs_input_grad(4):
        # step t's previous state: y[t - 1] (forward) or y[t + 1] (reverse); the first step's
        # is h0 (or zeros: no term)
        d, h, first = (d_all[: T - 1], y[1:T], T - 1) if reverse else (d_all[1:], y[: T - 1], 0)
        dw_hh = d.reshape((T - 1) * N, H4).T @ h.reshape((T - 1) * N, H)
        if h0 is not None:
            dw_hh += d_all[first].T @ h0
    db = None
    if fn.needs_input_grad(5) or fn.needs_input_grad(6):
        db = xp.ones(T * N, d2.dtype) @ d2  # a GEMV: faster than a pairwise sum here
    return (
        dx,
        dw_ih,
        dw_hh,
        db if fn.needs_input_grad(5) else None,
        db if fn.needs_input_grad(6) else None,
    )
