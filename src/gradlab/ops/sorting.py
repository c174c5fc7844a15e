"""Ordering: sort, argsort, msort, topk, kthvalue, median, nanmedian, mode, quantile, unique.

Ops that return ``(values, indices)`` return PyTorch's named pairs; the values are gathered
from the input at the indices, so their gradient flows back to exactly those entries. The
full ``median()`` (no dim) spreads its gradient evenly over the entries equal to it, as
PyTorch's does. Ties are ordered as PyTorch orders them on CPU (stable: first comes first;
median and kthvalue pick by a stable sort; mode reports the last occurrence).
"""

from __future__ import annotations

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops import movement
from gradlab.ops.indexing import Gather, _dim
from gradlab.ops.protocols import return_type
from gradlab.tensor import Tensor

__all__ = [
    "sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode", "quantile",
    "nanquantile", "unique", "unique_consecutive",
]  # fmt: skip

sort_result = return_type("sort", ["values", "indices"])
topk_result = return_type("topk", ["values", "indices"])
kthvalue_result = return_type("kthvalue", ["values", "indices"])
median_result = return_type("median", ["values", "indices"])
nanmedian_result = return_type("nanmedian", ["values", "indices"])
mode_result = return_type("mode", ["values", "indices"])


class EvenlyDistributed(Function):
    """A value chosen from ``a`` (given); its gradient is shared by the entries equal to it."""

    __slots__ = ()

    def forward(self, a, value=None):
        xp = array_module(a)
        self.saved = (a, value)
        return xp.asarray(value, a.dtype)

    def backward(self, grad):
        xp = array_module(grad)
        a, value = self.saved
        hits = (a == value) | (xp.isnan(a) & xp.isnan(value))
        return hits * (grad / max(int(hits.sum()), 1))


def _order(a, dim, descending):
    """Stable argsort along dim; descending keeps equal entries in their original order."""
    xp = array_module(a)
    if not descending:
        return xp.argsort(a, axis=dim, kind="stable")
    flipped = xp.flip(a, dim)
    order = xp.argsort(flipped, axis=dim, kind="stable")
    return xp.flip(a.shape[dim] - 1 - order, dim)


def _take(input, indices, dim, result, keepdim=True):
    xp = array_module(input)
    indices = indices.astype(np.int64, copy=False)
    if input._data.dtype.kind in "fc":
        values = Gather.apply(input, indices, dim=dim)
    else:
        values = Tensor(xp.take_along_axis(input._data, indices, axis=dim))
    if not keepdim:
        values = movement.squeeze(values, dim)
        indices = indices.squeeze(dim)
    return result(values, Tensor(indices))


def sort(input, dim=-1, descending=False, stable=False):  # noqa: A002 - PyTorch's names
    """(values, indices) sorted along dim."""
    xp = array_module(input)
    if input.ndim == 0:
        return sort_result(input * 1, Tensor(xp.zeros((), np.int64)))
    dim = _dim("sort", dim, input.ndim)
    return _take(input, _order(input._data, dim, descending), dim, sort_result)


def argsort(input, dim=-1, descending=False, stable=False):  # noqa: A002
    return sort(input, dim, descending, stable).indices


def msort(input):  # noqa: A002
    return sort(input, dim=0).values


def topk(input, k, dim=-1, largest=True, sorted=True):  # noqa: A002
    """(values, indices) of the k largest (or smallest) entries along dim."""
    xp = array_module(input)
    dim = _dim("topk", dim, input.ndim)
    size = input.shape[dim] if input.ndim else 1
    if not 0 <= k <= size:
        raise RuntimeError("selected index k out of range")
    if input.ndim == 0:
        return topk_result(input * 1, Tensor(xp.zeros((), np.int64)))
    order = _order(input._data, dim, descending=largest)
    head = (slice(None),) * dim + (slice(0, k),)
    return _take(input, order[head], dim, topk_result)


def kthvalue(input, k, dim=-1, keepdim=False):  # noqa: A002
    """(values, indices) of the k-th smallest entry (k counts from 1) along dim."""
    xp = array_module(input)
    dim = _dim("kthvalue", dim, input.ndim)
    size = input.shape[dim] if input.ndim else 1
    if not 1 <= k <= size:
        raise IndexError(f"kthvalue(): selected number k out of range for dimension {dim}")
    if input.ndim == 0:
        return kthvalue_result(input * 1, Tensor(xp.zeros((), np.int64)))
    order = _order(input._data, dim, descending=False)
    return _take(input, order[(slice(None),) * dim + (slice(k - 1, k),)], dim,
                 kthvalue_result, keepdim)  # fmt: skip


