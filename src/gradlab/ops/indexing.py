"""Indexing with index tensors: gather, index_select, index_add, index_fill, index_copy,
masked_fill, masked_select, take, take_along_dim, narrow, select, unbind, nonzero, argwhere;
as PyTorch's, differentiable in their data inputs (scatter: :mod:`gradlab.ops.scatter`).

``index`` tensors are int64 (as PyTorch requires; other integer dtypes are accepted) and
along ``dim`` address positions of the input; gather's index may be smaller than the input
in the other dimensions, and only that leading block takes part.
"""

from __future__ import annotations

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops import elementwise, movement
from gradlab.tensor import Tensor

__all__ = [
    "gather", "index_select", "index_add",
    "index_fill", "index_copy", "masked_fill", "masked_select", "take", "take_along_dim",
    "narrow", "select", "unbind", "nonzero", "argwhere",
]  # fmt: skip


def _positions(index, dim):
    """Index arrays addressing, for every element of ``index``, its place along ``dim``."""
    xp = array_module(index)
    grids = [
        xp.arange(size).reshape([size if d == axis else 1 for d in range(index.ndim)])
        for axis, size in enumerate(index.shape)
    ]
    grids[dim] = index
    return tuple(grids)


def _block(shape, index_shape, dim):
    """The leading block of a source that an index of ``index_shape`` reads (every dim)."""
    return tuple(slice(0, s) for s in index_shape)


class Gather(Function):
    __slots__ = ()

    def forward(self, a, index, dim=0):
        self.saved = (a.shape, index, dim)
        return a[_positions(index, dim)]

    def backward(self, grad):
        xp = array_module(grad)
        shape, index, dim = self.saved
        full = xp.zeros(shape, grad.dtype)
        xp.add.at(full, _positions(index, dim), grad)
        return full, None

    def backward_graph(self, grad):  # the same, recorded (see gradlab.autograd_graph)
        from gradlab.ops.movement import IndexGrad

        shape, index, dim = self.saved
        return IndexGrad.apply(grad, shape=shape, key=_positions(index, dim)), None


class IndexSelect(Function):
    __slots__ = ()

    def forward(self, a, index, dim=0):
        xp = array_module(a)
        self.saved = (a.shape, index, dim)
        return xp.take(a, index, axis=dim)

    def backward(self, grad):
        xp = array_module(grad)
        shape, index, dim = self.saved
        full = xp.zeros(shape, grad.dtype)
        xp.add.at(full, (slice(None),) * dim + (index,), grad)
        return full, None

    def backward_graph(self, grad):
        from gradlab.ops.movement import IndexGrad

        shape, index, dim = self.saved
        return IndexGrad.apply(grad, shape=shape, key=(slice(None),) * dim + (index,)), None


class IndexAdd(Function):
    __slots__ = ()

    def forward(self, a, index, source, dim=0, alpha=1):
        xp = array_module(a)
        out = a.copy()
        xp.add.at(out, (slice(None),) * dim + (index,), source * alpha if alpha != 1 else source)
        self.saved = (index, dim, alpha)
        return out

    def backward(self, grad):
        xp = array_module(grad)
        index, dim, alpha = self.saved
        grad_source = xp.take(grad, index, axis=dim) if self.needs_input_grad(2) else None
        if grad_source is not None and alpha != 1:
            grad_source = grad_source * alpha
        return grad, None, grad_source

    def backward_graph(self, grad):
        from gradlab.ops.movement import Index

        index, dim, alpha = self.saved
        grad_source = None
        if self.needs_input_grad(2):
            grad_source = Index.apply(grad, key=(slice(None),) * dim + (index,)) * alpha
        return grad, None, grad_source


class IndexCopy(Function):
    __slots__ = ()

    def forward(self, a, index, source, dim=0):
        key = (slice(None),) * dim + (index,)
        out = a.copy()
        out[key] = source
        self.saved = (key, index, dim)
        return out

    def backward(self, grad):
        xp = array_module(grad)
        key, index, dim = self.saved
        grad_a = grad.copy()
        grad_a[key] = 0
        return grad_a, None, xp.take(grad, index, axis=dim)

    def backward_graph(self, grad):
        xp = array_module(grad)
        from gradlab.ops.movement import Index

        key, _, _ = self.saved
        kept = xp.ones(grad.shape, grad.dtype)
        kept[key] = 0
        return grad * kept, None, Index.apply(grad, key=key)


