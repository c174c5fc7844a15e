"""Tensor: an array with a place in the computation graph (the reverse-mode engine that runs
``backward()`` is :mod:`gradlab.engine`).

A Tensor holds its backend array in ``_data`` (read it with ``t.numpy()`` or ``np.asarray(t)``,
no copy), ``grad`` (the accumulated gradient, or None), ``requires_grad`` and ``grad_fn`` (the
:class:`~gradlab.autograd.Function` node that made it, None for leaves). Its math methods
(``x.exp()``, ``x @ w``, ``x[1:]`` ...) and in-place methods (``x.add_()``, ``x += 1``,
``x[i] = v``) are bound in ``gradlab.ops``; this file holds the data model.

Version counters (PyTorch's): every in-place change of a tensor's array bumps its version.
Views (reshape, view, permute, transpose, squeeze, unsqueeze, flatten, expand, basic
indexing, split, chunk, detach) share one counter with the tensor they look into, so a
change through either bumps both. The counter is created on first need: ``_vc`` is None
(version 0) or a one-element list shared by every view of the same storage. A view of a
tensor also records ``_view = (base, view_fn)``: the tensor it was made from (the root, for
views of views) and a function that makes the same view of any array of the base's shape;
in-place ops on views use it to rebase the base's ``grad_fn`` (see ``gradlab.ops.inplace``).
"""

from __future__ import annotations

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import (
    array_module,
    as_array,
    backend_of,
    get_default_dtype,
    to_backend,
    to_host,
)
from gradlab.dtypes import from_numpy_dtype


def unbroadcast(grad, shape):
    """Sum a broadcast gradient back to the shape of the input it flowed from."""
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


def _is_differentiable_dtype(dtype) -> bool:
    return dtype.kind in "fc"


def bump_version(t) -> None:
    """Record one in-place change of ``t``'s storage (seen by every view of it)."""
    counter = t._vc
    if counter is None:
        t._vc = [1]
    else:
        counter[0] += 1


def version_counter(t) -> list:
    """``t``'s shared version counter, created at version 0 on first need."""
    counter = t._vc
    if counter is None:
        counter = t._vc = [0]
    return counter


def make_view(view, base, view_fn):
    """Mark ``view`` as a view of ``base``: the same version counter, and the way from the
    root base's array to this view's (``view_fn``, composed through views of views)."""
    view._vc = version_counter(base)
    parent = base._view
    if parent is None:
        view._view = (base, view_fn)
    else:
        root, parent_fn = parent
        view._view = (root, lambda array: view_fn(parent_fn(array)))
    return view


