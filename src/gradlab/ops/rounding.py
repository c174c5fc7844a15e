"""Rounding: floor, ceil, round, trunc (fix) and sign (sgn), as PyTorch's: a zero gradient, and on
integer inputs the integers unchanged; ``signbit`` (no gradient)."""

from __future__ import annotations

from gradlab.autograd import Function
from gradlab.backend import xp
from gradlab.tensor import Tensor


class Rounding(Function):
    """floor, ceil, round, trunc, sign: a zero gradient, as PyTorch."""

    __slots__ = ()

    def forward(self, a, fn=None):
        self.saved = (a.shape, a.dtype)
        return fn(a)

    def backward(self, grad):
        return xp.zeros(self.saved[0], grad.dtype)

    def backward_graph(self, grad):  # zero, whatever grad is (see gradlab.autograd_graph)
        return grad * 0


def _rounding(a, fn):
    if not isinstance(a, Tensor):
        raise TypeError(f"expected a Tensor, got {type(a).__name__}")
    if a.dtype.kind not in "fc":
        return Tensor(fn(a.numpy()))
    return Rounding.apply(a, fn=fn)


def floor(input):  # noqa: A002
    return _rounding(input, xp.floor)


def ceil(input):  # noqa: A002
    return _rounding(input, xp.ceil)


def trunc(input):  # noqa: A002
    return _rounding(input, xp.trunc)


fix = trunc


def round(input, *, decimals=0):  # noqa: A001, A002 - PyTorch's names
    """Round half to even, to ``decimals`` places (as ``torch.round``)."""
    return _rounding(input, lambda a: xp.round(a, decimals))


def sign(input):  # noqa: A002
    if input.dtype == bool:
        return Tensor(input.numpy().copy())
    return _rounding(input, xp.sign)


sgn = sign


def signbit(input):  # noqa: A002
    return Tensor(xp.signbit(input.numpy()))