class MaskedSelect(Function):
    __slots__ = ()

    def forward(self, a, mask):
        xp = array_module(a)
        shape = np.broadcast_shapes(a.shape, mask.shape)
        mask = xp.broadcast_to(mask, shape)
        self.saved = (shape, mask)
        return xp.broadcast_to(a, shape)[mask]

    def backward(self, grad):
        xp = array_module(grad)
        shape, mask = self.saved
        full = xp.zeros(shape, grad.dtype)
        full[mask] = grad
        return full, None

    def backward_graph(self, grad):
        from gradlab.ops.movement import IndexGrad

        shape, mask = self.saved
        return IndexGrad.apply(grad, shape=shape, key=mask), None


# ---------------------------------------------------------------------- functions


def _dim(op, dim, ndim):
    if not isinstance(dim, int) or not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(
            f"{op}: Dimension out of range (expected to be in range of "
            f"[{-max(ndim, 1)}, {max(ndim, 1) - 1}], but got {dim})"
        )
    return dim % max(ndim, 1)


def _index(op, input, index, ndim=None):
    """``index`` as an integer array on ``input``'s device."""
    array = index._data if isinstance(index, Tensor) else array_module(input).asarray(index)
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {array.dtype}")
    if ndim is not None and array.ndim != ndim and max(array.ndim, 1) != max(ndim, 1):
        raise RuntimeError(
            f"{op}(): Index tensor must have the same number of dimensions as input tensor"
        )
    return array


def _check_range(op, index, size, dim, error=RuntimeError):
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.max() if index.max() >= size else index.min()
        if error is IndexError:
            raise IndexError(f"{op}(): index out of range in self (index {bad}, size {size})")
        raise RuntimeError(f"index {bad} is out of bounds for dimension {dim} with size {size}")


def gather(input, dim, index, *, sparse_grad=False):  # noqa: A002 - PyTorch's names
    """out[i][j] = input[i][index[i][j]] for dim=1 (likewise for any dim)."""
    dim = _dim("gather", dim, input.ndim)
    index = _index("gather", input, index, input.ndim)
    if input.ndim == 0:
        return Gather.apply(movement.reshape(input, 1), index.reshape(1), dim=0).reshape(())
    for d in range(input.ndim):
        if d != dim and index.shape[d] > input.shape[d]:
            raise RuntimeError(
                f"Size does not match at dimension {d} expected index {list(index.shape)} to be "
                f"smaller than self {list(input.shape)} apart from dimension {dim}"
            )
    _check_range("gather", index, input.shape[dim], dim)
    return Gather.apply(input, index, dim=dim)


def index_select(input, dim, index):  # noqa: A002
    """input's entries at ``index`` (1-D) along ``dim``."""
    dim = _dim("index_select", dim, input.ndim)
    index = _index("index_select", input, index)
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    _check_range("index_select", index, input.shape[dim] if input.ndim else 1, dim, IndexError)
    if input.ndim == 0:
        return Gather.apply(movement.reshape(input, 1), index.reshape(-1), dim=0).reshape(())
    return IndexSelect.apply(input, index.reshape(-1), dim=dim)


def index_add(input, dim, index, source, *, alpha=1):  # noqa: A002
    dim = _dim("index_add", dim, input.ndim)
    index = _index("index_add", input, index).reshape(-1)
    _check_range("index_add", index, input.shape[dim], dim)
    return IndexAdd.apply(input, index, source, dim=dim, alpha=alpha)


def index_copy(input, dim, index, source):  # noqa: A002
    dim = _dim("index_copy", dim, input.ndim)
    index = _index("index_copy", input, index).reshape(-1)
    _check_range("index_copy", index, input.shape[dim], dim)
    return IndexCopy.apply(input, index, source, dim=dim)


