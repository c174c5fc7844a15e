"""Reductions: sum, mean, max/min (full and along a dim), var, std, logsumexp.

``dim`` is an int, a tuple of ints or None (all dimensions); ``keepdim`` keeps reduced
dimensions as size 1, as in PyTorch. Full max/min split the gradient evenly among ties
(PyTorch's rule); max/min along a dim send it to the returned index.
"""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops.elementwise import Sqrt
from gradlab.tensor import Tensor

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])


def normalize_dims(op: str, dim, ndim: int):
    """``dim`` as a sorted tuple of non-negative axes, or None for every axis."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = []
    for d in dims:
        if not isinstance(d, int) or not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(f"{op}: dim {d} is out of range for a tensor of {ndim} dimension(s)")
        out.append(d % builtins.max(ndim, 1))
    return tuple(sorted(set(out)))


def _expand_back(grad, in_shape, axes, keepdim):
    """Broadcast a reduced gradient back over the input's shape (a read-only view)."""
    xp = array_module(grad)
    if axes is None:
        axes = tuple(range(len(in_shape)))
    if not keepdim and in_shape:
        grad = grad.reshape([1 if i in axes else s for i, s in enumerate(in_shape)])
    return xp.broadcast_to(grad, in_shape)


def expand_back(grad, in_shape, axes, keepdim):
    """:func:`_expand_back` for a Tensor gradient, recorded (for ``backward_graph``)."""
    from gradlab.ops.movement import expand, reshape

    if axes is None:
        axes = tuple(range(len(in_shape)))
    if not keepdim and in_shape:
        grad = reshape(grad, tuple(1 if i in axes else s for i, s in enumerate(in_shape)))
    return expand(grad, *in_shape)


class Sum(Function):
    __slots__ = ()

    def forward(self, a, dim=None, keepdim=False):
        self.saved = (a.shape, dim, keepdim)
        return a.sum(axis=dim, keepdims=keepdim)

    def backward(self, grad):
        shape, dim, keepdim = self.saved
        return _expand_back(grad, shape, dim, keepdim)

    def backward_graph(self, grad):  # (see gradlab.autograd_graph)
        shape, dim, keepdim = self.saved
        return expand_back(grad, shape, dim, keepdim)


