"""The LSTM's pointwise gate math of one step in one pass, compiled with numba
(``gradlab[fast]``).

Without them, :class:`gradlab.ops.lstm.LSTMOp` runs each step's pointwise work as a dozen
NumPy passes over (N, H) blocks (``_forward_step``, ``_backward_step``); these kernels do
it in one pass per step, forward and backward. The GEMMs stay NumPy's. The op gets a
``step`` function for its arrays once per loop (:func:`lstm_forward_stepper`), so the
per-step cost is the kernel's call, not a check of every array. The kernels release the GIL.

Vectorizing. Gates are indexed as (N, 4, H), so that the inner loop's index is the bare loop
variable (numba's negative-index fixup of ``3 * H + r`` keeps LLVM from vectorizing), and
each inner loop stores into one gate only: LLVM cannot rule out that two gates of one array,
H elements apart, overlap within a vector, and leaves such a loop scalar (ten times slower).

tanh. numba calls the C library's scalar ``tanhf`` per element, which does not vectorize and
was several times slower than NumPy's SIMD tanh; :func:`_tanh` is instead a rational
approximation (the one Eigen uses for float32, clamped at +-7.9, where tanh rounds to +-1),
which LLVM vectorizes, accurate to a few float32 ulps (absolute error under 4e-7). So the
forward values agree with the reference to float32 rounding, not bit for bit (the forward
kernel may also fuse multiply-adds, ``fastmath={"contract"}``); the backward kernel
recomputes tanh(c) the same way, then does the reference's operations in its order. Only
float32 is taken (the approximation is float32's); anything else runs the reference.
``error_model="numpy"``: no Python ZeroDivisionError check in the loops, which would keep
LLVM from vectorizing them.
"""

from __future__ import annotations

import numba
import numpy as np

from gradlab._fast.compiled import CALLS

__all__ = ["lstm_forward_stepper", "lstm_backward_stepper"]

_F32 = np.dtype(np.float32)
_CLAMP = np.float32(7.90531110763549805)
_P = tuple(np.float32(c) for c in (
    -2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11, 5.12229709037114e-08,
    1.48572235717979e-05, 6.37261928875436e-04, 4.89352455891786e-03,
))  # fmt: skip
_Q = tuple(np.float32(c) for c in (
    1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03, 4.89352518554385e-03,
))  # fmt: skip
_HALF = np.float32(0.5)
_ONE = np.float32(1)


@numba.njit(inline="always", error_model="numpy")
def _tanh(x):
    x = x if x < _CLAMP else _CLAMP
    x = x if x > -_CLAMP else -_CLAMP
    x2 = x * x
    p = x2 * _P[0] + _P[1]
    p = x2 * p + _P[2]
    p = x2 * p + _P[3]
    p = x2 * p + _P[4]
    p = x2 * p + _P[5]
    p = x2 * p + _P[6]
    q = x2 * _Q[0] + _Q[1]
    q = x2 * q + _Q[2]
    q = x2 * q + _Q[3]
    return x * p / q


@numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})
def _forward(a, hw, bias, c_prev, c_t, h_t):
    # a, hw, bias as (N, 4, H) and (4, H). Each inner loop stores to one gate of ``a`` and
    # reads no other gate it does not store: LLVM cannot rule out an overlap between two
    # gates of one array H elements apart, and leaves such a loop scalar (ten times slower).
    N, H = c_t.shape
    for n in range(N):
        for q in range(3):  # the sigmoid gates
            for r in range(H):
                a[n, q, r] = _tanh(a[n, q, r] + hw[n, q, r] + bias[q, r]) * _HALF + _HALF
        for r in range(H):
            a[n, 3, r] = _tanh(a[n, 3, r] + hw[n, 3, r] + bias[3, r])
        for r in range(H):
            c = a[n, 0, r] * a[n, 3, r] + a[n, 1, r] * c_prev[n, r]
            c_t[n, r] = c
            h_t[n, r] = a[n, 2, r] * _tanh(c)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _forward_at(gates, hw, bias, c0, cells, y, t, p):
    _forward(gates[t], hw, bias, c0 if p < 0 else cells[p], cells[t], y[t])


