"""One-pass optimizer updates, compiled with numba (``gradlab[fast]``).

The NumPy references (``_sgd_kernel`` in :mod:`gradlab.optim.sgd`, ``_adam_kernel`` in
:mod:`gradlab.optim.adam`) make three to eight passes over memory per parameter, each pass a
ufunc; an update is memory-bound, so these kernels read and write every array once. They do
the same floating-point operations in the same order and precision as the references (the
scalars are cast to the arrays' dtype first, as NumPy does with a Python float, and numba
does not fuse a multiply and an add unless asked), so the results are bit-identical.
``error_model="numpy"``: a division by zero gives inf or NaN as in NumPy, and without
Python's ZeroDivisionError check in the loop LLVM vectorizes it.

The kernels run on the calling thread. numba's threads (``parallel=True``, an OpenMP pool)
were measured and not kept: on this 2-core machine they compete with NumPy's and PyTorch's
own thread pools, and one pass over memory on one core already beats PyTorch's ``fused=True``
(benchmarks/results/fast_ab.md). The entry points return False, having done nothing, for
arrays they do not take (not float32/float64, not C-contiguous, mixed dtypes): the caller
then runs the reference.
"""

from __future__ import annotations

import numba
import numpy as np

from gradlab._fast.compiled import CALLS

__all__ = ["sgd", "adam"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _takes(arrays) -> bool:
    first = arrays[0]
    if type(first) is not np.ndarray or first.dtype not in _FLOATS:
        return False
    for a in arrays:
        if (
            type(a) is not np.ndarray
            or a.dtype != first.dtype
            or a.shape != first.shape
            or not a.flags.c_contiguous
        ):
            return False
    return True


# --- SGD ---------------------------------------------------------------------------------


@numba.njit(cache=True, error_model="numpy")
def _sgd(data, grad, buf, first, neg_lr, momentum, one_minus_damp, wd, nesterov,
         neg_lr_momentum, maximize, has_buf):  # fmt: skip
    for i in range(data.size):
        g = grad[i]
        if wd != 0:
            g = data[i] * wd - g if maximize else data[i] * wd + g
        elif maximize:
            g = -g
        if has_buf:
            b = g if first else buf[i] * momentum + g * one_minus_damp
            buf[i] = b
            if nesterov:
                data[i] = data[i] + g * neg_lr + b * neg_lr_momentum
                continue
            g = b
        data[i] = data[i] + g * neg_lr


def sgd(data, grad, buf, first, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """:func:`gradlab.optim.sgd._sgd_kernel` in one pass; ``buf`` the momentum buffer or None
    (no momentum); ``first``: the buffer is new (it becomes the gradient). False when the
    arrays are not ones this kernel takes."""
    arrays = (data, grad) if buf is None else (data, grad, buf)
    if not _takes(arrays):
        return False
    real = data.dtype.type  # the references' scalars, rounded as NumPy rounds a Python float
    flat = data.reshape(-1)
    _sgd(flat, grad.reshape(-1), flat if buf is None else buf.reshape(-1), bool(first),
         real(-lr), real(momentum), real(1 - dampening), real(weight_decay), bool(nesterov),
         real(-lr * momentum), bool(maximize), buf is not None)  # fmt: skip
    CALLS["sgd"] += 1
    return True


# --- Adam --------------------------------------------------------------------------------


@numba.njit(cache=True, error_model="numpy")
def _adam(data, grad, exp_avg, exp_avg_sq, max_sq, shrink, wd, maximize, beta1,
          one_minus_beta1, beta2, one_minus_beta2, eps, neg_step, amsgrad):  # fmt: skip
    for i in range(data.size):
        g = grad[i]
        if wd != 0:
            g = data[i] * wd - g if maximize else data[i] * wd + g
        elif maximize:
            g = -g
        m = exp_avg[i] * beta1 + g * one_minus_beta1
        exp_avg[i] = m
        v = exp_avg_sq[i] * beta2 + (g * g) * one_minus_beta2
        exp_avg_sq[i] = v
        if amsgrad:
            old = max_sq[i]
            v = old if (old != old or old >= v) else v  # NumPy's maximum: a NaN wins
            max_sq[i] = v
        d = data[i] * shrink if shrink != 1 else data[i]
        data[i] = d + (m / (np.sqrt(v) + eps)) * neg_step


def adam(data, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, shrink, weight_decay, maximize,
         beta1, one_minus_beta1, beta2, one_minus_beta2, eps, step_size):  # fmt: skip
    """:func:`gradlab.optim.adam._adam_kernel` in one pass (same scalars: ``eps`` and
    ``step_size`` carry the bias corrections, ``shrink`` the decoupled decay);
    ``max_exp_avg_sq`` None without amsgrad. False when the arrays are not ones this kernel
    takes."""
    arrays = (data, grad, exp_avg, exp_avg_sq)
    if max_exp_avg_sq is not None:
        arrays += (max_exp_avg_sq,)
    if not _takes(arrays):
        return False
    real = data.dtype.type
    flat = data.reshape(-1)
    amsgrad = max_exp_avg_sq is not None
    _adam(flat, grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
          max_exp_avg_sq.reshape(-1) if amsgrad else flat, real(shrink), real(weight_decay),
          bool(maximize), real(beta1), real(one_minus_beta1), real(beta2), real(one_minus_beta2),
          real(eps), real(-step_size), amsgrad)  # fmt: skip
    CALLS["adam"] += 1
    return True
