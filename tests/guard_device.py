"""A test-only device whose arrays refuse implicit conversion to NumPy, as CuPy's do.

``GuardArray`` wraps a NumPy array and computes through it (NumPy's functions and ufuncs
reach it through ``__array_function__`` / ``__array_ufunc__``, as they reach CuPy's arrays),
but ``np.asarray(guard)`` raises, and so does mixing it with a host ``numpy.ndarray`` in one
computation: the two ways an op leaks to the host. NumPy scalars and Python numbers mix
freely, as with CuPy. Host index arrays and host values written with ``a[key] = v`` are
accepted, as CuPy accepts them. ``install()`` registers it as device ``"guard"``.
"""

from __future__ import annotations

import numpy as np

from gradlab import backend


class LeakError(TypeError):
    """An op touched a guard array as if it were a host NumPy array."""


def _unwrap(value, where):
    if isinstance(value, GuardArray):
        return value.a
    if isinstance(value, np.ndarray):
        raise LeakError(
            f"{where}: a host numpy.ndarray of shape {value.shape} was mixed with a guard "
            f"device array (CuPy raises here: the op made or kept a host array)"
        )
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v, where) for v in value)
    return value


def _unwrap_kwargs(kwargs, where):
    return {key: _unwrap(value, where) for key, value in kwargs.items()}


def _unwrap_lenient(value):
    if isinstance(value, GuardArray):
        return value.a
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap_lenient(v) for v in value)
    return value


def _wrap(value):
    if isinstance(value, np.ndarray):
        return GuardArray(value)
    if isinstance(value, np.generic):
        return GuardArray(np.asarray(value))  # CuPy reductions give 0-d arrays, not scalars
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _ufunc_operator(name, reflected=False):
    ufunc = getattr(np, name)

    def method(self, other):
        return ufunc(other, self) if reflected else ufunc(self, other)

    return method


def _inplace_operator(name):
    ufunc = getattr(np, name)

    def method(self, other):
        ufunc(self, other, out=(self,))
        return self

    return method


