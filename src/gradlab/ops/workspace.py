"""One pool of large arrays, reused across steps once nothing else refers to them.

A fresh multi-megabyte array costs a page fault per 4 KiB page on first touch (PERFORMANCE.md:
15-58% of a conv or LSTM step). The fused ops (conv, pooling, LSTM/GRU) take their work arrays
and saved activations from :data:`POOL`; an array is handed out again only when its reference
count shows that no graph node, view or user holds it any more, so the reuse is never visible.
Contents are uninitialized, as ``numpy.empty``'s. Not thread-safe (one training loop per
process).
"""

from __future__ import annotations

import sys

from numpy.lib.stride_tricks import as_strided

from gradlab.backend import xp

__all__ = ["BufferPool", "POOL", "empty", "zeros_like_layout"]

_refcount = sys.getrefcount


class BufferPool:
    """Arrays kept across steps, keyed by (shape, dtype), reused once nothing refers to them.

    ``get(shape, dtype)`` returns an uninitialized array. An array is reused only when its
    reference count shows that the pool holds the last reference: a saved activation, a
    gradient handed to the engine or a user's ``.grad`` (or any view of them) keeps it
    busy, so a buffer is never overwritten while someone can still read it. At most
    ``per_key`` arrays are kept per key and ``max_bytes`` in all; beyond that ``get``
    allocates a plain array. Not thread-safe (one training loop per process).
    """

    def __init__(self, per_key: int = 8, max_bytes: int = 512 << 20):
        self.per_key = per_key
        self.max_bytes = max_bytes
        self.nbytes = 0
        self._arrays: dict = {}

    def get(self, shape, dtype):
        key = (tuple(shape), xp.dtype(dtype))
        arrays = self._arrays.get(key)
        if arrays is None:
            arrays = self._arrays[key] = []
        for array in arrays:
            # References: the list, the loop variable and getrefcount's argument.
            if _refcount(array) == 3:
                return array
        array = xp.empty(shape, dtype)
        if len(arrays) < self.per_key and self.nbytes + array.nbytes <= self.max_bytes:
            arrays.append(array)
            self.nbytes += array.nbytes
        return array

    def zeros(self, shape, dtype):
        array = self.get(shape, dtype)
        array.fill(0)
        return array

    def clear(self) -> None:
        """Drop every kept array (they are freed once nothing else refers to them)."""
        self._arrays.clear()
        self.nbytes = 0


POOL = BufferPool()
"""The pool that conv, pooling and the recurrent ops draw their large arrays from."""


def empty(shape, dtype):
    """An uninitialized array of ``shape`` and ``dtype`` from :data:`POOL`."""
    return POOL.get(shape, dtype)


_zeros: dict = {}  # dtype -> one read-only flat zeros array, grown to the largest request


def zeros_like_layout(a):
    """A read-only array of zeros with ``a``'s shape, dtype and strides, or None when ``a``'s
    elements do not fill one gap-free block of memory (in any axis order).

    For ``numpy.maximum(a, zeros)``: with a scalar 0 NumPy takes a slower loop (measured here,
    1.8M float32: 0.58 ms against 0.23 ms with an array; (32, 256): 3.3 against 1.0 µs).
    Every caller shares one buffer per dtype, so the memory is that of the largest request.
    """
    itemsize = a.itemsize
    expected = itemsize
    if not a.flags.c_contiguous:
        for axis in sorted(range(a.ndim), key=a.strides.__getitem__):
            if a.shape[axis] != 1:
                if a.strides[axis] != expected:
                    return None
                expected *= a.shape[axis]
    zeros = _zeros.get(a.dtype)
    if zeros is None or zeros.size < a.size:
        zeros = xp.zeros(max(a.size, 1024), a.dtype)
        zeros.flags.writeable = False
        _zeros[a.dtype] = zeros
    if a.flags.c_contiguous:
        return zeros[: a.size].reshape(a.shape)
    return as_strided(zeros, a.shape, a.strides, writeable=False)