def median(input, dim=None, keepdim=False):  # noqa: A002
    """The lower median of all entries (a tensor), or along dim (values, indices)."""
    return _median(input, dim, keepdim, ignore_nan=False)


def nanmedian(input, dim=None, keepdim=False):  # noqa: A002
    """median ignoring nan (nan where a slice is all nan)."""
    return _median(input, dim, keepdim, ignore_nan=True)


def _median(input, dim, keepdim, ignore_nan):
    xp = array_module(input)
    a = input._data
    op = "nanmedian" if ignore_nan else "median"
    if dim is None:
        flat = a.reshape(-1)
        if flat.size == 0:
            return Tensor(xp.asarray(np.nan, a.dtype))
        ordered = xp.sort(flat, kind="stable")
        if ignore_nan:
            count = int((~xp.isnan(flat)).sum()) if a.dtype.kind == "f" else flat.size
            value = ordered[max(count - 1, 0) // 2] if count else np.nan
        elif a.dtype.kind == "f" and xp.isnan(flat).any():
            value = np.nan
        else:
            value = ordered[(flat.size - 1) // 2]
        if input._data.dtype.kind not in "fc":
            return Tensor(xp.asarray(value, a.dtype))
        return EvenlyDistributed.apply(input, value=value)
    dim = _dim(op, dim, input.ndim)
    result = nanmedian_result if ignore_nan else median_result
    if input.ndim == 0:
        return result(input * 1, Tensor(xp.zeros((), np.int64)))
    if a.shape[dim] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {dim} to have non-zero size.")
    order = xp.argsort(a, axis=dim, kind="stable")  # nan sorts last
    if a.dtype.kind == "f":
        nan_count = xp.isnan(a).sum(axis=dim, keepdims=True)
    else:
        nan_count = xp.zeros([1] * a.ndim, np.int64)
    if ignore_nan:
        position = xp.maximum(a.shape[dim] - nan_count - 1, 0) // 2
    else:  # any nan makes the median nan: pick the first nan (sorted to the end)
        position = xp.where(nan_count > 0, a.shape[dim] - nan_count, (a.shape[dim] - 1) // 2)
    position = xp.broadcast_to(position, order.shape[:dim] + (1,) + order.shape[dim + 1 :])
    return _take(input, xp.take_along_axis(order, position, axis=dim), dim, result, keepdim)


def mode(input, dim=-1, keepdim=False):  # noqa: A002
    """(values, indices): the most frequent value along dim (the smallest on ties) and its
    last position."""
    xp = array_module(input)
    dim = _dim("mode", dim, input.ndim)
    if input.ndim == 0:
        return mode_result(input * 1, Tensor(xp.zeros((), np.int64)))
    a = xp.moveaxis(input._data, dim, -1)
    rows = a.reshape(-1, a.shape[-1])
    if rows.shape[1] == 0:
        raise IndexError(f"mode(): Expected reduction dim {dim} to have non-zero size.")
    indices = xp.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        values, counts = xp.unique(row, return_counts=True)
        best = values[xp.argmax(counts)]
        indices[r] = xp.nonzero(row == best)[0][-1]
    indices = xp.moveaxis(indices.reshape(a.shape[:-1] + (1,)), -1, dim)
    return _take(input, indices, dim, mode_result, keepdim)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):  # noqa: A002
    """The q-th quantiles (q a number or a 1-D tensor in [0, 1]) by sorting, differentiable."""
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):  # noqa: A002
    return _quantile(input, q, dim, keepdim, interpolation, ignore_nan=True)


def _quantile(input, q, dim, keepdim, interpolation, ignore_nan):
    xp = array_module(input)
    if interpolation not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise ValueError(
            "quantile() interpolation must be one of linear, lower, higher, midpoint or "
            f"nearest. Got {interpolation}"
        )
    if input._data.dtype.kind != "f":
        raise RuntimeError(
            f"quantile() input tensor must be either float or double dtype, got {input.dtype}"
        )
    scalar_q = not isinstance(q, Tensor)
    qs = xp.atleast_1d(xp.asarray(q._data if isinstance(q, Tensor) else q, np.float64))
    if qs.ndim > 1 or ((qs < 0) | (qs > 1)).any():
        raise RuntimeError("quantile() q values must be in the range [0, 1]")
    if dim is None:
        source, dim, squeeze_all = movement.reshape(input, -1), 0, True
    else:
        source, squeeze_all = input, False
        dim = _dim("quantile", dim, input.ndim)
    ordered = sort(source, dim=dim).values  # nan last
    a = ordered._data
    n = a.shape[dim]
    if ignore_nan:
        valid = (~xp.isnan(a)).sum(axis=dim, keepdims=True)
    else:
        valid = xp.where(xp.isnan(a).any(axis=dim, keepdims=True), 0, n)
    results = []
    for value in qs:
        rank = value * xp.maximum(valid - 1, 0)
        lower = xp.floor(rank).astype(np.int64)
        upper = xp.minimum(lower + 1, xp.maximum(valid - 1, 0))
        frac = (rank - lower).astype(a.dtype)
        if interpolation == "lower":
            upper, frac = lower, frac * 0
        elif interpolation == "higher":
            lower = upper = xp.ceil(rank).astype(np.int64)
        elif interpolation == "nearest":
            lower = upper = xp.round(rank).astype(np.int64)  # half to even, as PyTorch
        elif interpolation == "midpoint":
            frac = xp.where(rank != lower, 0.5, 0.0).astype(a.dtype)
        lo = Gather.apply(ordered, xp.minimum(lower, n - 1), dim=dim)
        hi = Gather.apply(ordered, xp.minimum(upper, n - 1), dim=dim)
        out = lo + (hi - lo) * Tensor(frac)
        out = out.masked_fill(Tensor(valid == 0), float("nan")) if (valid == 0).any() else out
        results.append(out)
    out = movement.stack(results, 0) if len(results) > 1 or not scalar_q else results[0]
    axis = dim + (0 if scalar_q else 1)
    if squeeze_all:
        out = movement.reshape(out, out.shape[:axis] + out.shape[axis + 1 :])
        if keepdim:
            lead = () if scalar_q else (len(qs),)
            out = movement.reshape(out, lead + (1,) * input.ndim)
    elif not keepdim:
        out = movement.squeeze(out, axis)
    return out


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """The distinct values (sorted; NaNs are never equal, so each stays), and optionally the
    inverse indices (input's shape, or (size along dim,)) and counts. With ``dim``: the
    distinct slices along ``dim``, sorted lexicographically."""
    a = input._data
    xp_ = array_module(a)
    if dim is not None:
        dim = _dim("unique", dim, a.ndim)
        _selected_empty("unique", a, dim)
    values, inverse, counts = xp_.unique(
        a, return_inverse=True, return_counts=True, axis=dim, equal_nan=False
    )
    out = [Tensor(values)]
    if return_inverse:
        out.append(Tensor(inverse.reshape(a.shape if dim is None else -1).astype(xp_.int64)))
    if return_counts:
        out.append(Tensor(counts.astype(xp_.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):  # noqa: A002
    """Consecutive repeats collapsed: of the flattened input (dim=None; inverse in input's
    shape), or of the slices along ``dim`` (inverse (size along dim,)). NaNs never repeat."""
    a = input._data
    xp_ = array_module(a)
    if dim is None:
        rows, shape_back = a.reshape(-1, 1), None
    else:
        dim = _dim("unique_consecutive", dim, a.ndim)
        _selected_empty("unique_consecutive", a, dim)
        moved = xp_.moveaxis(a, dim, 0)
        width = 1
        for size in moved.shape[1:]:
            width *= size
        rows, shape_back = moved.reshape(moved.shape[0], width), moved.shape[1:]
    n = rows.shape[0]
    starts = xp_.ones(n, bool)
    if n > 1:
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1) if rows.shape[1] else False
    kept = rows[starts]
    if dim is None:
        values = kept.reshape(-1)
    else:
        values = xp_.moveaxis(kept.reshape((kept.shape[0],) + shape_back), 0, dim)
    out = [Tensor(xp_.ascontiguousarray(values))]
    if return_inverse:
        inverse = (xp_.cumsum(starts) - 1).astype(xp_.int64)
        out.append(Tensor(inverse.reshape(a.shape) if dim is None else inverse))
    if return_counts:
        bounds = xp_.append(xp_.nonzero(starts)[0], n)
        out.append(Tensor(xp_.diff(bounds).astype(xp_.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def _selected_empty(op: str, a, dim: int) -> None:
    if a.size == 0 and a.shape[dim] != 0:
        raise RuntimeError(
            f"{op}: There are 0 sized dimensions, and they aren't selected, so unique cannot be "
            f"applied"
        )
