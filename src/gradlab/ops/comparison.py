"""Comparisons and other ops without a gradient: they return boolean or sign tensors
outside the graph (``x > 0``, ``x == y``, ``isnan(x)``), as in PyTorch."""

from __future__ import annotations

from gradlab.backend import array_module
from gradlab.tensor import Tensor

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "sign", "isnan", "isfinite"]


def _const(x):
    return x._data if isinstance(x, Tensor) else x


def eq(a, b):
    return Tensor._from_op(_const(a) == _const(b), None)


def ne(a, b):
    return Tensor._from_op(_const(a) != _const(b), None)


def lt(a, b):
    return Tensor._from_op(_const(a) < _const(b), None)


def le(a, b):
    return Tensor._from_op(_const(a) <= _const(b), None)


def gt(a, b):
    return Tensor._from_op(_const(a) > _const(b), None)


def ge(a, b):
    return Tensor._from_op(_const(a) >= _const(b), None)


def sign(a):
    xp = array_module(a)
    return Tensor._from_op(xp.sign(_const(a)), None)


def isnan(a):
    xp = array_module(a)
    return Tensor._from_op(xp.isnan(_const(a)), None)


def isfinite(a):
    xp = array_module(a)
    return Tensor._from_op(xp.isfinite(_const(a)), None)
