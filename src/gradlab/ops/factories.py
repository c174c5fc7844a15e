"""More ways to make tensors, as PyTorch's: logspace, empty_like, rand_like, randn_like,
randint_like, and the methods ``new_zeros``, ``new_ones``, ``new_full``, ``new_empty``,
``new_tensor`` (the new tensor gets the source's dtype unless ``dtype=`` says otherwise).

Every factory takes PyTorch's ``device=``, ``layout=``, ``pin_memory=`` and
``memory_format=``. The array is made by the device's array module: the one named, else the
source tensor's (``*_like``, ``new_*``), else the default device's; random samples are drawn
on the host by the explicit generator and copied there. A device gradlab cannot use is
refused by name.
"""

from __future__ import annotations

import warnings

import numpy as np

from gradlab.backend import (
    default_generator,
    device_of,
    get_default_dtype,
    host_array,
    resolve_device,
    to_backend,
)
from gradlab.tensor import Tensor

__all__ = ["logspace", "empty_like", "rand_like", "randn_like", "randint_like", "check_device"]


def check_device(device, what: str = "device") -> None:
    """Accept None or the CPU (a name or a device object); refuse the rest clearly, naming
    the function (``what``) and what is missing."""
    if device is not None:
        resolve_device(device, what)


def _backend(device, what, like=None):
    """The backend that makes the array: ``device``'s, else ``like``'s (a tensor), else the
    default device's."""
    if device is None and like is not None:
        return resolve_device(device_of(like._data), what)
    return resolve_device(device, what)


def _dtype(dtype, fallback):
    return np.dtype(fallback) if dtype is None else np.dtype(dtype)


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"expected a shape of integers, got {tuple(size)}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return tuple(int(s) for s in size)


def _made(array, requires_grad) -> Tensor:
    t = Tensor(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):  # fmt: skip
    """``steps`` values from base**start to base**end, evenly spaced in the exponent."""
    xp = _backend(device, "logspace").xp
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    array = xp.logspace(float(start), float(end), int(steps), base=base)
    return _made(array.astype(_dtype(dtype, get_default_dtype())), requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):  # fmt: skip  # noqa: A002
    xp = _backend(device, "empty_like", input).xp
    return _made(xp.empty(input.shape, _dtype(dtype, input.dtype)), requires_grad)


def _floating_like(input, dtype, op):
    dtype = _dtype(dtype, input.dtype)
    if dtype.kind not in "fc":
        raise RuntimeError(f"\"{op}\" not implemented for '{dtype}'")
    return dtype


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):  # fmt: skip  # noqa: A002
    """Uniform samples on [0, 1) shaped like input."""
    backend = _backend(device, "rand_like", input)
    dtype = _floating_like(input, dtype, "check_uniform_bounds")
    rng = generator or default_generator()
    return _made(backend.from_host(rng.random(input.shape).astype(dtype)), requires_grad)


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None):  # fmt: skip  # noqa: A002
    """Standard normal samples shaped like input."""
    backend = _backend(device, "randn_like", input)
    dtype = _floating_like(input, dtype, "normal_kernel_cpu")
    rng = generator or default_generator()
    return _made(backend.from_host(rng.standard_normal(input.shape).astype(dtype)), requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None):  # fmt: skip  # noqa: A002
    """Integers on [low, high) shaped like input, in input's dtype."""
    backend = _backend(device, "randint_like", input)
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    rng = generator or default_generator()
    array = rng.integers(low, high, input.shape).astype(_dtype(dtype, input.dtype))
    return _made(backend.from_host(array), requires_grad)


# ---------------------------------------------------------------------- Tensor.new_*


def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False, layout=None,
               pin_memory=False):  # fmt: skip
    """A new tensor holding a copy of data, with self's dtype unless ``dtype=`` is given."""
    backend = _backend(device, "new_tensor", self)
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.detach()."
            "clone() or sourceTensor.detach().clone().requires_grad_(True), rather than "
            "tensor.new_tensor(sourceTensor).",
            UserWarning,
            stacklevel=2,
        )
        array = to_backend(data._data, backend)
        return _made(array.astype(_dtype(dtype, self.dtype), copy=True), requires_grad)
    return _made(backend.from_host(host_array(data, _dtype(dtype, self.dtype))), requires_grad)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False):  # fmt: skip
    xp = _backend(device, "new_zeros", self).xp
    return _made(xp.zeros(_size(size), _dtype(dtype, self.dtype)), requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):  # fmt: skip
    xp = _backend(device, "new_ones", self).xp
    return _made(xp.ones(_size(size), _dtype(dtype, self.dtype)), requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False, layout=None,
              pin_memory=False):  # fmt: skip
    xp = _backend(device, "new_empty", self).xp
    return _made(xp.empty(_size(size), _dtype(dtype, self.dtype)), requires_grad)


def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False,
             layout=None, pin_memory=False):  # fmt: skip
    xp = _backend(device, "new_full", self).xp
    return _made(xp.full(_size((size,)), fill_value, _dtype(dtype, self.dtype)), requires_grad)
