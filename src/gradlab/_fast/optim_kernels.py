"""One-pass optimizer updates, compiled with numba (``gradlab[fast]``).

The NumPy references (``_sgd_kernel`` in :mod:`gradlab.optim.sgd`, ``_adam_kernel`` in
:mod:`gradlab.optim.adam`) make three to eight passes over memory per parameter, each pass a
ufunc; an update is memory-bound, so these kernels read and write every array once. They do
the same floating-point operations in the same order and precision as the references (the
scalars are cast to the arrays' dtype first, as NumPy does with a Python float, and numba
does not fuse a multiply and an add unless asked), so the results are bit-identical.
``error_model="numpy"``: a division by zero gives inf or NaN as in NumPy, and without
Python's ZeroDivisionError check in the loop LLVM vectorizes it.

The entry points :func:`sgd` and :func:`adam` queue one parameter's update on a list, or return
False, having queued nothing, for arrays they do not take (not float32/float64, not
C-contiguous, mixed dtypes): the caller then runs the reference. :func:`run` runs a step's
queue. When the queued arrays add up to :data:`SPLIT_SIZE` elements or more, two threads share
them, half the elements each (:func:`gradlab._fast.two_threads.run_halves`; the kernels release
the GIL): one core cannot stream memory as fast as two, and PyTorch's ``fused=True`` uses every
core. One hand-off per step, not one per array, since a hand-off costs about as much as
updating 10^5 elements. numba's own threads (``parallel=True``) are not used: its OpenMP layer
aborts a forked child that uses it, and its workqueue layer is not safe for concurrent callers.
"""

from __future__ import annotations

import numba
import numpy as np

from gradlab._fast.compiled import CALLS
from gradlab._fast.two_threads import run_halves

__all__ = ["sgd", "adam", "run", "SPLIT_SIZE"]

SPLIT_SIZE = 1 << 18
"""A step whose queued arrays have at least this many elements in all is shared by two
threads."""

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


@numba.njit(cache=True, nogil=True, error_model="numpy")
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


def _distinct(queue: list) -> bool:
    """Whether no two queued updates write the same memory: each one's first array is a
    view made by ``reshape``, whose base is the array that owns the memory (one owner for two
    views of one array, so two parameters viewing one array count as one, conservatively)."""
    return len({id(arrays[0].base) for _, arrays, _ in queue}) == len(queue)


def run(queue: list) -> None:
    """Run the updates :func:`sgd` and :func:`adam` queued, each ``(kernel, arrays,
    scalars)`` with 1-d arrays of one size; on this thread, or shared with the helper thread
    (see the module docstring)."""
    sizes = [arrays[0].size for _, arrays, _ in queue]
    total = sum(sizes)
    if total < SPLIT_SIZE or not _distinct(queue):  # a parameter twice: one thread, in order
        for kernel, arrays, scalars in queue:
            kernel(*arrays, *scalars)
        return
    helpers, mine = [], []
    left = total // 2  # elements still to give the helper thread
    for (kernel, arrays, scalars), size in zip(queue, sizes):
        cut = min(left, size)
        if cut:
            helpers.append((kernel, (*(a[:cut] for a in arrays), *scalars)))
        if cut < size:
            mine.append((kernel, (*(a[cut:] for a in arrays), *scalars)))
        left -= cut
    run_halves(helpers, mine)


def sgd(queue, data, grad, buf, first, lr, momentum, dampening, weight_decay, nesterov,
        maximize):  # fmt: skip
    """Queue :func:`gradlab.optim.sgd._sgd_kernel` in one pass on ``queue`` (see :func:`run`);
    ``buf`` the momentum buffer or None (no momentum); ``first``: the buffer is new (it becomes
    the gradient). False when the arrays are not ones this kernel takes."""
    arrays = (data, grad) if buf is None else (data, grad, buf)
    if not _takes(arrays):
        return False
    real = data.dtype.type  # the references' scalars, rounded as NumPy rounds a Python float
    flat = data.reshape(-1)
    queue.append((_sgd, (flat, grad.reshape(-1), flat if buf is None else buf.reshape(-1)),
         (bool(first), real(-lr), real(momentum), real(1 - dampening), real(weight_decay),
          bool(nesterov), real(-lr * momentum), bool(maximize), buf is not None)))  # fmt: skip
    CALLS["sgd"] += 1
    return True


# --- Adam --------------------------------------------------------------------------------


@numba.njit(cache=True, nogil=True, error_model="numpy")
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


def adam(queue, data, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, shrink, weight_decay,
         maximize, beta1, one_minus_beta1, beta2, one_minus_beta2, eps, step_size):  # fmt: skip
    """Queue :func:`gradlab.optim.adam._adam_kernel` in one pass on ``queue`` (see
    :func:`run`), with its scalars (``eps`` and ``step_size`` carry the bias corrections,
    ``shrink`` the decoupled decay); ``max_exp_avg_sq`` None without amsgrad. False when the
    arrays are not ones this kernel takes."""
    arrays = (data, grad, exp_avg, exp_avg_sq)
    if max_exp_avg_sq is not None:
        arrays += (max_exp_avg_sq,)
    if not _takes(arrays):
        return False
    real = data.dtype.type
    flat = data.reshape(-1)
    amsgrad = max_exp_avg_sq is not None
    queue.append((_adam, (flat, grad.reshape(-1), exp_avg.reshape(-1), exp_avg_sq.reshape(-1),
                 max_exp_avg_sq.reshape(-1) if amsgrad else flat),
         (real(shrink), real(weight_decay), bool(maximize), real(beta1), real(one_minus_beta1),
          real(beta2), real(one_minus_beta2), real(eps), real(-step_size), amsgrad)))  # fmt: skip
    CALLS["adam"] += 1
    return True
