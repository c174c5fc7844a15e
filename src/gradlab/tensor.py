"""Tensor: an array with a place in the computation graph, and the reverse-mode engine.

A Tensor holds ``data`` (the backend array, writable), ``grad`` (a backend array or None),
``requires_grad`` and ``grad_fn`` (the :class:`~gradlab.autograd.Function` node that made it,
None for leaves). Its math methods (``x.exp()``, ``x @ w``, ``x[1:]`` ...) are bound in
``gradlab.ops``; this file holds the data model and :meth:`Tensor.backward`.
"""

from __future__ import annotations

import numpy as np

from gradlab import autograd, autograd_api
from gradlab.autograd import FREED, Function
from gradlab.backend import get_default_dtype, xp


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


class Tensor:
    """An n-dimensional array that records the operations made on it.

    Build one with :func:`gradlab.tensor`; ``Tensor(data)`` wraps an array as it is.
    """

    __slots__ = ("data", "grad", "_requires_grad", "grad_fn", "__weakref__")
    __array_priority__ = 1000  # numpy defers ``ndarray + Tensor`` to Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False):
        if isinstance(data, Tensor):
            data = data.data
        self.data = data if isinstance(data, np.ndarray) else xp.asarray(data)
        self.grad = None
        self.grad_fn = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _from_op(cls, out, fn: Function | None):
        t = cls.__new__(cls)
        t.data = out if type(out) is np.ndarray else xp.asarray(out)
        t.grad = None
        t.grad_fn = fn
        t._requires_grad = fn is not None
        return t

    # ------------------------------------------------------------------ attributes
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not _is_differentiable_dtype(self.data.dtype):
            raise RuntimeError(
                f"only tensors of floating point dtype can require gradients, got {self.data.dtype}"
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
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def device(self) -> str:
        return "cpu"

    def size(self, dim: int | None = None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ conversion
    def numpy(self) -> np.ndarray:
        """The data array itself (no copy), as ``tensor.detach().numpy()`` in PyTorch."""
        return self.data

    def __array__(self, dtype=None, copy=None):
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def item(self):
        if self.data.size != 1:
            raise ValueError(
                f"item(): only a tensor with one element can be converted to a Python "
                f"number, this one has shape {self.data.shape}"
            )
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous"
            )
        return bool(self.data.item())

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, outside the graph."""
        return Tensor._from_op(self.data, None)

    def retain_grad(self) -> None:
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward, as in PyTorch."""
        if self.grad_fn is not None:
            self.grad_fn.retained_output = self

    @property
    def retains_grad(self) -> bool:
        return self.grad_fn is not None and self.grad_fn.retained_output is self

    def zero_(self) -> Tensor:
        self.data[...] = 0
        return self

    def fill_(self, value) -> Tensor:
        self.data[...] = value
        return self

    def copy_(self, src) -> Tensor:
        self.data[...] = src.data if isinstance(src, Tensor) else src
        return self

    def __setitem__(self, index, value):
        if autograd._grad_enabled and (self._requires_grad or getattr(value, "_requires_grad", 0)):
            raise RuntimeError(
                "in-place assignment into a tensor that is part of the graph is not supported; "
                "assign inside gradlab.no_grad() or build the value with ops such as where/cat"
            )
        if isinstance(index, Tensor):
            index = index.data
        self.data[index] = value.data if isinstance(value, Tensor) else value

    def __repr__(self) -> str:
        data = self.data
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
        if self.data.dtype not in (get_default_dtype(), np.int64, np.bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self._requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body, *extras]) + ")"

    # ------------------------------------------------------------------ backward
    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        ``gradient`` (same shape as self) is required when self is not a scalar. Without
        ``retain_graph=True`` the graph's saved arrays are released, and a second backward
        through it raises RuntimeError.
        """
        if not self._requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require grad and has no grad_fn; "
                "create its inputs with requires_grad=True"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward(): grad can be implicitly created only for scalar outputs; "
                    f"this tensor has shape {self.data.shape}, pass gradient= of that shape"
                )
            gradient = xp.ones_like(self.data)
        else:
            gradient = gradient.data if isinstance(gradient, Tensor) else xp.asarray(gradient)
            if gradient.shape != self.data.shape:
                raise RuntimeError(
                    f"backward(): gradient has shape {gradient.shape}, expected "
                    f"{self.data.shape} (the shape of the tensor)"
                )
            gradient = gradient.astype(self.data.dtype, copy=True)
        run_backward(self, gradient, retain_graph)


def _topological_order(root: Function) -> list:
    """Function nodes reachable from root, each after every node that consumes its output."""
    order = []
    visited = set()
    stack = [(root, False)]
    while stack:
        fn, expanded = stack.pop()
        if expanded:
            order.append(fn)
            continue
        if fn in visited:
            continue
        visited.add(fn)
        stack.append((fn, True))
        for t in fn.inputs:
            if isinstance(t, Tensor) and t.grad_fn is not None and t.grad_fn not in visited:
                stack.append((t.grad_fn, False))
    order.reverse()
    return order


def _accumulate_leaf(leaf: Tensor, grad, given_out: set) -> None:
    if type(grad) is not np.ndarray:  # ufuncs on 0-d arrays return numpy scalars
        grad = xp.asarray(grad)
    if grad.dtype != leaf.data.dtype:
        grad = grad.astype(leaf.data.dtype)
    if leaf.grad is None:
        # The same array may flow to several leaves (x + y gives both the same gradient) or
        # be a view of another's: copy so that in-place edits of one .grad never touch another.
        if grad.base is not None or id(grad) in given_out or not grad.flags.writeable:
            grad = grad.copy()
        given_out.add(id(grad))
        leaf.grad = grad
    else:
        leaf.grad = leaf.grad + grad


def run_backward(root: Tensor, gradient, retain_graph: bool, capture: dict | None = None) -> None:
    """Propagate ``gradient`` (d loss / d root) to every leaf below ``root``.

    Tensor hooks (``register_hook``) and ``capture`` (``autograd.grad``) are handled by
    :mod:`gradlab.autograd_api`: with ``capture`` (keys: leaf tensors and non-leaf tensors'
    grad_fn nodes), gradients reaching those keys are stored there and no ``.grad`` changes.
    """
    given_out: set = set()
    hooks = autograd_api.engine_hooks(capture)
    if root.grad_fn is None:
        if hooks is None:
            _accumulate_leaf(root, gradient, given_out)
        else:
            hooks.finish({root: gradient}, _accumulate_leaf, given_out)
        return
    grads = {root.grad_fn: gradient}
    leaf_grads = None if hooks is None else {}
    for fn in _topological_order(root.grad_fn):
        grad = grads.pop(fn, None)
        if grad is None:
            continue
        if hooks is not None:
            grad = hooks.at_node(fn, grad, retain_graph)
        if fn.saved is FREED:
            raise RuntimeError(
                f"backward(): trying to backward through the graph a second time (at "
                f"{fn.name()}); its saved values were freed by the first backward. Pass "
                f"retain_graph=True to the first backward() to keep them."
            )
        if fn.retained_output is not None:
            out = fn.retained_output
            out.grad = xp.array(grad) if out.grad is None else out.grad + grad
        input_grads = fn.backward(grad)
        inputs = fn.inputs
        if len(inputs) == 1:
            input_grads = (input_grads,)
        for t, g in zip(inputs, input_grads):
            if g is None or not isinstance(t, Tensor) or not t._requires_grad:
                continue
            if g.shape != t.data.shape:
                g = unbroadcast(g, t.data.shape)
            if t.grad_fn is None:
                if leaf_grads is None:
                    _accumulate_leaf(t, g, given_out)
                else:  # summed first, so that a leaf's hooks see its whole gradient once
                    previous = leaf_grads.get(t)
                    leaf_grads[t] = g if previous is None else previous + g
            else:
                previous = grads.get(t.grad_fn)
                grads[t.grad_fn] = g if previous is None else previous + g
        if not retain_graph:
            fn.saved = FREED
    if leaf_grads is not None:
        hooks.finish(leaf_grads, _accumulate_leaf, given_out)