def index_fill(input, dim, index, value):  # noqa: A002
    xp = array_module(input)
    dim = _dim("index_fill", dim, input.ndim)
    index = _index("index_fill", input, index).reshape(-1)
    mask = xp.zeros(input.shape[dim], bool)
    mask[index] = True
    mask = mask.reshape([-1 if d == dim else 1 for d in range(input.ndim)])
    return masked_fill(input, Tensor(mask), value)


def masked_fill(input, mask, value):  # noqa: A002
    """input with ``value`` where ``mask`` (bool, broadcastable) is True."""
    xp = array_module(input)
    mask = mask._data if isinstance(mask, Tensor) else xp.asarray(mask)
    if mask.dtype != bool:
        raise RuntimeError(
            f"masked_fill only supports boolean masks, but got mask with dtype {mask.dtype}"
        )
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(
                f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                f"{value.ndim} dimension(s)."
            )
        value = value if value.dtype == input.dtype else elementwise.to_dtype(value, input.dtype)
    else:
        value = xp.asarray(value, input.dtype)
    return elementwise.Where.apply(mask, value, input)


def masked_select(input, mask):  # noqa: A002
    """The entries of input (broadcast with mask) where mask is True, as a 1-D tensor."""
    xp = array_module(input)
    mask = mask._data if isinstance(mask, Tensor) else xp.asarray(mask)
    if mask.dtype != bool:
        raise RuntimeError(f"masked_select: expected BoolTensor for mask, got {mask.dtype}")
    return MaskedSelect.apply(input, mask)


def take(input, index):  # noqa: A002
    """input viewed as 1-D, at ``index`` (the result has index's shape)."""
    index = _index("take", input, index)
    _check_range("take", index, input.numel(), 0, IndexError)
    return movement.getitem(movement.reshape(input, -1), index)


def take_along_dim(input, indices, dim=None):  # noqa: A002
    """gather with broadcasting; without dim, on the flattened input."""
    xp = array_module(input)
    indices = _index("take_along_dim", input, indices)
    if dim is None:
        return gather(movement.reshape(input, -1), 0, indices.reshape(-1))
    dim = _dim("take_along_dim", dim, input.ndim)
    shape_in = list(input.shape)
    shape_ix = list(indices.shape)
    shape_in[dim] = shape_ix[dim] = 1
    common = np.broadcast_shapes(tuple(shape_in), tuple(shape_ix))
    target_in = tuple(input.shape[dim] if d == dim else s for d, s in enumerate(common))
    target_ix = tuple(indices.shape[dim] if d == dim else s for d, s in enumerate(common))
    source = input if input.shape == target_in else movement.expand(input, *target_in)
    return gather(source, dim, xp.broadcast_to(indices, target_ix))


def narrow(input, dim, start, length):  # noqa: A002
    dim = _dim("narrow", dim, input.ndim)
    start = int(start.item() if isinstance(start, Tensor) else start)
    size = input.shape[dim]
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return movement.getitem(input, (slice(None),) * dim + (slice(start, start + length),))


def select(input, dim, index):  # noqa: A002
    dim = _dim("select", dim, input.ndim)
    size = input.shape[dim]
    if not -size <= index < size:
        raise IndexError(
            f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
            f"dimension {dim}"
        )
    return movement.getitem(input, (slice(None),) * dim + (index,))


def unbind(input, dim=0):  # noqa: A002
    dim = _dim("unbind", dim, input.ndim)
    return tuple(select(input, dim, i) for i in range(input.shape[dim]))


def nonzero(input, *, as_tuple=False):  # noqa: A002
    """Indices of the non-zero entries: (n, ndim) int64, or one 1-D tensor per dim."""
    xp = array_module(input)
    array = input._data
    if as_tuple:
        if array.ndim == 0:
            return (Tensor(xp.zeros(int(bool(array)), np.int64)),)
        return tuple(Tensor(i.astype(np.int64)) for i in xp.nonzero(array))
    return Tensor(xp.argwhere(array).astype(np.int64))


def argwhere(input):  # noqa: A002
    return nonzero(input)
