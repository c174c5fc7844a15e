"""Hand-written NumPy versions of two benchmark workloads, no framework: the issues' yardstick.

The issues set gradlab's speed targets from what "a hand-written NumPy loop" takes on the
project's machine (MLP fit: 0.60x PyTorch at batch 32, 0.76x at batch 256; LSTM: 1.72x; the
CIFAR CNN step: 0.98-1.06x, in ../shared/PERFORMANCE.md).
These are such loops, written the way a careful NumPy user would write them (fused
softmax-cross-entropy gradient, in-place momentum update, transposes as views; for the LSTM
one GEMM for all gates per step, the input projection for all steps before the loop, sigmoid
through tanh), so that ``run_alone.py --numpy`` shows what the yardstick is on *this* machine.

- :func:`mlp_epoch`: one epoch of the 784-256-128-10 MLP, SGD(lr, momentum), cross-entropy,
  shuffled mini-batches, ``loss`` read back every step (as ``loss.item()`` would).
- :class:`LSTMReference`: forward and backward through time of one LSTM layer, (T, N, I) ->
  (T, N, H), the loss a fixed projection of the outputs; every parameter and input gradient.
- :class:`CNNReference`: one Adam training step of the notes' CIFAR tutorial CNN, the way
  PERFORMANCE.md describes the NumPy version it timed: NHWC inside, im2col and one GEMM per
  convolution, col2im as one GEMM per kernel offset with contiguous adds, buffers reused.

``tests/test_reference_numpy.py`` checks that each computes what gradlab computes.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided


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


class _Conv:
    """A 3x3 valid convolution on NHWC arrays: im2col into a reused buffer and one GEMM.

    ``w`` (O, C, 3, 3) and ``b`` (O,) in PyTorch's layout are kept as the (9C, O) matrix whose
    rows follow the windows' (i, j, c) order."""

    def __init__(self, w, b):
        o, c, kh, kw = w.shape
        self.k = (kh, kw)
        self.w = np.ascontiguousarray(w.transpose(2, 3, 1, 0).reshape(kh * kw * c, o))
        self.b = b.copy()
        self.buffers: dict = {}

    def _buffer(self, name, shape, dtype):
        buf = self.buffers.get(name)
        if buf is None or buf.shape != shape:
            buf = self.buffers[name] = np.empty(shape, dtype)
        return buf

    def forward(self, x):
        """x (N, H, W, C) -> relu(conv(x)) (N, Ho, Wo, O); keeps what backward needs."""
        n, h, w, c = x.shape
        kh, kw = self.k
        ho, wo = h - kh + 1, w - kw + 1
        s0, s1, s2, s3 = x.strides
        windows = as_strided(x, (n, ho, wo, kh, kw, c), (s0, s1, s2, s1, s2, s3))
        cols = self._buffer("cols", (n * ho * wo, kh * kw * c), x.dtype)
        cols.reshape(n, ho, wo, kh, kw, c)[...] = windows
        out = self._buffer("out", (n * ho * wo, self.w.shape[1]), x.dtype)
        np.matmul(cols, self.w, out=out)
        out += self.b
        np.maximum(out, 0, out=out)
        self.saved = (x.shape, cols, out)
        return out.reshape(n, ho, wo, -1)

    def backward(self, grad, need_dx=True):
        """grad (N, Ho, Wo, O) of the relu output -> (dx or None, dw (9C, O), db (O,))."""
        shape, cols, out = self.saved
        g = grad.reshape(out.shape)
        g *= out > 0
        dw = cols.T @ g
        db = g.sum(axis=0)
        if not need_dx:
            return None, dw, db
        n, h, w, c = shape
        kh, kw = self.k
        ho, wo = h - kh + 1, w - kw + 1
        dx = self._buffer("dx", shape, g.dtype)
        dx[...] = 0
        for i in range(kh):
            for j in range(kw):
                rows = self.w[(i * kw + j) * c : (i * kw + j + 1) * c]
                dx[:, i : i + ho, j : j + wo] += (g @ rows.T).reshape(n, ho, wo, c)
        return dx, dw, db


