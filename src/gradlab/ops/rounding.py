"""Rounding: floor, ceil, round, trunc (fix) and sign (sgn), as PyTorch's: a zero gradient, and on
integer inputs the integers unchanged; ``signbit`` (no gradient)."""

from __future__ import annotations

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.tensor import Tensor


def rounded(a, fn, decimals=0):
    """``a`` through the array module's floor, ceil, round (to ``decimals``), trunc or sign."""
    xp = array_module(a)
    return xp.round(a, decimals) if fn == "round" else getattr(xp, fn)(a)


class Rounding(Function):
    """floor, ceil, round, trunc, sign (``fn``, by name): a zero gradient, as PyTorch."""

    __slots__ = ()

    def forward(self, a, fn="floor", decimals=0):
        self.saved = (a.shape, a.dtype)
        return rounded(a, fn, decimals)

    def backward(self, grad):
        xp = array_module(grad)
        return xp.zeros(self.saved[0], grad.dtype)

    def backward_graph(self, grad):  # zero, whatever grad is (see gradlab.autograd_graph)
        return grad * 0


def _rounding(a, fn, decimals=0):
    if not isinstance(a, Tensor):
        raise TypeError(f"expected a Tensor, got {type(a).__name__}")
    if a.dtype.kind not in "fc":
        return Tensor(rounded(a._data, fn, decimals))
    return Rounding.apply(a, fn=fn, decimals=decimals)


def floor(input):  # noqa: A002
    return _rounding(input, "floor")


def ceil(input):  # noqa: A002
    return _rounding(input, "ceil")


def trunc(input):  # noqa: A002
    return _rounding(input, "trunc")


fix = trunc


def round(input, *, decimals=0):  # noqa: A001, A002 - PyTorch's names
    """Round half to even, to ``decimals`` places (as ``torch.round``)."""
    return _rounding(input, "round", decimals)


def sign(input):  # noqa: A002
    if input.dtype == bool:
        return Tensor(input._data.copy())
    return _rounding(input, "sign")


sgn = sign


def signbit(input):  # noqa: A002
    return Tensor(array_module(input).signbit(input._data))
