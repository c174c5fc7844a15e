"""Movement primitives: reshape, permute, index, cat, stack, pad, expand; and the composites
built on them (view, transpose, .T, squeeze, unsqueeze, flatten, split, chunk).

Results that look into their input's memory (every permute, expand and basic index; a
reshape when NumPy could make it without a copy) are marked as views of it
(:func:`gradlab.tensor.make_view`): they share its version counter, and in-place ops on them
update the base's graph as PyTorch's do.
"""

from __future__ import annotations

import builtins
import itertools

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module, as_array, backend_of, to_backend
from gradlab.ops.padding import Pad, pad  # noqa: E402, F401  (re-exported: F.pad)
from gradlab.tensor import Tensor, make_view


class Reshape(Function):
    __slots__ = ()

    def forward(self, a, shape=()):
        self.saved = (a.shape,)
        return a.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.saved[0])

    def backward_graph(self, grad):  # (see gradlab.autograd_graph)
        return Reshape.apply(grad, shape=self.saved[0])


class Permute(Function):
    __slots__ = ()

    def forward(self, a, dims=()):
        self.saved = (dims,)
        return a.transpose(dims)

    def backward(self, grad):
        dims = self.saved[0]
        return grad.transpose(tuple(sorted(range(len(dims)), key=dims.__getitem__)))

    def backward_graph(self, grad):
        dims = self.saved[0]
        return Permute.apply(grad, dims=tuple(sorted(range(len(dims)), key=dims.__getitem__)))


class Expand(Function):
    """Broadcast to a larger shape as a view; the engine sums the gradient back."""

    __slots__ = ()

    def forward(self, a, shape=()):
        xp = array_module(a)
        return xp.broadcast_to(a, shape)

    def backward(self, grad):
        return grad

    backward_graph = backward


def _is_basic_index(key) -> bool:
    keys = key if isinstance(key, tuple) else (key,)
    return all(
        k is None or k is Ellipsis or isinstance(k, (int, slice)) and not isinstance(k, bool)
        for k in keys
    )


class Index(Function):
    """a[key] for slices, steps, integers, integer arrays and boolean masks."""

    __slots__ = ()

    def forward(self, a, key=None):
        self.saved = (a.shape, a.dtype, key)
        return a[key]

    def backward(self, grad):
        xp = array_module(grad)
        shape, dtype, key = self.saved
        full = xp.zeros_like(grad, shape=shape)
        if _is_basic_index(key):
            full[key] = grad
        else:
            xp.add.at(full, key, grad)  # repeated integer indices add up
        return full

    def backward_graph(self, grad):
        shape, _, key = self.saved
        return IndexGrad.apply(grad, shape=shape, key=key)


class IndexGrad(Function):
    """Index's backward as an op (for create_graph): zeros of the indexed tensor's shape
    with ``grad`` added at ``key``; its own backward is the indexing again."""

    __slots__ = ()

    def forward(self, grad, shape=(), key=None):
        xp = array_module(grad)
        self.saved = (key,)
        full = xp.zeros_like(grad, shape=shape)
        if _is_basic_index(key):
            full[key] = grad
        else:
            xp.add.at(full, key, grad)
        return full

    def backward(self, grad):
        return grad[self.saved[0]]

    def backward_graph(self, grad):
        return Index.apply(grad, key=self.saved[0])


class Cat(Function):
    __slots__ = ()

    def forward(self, *arrays, dim=0):
        xp = array_module(*arrays)
        self.saved = ([a.shape[dim] for a in arrays], dim)
        return xp.concatenate(arrays, axis=dim)

    def backward(self, grad):
        xp = array_module(grad)
        sizes, dim = self.saved
        if len(sizes) == 1:
            return grad  # one input: the engine expects a bare gradient, not a 1-tuple
        bounds = list(itertools.accumulate(sizes))[:-1]
        return tuple(xp.split(grad, bounds, axis=dim))

    def backward_graph(self, grad):
        sizes, dim = self.saved
        if len(sizes) == 1:
            return grad
        bounds = [0, *itertools.accumulate(sizes)]
        lead = (slice(None),) * dim
        return tuple(
            Index.apply(grad, key=(*lead, slice(lo, hi))) for lo, hi in zip(bounds, bounds[1:])
        )