def _max_pool(a):
    """2x2 max pooling (floor) of a (N, H, W, C): the pooled array and the four corner masks
    (where the corner holds the maximum). Tied corners would share the gradient; after a ReLU
    the ties are zeros, whose gradient the ReLU stops, so on this network that is PyTorch's
    result."""
    n, h, w, c = a.shape
    corners = [a[:, i : 2 * (h // 2) : 2, j : 2 * (w // 2) : 2] for i in (0, 1) for j in (0, 1)]
    pooled = np.maximum(np.maximum(corners[0], corners[1]), np.maximum(corners[2], corners[3]))
    return pooled, [corner == pooled for corner in corners]


def _max_pool_backward(grad, masks, shape):
    n, h, w, c = shape
    out = np.zeros(shape, grad.dtype)
    for (i, j), mask in zip(((0, 0), (0, 1), (1, 0), (1, 1)), masks):
        out[:, i : 2 * (h // 2) : 2, j : 2 * (w // 2) : 2] = grad * mask
    return out


class CNNReference:
    """The notes' CIFAR tutorial CNN (conv32-pool-conv64-pool-conv64-dense64-10, ReLU), one
    Adam training step on cross-entropy.

    ``params``: the model's ten arrays in PyTorch's order and layouts (conv weights (O, C, 3,
    3), dense weights (out, in) with the dense input in NCHW flatten order). Kept inside in
    NHWC-friendly layouts; :meth:`torch_layout` gives them back in PyTorch's.
    ``step(x (N, 3, 32, 32), y (N,))`` returns the loss before the update."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        w1, b1, w2, b2, w3, b3, d1, e1, d2, e2 = params
        self.convs = [_Conv(w1, b1), _Conv(w2, b2), _Conv(w3, b3)]
        self.c3 = w3.shape[0]
        side = int(round((d1.shape[1] // self.c3) ** 0.5))
        self.side = side
        # the dense input in NHWC order: columns (h, w, c) instead of PyTorch's (c, h, w)
        d1 = d1.reshape(-1, self.c3, side, side).transpose(0, 2, 3, 1).reshape(d1.shape[0], -1)
        self.dense = [np.ascontiguousarray(d1), e1.copy(), d2.copy(), e2.copy()]
        self.lr, self.betas, self.eps = lr, betas, eps
        self.t = 0
        self.moments = None

    def _params(self):
        return [a for conv in self.convs for a in (conv.w, conv.b)] + self.dense

    def torch_layout(self) -> list:
        """The parameters in PyTorch's order and layouts (copies)."""
        out = []
        for conv in self.convs:
            kh, kw = conv.k
            o = conv.w.shape[1]
            c = conv.w.shape[0] // (kh * kw)
            out += [conv.w.reshape(kh, kw, c, o).transpose(3, 2, 0, 1).copy(), conv.b.copy()]
        d1, e1, d2, e2 = self.dense
        s = self.side
        d1 = d1.reshape(-1, s, s, self.c3).transpose(0, 3, 1, 2).reshape(d1.shape[0], -1)
        return out + [d1.copy(), e1.copy(), d2.copy(), e2.copy()]

    def gradients(self, x, y):
        """(loss, gradients in the order of the internal parameters)."""
        conv1, conv2, conv3 = self.convs
        d1, e1, d2, e2 = self.dense
        a1 = conv1.forward(np.ascontiguousarray(x.transpose(0, 2, 3, 1)))
        p1, m1 = _max_pool(a1)
        a2 = conv2.forward(p1)
        p2, m2 = _max_pool(a2)
        a3 = conv3.forward(p2)
        n = len(x)
        flat = a3.reshape(n, -1)
        h = flat @ d1.T
        h += e1
        np.maximum(h, 0, out=h)
        z = h @ d2.T
        z += e2
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        loss = float(-np.log(p[np.arange(n), y]).mean())
        p[np.arange(n), y] -= 1
        p /= n
        g_d2, g_e2 = p.T @ h, p.sum(axis=0)
        dh = p @ d2
        dh *= h > 0
        g_d1, g_e1 = dh.T @ flat, dh.sum(axis=0)
        da3 = (dh @ d1).reshape(a3.shape)
        dp2, g_w3, g_b3 = conv3.backward(da3)
        dp1, g_w2, g_b2 = conv2.backward(_max_pool_backward(dp2, m2, a2.shape))
        _, g_w1, g_b1 = conv1.backward(_max_pool_backward(dp1, m1, a1.shape), need_dx=False)
        grads = [g_w1, g_b1, g_w2, g_b2, g_w3, g_b3, g_d1, g_e1, g_d2, g_e2]
        return loss, grads

    def step(self, x, y) -> float:
        loss, grads = self.gradients(x, y)
        params = self._params()
        if self.moments is None:
            self.moments = [(np.zeros_like(q), np.zeros_like(q)) for q in params]
        self.t += 1
        beta1, beta2 = self.betas
        correction1 = 1 - beta1**self.t
        root2 = (1 - beta2**self.t) ** 0.5
        for param, grad, (m, v) in zip(params, grads, self.moments):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            grad *= grad
            grad *= 1 - beta2
            v += grad
            denom = np.sqrt(v, out=grad)
            denom /= root2
            denom += self.eps
            np.divide(m, denom, out=denom)
            denom *= self.lr / correction1
            param -= denom
        return loss
