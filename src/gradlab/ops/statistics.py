"""Reductions as PyTorch's signatures take them, over the primitives of ``reduce``: sum,
mean, max/min (with ``other``), std/var (``unbiased`` or ``correction``), std_mean, var_mean,
norm, nansum, nanmean, count_nonzero, all, any, aminmax, histc, histogram, bincount.

Every ``dim``/``keepdim`` function also takes NumPy's ``axis``/``keepdims``, as PyTorch does.
"""

from __future__ import annotations

import functools

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops import elementwise, reduce
from gradlab.ops.protocols import return_type, write_out
from gradlab.ops.reduce import _expand_back, normalize_dims
from gradlab.tensor import Tensor

__all__ = [
    "sum", "mean", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var", "std_mean",
    "var_mean", "logsumexp", "norm", "nansum", "nanmean", "count_nonzero", "all", "any",
    "aminmax", "histc", "histogram", "bincount",
]  # fmt: skip

aminmax_result = return_type("aminmax", ["min", "max"])
max_result = return_type("max", ["values", "indices"])
min_result = return_type("min", ["values", "indices"])
histogram_result = return_type("histogram", ["hist", "bin_edges"])


def numpy_aliases(fn):
    """Accept NumPy's ``axis=``/``keepdims=`` for ``dim=``/``keepdim=`` (as PyTorch does)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for alias, name in (("axis", "dim"), ("keepdims", "keepdim")):
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}() got values for both {name} and {alias}")
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    return wrapper


def _dims(dim):
    return tuple(dim) if isinstance(dim, list) else dim


@numpy_aliases
def sum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A001, A002 - PyTorch's names
    """Sum of all entries or over ``dim`` (int or tuple); ints and bools sum to int64."""
    if dtype is not None:
        input = _as_dtype(input, dtype)
    elif input.dtype.kind in "bi" and input.dtype != np.int64 or input.dtype.kind == "u":
        input = _as_dtype(input, np.int64)
    return reduce.sum(input, _dims(dim), keepdim)


def _as_dtype(a, dtype):
    dtype = np.dtype(dtype)
    if a.dtype == dtype:
        return a
    if a.dtype.kind in "fc" and dtype.kind in "fc":
        return elementwise.to_dtype(a, dtype)
    return Tensor(a._data.astype(dtype))


@numpy_aliases
def mean(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    if dtype is not None:
        input = _as_dtype(input, dtype)
    if input.dtype.kind not in "fc":
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {input.dtype}"
        )
    return reduce.mean(input, _dims(dim), keepdim)


@numpy_aliases
def max(input, dim=None, keepdim=False, *, other=None):  # noqa: A001, A002
    """The largest entry; along ``dim`` (values, indices); with a tensor, ``maximum``."""
    if isinstance(dim, Tensor) or other is not None:
        return elementwise.maximum(input, dim if other is None else other)
    out = reduce.max(input, dim, keepdim)
    return out if dim is None else max_result(*out)


@numpy_aliases
def min(input, dim=None, keepdim=False, *, other=None):  # noqa: A001, A002
    if isinstance(dim, Tensor) or other is not None:
        return elementwise.minimum(input, dim if other is None else other)
    out = reduce.min(input, dim, keepdim)
    return out if dim is None else min_result(*out)


@numpy_aliases
def amax(input, dim=(), keepdim=False):  # noqa: A002
    return reduce.amax(input, None if dim == () else _dims(dim), keepdim)


@numpy_aliases
def amin(input, dim=(), keepdim=False):  # noqa: A002
    return reduce.amin(input, None if dim == () else _dims(dim), keepdim)


@numpy_aliases
def argmax(input, dim=None, keepdim=False):  # noqa: A002
    if dim is not None:
        reduce.normalize_dims("argmax", dim, input.ndim)
    if input.numel() == 0:
        raise IndexError("argmax(): Expected reduction dim to be specified for input.numel() == 0.")
    return reduce.argmax(input, dim, keepdim if dim is not None else False)


@numpy_aliases
def argmin(input, dim=None, keepdim=False):  # noqa: A002
    if dim is not None:
        reduce.normalize_dims("argmin", dim, input.ndim)
    if input.numel() == 0:
        raise IndexError("argmin(): Expected reduction dim to be specified for input.numel() == 0.")
    return reduce.argmin(input, dim, keepdim if dim is not None else False)


def _spread(dim, unbiased, keepdim, correction):
    """PyTorch's overloads: var(unbiased), var(dim, unbiased, keepdim), var(dim, correction=)."""
    if isinstance(dim, bool):
        if unbiased is not None:
            raise TypeError("var()/std(): unbiased given twice")
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise RuntimeError("var()/std(): cannot take both unbiased and correction")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return _dims(dim), keepdim, correction