def _ready(*arrays) -> bool:
    """Every array float32 and C-contiguous (what the kernels are compiled for)."""
    return all(type(v) is np.ndarray and v.dtype == _F32 and v.flags.c_contiguous for v in arrays)


def lstm_forward_stepper(gates, hw, bias, c0, cells, y):
    """The forward step of :class:`~gradlab.ops.lstm.LSTMOp`'s loop over these arrays, as
    ``step(t, p)``: step t, whose previous step is p (-1: the initial state c0), in place; or
    None (nothing compiled for them) unless every array is float32 and C-contiguous.

    gates (T, N, 4H): the input projection, gate columns i, f, o, g with the sigmoid gates'
    weights halved; step t turns gates[t] into the activated gates. hw (N, 4H): the step's
    recurrent projection, bias (4H,) the summed biases (the same scaling). c0 (N, H): the
    initial cell state. Step t writes cells[t] (N, H), the cell state, and y[t] (N, H), the
    hidden state. The arrays are checked once here, not at every step.
    """
    if not _ready(gates, hw, bias, c0, cells, y):
        return None
    T, N, H4 = gates.shape
    H = H4 // 4
    g4, hw3, b2 = gates.reshape(T, N, 4, H), hw.reshape(N, 4, H), bias.reshape(4, H)

    def step(t: int, p: int) -> None:
        _forward_at(g4, hw3, b2, c0, cells, y, t, p)
        CALLS["lstm_forward_step"] += 1

    return step


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _backward(a, grad_t, dh_next, has_next, c_t, c_prev, dc_next, d, dc):
    # a, d as (N, 4, H); one gate of d stored per inner loop (see _forward); dc (H,) scratch
    N, H = c_t.shape
    for n in range(N):
        for r in range(H):
            dh = grad_t[n, r] + dh_next[n, r] if has_next else grad_t[n, r]
            o = a[n, 2, r]
            tc = _tanh(c_t[n, r])  # as the forward step computed it
            dc[r] = dc_next[n, r] + dh * o * (_ONE - tc * tc)
            d[n, 2, r] = dh * tc * (o - o * o)  # sigma' = s - s^2
        for r in range(H):
            i = a[n, 0, r]
            d[n, 0, r] = dc[r] * a[n, 3, r] * (i - i * i)
        for r in range(H):
            f = a[n, 1, r]
            d[n, 1, r] = dc[r] * c_prev[n, r] * (f - f * f)
            dc_next[n, r] = dc[r] * f
        for r in range(H):
            g = a[n, 3, r]
            d[n, 3, r] = dc[r] * a[n, 0, r] * (_ONE - g * g)  # tanh' = 1 - g^2


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _backward_at(gates, grad, dh_next, has_next, cells, c0, dc_next, d_all, t, p, dc):
    c_prev = c0 if p < 0 else cells[p]
    _backward(gates[t], grad[t], dh_next, has_next, cells[t], c_prev, dc_next, d_all[t], dc)


def lstm_backward_stepper(gates, grad, dh_next, cells, c0, dc_next, d_all):
    """The backward step of :class:`~gradlab.ops.lstm.LSTMOp`'s loop over these arrays, as
    ``step(t, p, has_next)``; or None unless every array is float32 and C-contiguous.

    gates (T, N, 4H): the activated gates (i, f, o, g); grad (T + 1, N, H): the output
    gradient; dh_next (N, H): the gradient from the step after (used when ``has_next``);
    cells (T, N, H) and c0 (N, H): the cell states, p the position of step t's previous one
    (-1: c0); dc_next (N, H): the cell gradient from the step after, replaced by the one for
    the step before. Step t writes its pre-activation gradients (N, 4H) into d_all[t].
    """
    if not _ready(gates, grad, dh_next, cells, c0, dc_next, d_all):
        return None
    T, N, H4 = gates.shape
    H = H4 // 4
    g4, d4 = gates.reshape(T, N, 4, H), d_all.reshape(T, N, 4, H)
    dc = np.empty(H, _F32)

    def step(t: int, p: int, has_next: bool) -> None:
        _backward_at(g4, grad, dh_next, has_next, cells, c0, dc_next, d4, t, p, dc)
        CALLS["lstm_backward_step"] += 1

    return step