class Mean(Function):
    __slots__ = ()

    def forward(self, a, dim=None, keepdim=False):
        out = a.mean(axis=dim, keepdims=keepdim)
        self.saved = (a.shape, dim, keepdim, a.size // builtins.max(out.size, 1) if a.size else 0)
        return out

    def backward(self, grad):
        shape, dim, keepdim, count = self.saved
        return _expand_back(grad / count if count else grad, shape, dim, keepdim)

    def backward_graph(self, grad):
        shape, dim, keepdim, count = self.saved
        return expand_back(grad / count if count else grad, shape, dim, keepdim)


class Extreme(Function):
    """Full max or min; ties share the gradient evenly."""

    __slots__ = ()

    def forward(self, a, dim=None, keepdim=False, kind="max"):
        out = a.max(axis=dim, keepdims=True) if kind == "max" else a.min(axis=dim, keepdims=True)
        self.saved = (a, out, dim, keepdim)
        return (
            out
            if keepdim
            else out.reshape([s for i, s in enumerate(a.shape) if dim is not None and i not in dim])
        )

    def backward(self, grad):
        a, out, dim, keepdim = self.saved
        hits = a == out
        count = hits.sum(axis=dim, keepdims=True).astype(grad.dtype)
        return hits * (_expand_back(grad, a.shape, dim, keepdim) / count)

    def backward_graph(self, grad):
        a, out, dim, keepdim = self.saved
        hits = a == out
        share = hits / hits.sum(axis=dim, keepdims=True).astype(grad.dtype)  # a constant
        return expand_back(grad, a.shape, dim, keepdim) * share.astype(grad.dtype)


class TakeAlongDim(Function):
    """Values at given indices along one dim (max/min with ``dim``); grad goes to them."""

    __slots__ = ()

    def forward(self, a, indices=None, dim=0, keepdim=False):
        xp = array_module(a)
        self.saved = (a.shape, indices, dim)
        out = xp.take_along_axis(a, indices, axis=dim)
        return out if keepdim else out.squeeze(dim)

    def backward(self, grad):
        xp = array_module(grad)
        shape, indices, dim = self.saved
        full = xp.zeros_like(grad, shape=shape)
        if grad.ndim < len(shape):
            grad = xp.expand_dims(grad, dim)
        xp.put_along_axis(full, indices, grad, axis=dim)
        return full

    def backward_graph(self, grad):
        shape, indices, dim = self.saved
        if grad.ndim < len(shape):
            grad = grad.unsqueeze(dim)
        return PutAlongDim.apply(grad, shape=shape, indices=indices, dim=dim)


class PutAlongDim(Function):
    """TakeAlongDim's backward as an op (for create_graph): zeros of the input's shape with
    ``grad`` put at the indices; its own backward takes them again."""

    __slots__ = ()

    def forward(self, grad, shape=(), indices=None, dim=0):
        xp = array_module(grad)
        self.saved = (indices, dim)
        full = xp.zeros_like(grad, shape=shape)
        xp.put_along_axis(full, indices, grad, axis=dim)
        return full

    def backward(self, grad):
        xp = array_module(grad)
        indices, dim = self.saved
        return xp.take_along_axis(grad, indices, axis=dim)

    def backward_graph(self, grad):
        indices, dim = self.saved
        return TakeAlongDim.apply(grad, indices=indices, dim=dim, keepdim=True)


class Var(Function):
    __slots__ = ()

    def forward(self, a, dim=None, correction=1, keepdim=False):
        mean = a.mean(axis=dim, keepdims=True)
        centered = a - mean
        count = a.size // builtins.max(mean.size, 1) if a.size else 0
        denominator = builtins.max(count - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = (centered * centered).sum(axis=dim, keepdims=keepdim) / denominator
        self.saved = (centered, dim, keepdim, denominator, a)  # a: read by backward_graph
        return out.astype(a.dtype, copy=False)

    def backward(self, grad):
        centered, dim, keepdim, denominator, _ = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = 2.0 / denominator if denominator else np.inf
        return _expand_back(grad, centered.shape, dim, keepdim) * centered * scale

    def backward_graph(self, grad):
        _, dim, keepdim, denominator, _ = self.saved
        a = self.inputs[0]
        centered = a - a.mean(dim=dim, keepdim=True)
        scale = 2.0 / denominator if denominator else float("inf")
        return expand_back(grad, centered.shape, dim, keepdim) * centered * scale


class LogSumExp(Function):
    __slots__ = ()

    def forward(self, a, dim=None, keepdim=False):
        xp = array_module(a)
        peak = a.max(axis=dim, keepdims=True) if a.size else a.dtype.type(0)
        peak = xp.where(xp.isfinite(peak), peak, 0)
        shifted = xp.exp(a - peak)
        total = shifted.sum(axis=dim, keepdims=True)
        out_keep = xp.log(total) + peak
        self.saved = (shifted / total, dim, keepdim, a)  # a: read by backward_graph
        if keepdim:
            return out_keep
        return out_keep.reshape(
            [s for i, s in enumerate(a.shape) if dim is not None and i not in dim]
        )

    def backward(self, grad):
        softmax, dim, keepdim, _ = self.saved
        return _expand_back(grad, softmax.shape, dim, keepdim) * softmax

    def backward_graph(self, grad):
        _, dim, keepdim, _ = self.saved
        a = self.inputs[0]
        softmax = (a - LogSumExp.apply(a, dim=dim, keepdim=True)).exp()
        return expand_back(grad, a.shape, dim, keepdim) * softmax


# ---------------------------------------------------------------------- functions


def sum(a, dim=None, keepdim=False):  # noqa: A001 - PyTorch's name
    return Sum.apply(a, dim=normalize_dims("sum", dim, a.ndim), keepdim=keepdim)


def mean(a, dim=None, keepdim=False):
    if a.dtype.kind not in "fc":
        raise TypeError(f"mean: expected a floating tensor, got dtype {a.dtype}")
    return Mean.apply(a, dim=normalize_dims("mean", dim, a.ndim), keepdim=keepdim)


def _extreme(a, dim, keepdim, kind):
    xp = array_module(a)
    if a._data.size == 0:
        raise RuntimeError(f"{kind}(): cannot reduce an empty tensor of shape {a.shape}")
    if dim is None:
        return Extreme.apply(a, dim=None, keepdim=False, kind=kind)
    if not isinstance(dim, int):
        raise TypeError(f"{kind}(): dim must be an int, got {dim!r}")
    (axis,) = normalize_dims(kind, dim, a.ndim)
    arg = xp.argmax if kind == "max" else xp.argmin
    indices = xp.expand_dims(arg(a._data, axis=axis), axis)
    values = TakeAlongDim.apply(a, indices=indices, dim=axis, keepdim=keepdim)
    return ValuesIndices(values, Tensor(indices if keepdim else indices.squeeze(axis)))


def max(a, dim=None, keepdim=False):  # noqa: A001 - PyTorch's name
    """Largest value (a tensor), or with ``dim`` the pair (values, indices)."""
    return _extreme(a, dim, keepdim, "max")


def min(a, dim=None, keepdim=False):  # noqa: A001 - PyTorch's name
    """Smallest value (a tensor), or with ``dim`` the pair (values, indices)."""
    return _extreme(a, dim, keepdim, "min")


def amax(a, dim=None, keepdim=False):
    return Extreme.apply(a, dim=normalize_dims("amax", dim, a.ndim), keepdim=keepdim, kind="max")


def amin(a, dim=None, keepdim=False):
    return Extreme.apply(a, dim=normalize_dims("amin", dim, a.ndim), keepdim=keepdim, kind="min")


def argmax(a, dim=None, keepdim=False):
    xp = array_module(a)
    data = a._data if isinstance(a, Tensor) else a
    return Tensor(xp.argmax(data, axis=dim, keepdims=keepdim))


def argmin(a, dim=None, keepdim=False):
    xp = array_module(a)
    data = a._data if isinstance(a, Tensor) else a
    return Tensor(xp.argmin(data, axis=dim, keepdims=keepdim))


def var(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance with Bessel's correction by default (``correction=1``), as PyTorch."""
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return Var.apply(
        a, dim=normalize_dims("var", dim, a.ndim), correction=correction, keepdim=keepdim
    )


def std(a, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return Sqrt.apply(var(a, dim, unbiased, keepdim, correction=correction))


def logsumexp(a, dim, keepdim=False):
    return LogSumExp.apply(a, dim=normalize_dims("logsumexp", dim, a.ndim), keepdim=keepdim)
