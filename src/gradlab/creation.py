"""Making tensors: ``tensor`` from data, and the factories (zeros, ones, rand, ...).

Python floats and lists of floats become the default dtype (float32), Python ints int64 and
bools bool, as in PyTorch; a NumPy array keeps its dtype. Random factories draw from
gradlab's explicit Generator (see :func:`gradlab.manual_seed`) or one passed as
``generator=``. Every factory takes ``device=`` (a :class:`gradlab.device` or its string;
None is the default device, see :func:`gradlab.set_default_device`): the array is made by
that device's array module (random samples and Python data are made on the host and copied
there), and a device gradlab cannot use raises a clear error before any work.
"""

from __future__ import annotations

import numpy as np

from gradlab.backend import (
    default_generator,
    get_default_dtype,
    host_array,
    resolve_device,
    to_backend,
)
from gradlab.tensor import Tensor


def _leaf(array, requires_grad):
    return Tensor(array, requires_grad=requires_grad)


def _module(device, what):
    """The array module of ``device`` (None: the default device); a clear error first for a
    device gradlab cannot use."""
    return resolve_device(device, what).xp


def _from_host(array, device, requires_grad, what):
    """A host array (random samples, Python data) copied onto ``device`` as a leaf tensor."""
    return Tensor(resolve_device(device, what).from_host(array), requires_grad=requires_grad)


def _resolve_dtype(dtype, fallback=None):
    if dtype is None:
        return np.dtype(fallback) if fallback is not None else get_default_dtype()
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None


def _infer_dtype(data):
    """The dtype PyTorch gives Python data: float -> default, int -> int64, bool -> bool."""
    array = np.asarray(data)
    if array.dtype.kind == "f":
        return get_default_dtype()
    if array.dtype.kind in "iu":
        return np.dtype(np.int64)
    if array.dtype.kind == "b":
        return np.dtype(bool)
    if array.dtype.kind == "c":
        return np.dtype(np.complex64)
    raise TypeError(f"tensor(): cannot make a tensor from data of type {array.dtype}")


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new leaf tensor holding a copy of ``data``."""
    if isinstance(data, Tensor):  # a copy, on its device unless another is asked for
        backend = resolve_device(data.device if device is None else device, "tensor")
        array = to_backend(data._data, backend)
        dtype = array.dtype if dtype is None else _resolve_dtype(dtype)
        return _leaf(array.astype(dtype, copy=True), requires_grad)
    if isinstance(data, np.ndarray | np.generic):
        array = host_array(data, dtype)
    else:
        array = host_array(data, _resolve_dtype(dtype) if dtype else _infer_dtype(data))
    return _from_host(array, device, requires_grad, "tensor")


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """A tensor sharing ``data``'s memory when it is already an array of the right dtype."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    if isinstance(data, np.ndarray):
        array = data if dtype is None else data.astype(dtype, copy=False)
        backend = resolve_device(device, "as_tensor")
        return Tensor(array if backend.type == "cpu" else backend.from_host(array))
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing the array's memory and dtype."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"expected a shape of non-negative integers, got {tuple(size)}")
    return tuple(int(s) for s in size)


