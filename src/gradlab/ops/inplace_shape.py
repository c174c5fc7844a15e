"""In-place ops that change a tensor's shape, not its values, as PyTorch's: ``t_``,
``transpose_`` (``swapaxes_``, ``swapdims_``), ``squeeze_`` (all size-1 dims, one dim, or a
tuple of dims), ``unsqueeze_``, and ``resize_`` / ``resize_as_``.

The tensor keeps its memory and gets a new view of it (``t.t_()`` is ``t = t.t()`` without a
new Tensor object). As every in-place op, each bumps the version counter (shared with the
tensor's views), so a backward that saved the old tensor raises. In the graph:

- on a leaf that requires grad (or a view of one) while grad mode is on, they raise;
- on a non-leaf, ``grad_fn`` becomes the op's node (:class:`ShapeView`, named as PyTorch's:
  ``TBackward1``, ``TransposeBackward1``, ``SqueezeBackward3/4/5``, ``UnsqueezeBackward1``),
  whose gradient undoes the view;
- a view stays a view of its base, seen through the new view as well.

``resize_`` keeps the first elements in memory order and zeros new ones (PyTorch leaves them
uninitialized); as PyTorch, it refuses a tensor that requires grad, in any grad mode.
``as_strided_`` is not provided: gradlab's tensors have no storage offset or strides of
their own.
"""

from __future__ import annotations

import operator

from gradlab import autograd
from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops.inplace import check_leaf
from gradlab.tensor import Tensor, bump_version

__all__ = ["t_", "transpose_", "swapaxes_", "swapdims_", "squeeze_", "unsqueeze_", "resize_",
           "resize_as_", "METHODS"]  # fmt: skip


class ShapeView(Function):
    """``view(a)``, a view with another shape; backward gives the gradient ``undo(grad)``."""

    __slots__ = ("node_name",)

    def forward(self, a, view=None, undo=None, node_name="ViewBackward0"):
        self.saved = (undo,)
        self.node_name = node_name
        return view(a)

    def backward(self, grad):
        return self.saved[0](grad)

    def name(self) -> str:
        return self.node_name


def _dim(dim, ndim: int, extra: int = 0) -> int:
    """``dim`` in [0, ndim + extra), PyTorch's IndexError otherwise."""
    size = max(ndim + extra, 1)
    if not isinstance(dim, int) or not -size <= dim < size:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-size}, {size - 1}], but "
            f"got {dim})"
        )
    return dim % size


def _apply(t: Tensor, name: str, view, undo, node_name: str) -> Tensor:
    """Give ``t`` the array ``view(t's array)``: in the graph through a ShapeView node,
    keeping a view of another tensor a view of it; bump the version; return ``t``."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    if autograd._grad_enabled and t._requires_grad:
        check_leaf(t, name)
        old = Tensor._from_op(t._data, t.grad_fn)  # the old value, as the node's input
        old._requires_grad = True
        new = ShapeView.apply(old, view=view, undo=undo, node_name=node_name)
        t._data, t.grad_fn = new._data, new.grad_fn
    else:
        t._data = view(t._data)
    if t._view is not None:
        base, view_fn = t._view
        t._view = (base, lambda array: view(view_fn(array)))
    bump_version(t)
    return t


def t_(self) -> Tensor:
    """Transpose a tensor of at most 2 dimensions in place (0-d and 1-d: unchanged)."""
    if self.ndim > 2:
        raise RuntimeError(f"t_() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
    swap = operator.methodcaller("transpose")
    return _apply(self, "t_", swap, swap, "TBackward1")


def transpose_(self, dim0, dim1) -> Tensor:
    """Swap dimensions ``dim0`` and ``dim1`` in place."""
    d0, d1 = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
    swap = operator.methodcaller("swapaxes", d0, d1)
    return _apply(self, "transpose_", swap, swap, "TransposeBackward1")


def swapaxes_(self, axis0, axis1) -> Tensor:
    return transpose_(self, axis0, axis1)


def swapdims_(self, dim0, dim1) -> Tensor:
    return transpose_(self, dim0, dim1)


def squeeze_(self, dim=None) -> Tensor:
    """Drop size-1 dimensions in place: all of them, or those of ``dim`` (an int or a tuple
    of ints) that have size 1 (the others stay, as PyTorch)."""
    shape = self.shape
    if dim is None:
        node = "SqueezeBackward3"
        drop = {i for i, s in enumerate(shape) if s == 1}
    else:
        node = "SqueezeBackward4" if isinstance(dim, int) else "SqueezeBackward5"
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        drop = {i for i in (_dim(d, self.ndim) for d in dims) if self.ndim and shape[i] == 1}
    new_shape = tuple(s for i, s in enumerate(shape) if i not in drop)
    return _apply(
        self,
        "squeeze_",
        operator.methodcaller("reshape", new_shape),
        operator.methodcaller("reshape", shape),
        node,
    )


def unsqueeze_(self, dim) -> Tensor:
    """Insert a dimension of size 1 at ``dim`` (in [-ndim - 1, ndim]) in place."""
    shape = self.shape
    at = _dim(dim, self.ndim, extra=1)
    new_shape = shape[:at] + (1,) + shape[at:]
    return _apply(
        self,
        "unsqueeze_",
        operator.methodcaller("reshape", new_shape),
        operator.methodcaller("reshape", shape),
        "UnsqueezeBackward1",
    )


def _sizes(name: str, sizes) -> tuple:
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    for s in sizes:
        if not isinstance(s, int) or isinstance(s, bool):
            raise TypeError(f"{name}(): argument 'size' must be a tuple of ints, got {sizes!r}")
        if s < 0:
            raise RuntimeError(
                f"{name}(): Trying to create tensor with negative dimension {s}: {list(sizes)}"
            )
    return tuple(sizes)


def resize_(self, *sizes, memory_format=None) -> Tensor:
    """Give the tensor the shape ``sizes``: its first elements in memory order, shared when
    it shrinks a contiguous tensor; new elements are zeros. Refused when it requires grad."""
    shape = _sizes("resize_", sizes)
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    data = self._data
    count = 1
    for s in shape:
        count *= s
    # memory order: the array itself when contiguous (so a shrink shares it), else a copy
    flat = data.reshape(-1) if data.flags.c_contiguous else data.ravel(order="K")
    if count <= flat.size:
        self._data = flat[:count].reshape(shape)
    else:
        grown = array_module(data).zeros(count, data.dtype)
        grown[: flat.size] = flat
        self._data = grown.reshape(shape)
    self._view = None  # the new shape is no view_fn of a base's array
    bump_version(self)
    return self


def resize_as_(self, the_template, memory_format=None) -> Tensor:
    """``resize_`` to ``the_template``'s shape (the dtype stays)."""
    return resize_(self, tuple(the_template.shape))


METHODS = {
    "t_": t_,
    "transpose_": transpose_,
    "swapaxes_": swapaxes_,
    "swapdims_": swapdims_,
    "squeeze_": squeeze_,
    "unsqueeze_": unsqueeze_,
    "resize_": resize_,
    "resize_as_": resize_as_,
}