class Tensor:
    """An n-dimensional array that records the operations made on it.

    Build one with :func:`gradlab.tensor`; ``Tensor(data)`` wraps an array as it is.
    """

    __slots__ = ("_data", "_grad", "_requires_grad", "grad_fn", "_vc", "_view", "__weakref__")
    __array_priority__ = 1000  # numpy defers ``ndarray + Tensor`` to Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False):
        if isinstance(data, Tensor):
            data = data._data
        self._data = data if isinstance(data, np.ndarray) else as_array(data)
        self._grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._vc = None
        self._view = None
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _from_op(cls, out, fn: Function | None):
        t = cls.__new__(cls)
        t._data = out if type(out) is np.ndarray else as_array(out)
        t._grad = None
        t.grad_fn = fn
        t._requires_grad = fn is not None
        t._vc = None
        t._view = None
        return t

    @property
    def data(self) -> Tensor:
        """A detached tensor sharing this one's storage, with its own version counter (as
        PyTorch's ``.data``: changes through it are not seen by autograd's checks).
        ``t.data = other`` makes ``t`` use ``other``'s storage (a Tensor or an array)."""
        return Tensor._from_op(self._data, None)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else as_array(value)

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward(): a Tensor of this tensor's shape, or None."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is None:
            self._grad = None
            return
        if not isinstance(value, Tensor):  # an array: taken as the gradient, in this dtype
            array = to_backend(as_array(value), backend_of(self._data))
            value = Tensor(array.astype(self._data.dtype, copy=False))
        if value._data.shape != self._data.shape:
            raise RuntimeError(
                f"assigned grad has data of a different size: got shape {value.shape}, "
                f"expected {self.shape} (the tensor's)"
            )
        if value._data.dtype != self._data.dtype:
            raise RuntimeError(
                f"assigned grad has data of a different type: got {value.dtype}, expected "
                f"{self.dtype} (the tensor's)"
            )
        self._grad = value

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor's storage has seen (PyTorch's ``_version``)."""
        return 0 if self._vc is None else self._vc[0]

    # ------------------------------------------------------------------ attributes
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not _is_differentiable_dtype(self._data.dtype):
            raise RuntimeError(
                "only tensors of floating point dtype can require gradients, got "
                f"{self._data.dtype}"
            )
        if not value and self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad can only be changed on leaf tensors; use .detach() for a "
                "non-leaf one"
            )
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def dtype(self):
        """The element type, a gradlab dtype object (``gradlab.float32``); NumPy takes it
        wherever it takes a dtype."""
        return from_numpy_dtype(self._data.dtype)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def size(self, dim: int | None = None):
        return self._data.shape if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The data array itself (no copy), as ``tensor.detach().numpy()`` in PyTorch.

        Only for CPU tensors: another device's array is not a NumPy array (``.cpu()`` first).
        """
        data = self._data
        if type(data) is not np.ndarray and not isinstance(data, np.ndarray):
            raise TypeError(
                f"can't convert {self.device} device type tensor to numpy. Use Tensor.cpu() "
                f"to copy the tensor to host memory first."
            )
        return data

    def __array__(self, dtype=None, copy=None):
        if type(self._data) is not np.ndarray:
            self.numpy()  # raises for another device's array
        if dtype is not None and dtype != self._data.dtype:
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def item(self):
        if self._data.size != 1:
            raise ValueError(
                f"item(): only a tensor with one element can be converted to a Python "
                f"number, this one has shape {self._data.shape}"
            )
        return self._data.item()

    def tolist(self):
        return self._data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous"
            )
        return bool(self._data.item())

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data and version counter, outside the graph."""
        out = Tensor._from_op(self._data, None)
        out._vc = version_counter(self)
        return out

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward, as in PyTorch."""
        if self.grad_fn is not None:
            self.grad_fn.retained_output = self

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retained_output is self

    def __repr__(self) -> str:
        data = to_host(self._data)
        floatmode = "maxprec"
        if data.dtype.kind == "f" and data.size:
            finite = data[np.isfinite(data)]
            if (finite != np.round(finite)).any():
                floatmode = "fixed"  # PyTorch prints 4 decimals unless every value is whole
        body = np.array2string(
            data, separator=", ", precision=4, floatmode=floatmode, prefix="tensor("
        )
        extras = []
        # As PyTorch: the dtype is shown unless it is the default float, int64 or bool.
        if self._data.dtype not in (get_default_dtype(), np.int64, np.bool_):
            extras.append(f"dtype={from_numpy_dtype(self._data.dtype)}")
        if backend_of(self._data).type != "cpu":
            extras.insert(0, f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    # ------------------------------------------------------------------ backward
    def backward(
        self, gradient=None, retain_graph=None, create_graph: bool = False, inputs=None
    ) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` (same shape as self) is required when self is not a scalar. Without
        ``retain_graph=True`` the graph's saved arrays are released, and a second backward
        through it raises RuntimeError. ``create_graph=True`` records the backward pass, so
        the ``.grad`` tensors can be differentiated again (``retain_graph`` then defaults to
        True); ``inputs`` limits which leaves get a gradient.
        """
        if create_graph or inputs is not None:
            from gradlab import autograd_api

            autograd_api.backward(self, gradient, retain_graph, create_graph, inputs=inputs)
            return
        if not self._requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no grad_fn; "
                "create its inputs with requires_grad=True"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward(): grad can be implicitly created only for scalar outputs; "
                    f"this tensor has shape {self._data.shape}, pass gradient= of that shape"
                )
            gradient = array_module(self._data).ones_like(self._data)
        else:
            if isinstance(gradient, Tensor):
                gradient = gradient._data
            else:  # an array or list a user gave: onto this tensor's device
                gradient = to_backend(as_array(gradient), backend_of(self._data))
            if gradient.shape != self._data.shape:
                raise RuntimeError(
                    f"backward(): gradient has shape {gradient.shape}, expected "
                    f"{self._data.shape} (the shape of the tensor)"
                )
            gradient = gradient.astype(self._data.dtype, copy=True)
        from gradlab.engine import run_backward  # the engine imports Tensor

        run_backward(self, gradient, bool(retain_graph))
