"""Shape and layout ops beyond reshape/permute: tril, triu, roll, flip, rot90, repeat, tile,
repeat_interleave, unfold, movedim, swapaxes, diag, diagonal, diag_embed, trace, unflatten;
as PyTorch's. (Joining and splitting several tensors: ``joining``.)

Roll, flip, repeat, diagonal and diag_embed are primitives; the rest are built from them and
from ``movement``'s primitives, so every one is differentiable.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops import elementwise, movement
from gradlab.ops.indexing import _dim
from gradlab.tensor import Tensor

__all__ = [
    "tril", "triu", "roll", "flip", "fliplr", "flipud", "rot90", "repeat", "tile",
    "repeat_interleave", "unfold", "movedim", "moveaxis", "swapaxes", "swapdims", "diag",
    "diagonal", "diag_embed", "diagflat", "trace", "unflatten", "narrow_copy", "ravel",
]  # fmt: skip


class Roll(Function):
    __slots__ = ()

    def forward(self, a, shifts=(), dims=None):
        xp = array_module(a)
        self.saved = (shifts, dims)
        return xp.roll(a, shifts, axis=dims)

    def backward(self, grad):
        xp = array_module(grad)
        shifts, dims = self.saved
        return xp.roll(grad, tuple(-s for s in shifts), axis=dims)

    def backward_graph(self, grad):  # the same, recorded (see gradlab.autograd_graph)
        shifts, dims = self.saved
        return Roll.apply(grad, shifts=tuple(-s for s in shifts), dims=dims)


class Flip(Function):
    __slots__ = ()

    def forward(self, a, dims=()):
        xp = array_module(a)
        self.saved = (dims,)
        return xp.flip(a, dims).copy()

    def backward(self, grad):
        xp = array_module(grad)
        return xp.flip(grad, self.saved[0])

    def backward_graph(self, grad):
        return Flip.apply(grad, dims=self.saved[0])


class Repeat(Function):
    """Tile ``a`` (already given as many dims as ``repeats``); the gradient sums the tiles."""

    __slots__ = ()

    def forward(self, a, repeats=()):
        xp = array_module(a)
        self.saved = (a.shape, repeats)
        return xp.tile(a, repeats)

    def backward(self, grad):
        shape, repeats = self.saved
        split = []
        for r, s in zip(repeats, shape):
            split += [r, s]
        summed = grad.reshape(split).sum(axis=tuple(range(0, 2 * len(shape), 2)))
        return summed

    def backward_graph(self, grad):
        shape, repeats = self.saved
        split = []
        for r, s in zip(repeats, shape):
            split += [r, s]
        return grad.reshape(split).sum(dim=tuple(range(0, 2 * len(shape), 2)))


class Diagonal(Function):
    __slots__ = ()
    composite_reads_inputs = False  # linear: its gradient does not depend on the values

    def forward(self, a, offset=0, dim1=0, dim2=1):
        xp = array_module(a)
        self.saved = (a.shape, offset, dim1, dim2)
        return xp.diagonal(a, offset, dim1, dim2).copy()

    def backward(self, grad):
        xp = array_module(grad)
        shape, offset, dim1, dim2 = self.saved
        full = xp.zeros(shape, grad.dtype)
        moved = xp.moveaxis(full, (dim1, dim2), (-2, -1))  # a view: numpy.diagonal's layout
        positions = xp.arange(grad.shape[-1])
        moved[..., positions + builtins.max(-offset, 0), positions + builtins.max(offset, 0)] = grad
        return full

    def composite(self, a):  # the forward in primitive ops, for create_graph
        xp = array_module(a)
        from gradlab.ops.movement import Index

        shape, offset, dim1, dim2 = self.saved
        order = [d for d in range(len(shape)) if d not in (dim1, dim2)] + [dim1, dim2]
        moved = a.permute(*order)
        length = builtins.max(
            builtins.min(moved.shape[-2] + builtins.min(offset, 0), moved.shape[-1] - offset), 0
        )
        positions = xp.arange(length)
        key = (Ellipsis, positions + builtins.max(-offset, 0), positions + builtins.max(offset, 0))
        return Index.apply(moved, key=key)


class DiagEmbed(Function):
    """Batches of vectors (last dim) placed on a diagonal of new dims ``dim1``, ``dim2``."""

    __slots__ = ()

    def forward(self, a, offset=0, dim1=-2, dim2=-1):
        xp = array_module(a)
        n = a.shape[-1] + builtins.abs(offset)
        out = xp.zeros(a.shape[:-1] + (n, n), a.dtype)
        positions = xp.arange(a.shape[-1])
        out[..., positions + builtins.max(-offset, 0), positions + builtins.max(offset, 0)] = a
        ndim = out.ndim
        d1, d2 = dim1 % ndim, dim2 % ndim
        order = [d for d in range(ndim - 2)]
        result_axes = [None] * ndim
        result_axes[d1], result_axes[d2] = ndim - 2, ndim - 1
        rest = iter(order)
        result_axes = [r if r is not None else next(rest) for r in result_axes]
        self.saved = (offset, result_axes)
        return out.transpose(result_axes)

    def backward(self, grad):
        xp = array_module(grad)
        offset, result_axes = self.saved
        moved = grad.transpose(xp.argsort(result_axes))
        length = moved.shape[-1] - builtins.abs(offset)
        positions = xp.arange(length)
        return moved[..., positions + builtins.max(-offset, 0), positions + builtins.max(offset, 0)]


# ---------------------------------------------------------------------- functions


def _triangle(input, diagonal, lower, op):
    xp = array_module(input)
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions")
    rows, cols = input.shape[-2:]
    keep = xp.tri(rows, cols, diagonal if lower else diagonal - 1, dtype=bool)
    keep = keep if lower else ~keep
    zero = xp.zeros((), input.dtype)
    if input.dtype.kind not in "fc":
        return Tensor(xp.where(keep, input._data, zero))
    return elementwise.Where.apply(keep, input, zero)


def tril(input, diagonal=0):  # noqa: A002 - PyTorch's names
    """The lower triangle (on and below ``diagonal``) of the last two dims; zeros elsewhere."""
    return _triangle(input, diagonal, True, "tril")


def triu(input, diagonal=0):  # noqa: A002
    return _triangle(input, diagonal, False, "triu")


def _tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def roll(input, shifts, dims=None):  # noqa: A002
    shifts = _tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll(): shifts {shifts} need dims of the same length")
        flat = movement.reshape(input, -1)
        return movement.reshape(Roll.apply(flat, shifts=shifts, dims=(0,)), *input.shape)
    dims = tuple(_dim("roll", d, input.ndim) for d in _tuple(dims))
    if len(shifts) != len(dims):
        raise RuntimeError(
            f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}"
        )
    return Roll.apply(input, shifts=shifts, dims=dims)


def flip(input, dims):  # noqa: A002
    xp = array_module(input)
    dims = tuple(_dim("flip", d, input.ndim) for d in _tuple(dims))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"flip(): dims has a dim appearing more than once: {dims}")
    if input.dtype.kind not in "fc":
        return Tensor(xp.flip(input._data, dims).copy())
    return Flip.apply(input, dims=dims)


def fliplr(input):  # noqa: A002
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input):  # noqa: A002
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


def rot90(input, k=1, dims=(0, 1)):  # noqa: A002
    """Rotate by 90 degrees k times in the plane of dims (from the first towards the second)."""
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    d0, d1 = (_dim("rot90", d, input.ndim) for d in dims)
    if d0 == d1:
        raise RuntimeError(
            f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}"
        )
    k %= 4
    if k == 1:
        return movement.transpose(flip(input, d1), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return flip(movement.transpose(input, d0, d1), d1)
    return input * 1


def repeat(input, *sizes):  # noqa: A002
    """``Tensor.repeat``: tile the tensor ``sizes`` times (len(sizes) >= input.ndim)."""
    xp = array_module(input)
    sizes = movement._shape_args("repeat", sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions "
            "of tensor"
        )
    source = input
    if len(sizes) > input.ndim:
        source = movement.reshape(input, (1,) * (len(sizes) - input.ndim) + input.shape)
    if source.dtype.kind not in "fc":
        return Tensor(xp.tile(source._data, sizes))
    return Repeat.apply(source, repeats=sizes)


def tile(input, dims):  # noqa: A002
    """``torch.tile``: as repeat, with dims padded by leading 1s to the input's ndim."""
    dims = tuple(dims)
    return repeat(input, *((1,) * (input.ndim - len(dims)) + dims))


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):  # noqa: A002
    """Each entry repeated ``repeats`` times (an int or a tensor of counts) along dim
    (the flattened input when dim is None)."""
    xp = array_module(input)
    if repeats is None:  # repeat_interleave(repeats_tensor): the indices repeated
        counts = input._data
        return Tensor(xp.repeat(xp.arange(counts.size), counts).astype(np.int64))
    if dim is None:
        input, dim = movement.reshape(input, -1), 0
    dim = _dim("repeat_interleave", dim, input.ndim)
    counts = repeats._data if isinstance(repeats, Tensor) else repeats
    if xp.ndim(counts) and len(counts) not in (1, input.shape[dim]):
        raise RuntimeError(
            f"repeats must have the same size as input along dim, but got repeats.size(0) = "
            f"{len(counts)} and input.size({dim}) = {input.shape[dim]}"
        )
    if xp.any(xp.asarray(counts) < 0):
        raise RuntimeError("repeats can not be negative")
    index = xp.repeat(xp.arange(input.shape[dim]), counts)
    if input.ndim == 0:
        return movement.getitem(movement.reshape(input, 1), index)
    return movement.getitem(input, (slice(None),) * dim + (index,))


