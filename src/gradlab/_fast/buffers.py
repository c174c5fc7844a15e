"""A pool of large work arrays with explicit ownership, reused across training steps.

A fresh multi-megabyte array costs a page fault per 4 KiB page on first touch; the fused ops
(convolution, pooling, recurrent layers) instead take their large internal arrays from
:data:`POOL` and hand them back when they are done with them. Ownership is explicit:

- :meth:`BufferPool.take` gives the caller an array that nobody else holds; it leaves the
  pool's free list, so it cannot be handed out again while the caller owns it.
- The owner gives it back with :meth:`BufferPool.give`: an op right after using it as
  scratch, or a graph node when the engine frees it after backward (the node's ``release``,
  called by :func:`gradlab.autograd.free_node`). A node that is never freed (its graph is
  dropped without backward, or kept with ``retain_graph=True``) keeps its arrays; they are
  garbage-collected with it, as any array.
- Only arrays that stay inside an op and its node are pooled: an op's output, a gradient it
  returns, or a view of either may reach a user (an activation kept for plotting, a leaf's
  ``.grad``) and is therefore allocated normally, never taken from the pool.

Nothing here counts references. :meth:`give` accepts only arrays that :meth:`take` lent and
that have not been given back (it looks them up by identity in a weak table), so a stray
array, a double give or a view of someone else's array is ignored rather than pooled.
Contents are uninitialized, as ``numpy.empty``'s. Not thread-safe (one training loop per
process).
"""

from __future__ import annotations

import weakref

import numpy as xp  # the CPU pool: host arrays only
from numpy.lib.stride_tricks import as_strided

__all__ = ["BufferPool", "POOL", "zeros_like_layout"]


class BufferPool:
    """Free arrays kept across steps, keyed by (shape, dtype).

    ``take(shape, dtype)`` returns an array owned by the caller; ``give(*arrays)`` returns
    them. At most ``per_key`` free arrays are kept per key and ``max_bytes`` in all; what does
    not fit is simply dropped (freed once its owner lets go). ``enabled = False`` makes
    ``take`` allocate a fresh array every time and ``give`` do nothing (same results: the
    contents of a taken array are never read before being written).
    """

    def __init__(self, per_key: int = 8, max_bytes: int = 512 << 20):
        self.per_key = per_key
        self.max_bytes = max_bytes
        self.enabled = True
        self.nbytes = 0  # bytes of the free arrays kept
        self._free: dict = {}  # (shape, dtype) -> [array, ...], all owned by the pool
        self._lent = weakref.WeakValueDictionary()  # id -> array, out with an owner now

    def take(self, shape, dtype):
        """An uninitialized array of ``shape`` and ``dtype`` that the caller now owns."""
        if not self.enabled:
            return xp.empty(shape, dtype)
        key = (tuple(shape), xp.dtype(dtype))
        free = self._free.get(key)
        if free:
            array = free.pop()
            self.nbytes -= array.nbytes
        else:
            array = xp.empty(key[0], key[1])
        self._lent[id(array)] = array
        return array

    def give(self, *arrays) -> None:
        """Hand back arrays that :meth:`take` lent; the caller must hold no view of them that
        it will still use. None, arrays the pool did not lend (a user's input, a view) and
        arrays already given back are ignored."""
        for array in arrays:
            if array is None or self._lent.get(id(array)) is not array:
                continue
            del self._lent[id(array)]
            free = self._free.setdefault((array.shape, array.dtype), [])
            if len(free) < self.per_key and self.nbytes + array.nbytes <= self.max_bytes:
                free.append(array)
                self.nbytes += array.nbytes

    def lent(self, array) -> bool:
        """Whether ``array`` is out with an owner now (taken and not given back)."""
        return self._lent.get(id(array)) is array


POOL = BufferPool()
"""The pool that convolution, pooling and the recurrent ops take their work arrays from."""


_zeros: dict = {}  # dtype -> one read-only flat zeros array, grown to the largest request


def zeros_like_layout(a):
    """A read-only array of zeros with ``a``'s shape, dtype and strides, or None when ``a``'s
    elements do not fill one gap-free block of memory (in any axis order).

    For ``numpy.maximum(a, zeros)``: with a scalar 0 NumPy takes a slower loop than with an
    array operand of the same layout. Every caller shares one read-only buffer per dtype, so
    the memory is that of the largest request.
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