def zeros(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = _module(device, "zeros")
    return _leaf(xp.zeros(_shape(size), _resolve_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = _module(device, "ones")
    return _leaf(xp.ones(_shape(size), _resolve_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = _module(device, "empty")
    return _leaf(xp.empty(_shape(size), _resolve_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype = _resolve_dtype(dtype, None if dtype else _infer_dtype(fill_value))
    xp = _module(device, "full")
    return _leaf(xp.full(_shape((size,)), fill_value, dtype), requires_grad)


def _like_device(t, device):
    """``*_like``'s device: the one asked for, else the tensor's."""
    if device is not None or not isinstance(t, Tensor):
        return device
    return t.device


def empty_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = _module(_like_device(t, device), "empty_like")
    return _leaf(xp.empty(t.shape, _resolve_dtype(dtype, t.dtype)), requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = _module(_like_device(t, device), "zeros_like")
    return _leaf(xp.zeros(t.shape, _resolve_dtype(dtype, t.dtype)), requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = _module(_like_device(t, device), "ones_like")
    return _leaf(xp.ones(t.shape, _resolve_dtype(dtype, t.dtype)), requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = _module(_like_device(t, device), "full_like")
    return _leaf(xp.full(t.shape, fill_value, _resolve_dtype(dtype, t.dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Values from start (inclusive) to end (exclusive); int64 for integer arguments."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    dtype = _resolve_dtype(dtype, np.int64 if integral else None)
    xp = _module(device, "arange")
    return _leaf(xp.arange(start, end, step).astype(dtype), requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False) -> Tensor:
    """``steps`` values from start to end, as PyTorch computes them (bit for bit)."""
    dtype = _resolve_dtype(dtype)
    if dtype.kind in "fiu" and steps > 1:  # computed on the host, then moved to the device
        return _from_host(_torch_linspace(start, end, steps, dtype), device, requires_grad,
                          "linspace")  # fmt: skip
    xp = _module(device, "linspace")
    return _leaf(xp.linspace(start, end, steps).astype(dtype), requires_grad)


def _torch_linspace(start, end, steps, dtype):
    """PyTorch's values: step = (end - start) / (steps - 1), then start + step * i up to the
    middle and end - step * (steps - 1 - i) after it. float32/float64 round each value once
    (its fused multiply-add kernel: computed wider here, then cast); float16 rounds every
    operation to half; integer dtypes truncate start and end first and step in double."""
    i = np.arange(steps)
    first_half = i < steps // 2
    if dtype == np.float16:
        h, f = np.float16, np.float32
        first, last = h(float(start)), h(float(end))
        step = h(f(h(f(last) - f(first))) / f(steps - 1))
        up = h(f(first) + f(h(f(step) * f(h(i)))))
        down = h(f(last) - f(h(f(step) * f(h(steps - 1 - i)))))
        return np.where(first_half, up, down)
    if dtype.kind in "iu":
        first, last = int(start), int(end)
        step = (float(last) - float(first)) / (steps - 1)
        values = np.where(first_half, first + step * i, last - step * (steps - 1 - i))
        return values.astype(dtype)
    first, last = dtype.type(float(start)), dtype.type(float(end))
    step = (last - first) / dtype.type(steps - 1)
    wide = np.longdouble if dtype == np.float64 else np.float64
    values = np.where(
        first_half, wide(first) + wide(step) * i, wide(last) - wide(step) * (steps - 1 - i)
    )
    return values.astype(dtype)


def eye(n, m=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    xp = _module(device, "eye")
    return _leaf(xp.eye(n, m, dtype=_resolve_dtype(dtype)), requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Uniform samples on [0, 1)."""
    rng = generator or default_generator()
    array = rng.random(_shape(size), dtype=np.float64).astype(_resolve_dtype(dtype))
    return _from_host(array, device, requires_grad, "rand")


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False) -> Tensor:
    """Standard normal samples."""
    rng = generator or default_generator()
    array = rng.standard_normal(_shape(size)).astype(_resolve_dtype(dtype))
    return _from_host(array, device, requires_grad, "randn")


def randint(low, high=None, size=(), generator=None, dtype=None, device=None) -> Tensor:
    """Integers on [low, high)."""
    if high is None:
        low, high = 0, low
    rng = generator or default_generator()
    array = rng.integers(low, high, size=_shape((size,))).astype(_resolve_dtype(dtype, np.int64))
    return _from_host(array, device, False, "randint")


def randperm(n, generator=None, dtype=None, device=None) -> Tensor:
    rng = generator or default_generator()
    array = rng.permutation(n).astype(_resolve_dtype(dtype, np.int64))
    return _from_host(array, device, False, "randperm")
