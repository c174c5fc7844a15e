"""Logical, bitwise and comparison functions (no gradient; bool or integer results):
logical_and/or/xor/not, bitwise_and/or/xor/not, isinf, isposinf, isneginf, isreal, isclose,
allclose, equal, greater, greater_equal, less, less_equal, not_equal; as PyTorch's.
"""

from __future__ import annotations

from gradlab.backend import xp
from gradlab.tensor import Tensor

__all__ = [
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_not", "isinf", "isposinf", "isneginf", "isreal", "isclose",
    "allclose", "equal", "greater", "greater_equal", "less", "less_equal", "not_equal",
]  # fmt: skip


def _array(v):
    return v.numpy() if isinstance(v, Tensor) else v


def _logical(fn, name):
    def op(input, other=None):  # noqa: A002
        if other is None:
            return Tensor(fn(_array(input)))
        return Tensor(fn(_array(input), _array(other)))

    op.__name__ = op.__qualname__ = name
    return op


logical_and = _logical(xp.logical_and, "logical_and")
logical_or = _logical(xp.logical_or, "logical_or")
logical_xor = _logical(xp.logical_xor, "logical_xor")
logical_not = _logical(xp.logical_not, "logical_not")


def _bitwise(fn, name):
    def op(input, other=None):  # noqa: A002
        arrays = [_array(v) for v in ((input,) if other is None else (input, other))]
        for arr in arrays:
            if getattr(arr, "dtype", xp.dtype(int)).kind == "f" or isinstance(arr, float):
                raise RuntimeError(f"\"{name}_cpu\" not implemented for 'Float'")
        return Tensor(xp.asarray(fn(*arrays)))

    op.__name__ = op.__qualname__ = name
    return op


bitwise_and = _bitwise(xp.bitwise_and, "bitwise_and")
bitwise_or = _bitwise(xp.bitwise_or, "bitwise_or")
bitwise_xor = _bitwise(xp.bitwise_xor, "bitwise_xor")
bitwise_not = _bitwise(xp.invert, "bitwise_not")


def isinf(input):  # noqa: A002
    return Tensor(xp.isinf(_array(input)))


def isposinf(input):  # noqa: A002
    return Tensor(xp.isposinf(_array(input)))


def isneginf(input):  # noqa: A002
    return Tensor(xp.isneginf(_array(input)))


def isreal(input):  # noqa: A002
    return Tensor(xp.isreal(_array(input)))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):  # noqa: A002
    return Tensor(xp.isclose(_array(input), _array(other), rtol, atol, equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:  # noqa: A002
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
