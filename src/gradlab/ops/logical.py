"""Logical, bitwise and comparison functions (no gradient; bool or integer results):
logical_and/or/xor/not, bitwise_and/or/xor/not, isinf, isposinf, isneginf, isreal, isclose,
allclose, equal, greater, greater_equal, less, less_equal, not_equal; as PyTorch's.
"""

from __future__ import annotations

import numpy as np

from gradlab.backend import array_module
from gradlab.tensor import Tensor

__all__ = [
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_not", "isinf", "isposinf", "isneginf", "isreal", "isclose",
    "allclose", "equal", "greater", "greater_equal", "less", "less_equal", "not_equal",
]  # fmt: skip


def _array(v):
    return v._data if isinstance(v, Tensor) else v


def _logical(name):
    """``name`` of the inputs' array module, on tensors or numbers."""

    def op(input, other=None):  # noqa: A002
        arrays = [_array(v) for v in ((input,) if other is None else (input, other))]
        return Tensor(getattr(array_module(*arrays), name)(*arrays))

    op.__name__ = op.__qualname__ = name
    return op


logical_and = _logical("logical_and")
logical_or = _logical("logical_or")
logical_xor = _logical("logical_xor")
logical_not = _logical("logical_not")


def _bitwise(function, name):
    def op(input, other=None):  # noqa: A002
        arrays = [_array(v) for v in ((input,) if other is None else (input, other))]
        for arr in arrays:
            if getattr(arr, "dtype", np.dtype(int)).kind == "f" or isinstance(arr, float):
                raise RuntimeError(f"\"{name}_cpu\" not implemented for 'Float'")
        xp = array_module(*arrays)
        return Tensor(xp.asarray(getattr(xp, function)(*arrays)))

    op.__name__ = op.__qualname__ = name
    return op


bitwise_and = _bitwise("bitwise_and", "bitwise_and")
bitwise_or = _bitwise("bitwise_or", "bitwise_or")
bitwise_xor = _bitwise("bitwise_xor", "bitwise_xor")
bitwise_not = _bitwise("invert", "bitwise_not")


def isinf(input):  # noqa: A002
    xp = array_module(input)
    return Tensor(xp.isinf(_array(input)))


def isposinf(input):  # noqa: A002
    xp = array_module(input)
    return Tensor(xp.isposinf(_array(input)))


def isneginf(input):  # noqa: A002
    xp = array_module(input)
    return Tensor(xp.isneginf(_array(input)))


def isreal(input):  # noqa: A002
    xp = array_module(input)
    return Tensor(xp.isreal(_array(input)))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    xp = array_module(input)
    return Tensor(xp.isclose(_array(input), _array(other), rtol, atol, equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:  # noqa: A002
    xp = array_module(input)
    return bool(xp.allclose(_array(input), _array(other), rtol, atol, equal_nan))


def equal(input, other) -> bool:  # noqa: A002
    """True when both have the same shape and elements."""
    a, b = _array(input), _array(other)
    return a.shape == b.shape and bool((a == b).all())


def greater(input, other):  # noqa: A002
    return Tensor(_array(input) > _array(other))


def greater_equal(input, other):  # noqa: A002
    return Tensor(_array(input) >= _array(other))


def less(input, other):  # noqa: A002
    return Tensor(_array(input) < _array(other))


def less_equal(input, other):  # noqa: A002
    return Tensor(_array(input) <= _array(other))


def not_equal(input, other):  # noqa: A002
    return Tensor(_array(input) != _array(other))