@numpy_aliases
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    """Variance, Bessel-corrected by default (``correction=1``), as PyTorch."""
    dim, keepdim, correction = _spread(dim, unbiased, keepdim, correction)
    return reduce.var(input, dim, keepdim=keepdim, correction=correction)


@numpy_aliases
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    dim, keepdim, correction = _spread(dim, unbiased, keepdim, correction)
    return reduce.std(input, dim, keepdim=keepdim, correction=correction)


@numpy_aliases
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    dim, keepdim, correction = _spread(dim, unbiased, keepdim, correction)
    return reduce.var(input, dim, keepdim=keepdim, correction=correction), mean(input, dim, keepdim)


@numpy_aliases
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):  # noqa: A002
    dim, keepdim, correction = _spread(dim, unbiased, keepdim, correction)
    return reduce.std(input, dim, keepdim=keepdim, correction=correction), mean(input, dim, keepdim)


@numpy_aliases
def logsumexp(input, dim, keepdim=False):  # noqa: A002
    return reduce.logsumexp(input, _dims(dim), keepdim)


class Norm(Function):
    """Vector p-norm over ``dim``; the gradient at a zero norm is 0 (a subgradient)."""

    __slots__ = ()

    def forward(self, a, p=2.0, dim=None, keepdim=False):
        xp = array_module(a)
        magnitude = xp.abs(a)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == np.inf:
                out = magnitude.max(axis=dim, keepdims=keepdim) if a.size else xp.zeros(())
            elif p == -np.inf:
                out = magnitude.min(axis=dim, keepdims=keepdim)
            elif p == 0:
                out = (a != 0).sum(axis=dim, keepdims=keepdim).astype(a.dtype)
            elif p == 1:
                out = magnitude.sum(axis=dim, keepdims=keepdim)
            elif p == 2:
                out = xp.sqrt((a * a).sum(axis=dim, keepdims=keepdim))
            else:
                out = ((magnitude**p).sum(axis=dim, keepdims=keepdim)) ** (1 / p)
        out = xp.asarray(out, a.dtype)
        self.saved = (a, out, p, dim, keepdim)
        return out

    def backward(self, grad):
        xp = array_module(grad)
        a, out, p, dim, keepdim = self.saved
        grad = _expand_back(grad, a.shape, dim, keepdim)
        out = _expand_back(out, a.shape, dim, keepdim)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if p == 0:
                return xp.zeros_like(a)
            if p == 1:
                return grad * xp.sign(a)
            if p in (np.inf, -np.inf):
                hits = xp.abs(a) == out
                count = _expand_back(hits.sum(axis=dim, keepdims=keepdim), a.shape, dim, keepdim)
                return grad * xp.sign(a) * hits / count
            if p == 2:
                return xp.where(out == 0, 0, grad * a / xp.where(out == 0, 1, out))
            scaled = xp.where(a == 0, 0, xp.sign(a) * xp.abs(a) ** (p - 1))
            return xp.where(out == 0, 0, grad * scaled / xp.where(out == 0, 1, out) ** (p - 1))

    def backward_graph(self, grad):  # the same on Tensors (see gradlab.autograd_graph)
        xp = array_module(grad)
        from gradlab.ops.reduce import expand_back

        a_array, out_array, p, dim, keepdim = self.saved
        a = self.inputs[0]
        grad = expand_back(grad, a.shape, dim, keepdim)
        if p == 0:
            return grad * 0
        if p == 1:  # piecewise linear: a constant factor
            return grad * xp.sign(a_array)
        if p in (xp.inf, -xp.inf):
            hits = xp.abs(a_array) == _expand_back(out_array, a.shape, dim, keepdim)
            count = _expand_back(hits.sum(axis=dim, keepdims=keepdim), a.shape, dim, keepdim)
            return grad * (xp.sign(a_array) * hits / count).astype(grad.dtype)
        out = expand_back(self.output(), a.shape, dim, keepdim)
        zero = _expand_back(out_array, a.shape, dim, keepdim) == 0
        safe = elementwise.where(zero, 1.0, out)
        if p == 2:
            return elementwise.where(zero, 0.0, grad * a / safe)
        scaled = elementwise.where(a_array == 0, 0.0, a.sign() * a.abs() ** (p - 1))
        return elementwise.where(zero, 0.0, grad * scaled / safe ** (p - 1))


@numpy_aliases
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):  # noqa: A002
    """``torch.norm``: the vector p-norm ("fro" is 2) over all entries or ``dim``."""
    if p == "nuc":
        raise NotImplementedError("norm(p='nuc') (the nuclear norm) is not implemented in gradlab")
    if p == "fro":
        p = 2.0
    if isinstance(p, str) or not isinstance(p, (int, float)):
        raise RuntimeError(f"norm(): p must be a number, 'fro' or 'nuc', got {p!r}")
    if dtype is not None:
        input = _as_dtype(input, dtype)
    if input.dtype.kind not in "fc":
        raise RuntimeError(
            f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{input.dtype}"
        )
    dims = normalize_dims("norm", _dims(dim), input.ndim)
    return Norm.apply(input, p=float(p), dim=dims, keepdim=keepdim)


