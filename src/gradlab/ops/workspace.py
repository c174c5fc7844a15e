"""A pool of large arrays, reused across calls once nothing else refers to them.

A fresh multi-megabyte array costs a page fault per 4 KiB page on first touch: about 2700
faults per training step of the benchmark LSTM (T=50, N=64, H=128), a sizeable part of its
time. :func:`empty` hands out an array of the pool again only when its reference count shows
that no graph node, view or user holds it any more, so the reuse is never visible. Use it for
work arrays and saved activations of fused ops; the contents are uninitialized, as
``numpy.empty``'s.
"""

from __future__ import annotations

import sys
from collections import OrderedDict

from gradlab.backend import xp

__all__ = ["Workspace", "empty"]


class Workspace:
    """A pool of at most ``capacity`` arrays, least recently used dropped first."""

    def __init__(self, capacity: int = 32):
        self.capacity = capacity
        self.arrays: OrderedDict = OrderedDict()  # id -> array, least recently used first

    def empty(self, shape, dtype):
        shape = tuple(shape)
        for array in self.arrays.values():
            # referrers: this dict, the loop variable and getrefcount's argument
            if sys.getrefcount(array) == 3 and array.shape == shape and array.dtype == dtype:
                self.arrays.move_to_end(id(array))
                return array
        array = xp.empty(shape, dtype=dtype)
        self.arrays[id(array)] = array
        if len(self.arrays) > self.capacity:
            self.arrays.popitem(last=False)
        return array


_default = Workspace()


def empty(shape, dtype):
    """An uninitialized array of ``shape`` and ``dtype`` from the default pool."""
    return _default.empty(shape, dtype)
