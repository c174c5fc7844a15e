"""Fused recurrent primitives: one graph node runs one direction of one RNN, LSTM or GRU layer
over a whole sequence, with backpropagation through time written by hand. The LSTM's op,
batch-major inside, lives in :mod:`gradlab.ops.lstm` (re-exported here); what follows
describes the RNN's and GRU's.

The readable reference of these ops is :mod:`gradlab.nn.reference.recurrent_cells` (the gate
equations as Tensor ops, ``c = f*c + i*g``, ``h = o*tanh(c)``) in the loop of
:mod:`gradlab.nn.reference.recurrent`; the tests compare the two, values and every gradient,
and ``gradlab.use_reference_kernels(True)`` runs the layers on the reference.

Every op takes ``x`` (T, N, I), initial state(s) (N, H) or None (zeros), ``w_ih`` (G*H, I),
``w_hh`` (G*H, H) and ``b_ih``, ``b_hh`` (G*H,) or None, in PyTorch's layout and gate order
(LSTM i, f, g, o; GRU r, z, n). ``reverse=True`` runs the steps from t = T-1 down to 0; output
row t is always the hidden state at time position t.

Why they are fast (a NumPy LSTM's time goes to elementwise passes, not to the GEMMs):
- inside, states are feature-major, (H, N) per step: the gates of a step are one (G*H, N)
  array whose gate blocks are contiguous, so every elementwise pass runs on contiguous
  memory;
- the input projection of all T steps is one batched GEMM before the loop (the RNN's and
  GRU's biases added to it); then one GEMM per step for all gates into a preallocated
  buffer, and in-place ufuncs (``out=``);
- sigmoid through tanh, sigma(x) = (1 + tanh(x / 2)) / 2: the sigmoid gates' weight rows are
  pre-scaled by 1/2 (exact in floating point) and placed side by side, so one ``tanh`` call
  covers every gate of a step and one multiply-add turns the sigmoid block into sigma;
- backward writes each step's pre-activation gradients into one (C, T, N) array, so each
  weight gradient is one GEMM over all steps after the loop (``dW_hh = dG @ H_prev``), each
  bias gradient one sum, the input gradient one GEMM (skipped when x needs none);
- the large internal arrays (the gates and states kept for backward, the stacked
  pre-activation gradients) are taken from the buffer pool of :mod:`gradlab._fast.buffers`:
  the node gives them back when the engine frees it (``release``), backward its scratch when
  done; the outputs, which a user may keep, are allocated normally.
"""

from __future__ import annotations

from gradlab._fast.buffers import POOL
from gradlab.autograd import Function
from gradlab.backend import xp

__all__ = ["RNNOp", "LSTMOp", "GRUOp", "Head"]


from gradlab.ops.lstm import LSTMOp
from gradlab.ops.sequence_gemms import (
    WeightGrads,
    input_projection,
    previous,
    steps,
)


def _state_t(state, N: int, H: int, dtype):
    """An initial state (N, H) or None as the feature-major (H, N) array the loop uses."""
    return xp.zeros((H, N), dtype=dtype) if state is None else state.T


def _block_perm(H: int, order):
    """Row indices that reorder gate blocks of height H: block k of the result is ``order[k]``."""
    return xp.concatenate([xp.arange(b * H, (b + 1) * H) for b in order])


class Head(Function):
    """a[:rows] along the first axis (a view); backward pads the gradient with zero rows."""

    __slots__ = ()

    def forward(self, a, rows=0):
        self.saved = (a.shape, rows)
        return a[:rows]

    def backward(self, grad):
        shape, rows = self.saved
        full = xp.empty(shape, grad.dtype)
        full[:rows] = grad
        full[rows:] = 0
        return full


class RNNOp(Function):
    """Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu.

    Inputs x (T, N, I), h0 (N, H) or None, w_ih (H, I), w_hh (H, H), b_ih, b_hh (H,) or None;
    settings relu, reverse. Returns every hidden state, (T, N, H).
    """

    __slots__ = ("buffers",)  # pool buffers kept for backward, given back by release()

    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, relu=False, reverse=False):
        T, N, _ = x.shape
        H = w_hh.shape[1]
        states = input_projection(x, w_ih, None if b_ih is None else b_ih + b_hh)
        y = xp.empty((T, N, H), states.dtype)
        hw = xp.empty((H, N), dtype=states.dtype)
        h = _state_t(h0, N, H, states.dtype)
        for t in steps(T, reverse):
            a = states[t]
            xp.matmul(w_hh, h, out=hw)
            a += hw
            if relu:
                xp.maximum(a, 0, out=a)
            else:
                xp.tanh(a, out=a)
            y[t] = a.T
            h = a
        self.saved = (x, h0, w_ih, w_hh, states, y, relu, reverse)
        self.buffers = (states,)
        return y

    def release(self):
        POOL.give(*self.buffers)

    def backward(self, grad):
        x, h0, w_ih, w_hh, states, y, relu, reverse = self.saved
        T, H, N = states.shape
        d_all = POOL.take((H, T, N), states.dtype)
        dh = xp.empty((H, N), dtype=states.dtype)
        deriv = xp.empty((H, N), dtype=states.dtype)
        dh_next = xp.empty((H, N), dtype=states.dtype)
        w_hh_t = w_hh.T
        wg = WeightGrads(self, 2, x, h0, y, d_all, d_all, w_ih, reverse)
        for k, t in enumerate(steps(T, not reverse)):
            if k:
                xp.add(grad[t].T, dh_next, out=dh)
            else:
                dh[...] = grad[t].T
            if relu:
                xp.greater(states[t], 0, out=deriv)
            else:
                xp.multiply(states[t], states[t], out=deriv)
                xp.subtract(1, deriv, out=deriv)
            deriv *= dh
            d_all[:, t] = deriv
            xp.matmul(w_hh_t, deriv, out=dh_next)
        dh0 = dh_next.T if self.needs_input_grad(1) else None
        dx, *grads = wg.result()
        POOL.give(d_all)
        return (dx, dh0, *grads)