def unfold(input, dimension, size, step):  # noqa: A002
    """``Tensor.unfold``: windows of ``size`` every ``step`` along ``dimension``, as a new
    last dim."""
    xp = array_module(input)
    dim = _dim("unfold", dimension, input.ndim)
    length = input.shape[dim] if input.ndim else 1
    if size > length:
        raise RuntimeError(
            f"maximum size for tensor at dimension {dim} is {length} but size is {size}"
        )
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if input.ndim == 0:
        return movement.reshape(input, 1)
    starts = xp.arange(0, length - size + 1, step)
    windows = starts[:, None] + xp.arange(size)[None, :]
    picked = movement.getitem(input, (slice(None),) * dim + (windows,))
    return movedim(picked, dim + 1, -1)


def movedim(input, source, destination):  # noqa: A002
    src = [_dim("movedim", d, input.ndim) for d in _tuple(source)]
    dst = [_dim("movedim", d, input.ndim) for d in _tuple(destination)]
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({list(src)} dims) should "
            f"contain the same number of dims as destination ({list(dst)} dims)"
        )
    order = [d for d in range(input.ndim) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return movement.permute(input, *order)


moveaxis = movedim


def swapaxes(input, axis0, axis1):  # noqa: A002
    return movement.transpose(input, axis0, axis1)


swapdims = swapaxes


def diagonal(input, offset=0, dim1=0, dim2=1):  # noqa: A002
    d1, d2 = _dim("diagonal", dim1, input.ndim), _dim("diagonal", dim2, input.ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return Diagonal.apply(input, offset=offset, dim1=d1, dim2=d2)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):  # noqa: A002
    ndim = input.ndim + 1
    d1, d2 = _dim("diag_embed", dim1, ndim), _dim("diag_embed", dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return DiagEmbed.apply(input, offset=offset, dim1=d1, dim2=d2)


def diag(input, diagonal=0):  # noqa: A002
    """A 1-D input on a diagonal of a square matrix, or a 2-D input's diagonal."""
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    if input.ndim == 2:
        return globals()["diagonal"](input, diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {input.ndim}D")


def diagflat(input, offset=0):  # noqa: A002
    return diag_embed(movement.reshape(input, -1), offset)


def trace(input):  # noqa: A002
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return diagonal(input).sum()


def unflatten(input, dim, sizes):  # noqa: A002
    dim = _dim("unflatten", dim, input.ndim)
    sizes = list(sizes)
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = math.prod(s for s in sizes if s != -1)
    if -1 in sizes:
        sizes[sizes.index(-1)] = input.shape[dim] // known if known else 0
    if math.prod(sizes) != input.shape[dim]:
        raise RuntimeError(
            f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim "
            f"{dim} ({input.shape[dim]}) in the input tensor"
        )
    return movement.reshape(input, input.shape[:dim] + tuple(sizes) + input.shape[dim + 1 :])


def ravel(input):  # noqa: A002
    return movement.reshape(input, -1)


def narrow_copy(input, dim, start, length):  # noqa: A002
    from gradlab.ops.indexing import narrow

    return narrow(input, dim, start, length) * 1
