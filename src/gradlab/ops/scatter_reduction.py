"""``scatter_reduce``: src's entries reduced into a copy of input at ``index`` along ``dim``
with "sum", "prod", "mean", "amax" or "amin", ``include_self`` either way; differentiable in
input and src with PyTorch's backward (``scatter_reduce_backward``):

* sum: grad to input as it is, ``grad.gather(index)`` to src;
* prod: grad * (product of the others), with zeros handled exactly: the product without
  one entry is recomputed with that entry (input's, or src's single zero) replaced by 1;
* mean: grad / count (count includes input's own entry when ``include_self``);
* amax/amin: the gradient split evenly among every entry equal to the result (PyTorch counts
  input's entry among them even with ``include_self=False``, and so does gradlab).

With ``include_self=False`` input's entries at scattered positions get no gradient.
"""

from __future__ import annotations

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops.indexing import _block, _positions
from gradlab.ops.scatter import _scatter_src
from gradlab.tensor import Tensor

__all__ = ["scatter_reduce"]

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _reduce(a, places, values, reduce: str, include_self: bool):
    """The forward on arrays: a copy of ``a`` with ``values`` reduced in at ``places``."""
    xp = array_module(a)
    out = a.copy()
    if not include_self:
        if reduce in ("amax", "amin") and out.dtype.kind != "f":
            info = xp.iinfo(out.dtype)
            identity = info.min if reduce == "amax" else info.max
        else:
            identity = {"sum": 0, "prod": 1, "mean": 0, "amax": -xp.inf, "amin": xp.inf}[reduce]
        out[places] = identity
    ufunc = {"sum": xp.add, "prod": xp.multiply, "mean": xp.add, "amax": xp.maximum,
             "amin": xp.minimum}[reduce]  # fmt: skip
    ufunc.at(out, places, values)
    if reduce == "mean":
        counts = _counts(xp, a.shape, places, include_self)
        out = out / counts if out.dtype.kind == "f" else out // counts
    return out.astype(a.dtype, copy=False)


def _counts(xp, shape, places, include_self):
    counts = xp.full(shape, 1 if include_self else 0, xp.int64)
    xp.add.at(counts, places, 1)
    return xp.maximum(counts, 1)


class ScatterReduce(Function):
    __slots__ = ()

    def forward(self, a, src, places=None, block=None, reduce="sum", include_self=True):
        values = src[block]
        out = _reduce(a, places, values, reduce, include_self)
        self.saved = (a, src, out, places, block, reduce, include_self)
        return out

    def backward(self, grad):
        a, src, out, places, block, reduce, include_self = self.saved
        xp = array_module(grad)
        values = src[block]
        if reduce == "sum":
            grad_a, grad_values = grad, grad[places]
        elif reduce == "mean":
            counts = _counts(xp, a.shape, places, include_self).astype(grad.dtype)
            grad_a = grad / counts
            grad_values = grad[places] / counts[places]
        elif reduce == "prod":
            grad_a, grad_values = _prod_backward(xp, grad, a, values, out, places, include_self)
        else:
            at_result = (a == out).astype(grad.dtype)
            values_at_result = (values == out[places]).astype(grad.dtype)
            shares = at_result.copy()
            xp.add.at(shares, places, values_at_result)
            with xp.errstate(divide="ignore", invalid="ignore"):
                spread = grad / shares
            grad_a = xp.where(at_result > 0, spread, 0).astype(grad.dtype)
            grad_values = xp.where(values_at_result > 0, spread[places], 0).astype(grad.dtype)
        if not include_self:
            grad_a = grad_a.copy()
            grad_a[places] = 0
        grad_src = None
        if self.needs_input_grad(1):
            grad_src = xp.zeros(src.shape, grad.dtype)
            grad_src[block] = grad_values
        return grad_a if self.needs_input_grad(0) else None, grad_src


def _prod_backward(xp, grad, a, values, out, places, include_self):
    """PyTorch's prod rule: products of the others, exact where an entry is zero."""
    with xp.errstate(divide="ignore", invalid="ignore"):
        masked_a = xp.where(a == 0, 1, a)
        grad_a = grad * _reduce(masked_a, places, values, "prod", include_self) / masked_a
        zero = values == 0
        zeros_there = xp.zeros(a.shape, xp.int64)
        xp.add.at(zeros_there, places, zero.astype(xp.int64))
        single_zero = zero & (zeros_there[places] == 1)
        masked_values = xp.where(single_zero, 1, values)
        without_zero = _reduce(a, places, masked_values, "prod", include_self)
        grad_values = xp.where(
            single_zero,
            (grad * without_zero)[places],
            (grad * out)[places] / xp.where(zero, 1, values),
        )
    return grad_a, grad_values


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):  # noqa: A002
    """A copy of input with src's entries reduced in at ``index`` along ``dim`` ("sum",
    "prod", "mean", "amax" or "amin"; input's own entry takes part when ``include_self``);
    differentiable in input and src."""
    if reduce not in _REDUCES:
        raise RuntimeError(
            f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}"
        )
    dim, index, src = _scatter_src("scatter_reduce", input, index, dim, src, None)
    if not isinstance(src, Tensor):
        raise TypeError(
            f"scatter_reduce(): argument 'src' must be Tensor, not {type(src).__name__}"
        )
    places = _positions(index, dim)
    block = _block(src.shape, index.shape, dim)
    return ScatterReduce.apply(
        input, src, places=places, block=block, reduce=reduce, include_self=include_self
    )
