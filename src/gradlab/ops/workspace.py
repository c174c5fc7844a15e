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

from gradlab.backend import xp

__all__ = ["BufferPool", "POOL", "empty"]

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