class GRUOp(Function):
    """GRU (PyTorch's formulas, gate order r, z, n): r, z = sigma(.),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h_t = (1 - z) n + z h_{t-1}.

    Inputs x (T, N, I), h0 (N, H) or None, w_ih (3H, I), w_hh (3H, H), b_ih, b_hh (3H,) or
    None; setting reverse. Returns every hidden state, (T, N, H).
    """

    __slots__ = ("buffers",)  # pool buffers kept for backward, given back by release()

    def forward(self, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        T, N, _ = x.shape
        H = w_hh.shape[1]
        w_ih_s, w_hh_s = w_ih.copy(), w_hh.copy()
        w_ih_s[: 2 * H] *= 0.5
        w_hh_s[: 2 * H] *= 0.5
        bias = b_hn = None
        if b_ih is not None:
            bias = b_ih.copy()
            bias[: 2 * H] += b_hh[: 2 * H]  # b_hn stays inside r * (...)
            bias[: 2 * H] *= 0.5
            b_hn = b_hh[2 * H :, None]
        gates = input_projection(x, w_ih_s, bias)  # (T, 3H, N): r, z, n
        dtype = gates.dtype
        y = xp.empty((T, N, H), dtype)
        h_all = POOL.take((T, H, N), dtype)
        hn_all = POOL.take((T, H, N), dtype)  # W_hn h + b_hn, kept for backward
        self.buffers = (gates, h_all, hn_all)
        hw = xp.empty((3 * H, N), dtype=dtype)
        tmp = xp.empty((H, N), dtype=dtype)
        h = _state_t(h0, N, H, dtype)
        for t in steps(T, reverse):
            a = gates[t]
            rz, n = a[: 2 * H], a[2 * H :]
            xp.matmul(w_hh_s, h, out=hw)
            rz += hw[: 2 * H]
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            hn = hn_all[t]
            if b_hn is None:
                hn[...] = hw[2 * H :]
            else:
                xp.add(hw[2 * H :], b_hn, out=hn)
            xp.multiply(a[:H], hn, out=tmp)
            n += tmp
            xp.tanh(n, out=n)
            xp.subtract(h, n, out=tmp)  # h_t = n + z (h_prev - n)
            tmp *= a[H : 2 * H]
            h = h_all[t]
            xp.add(n, tmp, out=h)
            y[t] = h.T
        self.saved = (x, h0, w_ih, w_hh, gates, hn_all, h_all, y, reverse)
        return y

    def release(self):
        POOL.give(*self.buffers)

    def backward(self, grad):
        x, h0, w_ih, w_hh, gates, hn_all, h_all, y, reverse = self.saved
        T, H3, N = gates.shape
        H = H3 // 3
        dtype = gates.dtype
        # rows: d n_pre (into x W_in), d r_pre, d z_pre, d hn (into h W_hn): rows 0..3H are
        # the gradient of the input projection (order n, r, z), rows H..4H that of the
        # hidden projection (order r, z, n)
        d_all = POOL.take((4 * H, T, N), dtype)
        d = xp.empty((4 * H, N), dtype=dtype)
        dn, dr, dz, dhn = d[:H], d[H : 2 * H], d[2 * H : 3 * H], d[3 * H :]
        deriv = xp.empty((2 * H, N), dtype=dtype)
        dh, dhz, tmp, dh_next = (xp.empty((H, N), dtype=dtype) for _ in range(4))
        h0_t = _state_t(h0, N, H, dtype)
        w_hh_t = w_hh.T
        nrz = _block_perm(H, (2, 0, 1))
        back = _block_perm(H, (1, 2, 0))  # undoes nrz
        g_ih, g_hh = d_all[: 3 * H], d_all[H:]
        wg = WeightGrads(self, 2, x, h0, y, g_ih, g_hh, w_ih[nrz], reverse, back_ih=back)
        for k, t in enumerate(steps(T, not reverse)):
            a = gates[t]
            r, z, n = a[:H], a[H : 2 * H], a[2 * H :]
            if k:
                xp.add(grad[t].T, dh_next, out=dh)
            else:
                dh[...] = grad[t].T
            p = previous(t, T, reverse)
            xp.multiply(dh, z, out=dhz)  # the direct path to h_prev
            xp.subtract(dh, dhz, out=dn)  # dh (1 - z)
            xp.multiply(n, n, out=tmp)
            xp.subtract(1, tmp, out=tmp)
            dn *= tmp
            xp.subtract(h0_t if p is None else h_all[p], n, out=tmp)
            xp.multiply(dh, tmp, out=dz)
            xp.multiply(dn, hn_all[t], out=dr)
            xp.multiply(dn, r, out=dhn)
            rz = a[: 2 * H]
            xp.multiply(rz, rz, out=deriv)
            xp.subtract(rz, deriv, out=deriv)
            d[H : 3 * H] *= deriv
            d_all[:, t] = d
            xp.matmul(w_hh_t, d[H:], out=dh_next)
            dh_next += dhz
        dh0 = dh_next.T if self.needs_input_grad(1) else None
        dx, *grads = wg.result()
        POOL.give(d_all)
        return (dx, dh0, *grads)
