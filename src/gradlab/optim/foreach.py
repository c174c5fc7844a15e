"""The elementwise machinery under every optimizer's update: threads, one-pass axpby, the L2 term.

An optimizer writes its update for one parameter as an elementwise *kernel*, a function of
same-shaped arrays and scalars, and hands the list of all its parameters' jobs to
:func:`foreach_elementwise`. That function runs small parameters on the calling thread and
shares the large ones (``parallel_min`` elements or more) with one persistent helper thread
(NumPy and BLAS release the GIL on large arrays). Every element goes through the same
operations either way, so the result does not depend on the split, bit for bit (at a given
OpenBLAS thread count: see :func:`axpby`).

NumPy has no fused multiply-add, so ``y = a·x + b·y`` costs two or three passes over memory.
:func:`axpby` does it in one, through the BLAS that NumPy itself ships (OpenBLAS's ``?axpby``),
when that library is there; otherwise, or for arrays it does not handle, with ufuncs. OpenBLAS's
``?axpby`` runs on one thread; from ``THREADED_MIN_NUMEL`` elements, when OpenBLAS has more than
one thread and no split is running, :func:`axpby` is ``?scal`` then ``?axpy`` instead, which
OpenBLAS runs on all its threads (its workers wait spinning, so the hand-off costs far less
than a Python thread's): a pass more, but two cores. ``?axpy`` uses fused multiply-adds where
``?axpby`` rounds each product, so the last bit can depend on OpenBLAS's thread count, as a
GEMM's summation order does.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from gradlab.backend import xp

BLAS_MIN_NUMEL = 1 << 14
"""Arrays smaller than this use ufuncs: a BLAS call through ctypes costs ~2 µs of overhead."""

THREADED_MIN_NUMEL = 1 << 17
"""From this size :func:`axpby` runs on OpenBLAS's threads (``?scal`` + ``?axpy``) when it has
more than one. Measured here, b = 0.9·b + g then θ −= lr·b, one-pass ``?axpby`` twice against
the threaded three passes: 25 vs 20 µs at 2^17 elements, 100 vs 82 at 2^19, 196 vs 173 at 2^20;
equal at 2^16."""

_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()
_blas: dict | None = None  # the C functions, filled on first use (see _load_blas)
_splitting = 0  # > 0 while foreach_elementwise runs a two-thread split: BLAS stays on one thread


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _helper_thread() -> ThreadPoolExecutor | None:
    """The one persistent helper thread, created on first use (None on a single CPU).

    A fork leaves the child with the pool object but not its thread: a new pid gets a new pool.
    """
    global _pool, _pool_pid
    if _pool is None or _pool_pid != os.getpid():
        with _pool_lock:
            if _pool is None or _pool_pid != os.getpid():
                if _cpu_count() < 2:
                    return None
                _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gradlab-optim")
                _pool_pid = os.getpid()
    return _pool


def _run(kernel, jobs: list, errstate: dict | None = None) -> None:
    if errstate is not None:  # in the helper thread: the caller's floating-point settings
        with np.errstate(**errstate):
            _run(kernel, jobs)
        return
    for arrays, scalars in jobs:
        kernel(arrays, *scalars)


def _split(big: list) -> tuple[list, list]:
    """Cut the flattened jobs, laid end to end, in two halves: at the job boundary nearest the
    middle when one is within an eighth of the total (fewer calls: each native call that
    returns while the other thread holds the GIL waits a thread wake-up, ~15 µs here),
    else at the middle, on a multiple of 64 elements (pieces start SIMD-aligned, and vector
    loops see the same elements in their remainder loops as on the whole array)."""
    sizes = [arrays[0].size for arrays, _ in big]
    total = sum(sizes)
    middle = total // 2
    offset, boundary = 0, 0
    for n in sizes:
        offset += n
        if abs(offset - middle) < abs(boundary - middle):
            boundary = offset
    cut = boundary if abs(boundary - middle) <= total // 8 else middle
    first, second = [], []
    offset = 0
    for (arrays, scalars), n in zip(big, sizes):
        k = n if offset + n <= cut else min(max((cut - offset + 32) & ~63, 0), n)
        if k == n:
            first.append((arrays, scalars))
        elif k == 0:
            second.append((arrays, scalars))
        else:
            first.append(([a[:k] for a in arrays], scalars))
            second.append(([a[k:] for a in arrays], scalars))
        offset += n
    return first, second


def foreach_elementwise(kernel, jobs: list, parallel_min: int) -> None:
    """Run an elementwise ``kernel`` over ``jobs``, a list of ``(arrays, scalars)`` pairs.

    ``kernel(arrays, *scalars)`` (``arrays`` a list of same-shaped arrays) must treat every
    element independently (ufuncs with ``out=``, :func:`axpby`; no reductions, no
    broadcasting), so that running it on pieces gives what it gives on the whole. Jobs whose
    arrays are all C-contiguous with at least ``parallel_min`` elements are flattened, laid end
    to end and cut in two (:func:`_split`): the helper thread takes the second part, this
    thread the first and every smaller job.
    """
    global _splitting
    here, big = [], []
    for job in jobs:
        arrays = job[0]
        if arrays[0].size < parallel_min or not all(a.flags.c_contiguous for a in arrays):
            here.append(job)
        else:
            big.append(([a.reshape(-1) for a in arrays], job[1]))
    pool = _helper_thread() if big else None
    if pool is None:
        _run(kernel, here + big)
        return
    mine, theirs = _split(big)
    _splitting += 1
    try:
        future = pool.submit(_run, kernel, theirs, np.geterr())
        try:
            _run(kernel, here + mine)
        finally:
            future.result()  # even when this thread raised: the helper is still writing arrays
    finally:
        _splitting -= 1


_REALS = ((np.float32, "s", ctypes.c_float), (np.float64, "d", ctypes.c_double))


def _load_blas() -> dict:
    """OpenBLAS's cblas_?axpby, ?axpy, ?scal (by dtype) and its thread count, from the library
    NumPy's wheel bundles ({} when not found)."""
    root = os.path.dirname(os.path.dirname(np.__file__))
    paths = glob.glob(os.path.join(root, "numpy.libs", "*openblas*"))
    paths += glob.glob(os.path.join(os.path.dirname(np.__file__), ".dylibs", "*openblas*"))
    i64, ptr = ctypes.c_int64, ctypes.c_void_p  # the 64-bit-integer ABI ("64_" names)
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        found = {"axpby": {}, "axpy": {}, "scal": {}}
        try:
            for dtype, letter, real in _REALS:
                key = np.dtype(dtype)
                fn = getattr(lib, f"scipy_cblas_{letter}axpby64_")
                fn.argtypes = [i64, real, ptr, i64, real, ptr, i64]
                found["axpby"][key] = fn
                fn = getattr(lib, f"scipy_cblas_{letter}axpy64_")
                fn.argtypes = [i64, real, ptr, i64, ptr, i64]
                found["axpy"][key] = fn
                fn = getattr(lib, f"scipy_cblas_{letter}scal64_")
                fn.argtypes = [i64, real, ptr, i64]
                found["scal"][key] = fn
            threads = lib.scipy_openblas_get_num_threads64_
        except AttributeError:
            continue
        for table in found.values():
            for fn in table.values():
                fn.restype = None
        threads.argtypes, threads.restype = [], ctypes.c_int
        found["threads"] = threads
        return found
    return {}


