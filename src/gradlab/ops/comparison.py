"""Comparisons and other ops without a gradient: they return boolean or sign tensors
outside the graph (``x > 0``, ``x == y``, ``isnan(x)``), as in PyTorch."""

from __future__ import annotations

from gradlab.backend import xp
from gradlab.tensor import Tensor

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "sign", "isnan", "isfinite", "all", "any"]


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
    return Tensor._from_op(xp.sign(_const(a)), None)


def isnan(a):
    return Tensor._from_op(xp.isnan(_const(a)), None)


def isfinite(a):
    return Tensor._from_op(xp.isfinite(_const(a)), None)


def _truth(reduce, a, dim, keepdim, axis, out, keepdims):
    if axis is not None:  # NumPy's names, also what np.all(t) / np.any(t) pass
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    if out is not None:
        raise TypeError("all/any: out= is not supported")
    axis = None if dim is None else (tuple(dim) if isinstance(dim, (tuple, list)) else dim)
    return Tensor._from_op(reduce(_const(a) != 0, axis=axis, keepdims=keepdim), None)


def all(a, dim=None, keepdim=False, *, axis=None, out=None, keepdims=None):  # noqa: A001
    """Whether every element (along ``dim``) is non-zero: a bool tensor."""
    return _truth(xp.all, a, dim, keepdim, axis, out, keepdims)


def any(a, dim=None, keepdim=False, *, axis=None, out=None, keepdims=None):  # noqa: A001
    """Whether some element (along ``dim``) is non-zero: a bool tensor."""
    return _truth(xp.any, a, dim, keepdim, axis, out, keepdims)