class Stack(Function):
    __slots__ = ()

    def forward(self, *arrays, dim=0):
        xp = array_module(*arrays)
        self.saved = (len(arrays), dim)
        return xp.stack(arrays, axis=dim)

    def backward(self, grad):
        xp = array_module(grad)
        count, dim = self.saved
        if count == 1:
            return xp.take(grad, 0, axis=dim)
        return tuple(xp.take(grad, i, axis=dim) for i in range(count))

    def backward_graph(self, grad):
        count, dim = self.saved
        pieces = tuple(Index.apply(grad, key=(*(slice(None),) * dim, i)) for i in range(count))
        return pieces[0] if count == 1 else pieces


# ---------------------------------------------------------------------- functions


def _owner(array):
    return array if array.base is None else array.base


def _reshaped(a, shape):
    out = Reshape.apply(a, shape=shape)
    if isinstance(a, Tensor) and _owner(out._data) is _owner(a._data):
        make_view(out, a, lambda array: array.reshape(shape))
    return out


def _permuted(a, dims):
    out = Permute.apply(a, dims=dims)
    if isinstance(a, Tensor):
        make_view(out, a, lambda array: array.transpose(dims))
    return out


def _shape_args(op: str, shape) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not all(isinstance(s, int) for s in shape):
        raise TypeError(f"{op}: shape must be integers, got {shape!r}")
    return tuple(shape)


def reshape(a, *shape):
    shape = _shape_args("reshape", shape)
    try:
        return _reshaped(a, shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {a.shape} ({a._data.size} elements) "
            f"into shape {shape}"
        ) from None


view = reshape


def _dim(op: str, dim: int, ndim: int) -> int:
    if not isinstance(dim, int) or not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op}: dim {dim} is out of range for a tensor of {ndim} dimension(s)")
    return dim % max(ndim, 1)


def permute(a, *dims):
    dims = _shape_args("permute", dims)
    if sorted(d % max(a.ndim, 1) for d in dims) != list(range(a.ndim)):
        raise ValueError(f"permute: dims {dims} are not a permutation of {a.ndim} dimensions")
    return _permuted(a, tuple(d % a.ndim for d in dims))


def transpose(a, dim0, dim1):
    dims = list(range(a.ndim))
    d0, d1 = _dim("transpose", dim0, a.ndim), _dim("transpose", dim1, a.ndim)
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return _permuted(a, tuple(dims))


def t(a):
    """Reverse the dimensions (``.T``)."""
    return _permuted(a, tuple(reversed(range(a.ndim))))


def squeeze(a, dim=None):
    if dim is None:
        shape = tuple(s for s in a.shape if s != 1)
    else:
        dims = {_dim("squeeze", d, a.ndim) for d in ((dim,) if isinstance(dim, int) else dim)}
        shape = tuple(s for i, s in enumerate(a.shape) if not (i in dims and s == 1))
    return _reshaped(a, shape)


def unsqueeze(a, dim):
    if not -a.ndim - 1 <= dim <= a.ndim:
        raise IndexError(
            f"unsqueeze: dim {dim} is out of range for a tensor of {a.ndim} dimension(s)"
        )
    dim = dim % (a.ndim + 1)
    return _reshaped(a, a.shape[:dim] + (1,) + a.shape[dim:])


def flatten(a, start_dim=0, end_dim=-1):
    if a.ndim == 0:
        return _reshaped(a, (1,))
    start, end = _dim("flatten", start_dim, a.ndim), _dim("flatten", end_dim, a.ndim)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = 1
    for s in a.shape[start : end + 1]:
        merged *= s
    return _reshaped(a, a.shape[:start] + (merged,) + a.shape[end + 1 :])


