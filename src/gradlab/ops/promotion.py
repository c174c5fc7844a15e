"""PyTorch's type promotion: ``promote_types``, ``result_type``, ``can_cast``, and the
operand casting that arithmetic (``+ - * / **``, maximum, where ...) does before NumPy runs.

PyTorch's rules, which differ from NumPy's:

* Categories are ordered bool < integer < floating < complex. Two dtypes promote to the
  higher category's dtype (int64 with float16 gives float16, where NumPy gives float64);
  within a category to the wider type (uint8 with int8 gives int16); complex with a wider
  float widens the complex (complex64 with float64 gives complex128). uint16/32/64 promote
  only with themselves and with floats.
* Operands have three priorities: tensors with dimensions, 0-dim tensors, Python numbers.
  A lower-priority operand changes the result only when its category is higher: a float32
  tensor times an int64 tensor is float32 (NumPy: float64), times a float64 0-dim tensor is
  still float32, an int tensor plus 2.5 is the default float dtype (float32; NumPy: float64).
* A Python number stands for int64 (int), the default float dtype (float), the default
  complex dtype (complex) or bool.
"""

from __future__ import annotations

import numbers

import numpy as np

from gradlab import backend
from gradlab.dtypes import as_numpy_dtype, from_numpy_dtype

__all__ = ["promote_types", "result_type", "can_cast"]

_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}
_BARE_UNSIGNED = (np.dtype(np.uint16), np.dtype(np.uint32), np.dtype(np.uint64))
_NDARRAY = np.ndarray
_NUMBERS = (bool, int, float, complex, np.generic)
_INT64 = np.dtype(np.int64)
_BOOL = np.dtype(np.bool_)


def promote_np(a: np.dtype, b: np.dtype) -> np.dtype:
    """:func:`promote_types` on NumPy dtypes (the engine's form)."""
    if a == b:
        return a
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if (a in _BARE_UNSIGNED or b in _BARE_UNSIGNED) and max(ca, cb) != 2:
        raise TypeError(
            f"Promotion for uint16, uint32, uint64 types is not supported, attempted to "
            f"promote {from_numpy_dtype(a)} and {from_numpy_dtype(b)}"
        )
    if ca == cb or (max(ca, cb) == 3 and min(ca, cb) == 2):
        return np.result_type(a, b)  # same category, or complex with float: the wider
    return a if ca > cb else b


def promote_types(type1, type2):
    """The smallest dtype both ``type1`` and ``type2`` cast to without losing their category
    (``torch.promote_types``): ``promote_types(gradlab.int64, gradlab.float16)`` is float16."""
    return from_numpy_dtype(promote_np(as_numpy_dtype(type1), as_numpy_dtype(type2)))


def can_cast(from_, to) -> bool:
    """Whether PyTorch's casting rules allow ``from_`` to ``to`` (``torch.can_cast``): never
    from a higher category to a lower one (float to int, complex to float, int to bool)."""
    a, b = as_numpy_dtype(from_), as_numpy_dtype(to)
    return _CATEGORY[a.kind] <= _CATEGORY[b.kind]


def _number_dtype(value) -> np.dtype:
    """The dtype a Python (or NumPy scalar) number stands for in promotion."""
    if isinstance(value, (bool, np.bool_)):
        return _BOOL
    if isinstance(value, (int, np.integer)):
        return _INT64
    if isinstance(value, (float, np.floating)):
        return backend.get_default_dtype()
    if isinstance(value, numbers.Complex):
        single = backend.get_default_dtype() == np.float32
        return np.dtype(np.complex64 if single else np.complex128)
    raise TypeError(f"expected a Tensor or a number, got {type(value).__name__}")


def _combine(higher, lower):
    """PyTorch's ``combine_categories``: ``higher`` is the higher-priority group's dtype (None
    when the group is empty); ``lower`` counts only where its category is higher."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    hk, lk = higher.kind, lower.kind
    if hk == "c":
        return higher
    if lk == "c":
        return np.result_type(higher, lower) if hk == "f" else lower
    if hk == "f":
        return higher
    if hk == "b" or lk == "f":
        return promote_np(higher, lower)
    return higher


def result_np(*values) -> np.dtype:
    """The result dtype of arithmetic on ``values`` (arrays: 0-d ones are 0-dim tensors;
    anything else a Python number), as a NumPy dtype."""
    dims = zero = number = None
    for v in values:
        if not isinstance(v, _NUMBERS):  # a Tensor, or an array of any device
            array = v._data if hasattr(v, "_data") else v
            d = array.dtype
            if array.ndim:
                dims = d if dims is None else promote_np(dims, d)
            else:
                zero = d if zero is None else promote_np(zero, d)
        else:
            d = _number_dtype(v)
            number = d if number is None else promote_np(number, d)
    return _combine(dims, _combine(zero, number))


def result_type(tensor1, tensor2):
    """The dtype arithmetic on ``tensor1`` and ``tensor2`` (Tensors or numbers) gives
    (``torch.result_type``)."""
    return from_numpy_dtype(result_np(tensor1, tensor2))


def promote_pair(a, b, floating: bool = False):
    """``a`` and ``b`` (arrays or Python numbers) cast so that NumPy's arithmetic gives
    PyTorch's result dtype; with ``floating``, integer results become the default float
    (true division). Python numbers stay numbers (NumPy takes them at the arrays' dtype)."""
    ta, tb = type(a), type(b)
    if ta is _NDARRAY:
        kind = a.dtype.kind
        if tb is _NDARRAY:
            if a.dtype == b.dtype and (not floating or kind in "fc"):
                return a, b  # the common case: one dtype
        elif tb is float and kind in "fc" or tb is int and kind in "iufc" and not floating:
            return a, b  # NumPy takes a Python number at the array's dtype, as PyTorch
    elif tb is _NDARRAY:
        kind = b.dtype.kind
        if ta is float and kind in "fc" or ta is int and kind in "iufc" and not floating:
            return a, b
    if isinstance(a, np.generic):
        a = a.item()  # NumPy scalars count as Python numbers, as in PyTorch
    if isinstance(b, np.generic):
        b = b.item()
    target = result_np(a, b)
    if floating and target.kind in "biu":
        target = backend.get_default_dtype()
    a_number, b_number = isinstance(a, _NUMBERS), isinstance(b, _NUMBERS)
    if not a_number and a.dtype != target:
        a = a.astype(target)
    if not b_number and b.dtype != target:
        b = b.astype(target)
    if a_number and b_number:
        a = backend.resolve_device(None).xp.asarray(a, dtype=target)  # two numbers: one array
    return a, b
