"""Tensor's Python protocols and sizes as PyTorch's: ``__index__``, ``__format__``,
``__contains__``, ``__reversed__``, ``__complex__``, the bitwise and floor-division operators,
``nelement``, ``element_size``, ``nbytes``, ``itemsize``; and ``out=`` for functions.
"""

from __future__ import annotations

import functools
import warnings
from collections import namedtuple

import numpy as np

from gradlab import autograd
from gradlab import tensor as tensor_module
from gradlab.backend import array_module
from gradlab.tensor import Tensor

__all__ = ["with_out", "write_out", "PROTOCOLS", "return_type"]


def _index(self):
    if self.numel() != 1 or self.dtype.kind not in "biu":
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return int(self.item())


def _format(self, spec):
    if self.ndim == 0:
        return self.item().__format__(spec)
    return object.__format__(self, spec)


def _contains(self, element):
    if isinstance(element, (Tensor, int, float, bool, complex, np.generic)):
        return bool(
            (self._data == (element._data if isinstance(element, Tensor) else element)).any()
        )
    raise RuntimeError(
        f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a {type(element)}."
    )


def _reversed(self):
    from gradlab.ops.shape import flip

    return self if self.ndim == 0 else flip(self, 0)


def _complex(self):
    return complex(self.item())


def _operand(value):
    return value._data if isinstance(value, Tensor) else value


def _bitwise(ufunc, name, swap=False):
    """The operator ``name``: the array module's ``ufunc`` (by name), integer or bool only."""

    def op(self, other):
        a, b = (_operand(other), self._data) if swap else (self._data, _operand(other))
        xp = array_module(a, b)
        for v in (a, b):
            if xp.asarray(v).dtype.kind in "fc":
                raise TypeError(f"{name}: bitwise ops need integer or bool tensors, got floating")
        return Tensor(xp.asarray(getattr(xp, ufunc)(a, b)))

    return op


def _floordiv(self, other):
    from gradlab.ops.binary import div

    return div(self, other, rounding_mode="floor")


def _rfloordiv(self, other):
    from gradlab.ops.binary import div

    return div(Tensor(array_module(self).asarray(other, self.dtype)), self, rounding_mode="floor")


def _mod(self, other):
    from gradlab.ops.binary import remainder

    return remainder(self, other)


def _rmod(self, other):
    from gradlab.ops.binary import remainder

    return remainder(Tensor(array_module(self).asarray(other, self.dtype)), self)


def _invert(self):
    xp = array_module(self)
    if self.dtype.kind in "fc":
        raise TypeError("~ (bitwise_not) is only implemented on integer and Boolean tensors")
    return Tensor(xp.invert(self._data))


PROTOCOLS = {
    "__index__": _index,
    "__format__": _format,
    "__contains__": _contains,
    "__reversed__": _reversed,
    "__complex__": _complex,
    "__and__": _bitwise("bitwise_and", "&"),
    "__rand__": _bitwise("bitwise_and", "&", swap=True),
    "__or__": _bitwise("bitwise_or", "|"),
    "__ror__": _bitwise("bitwise_or", "|", swap=True),
    "__xor__": _bitwise("bitwise_xor", "^"),
    "__rxor__": _bitwise("bitwise_xor", "^", swap=True),
    "__lshift__": _bitwise("left_shift", "<<"),
    "__rshift__": _bitwise("right_shift", ">>"),
    "__invert__": _invert,
    "__floordiv__": _floordiv,
    "__rfloordiv__": _rfloordiv,
    "__mod__": _mod,
    "__rmod__": _rmod,
    "__pos__": lambda self: self,
    "nelement": lambda self: self.numel(),
    "element_size": lambda self: self.dtype.itemsize,
    "nbytes": property(lambda self: self.numel() * self.dtype.itemsize),
    "itemsize": property(lambda self: self.dtype.itemsize),
}


# ---------------------------------------------------------------------- return types


def return_type(name: str, fields: list):
    """A named tuple printed as PyTorch prints its ``torch.return_types.<name>``."""
    base = namedtuple(name, fields)

    def __repr__(self):  # noqa: N807
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"

    return type(name, (base,), {"__slots__": (), "__repr__": __repr__})


# ---------------------------------------------------------------------- out=


def _write_one(name, result, out):
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if autograd.is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            f"differentiation, but one of the arguments requires grad."
        )
    array = result._data
    if array.dtype != out.dtype and not np.can_cast(array.dtype, out.dtype, "same_kind"):
        raise RuntimeError(
            f"result type {array.dtype} can't be cast to the desired output type {out.dtype}"
        )
    if out.shape != array.shape:
        if out.numel():
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(out.shape)}, which does not match the required output shape "
                f"{list(array.shape)}. This behavior is deprecated, and in a future PyTorch "
                f"release outputs will not be resized unless they have zero elements. You can "
                f"explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                f"with t.resize_(0).",
                UserWarning,
                stacklevel=3,
            )
        out.data = array.astype(out.dtype)  # a resize replaces the storage, as in PyTorch
    else:
        out._data[...] = array
    bump = getattr(tensor_module, "bump_version", None)
    if bump is not None:
        bump(out)
    return out


def write_out(name, result, out):
    """Copy ``result`` (a tensor or a tuple of them) into ``out``, as PyTorch's ``out=``."""
    if isinstance(result, tuple):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}(): argument 'out' must be a tuple of {len(result)} Tensors")
        written = [_write_one(name, r, o) for r, o in zip(result, out)]
        return type(result)(*written) if hasattr(result, "_fields") else tuple(written)
    return _write_one(name, result, out)


def with_out(fn):
    """``fn`` with PyTorch's keyword ``out=``: the result is written into that tensor."""

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kwargs):
        result = fn(*args, **kwargs)
        return result if out is None else write_out(fn.__name__, result, out)

    return wrapper
