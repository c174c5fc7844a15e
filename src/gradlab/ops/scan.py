"""Products and running reductions: prod, cumsum, cumprod, cummax, cummin, logcumsumexp,
diff; as PyTorch's, differentiable (zeros included: prod and cumprod's gradients are
products of the other factors, not divisions by the input).
"""

from __future__ import annotations

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops import movement
from gradlab.ops.indexing import Gather, _dim
from gradlab.ops.protocols import return_type
from gradlab.tensor import Tensor

__all__ = ["prod", "cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "diff"]

cummax_result = return_type("cummax", ["values", "indices"])
cummin_result = return_type("cummin", ["values", "indices"])


def _others_product(work, axis):
    """For every entry, the product of the other entries along ``axis`` (no division)."""
    xp = array_module(work)
    w = xp.moveaxis(work, axis, -1)
    left = xp.ones_like(w)
    right = xp.ones_like(w)
    if w.shape[-1] > 1:
        left[..., 1:] = xp.cumprod(w[..., :-1], axis=-1)
        right[..., :-1] = xp.cumprod(w[..., :0:-1], axis=-1)[..., ::-1]
    return xp.moveaxis(left * right, -1, axis)


class Prod(Function):
    __slots__ = ()

    def forward(self, a, dim=None, keepdim=False):
        self.saved = (a, dim, keepdim)
        return a.prod() if dim is None else a.prod(axis=dim, keepdims=keepdim)

    def backward(self, grad):
        xp = array_module(grad)
        a, dim, keepdim = self.saved
        if dim is None:
            return grad * _others_product(a.reshape(-1), 0).reshape(a.shape)
        if not keepdim:
            grad = xp.expand_dims(grad, dim)
        return grad * _others_product(a, dim)

    def backward_graph(self, grad):
        from gradlab.autograd_graph import NoGraphBackward
        from gradlab.ops.reduce import expand_back

        a_array, dim, keepdim = self.saved
        if not (a_array != 0).all():  # the zero-safe formula has no recorded form here
            raise NoGraphBackward
        a = self.inputs[0]
        out = Prod.apply(a, dim=dim, keepdim=keepdim)  # recorded again: d out / d a = out / a
        return expand_back(grad * out, a.shape, None if dim is None else (dim,), keepdim) / a


class Cumsum(Function):
    __slots__ = ()

    def forward(self, a, dim=0):
        xp = array_module(a)
        self.saved = (dim,)
        return xp.cumsum(a, axis=dim)

    def backward(self, grad):
        xp = array_module(grad)
        (dim,) = self.saved
        return xp.flip(xp.cumsum(xp.flip(grad, dim), axis=dim), dim)

    def backward_graph(self, grad):  # the same, recorded (see gradlab.autograd_graph)
        from gradlab.ops.shape import Flip

        (dim,) = self.saved
        flipped = Flip.apply(grad, dims=dim)
        return Flip.apply(Cumsum.apply(flipped, dim=dim), dims=dim)


class Cumprod(Function):
    __slots__ = ()

    def forward(self, a, dim=0):
        xp = array_module(a)
        out = xp.cumprod(a, axis=dim)
        self.saved = (a, out, dim)
        return out

    def backward(self, grad):
        xp = array_module(grad)
        a, out, dim = self.saved
        if (a != 0).all():
            summed = xp.flip(xp.cumsum(xp.flip(grad * out, dim), axis=dim), dim)
            return summed / a
        # With zeros: d out_j / d a_i is the product of a_k for k <= j, k != i.
        w = xp.moveaxis(a, dim, -1)
        g = xp.moveaxis(grad, dim, -1)
        result = xp.empty_like(w)
        for i in range(w.shape[-1]):
            without = w.copy()
            without[..., i] = 1
            partial = xp.cumprod(without, axis=-1)[..., i:]
            result[..., i] = (g[..., i:] * partial).sum(axis=-1)
        return xp.moveaxis(result, -1, dim)


# ---------------------------------------------------------------------- functions


def _accumulating_dtype(a, dtype):
    if dtype is not None:
        return np.dtype(dtype)
    return np.dtype(np.int64) if a.dtype.kind in "biu" else a.dtype


def _cast(a, dtype):
    if a.dtype == dtype:
        return a
    if a.dtype.kind in "biu" or dtype.kind not in "fc":
        return Tensor(a._data.astype(dtype))
    return a.to(dtype)


def prod(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002 - PyTorch's names
    """Product of all entries, or along ``dim`` (an int)."""
    a = _cast(input, _accumulating_dtype(input, dtype))
    if dim is None:
        return Prod.apply(a)
    if not isinstance(dim, int):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    dim = _dim("prod", dim, a.ndim)
    if a.ndim == 0:
        return Prod.apply(a)
    return Prod.apply(a, dim=dim, keepdim=keepdim)


def cumsum(input, dim, *, dtype=None):  # noqa: A002
    a = _cast(input, _accumulating_dtype(input, dtype))
    if a.ndim == 0:
        _dim("cumsum", dim, 0)
        return movement.reshape(a, ())
    return Cumsum.apply(a, dim=_dim("cumsum", dim, a.ndim))


def cumprod(input, dim, *, dtype=None):  # noqa: A002
    a = _cast(input, _accumulating_dtype(input, dtype))
    if a.ndim == 0:
        _dim("cumprod", dim, 0)
        return movement.reshape(a, ())
    return Cumprod.apply(a, dim=_dim("cumprod", dim, a.ndim))


def _running_extreme(input, dim, kind):
    xp = array_module(input)
    dim = _dim(kind, dim, input.ndim)
    if input.ndim == 0:
        return input * 1, Tensor(xp.zeros((), np.int64))
    a = input._data
    accumulate = xp.maximum.accumulate if kind == "cummax" else xp.minimum.accumulate
    values = accumulate(a, axis=dim)
    positions = xp.arange(a.shape[dim]).reshape([-1 if d == dim else 1 for d in range(a.ndim)])
    hits = (a == values) | xp.isnan(a)
    indices = xp.maximum.accumulate(xp.where(hits, positions, 0), axis=dim).astype(np.int64)
    result = cummax_result if kind == "cummax" else cummin_result
    if input.dtype.kind not in "fc":
        return result(Tensor(values), Tensor(indices))
    return result(Gather.apply(input, indices, dim=dim), Tensor(indices))


def cummax(input, dim):  # noqa: A002
    """(values, indices): the running maximum along dim and where it was found (the last
    position on ties)."""
    return _running_extreme(input, dim, "cummax")


def cummin(input, dim):  # noqa: A002
    return _running_extreme(input, dim, "cummin")


def logcumsumexp(input, dim):  # noqa: A002
    """log(cumsum(exp(input))) along dim, shifted by the maximum for stability."""
    xp = array_module(input)
    dim = _dim("logcumsumexp", dim, input.ndim)
    peak = input._data.max(axis=dim, keepdims=True) if input.numel() else 0
    peak = xp.where(xp.isfinite(peak), peak, 0).astype(input.dtype)
    return cumsum((input - peak).exp(), dim).log() + peak


def diff(input, n=1, dim=-1, prepend=None, append=None):  # noqa: A002
    """n-th forward difference along dim, with prepend/append joined first."""
    dim = _dim("diff", dim, input.ndim)
    parts = [p for p in (prepend, input, append) if p is not None]
    out = movement.cat(parts, dim) if len(parts) > 1 else input
    for _ in range(n):
        length = out.shape[dim]
        if length == 0:
            break
        head = (slice(None),) * dim
        later = movement.getitem(out, head + (slice(1, None),))
        earlier = movement.getitem(out, head + (slice(0, length - 1),))
        out = later ^ earlier if out.dtype == bool else later - earlier
    return out
