"""Hand-written NumPy versions of two benchmark workloads, no framework: the issues' yardstick.

The issues set gradlab's speed targets from what "a hand-written NumPy loop" takes on the
project's machine (MLP fit: 0.60x PyTorch at batch 32, 0.76x at batch 256; LSTM: 1.72x).
These are such loops, written the way a careful NumPy user would write them (fused
softmax-cross-entropy gradient, in-place momentum update, transposes as views; for the LSTM
one GEMM for all gates per step, the input projection for all steps before the loop, sigmoid
through tanh), so that ``run_alone.py --numpy`` shows what the yardstick is on *this* machine.

- :func:`mlp_epoch`: one epoch of the 784-256-128-10 MLP, SGD(lr, momentum), cross-entropy,
  shuffled mini-batches, ``loss`` read back every step (as ``loss.item()`` would).
- :class:`LSTMReference`: forward and backward through time of one LSTM layer, (T, N, I) ->
  (T, N, H), the loss a fixed projection of the outputs; every parameter and input gradient.
"""

from __future__ import annotations

import numpy as np


def mlp_params(weights: list[np.ndarray], biases: list[np.ndarray]) -> dict:
    """Copies of the weights (out, in) and biases, and zeroed momentum buffers."""
    params = [w.copy() for w in weights] + [b.copy() for b in biases]
    return {"params": params, "buffers": [np.zeros_like(p) for p in params], "steps": 0}


def mlp_epoch(state: dict, x, y, batch: int, rng, lr=0.01, momentum=0.9) -> float:
    """One epoch over (x (n, 784) float32, y (n,) int) in shuffled batches; returns the last
    loss. ``state`` from :func:`mlp_params`; updated in place."""
    w0, w1, w2, b0, b1, b2 = state["params"]
    bufs = state["buffers"]
    order = rng.permutation(len(x))
    loss = 0.0
    for start in range(0, len(x), batch):
        rows = order[start : start + batch]
        xb, yb = x[rows], y[rows]
        m = len(rows)
        a1 = xb @ w0.T
        a1 += b0
        np.maximum(a1, 0, out=a1)
        a2 = a1 @ w1.T
        a2 += b1
        np.maximum(a2, 0, out=a2)
        z = a2 @ w2.T
        z += b2
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        picked = p[np.arange(m), yb]
        loss = float(-np.log(picked).mean())
        p[np.arange(m), yb] -= 1  # d loss / d z = (softmax - onehot) / m
        p /= m
        grads = [None] * 6
        grads[2], grads[5] = p.T @ a2, p.sum(axis=0)
        d2 = p @ w2
        d2 *= a2 > 0
        grads[1], grads[4] = d2.T @ a1, d2.sum(axis=0)
        d1 = d2 @ w1
        d1 *= a1 > 0
        grads[0], grads[3] = d1.T @ xb, d1.sum(axis=0)
        for param, grad, buf in zip(state["params"], grads, bufs):
            if state["steps"]:
                buf *= momentum
                buf += grad
            else:
                buf[...] = grad
            grad = np.multiply(buf, lr, out=grad)
            param -= grad
        state["steps"] += 1
    return loss


class LSTMReference:
    """One LSTM layer (PyTorch's gate order i, f, g, o), forward and backward through time.

    Weights w_ih (4H, I), w_hh (4H, H), b_ih, b_hh (4H,); inputs x (T, N, I). ``step(x,
    proj)`` runs the forward pass, takes loss = sum(h * proj) and backpropagates, returning
    the gradients (dx, dw_ih, dw_hh, db)."""

    def __init__(self, w_ih, w_hh, b_ih, b_hh):
        self.w_ih, self.w_hh = w_ih, w_hh
        self.bias = b_ih + b_hh

    def step(self, x, proj):
        T, N, _ = x.shape
        H = self.w_hh.shape[1]
        w_ih, w_hh = self.w_ih, self.w_hh
        pre = (x.reshape(T * N, -1) @ w_ih.T).reshape(T, N, 4 * H)
        pre += self.bias
        gates = np.empty((T, N, 4 * H), dtype=x.dtype)
        cells = np.empty((T + 1, N, H), dtype=x.dtype)
        hs = np.empty((T + 1, N, H), dtype=x.dtype)
        tanh_c = np.empty((T, N, H), dtype=x.dtype)
        cells[0] = 0
        hs[0] = 0
        for t in range(T):
            a = gates[t]
            np.matmul(hs[t], w_hh.T, out=a)
            a += pre[t]
            s = a[:, : 2 * H]  # i, f
            np.tanh(s * 0.5, out=s)
            s *= 0.5
            s += 0.5
            o = a[:, 3 * H :]
            np.tanh(o * 0.5, out=o)
            o *= 0.5
            o += 0.5
            g = a[:, 2 * H : 3 * H]
            np.tanh(g, out=g)
            np.multiply(a[:, H : 2 * H], cells[t], out=cells[t + 1])
            cells[t + 1] += a[:, :H] * g
            np.tanh(cells[t + 1], out=tanh_c[t])
            np.multiply(o, tanh_c[t], out=hs[t + 1])
        d_gates = np.empty_like(gates)
        dh_next = np.zeros((N, H), dtype=x.dtype)
        dc_next = np.zeros((N, H), dtype=x.dtype)
        for t in range(T - 1, -1, -1):
            a = gates[t]
            i, f, g, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
            dh = proj[t] + dh_next
            d = d_gates[t]
            np.multiply(dh, tanh_c[t], out=d[:, 3 * H :])
            dc = dh * o * (1 - tanh_c[t] ** 2) + dc_next
            np.multiply(dc, g, out=d[:, :H])
            np.multiply(dc, cells[t], out=d[:, H : 2 * H])
            np.multiply(dc, i, out=d[:, 2 * H : 3 * H])
            np.multiply(dc, f, out=dc_next)
            d[:, : 2 * H] *= a[:, : 2 * H] * (1 - a[:, : 2 * H])
            d[:, 3 * H :] *= o * (1 - o)
            d[:, 2 * H : 3 * H] *= 1 - g * g
            np.matmul(d, w_hh, out=dh_next)
        flat = d_gates.reshape(T * N, 4 * H)
        dx = (flat @ w_ih).reshape(x.shape)
        dw_ih = flat.T @ x.reshape(T * N, -1)
        dw_hh = flat.T @ hs[:T].reshape(T * N, H)
        db = flat.sum(axis=0)
        return hs[1:], (dx, dw_ih, dw_hh, db)