def expand(a, *sizes):
    xp = array_module(a)
    sizes = _shape_args("expand", sizes)
    if len(sizes) < a.ndim:
        raise ValueError(f"expand: {len(sizes)} sizes given for a tensor of {a.ndim} dimensions")
    lead = len(sizes) - a.ndim
    shape = tuple(a.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    try:
        np.broadcast_shapes(a.shape, shape)
    except ValueError:
        raise ValueError(f"expand: cannot expand shape {a.shape} to {sizes}") from None
    out = Expand.apply(a, shape=shape)
    if isinstance(a, Tensor):
        make_view(out, a, lambda array: xp.broadcast_to(array, shape))
    return out


def broadcast_to(a, shape):
    return expand(a, *shape)


def _index_key(key, like=None):
    """Tensors in ``key`` as their arrays; a list (or a host array, for a tensor on another
    device) as an index array on ``like``'s device."""
    if isinstance(key, tuple):
        return tuple(_index_key(k, like) for k in key)
    if isinstance(key, Tensor):
        key = key._data
    elif isinstance(key, list):
        key = as_array(key)
    if like is not None and isinstance(key, np.ndarray) and type(like) is not np.ndarray:
        return to_backend(key, backend_of(like))
    return key


def _as_view_key(key):
    """A basic key that gives a 0-d view, not a NumPy scalar, when every index is an int."""
    keys = key if isinstance(key, tuple) else (key,)
    if any(k is Ellipsis for k in keys):
        return key
    return (*keys, Ellipsis)


def getitem(a, key):
    key = _index_key(key, a._data if isinstance(a, Tensor) else None)
    if _is_basic_index(key):
        key = _as_view_key(key)
    try:
        out = Index.apply(a, key=key)
    except IndexError as error:
        raise IndexError(f"index: {error} (tensor of shape {a.shape})") from None
    if isinstance(key, tuple) and key and key[-1] is Ellipsis and isinstance(a, Tensor):
        make_view(out, a, lambda array: array[key])
    return out


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    ndim = tensors[0].ndim
    axis = _dim("cat", dim, ndim)
    for i, t in enumerate(tensors):
        if t.ndim != ndim or any(
            s != s0 for j, (s, s0) in enumerate(zip(t.shape, tensors[0].shape)) if j != axis
        ):
            raise ValueError(
                f"cat: tensor {i} has shape {t.shape}, expected {tensors[0].shape} in every "
                f"dimension except dim {dim}"
            )
    return Cat.apply(*tensors, dim=axis)


concatenate = cat


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(
                f"stack: tensor {i} has shape {t.shape}, expected {tensors[0].shape} "
                f"(all tensors must have the same shape)"
            )
    axis = dim % (tensors[0].ndim + 1) if -tensors[0].ndim - 1 <= dim <= tensors[0].ndim else None
    if axis is None:
        raise IndexError(f"stack: dim {dim} is out of range for {tensors[0].ndim}-d tensors")
    return Stack.apply(*tensors, dim=axis)


def split(a, split_size_or_sections, dim=0):
    axis = _dim("split", dim, a.ndim)
    length = a.shape[axis]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 0 or size == 0 and length:
            raise ValueError(
                f"split: split_size must be positive (0 only for an empty dim), "
                f"got {size} for dim {dim} of size {length}"
            )
        if length == 0:
            sizes = [0]
        else:
            sizes = [size] * (length // size) + ([length % size] if length % size else [])
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != length:
            raise ValueError(f"split: sizes {sizes} do not add up to dim {dim}'s size {length}")
    pieces, start = [], 0
    for size in sizes:
        key = (slice(None),) * axis + (slice(start, start + size),)
        pieces.append(make_view(Index.apply(a, key=key), a, lambda array, key=key: array[key]))
        start += size
    return tuple(pieces)


def chunk(a, chunks, dim=0):
    if not isinstance(chunks, int) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    length = a.shape[_dim("chunk", dim, a.ndim)]
    if length == 0:
        return split(a, 0, dim) * chunks
    return split(a, -(-length // chunks), dim)
