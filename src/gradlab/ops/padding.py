"""Constant padding (``torch.nn.functional.pad``): the :class:`Pad` primitive and
:func:`pad`."""

from __future__ import annotations

import builtins

from gradlab.autograd import Function
from gradlab.backend import array_module


class Pad(Function):
    """Constant padding; ``widths`` is numpy's ((before, after), ...) per dimension."""

    __slots__ = ()

    def forward(self, a, widths=(), value=0.0):
        xp = array_module(a)
        self.saved = (tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape)),)
        return xp.pad(a, widths, mode="constant", constant_values=value)

    def backward(self, grad):
        return grad[self.saved[0]]

    def backward_graph(self, grad):
        from gradlab.ops.movement import Index  # movement imports this file

        return Index.apply(grad, key=self.saved[0])


def pad(a, pad, mode="constant", value=0.0):
    """Pad as ``torch.nn.functional.pad``: ``pad`` lists (left, right) pairs from the last dim."""
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is supported, got mode={mode!r}")
    if len(pad) % 2 or len(pad) // 2 > a.ndim:
        raise ValueError(
            f"pad: expected an even number of at most {2 * a.ndim} values for a tensor of "
            f"{a.ndim} dimensions, got {len(pad)}"
        )
    if builtins.min(pad, default=0) < 0:
        raise ValueError(f"pad: negative padding is not supported, got {tuple(pad)}")
    widths = [(0, 0)] * a.ndim
    for i in range(len(pad) // 2):
        widths[a.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return Pad.apply(a, widths=tuple(widths), value=value)