@numpy_aliases
def nansum(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    xp = array_module(input)
    if input.dtype.kind == "f":
        input = elementwise.where(Tensor(xp.isnan(input._data)), 0.0, input)
    return sum(input, dim, keepdim, dtype=dtype)


@numpy_aliases
def nanmean(input, dim=None, keepdim=False, *, dtype=None):  # noqa: A002
    xp = array_module(input)
    if input.dtype.kind != "f":
        raise RuntimeError(
            f"nanmean(): expected input to have floating point dtype but got {input.dtype}"
        )
    present = Tensor(~xp.isnan(input._data))
    count = sum(present, dim, keepdim)._data.astype(input.dtype)
    return nansum(input, dim, keepdim, dtype=dtype) / Tensor(count)


def count_nonzero(input, dim=None):  # noqa: A002
    xp = array_module(input)
    dims = normalize_dims("count_nonzero", _dims(dim), input.ndim)
    return Tensor(xp.asarray((input._data != 0).sum(axis=dims), np.int64))


def _logical_reduce(input, dim, keepdim, fn, op):
    xp = array_module(input)
    array = input._data
    dims = normalize_dims(op, _dims(dim), array.ndim)
    out = xp.asarray(fn(array, axis=dims, keepdims=keepdim))
    return Tensor(out.astype(np.uint8) if array.dtype == np.uint8 else out)


@numpy_aliases
def all(input, dim=None, keepdim=False, *, out=None):  # noqa: A001, A002
    """PyTorch's ``all`` (``out=`` too, which ``np.all(tensor)`` passes as None)."""
    xp = array_module(input)
    result = _logical_reduce(input, dim, keepdim, xp.all, "all")
    return result if out is None else write_out("all", result, out)


@numpy_aliases
def any(input, dim=None, keepdim=False, *, out=None):  # noqa: A001, A002
    """PyTorch's ``any`` (``out=`` too, which ``np.any(tensor)`` passes as None)."""
    xp = array_module(input)
    result = _logical_reduce(input, dim, keepdim, xp.any, "any")
    return result if out is None else write_out("any", result, out)


def aminmax(input, *, dim=None, keepdim=False):  # noqa: A002
    if input.numel() == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension")
    dims = None if dim is None else dim
    return aminmax_result(amin(input, () if dims is None else dims, keepdim),
                          amax(input, () if dims is None else dims, keepdim))  # fmt: skip


def histc(input, bins=100, min=0, max=0):  # noqa: A002
    """Counts in ``bins`` equal bins over [min, max] (the data's range when both are 0);
    entries outside are ignored; the result has the input's float dtype."""
    xp = array_module(input)
    if input.dtype.kind != "f":
        raise RuntimeError(f"\"histogram_cpu\" not implemented for '{input.dtype}'")
    if bins <= 0:
        raise RuntimeError("torch.histc: bins must be > 0")
    a = input._data.reshape(-1)
    low, high = float(min), float(max)
    if low == high and a.size:
        low, high = float(a.min()), float(a.max())
    if low == high:
        low, high = low - 1, high + 1
    if low > high:
        raise RuntimeError("torch.histc: max must be larger than min")
    counts, _ = xp.histogram(a, bins=bins, range=(low, high))
    return Tensor(counts.astype(input.dtype))


def histogram(input, bins, *, range=None, weight=None, density=False):  # noqa: A002
    """(hist, bin_edges): ``bins`` an int (with ``range``) or a 1-D tensor of edges."""
    xp = array_module(input)
    a = input._data.reshape(-1)
    edges = bins._data if isinstance(bins, Tensor) else bins
    weights = None if weight is None else weight._data.reshape(-1)
    hist, bin_edges = xp.histogram(a, bins=edges, range=range, weights=weights, density=density)
    return histogram_result(Tensor(hist.astype(input.dtype)), Tensor(bin_edges.astype(input.dtype)))


def bincount(input, weights=None, minlength=0):  # noqa: A002
    """Counts of each non-negative integer in the 1-D input (weighted: sums of weights)."""
    xp = array_module(input)
    a = input._data
    if a.ndim != 1 or a.dtype.kind not in "iu":
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if a.size and a.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return Tensor(xp.bincount(a, minlength=minlength).astype(np.int64))
    w = weights._data
    out_dtype = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    return Tensor(xp.bincount(a, weights=w, minlength=minlength).astype(out_dtype))