class GuardArray:
    """A NumPy array behind a wall: see the module docstring."""

    __slots__ = ("a",)

    def __init__(self, array):
        if not isinstance(array, np.ndarray):
            raise TypeError(f"GuardArray wraps a numpy.ndarray, got {type(array).__name__}")
        self.a = array

    def __array__(self, dtype=None, copy=None):
        raise LeakError(
            "Implicit conversion to a NumPy array is not allowed (guard device); "
            "move it with .cpu() first"
        )

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        where = f"numpy.{ufunc.__name__}"
        inputs = _unwrap(inputs, where)
        if "out" in kwargs:
            kwargs["out"] = _unwrap(kwargs["out"], where)
        if "where" in kwargs:
            kwargs["where"] = _unwrap(kwargs["where"], where)
        return _wrap(getattr(ufunc, method)(*inputs, **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        where = f"numpy.{func.__name__}"
        return _wrap(func(*_unwrap(args, where), **_unwrap_kwargs(kwargs, where)))

    # ------------------------------------------------------------------ attributes
    def __getattr__(self, name):
        if name in ("ctypes", "data", "__array_interface__", "__array_struct__"):
            raise LeakError(f"GuardArray.{name}: a device array has no host memory to point at")
        value = getattr(self.a, name)
        if callable(value):

            def call(*args, **kwargs):
                where = f"ndarray.{name}"
                return _wrap(value(*_unwrap(args, where), **_unwrap_kwargs(kwargs, where)))

            return call
        return _wrap(value)

    def __getitem__(self, key):
        return _wrap(self.a[_unwrap_lenient(key)])

    def __setitem__(self, key, value):
        self.a[_unwrap_lenient(key)] = _unwrap_lenient(value)

    def __len__(self):
        return len(self.a)

    def __iter__(self):
        return (_wrap(row) for row in self.a)

    def __bool__(self):
        return bool(self.a)

    def __float__(self):
        return float(self.a)

    def __int__(self):
        return int(self.a)

    def __index__(self):
        return self.a.__index__()

    def __repr__(self):
        return f"GuardArray({self.a!r})"

    __add__, __radd__ = _ufunc_operator("add"), _ufunc_operator("add", True)
    __sub__, __rsub__ = _ufunc_operator("subtract"), _ufunc_operator("subtract", True)
    __mul__, __rmul__ = _ufunc_operator("multiply"), _ufunc_operator("multiply", True)
    __truediv__ = _ufunc_operator("true_divide")
    __rtruediv__ = _ufunc_operator("true_divide", True)
    __floordiv__ = _ufunc_operator("floor_divide")
    __mod__ = _ufunc_operator("remainder")
    __pow__, __rpow__ = _ufunc_operator("power"), _ufunc_operator("power", True)
    __matmul__, __rmatmul__ = _ufunc_operator("matmul"), _ufunc_operator("matmul", True)
    __and__, __or__, __xor__ = (
        _ufunc_operator(n) for n in ("logical_and", "bitwise_or", "bitwise_xor")
    )
    __eq__, __ne__ = _ufunc_operator("equal"), _ufunc_operator("not_equal")
    __lt__, __le__ = _ufunc_operator("less"), _ufunc_operator("less_equal")
    __gt__, __ge__ = _ufunc_operator("greater"), _ufunc_operator("greater_equal")
    __iadd__, __isub__ = _inplace_operator("add"), _inplace_operator("subtract")
    __imul__, __itruediv__ = _inplace_operator("multiply"), _inplace_operator("true_divide")
    __ipow__ = _inplace_operator("power")
    __hash__ = None

    def __neg__(self):
        return np.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return np.absolute(self)

    def __invert__(self):
        return np.invert(self)


def _guarded(function, where):
    def call(*args, **kwargs):
        return _wrap(function(*_unwrap(args, where), **_unwrap_kwargs(kwargs, where)))

    return call


class _GuardUfunc:
    """A NumPy ufunc on the guard device: called, or through ``.at``/``.reduce``/... (as
    CuPy's ufuncs), refusing host arrays."""

    def __init__(self, ufunc):
        self.ufunc = ufunc

    def __call__(self, *args, **kwargs):
        return _guarded(self.ufunc, f"numpy.{self.ufunc.__name__}")(*args, **kwargs)

    def __getattr__(self, name):
        method = getattr(self.ufunc, name)
        if not callable(method):
            return method
        return _guarded(method, f"numpy.{self.ufunc.__name__}.{name}")


class _GuardModule:
    """The guard device's array module: NumPy's functions, refusing host arrays."""

    def __getattr__(self, name):
        value = getattr(np, name)
        if isinstance(value, np.ufunc):
            return _GuardUfunc(value)
        if not callable(value) or isinstance(value, type):
            return value
        return _guarded(value, f"numpy.{name}")


def to_host(array):
    return array.a.copy() if isinstance(array, GuardArray) else np.asarray(array)


def from_host(array):
    return GuardArray(np.array(array, copy=True))


def install() -> None:
    """Register the ``"guard"`` device (idempotent)."""
    backend.register_backend(
        backend.Backend("guard", _GuardModule(), GuardArray, to_host, from_host)
    )


def uninstall() -> None:
    backend.unregister_backend("guard")


# ---------------------------------------------------------------------- test helpers


def on(guard: bool):
    """``with on(True):`` makes the guard the default device (the CPU with False)."""
    import gradlab

    return gradlab.device("guard" if guard else "cpu")


def host(t):
    """A tensor's values as a host array (None for None)."""
    return None if t is None else to_host(t._data)


def weighted_sum(outs):
    """A weighted sum of the outputs, so that every output element matters."""
    import gradlab

    total = None
    for k, o in enumerate(outs):
        weights = np.linspace(0.5, 1.5, o.numel()).reshape(o.shape) * (k + 1)
        term = (o * gradlab.tensor(weights, dtype=o.dtype)).sum()
        total = term if total is None else total + term
    return total


def same(got, want):
    """Host results equal (None where None), to the last bit but rounding."""
    for a, b in zip(got, want, strict=True):
        if b is None:
            assert a is None
        else:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
