"""Moving tensors between devices and dtypes: ``Tensor.to``, ``.cpu()``, ``.cuda()``, ``.type()``.

``t.to(...)`` takes PyTorch's three forms: ``to(dtype)``, ``to(device=None, dtype=None)`` and
``to(other)`` (other's device and dtype), each with ``non_blocking=`` (accepted; copies here
are synchronous) and ``copy=``. It returns ``t`` itself when nothing changes (unless
``copy=True``), and is differentiable: the gradient goes back to the source's device and dtype.
"""

from __future__ import annotations

from gradlab.autograd import Function
from gradlab.backend import (
    backend_of,
    device,
    device_of,
    is_device_string,
    resolve_device,
    to_backend,
)
from gradlab.ops.elementwise import clone, to_dtype
from gradlab.tensor import Tensor

__all__ = ["to", "cpu", "cuda", "type_", "is_cuda", "is_cpu", "tensor_device"]


class ToDevice(Function):
    """The same values on another device; the gradient goes back to the source's."""

    __slots__ = ()

    def forward(self, a, backend=None):
        self.saved = (backend_of(a),)
        return to_backend(a, backend)

    def backward(self, grad):
        return to_backend(grad, self.saved[0])

    def backward_graph(self, grad):  # recorded (see gradlab.autograd_graph)
        return ToDevice.apply(grad, backend=self.saved[0])


def _parse(args, kwargs):
    """(device or None, dtype or None, copy) from ``to``'s arguments."""
    where = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to(): unexpected keyword argument(s) {', '.join(kwargs)}")
    args = list(args)
    if args and isinstance(args[0], Tensor):
        other = args.pop(0)
        where, dtype = other.device, other.dtype
    elif args and (
        isinstance(args[0], device)
        or args[0] is None
        or isinstance(args[0], str)
        and is_device_string(args[0])
    ):
        where = args.pop(0)
    if args and dtype is None and not isinstance(args[0], bool):
        dtype = args.pop(0)
    if args and isinstance(args[0], bool):  # to(device, dtype, non_blocking, copy)
        args.pop(0)
        if args and isinstance(args[0], bool):
            copy = args.pop(0)
    if args:
        raise TypeError(f"to(): unexpected argument(s) {args!r}")
    if isinstance(where, str):
        where = device(where)
    return where, dtype, copy


def to(self, *args, **kwargs):
    """This tensor on another device and/or in another dtype (see the module docstring)."""
    where, dtype, copy = _parse(args, dict(kwargs))
    out = self
    if where is not None:
        backend = resolve_device(where, "to()")
        if backend is not backend_of(self._data):
            out = ToDevice.apply(out, backend=backend)
    if dtype is not None:
        out = to_dtype(out, dtype)
    if copy and out is self:
        out = clone(self)
    return out


def cpu(self, memory_format=None):
    """This tensor on the CPU (itself when it is there)."""
    return to(self, "cpu")


def cuda(self, device=None, non_blocking=False, memory_format=None):
    """This tensor on a CUDA device: raises here, as gradlab has no CUDA backend."""
    return to(self, "cuda" if device is None else device)


def type_(self, dtype=None, non_blocking=False):
    """``t.type(dtype)`` casts (as ``to(dtype)``); ``t.type()`` names the type, as PyTorch's
    ``'torch.FloatTensor'``."""
    if dtype is None:
        from gradlab.autograd import _TYPE_NAMES

        return "torch." + _TYPE_NAMES.get(str(self._data.dtype), f"Tensor[{self._data.dtype}]")
    return to_dtype(self, dtype)


def tensor_device(self) -> device:
    """The device this tensor's array lives on."""
    return device_of(self._data)


def is_cuda(self) -> bool:
    return tensor_device(self).type == "cuda"


def is_cpu(self) -> bool:
    return tensor_device(self).type == "cpu"