def axpby(alpha: float, x, beta: float, y, scratch) -> None:
    """``y = alpha·x + beta·y`` in place, elementwise; ``x`` and ``y`` have the same shape.

    One pass through BLAS for large contiguous float32/float64 NumPy arrays; otherwise ufuncs,
    using ``scratch`` (same shape; may be ``x`` itself, which is then overwritten; never
    ``y``). Zero coefficients take the ufunc path, which keeps NumPy's NaN rules (0·inf = NaN).
    """
    global _blas
    n = y.size
    if (
        alpha
        and beta
        and n >= BLAS_MIN_NUMEL
        and type(y) is np.ndarray
        and type(x) is np.ndarray
        and x.dtype == y.dtype
        and x.flags.c_contiguous
        and y.flags.c_contiguous
        and y.flags.writeable
        and x.shape == y.shape
    ):
        if _blas is None:
            _blas = _load_blas()
        fn = _blas["axpby"].get(y.dtype) if _blas else None
        if fn is not None:
            x_at, y_at = x.ctypes.data, y.ctypes.data
            threaded = n >= THREADED_MIN_NUMEL and not _splitting and x_at != y_at
            if threaded and _blas["threads"]() > 1:
                if beta != 1:
                    _blas["scal"][y.dtype](n, beta, y_at, 1)
                _blas["axpy"][y.dtype](n, alpha, x_at, 1, y_at, 1)  # fused multiply-adds
                return
            fn(n, alpha, x_at, 1, beta, y_at, 1)
            return
    if beta != 1:
        y *= beta
    if alpha == 1:
        y += x
    else:
        xp.multiply(x, alpha, out=scratch)
        y += scratch


def effective_grad(data, grad, weight_decay: float, maximize: bool, out):
    """The gradient after ``maximize`` (negate) and L2 ``weight_decay`` (+ wd·θ), elementwise.

    Returns ``grad`` itself when neither applies (never modified), else ``out``.
    """
    if weight_decay:
        xp.multiply(data, weight_decay, out=out)
        if maximize:
            xp.subtract(out, grad, out=out)
        else:
            xp.add(out, grad, out=out)
        return out
    if maximize:
        return xp.negative(grad, out=out)
    return grad
