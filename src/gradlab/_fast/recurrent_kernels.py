"""The LSTM's pointwise gate math of one step in one pass, compiled with numba
(``gradlab[fast]``).

The reference, :class:`gradlab.ops.recurrent.LSTMOp`, runs each step's pointwise work as a
dozen NumPy passes over (H, N) blocks; these kernels do one pass per step, forward and
backward. The GEMMs stay NumPy's.

tanh. numba calls the C library's scalar ``tanhf`` per element, which does not vectorize and
was several times slower than NumPy's SIMD tanh; :func:`_tanh` is instead a rational
approximation (the one Eigen uses for float32, clamped at +-7.9, where tanh rounds to +-1),
which LLVM vectorizes, accurate to a few float32 ulps (absolute error under 4e-7). So the
forward values agree with the reference to float32 rounding, not bit for bit; the backward
kernel does the reference's multiplications and additions in its order, bit for bit. Only
float32 is taken (the approximation is float32's); anything else runs the reference.
``error_model="numpy"``: no Python ZeroDivisionError check in the loops, which would keep
LLVM from vectorizing them.
"""

from __future__ import annotations

import numba
import numpy as np

from gradlab._fast.compiled import CALLS

__all__ = ["lstm_forward_step", "lstm_backward_step"]

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


@numba.njit(cache=True, error_model="numpy")
def _forward(a, hw, c_prev, ct, tanh_ct, h, y_t):
    H, N = ct.shape
    for r in range(H):
        for n in range(N):
            i = _tanh(a[r, n] + hw[r, n]) * _HALF + _HALF
            f = _tanh(a[H + r, n] + hw[H + r, n]) * _HALF + _HALF
            o = _tanh(a[2 * H + r, n] + hw[2 * H + r, n]) * _HALF + _HALF
            g = _tanh(a[3 * H + r, n] + hw[3 * H + r, n])
            a[r, n] = i
            a[H + r, n] = f
            a[2 * H + r, n] = o
            a[3 * H + r, n] = g
            c = i * g + f * c_prev[r, n]
            ct[r, n] = c
            t = _tanh(c)
            tanh_ct[r, n] = t
            h[r, n] = o * t
    for n in range(N):
        for r in range(H):
            y_t[n, r] = h[r, n]


def lstm_forward_step(a, hw, c_prev, ct, tanh_ct, h, y_t) -> bool:
    """One forward step of :class:`~gradlab.ops.recurrent.LSTMOp`'s loop, in place.

    a (4H, N): this step's input projection, gate rows i, f, o, g with the sigmoid rows'
    weights halved; becomes the activated gates. hw (4H, N): the recurrent projection (the
    same scaling). c_prev (H, N): the previous cell state. Writes ct (H, N) the cell state,
    tanh_ct (H, N) its tanh, h (H, N) the hidden state and y_t (N, H) its transpose.
    False (nothing done) unless every array is float32.
    """
    if a.dtype != _F32 or not all(
        type(v) is np.ndarray and v.dtype == _F32 for v in (a, hw, c_prev, ct, tanh_ct, h, y_t)
    ):
        return False
    _forward(a, hw, c_prev, ct, tanh_ct, h, y_t)
    CALLS["lstm_forward_step"] += 1
    return True


@numba.njit(cache=True, error_model="numpy")
def _backward(a, grad_t, dh_next, has_next, tanh_ct, h_t, c_prev, dc_next, d, dh_all):
    H = tanh_ct.shape[0]
    N = tanh_ct.shape[1]
    # first the transposed read of the output gradient, so that the main loop reads and
    # writes every array with unit stride (which LLVM vectorizes)
    for n in range(N):
        for r in range(H):
            dh_all[r, n] = grad_t[n, r]
    for r in range(H):
        for n in range(N):
            dh = dh_all[r, n] + dh_next[r, n] if has_next else dh_all[r, n]
            i = a[r, n]
            f = a[H + r, n]
            o = a[2 * H + r, n]
            g = a[3 * H + r, n]
            do = dh * tanh_ct[r, n]
            dc = dh * o
            dc = dc - do * h_t[r, n]
            dc = dc + dc_next[r, n]
            di = dc * g
            df = dc * c_prev[r, n]
            dg = dc * i
            dc_next[r, n] = dc * f
            di = di * (i - i * i)  # sigma' = s - s^2, g' = 1 - g^2, as the reference
            df = df * (f - f * f)
            do = do * (o - o * o)
            dg = dg * (_ONE - g * g)
            d[r, n] = di
            d[H + r, n] = df
            d[2 * H + r, n] = do
            d[3 * H + r, n] = dg


def lstm_backward_step(a, grad_t, dh_next, has_next, tanh_ct, h_t, c_prev, dc_next, d, dh):
    """One backward step of :class:`~gradlab.ops.recurrent.LSTMOp`'s loop.

    a (4H, N): the step's activated gates (i, f, o, g); grad_t (N, H): the output gradient
    of the step; dh_next (H, N): the gradient from the step after (used when ``has_next``);
    tanh_ct, h_t, c_prev (H, N); dc_next (H, N): the cell gradient from the step after,
    replaced by the one for the step before; dh (H, N): scratch. Writes the pre-activation
    gradients (4H, N) into ``d``. False (nothing done) unless every array is float32.
    """
    arrays = (a, grad_t, dh_next, tanh_ct, h_t, c_prev, dc_next, d, dh)
    if not all(type(v) is np.ndarray and v.dtype == _F32 for v in arrays):
        return False
    _backward(a, grad_t, dh_next, bool(has_next), tanh_ct, h_t, c_prev, dc_next, d, dh)
    CALLS["lstm_backward_step"] += 1
    return True
