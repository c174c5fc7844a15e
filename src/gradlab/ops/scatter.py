"""Scatter: write or add ``src`` into a copy of the input at index positions along ``dim``
(``scatter``, ``scatter_add``, ``scatter_reduce``), as PyTorch's; differentiable in the
input and the source (``scatter_reduce`` for "sum")."""

from __future__ import annotations

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops.indexing import _block, _check_range, _dim, _index, _positions
from gradlab.tensor import Tensor

__all__ = ["scatter", "scatter_add", "scatter_reduce"]


class Scatter(Function):
    """out = a, with src (a tensor or a number) written at index along dim."""

    __slots__ = ()

    def forward(self, a, index, src, dim=0):
        xp = array_module(a)
        places = _positions(index, dim)
        out = a.copy()
        values = src[_block(src.shape, index.shape, dim)] if xp.ndim(src) else src
        out[places] = values
        self.saved = (places, xp.shape(src), index.shape, dim)
        return out

    def backward(self, grad):
        xp = array_module(grad)
        places, src_shape, index_shape, dim = self.saved
        grad_a = grad.copy()
        grad_a[places] = 0
        grad_src = None
        if self.needs_input_grad(2):
            grad_src = xp.zeros(src_shape, grad.dtype)
            grad_src[_block(src_shape, index_shape, dim)] = grad[places]
        return grad_a, None, grad_src

    def backward_graph(self, grad):  # the same, recorded (see gradlab.autograd_graph)
        xp = array_module(grad)
        places, src_shape, index_shape, dim = self.saved
        kept = xp.ones(grad.shape, grad.dtype)
        kept[places] = 0
        return grad * kept, None, _source_grad(self, grad, places, src_shape, index_shape, dim)


class ScatterAdd(Function):
    __slots__ = ()

    def forward(self, a, index, src, dim=0):
        xp = array_module(a)
        places = _positions(index, dim)
        out = a.copy()
        xp.add.at(out, places, src[_block(src.shape, index.shape, dim)])
        self.saved = (places, src.shape, index.shape, dim)
        return out

    def backward(self, grad):
        xp = array_module(grad)
        places, src_shape, index_shape, dim = self.saved
        grad_src = None
        if self.needs_input_grad(2):
            grad_src = xp.zeros(src_shape, grad.dtype)
            grad_src[_block(src_shape, index_shape, dim)] = grad[places]
        return grad, None, grad_src

    def backward_graph(self, grad):
        places, src_shape, index_shape, dim = self.saved
        return grad, None, _source_grad(self, grad, places, src_shape, index_shape, dim)


def _source_grad(fn, grad, places, src_shape, index_shape, dim):
    """Scatter's gradient for ``src``, recorded: grad at the places, in src's leading block."""
    from gradlab.ops.movement import Index, IndexGrad

    if not fn.needs_input_grad(2):
        return None
    picked = Index.apply(grad, key=places)
    return IndexGrad.apply(picked, shape=src_shape, key=_block(src_shape, index_shape, dim))


def _scatter_src(op, input, index, dim, src, value):
    if src is None and value is None:
        raise TypeError(f"{op}() missing 1 required argument: 'src' or 'value'")
    src = value if src is None else src
    dim = _dim(op, dim, input.ndim)
    index = _index(op, input, index, input.ndim)
    _check_range(op, index, input.shape[dim] if input.ndim else 1, dim)
    if index.ndim == 0 and input.ndim == 1:  # a 0-d index counts as one position, as torch
        index = index.reshape(1)
        if isinstance(src, Tensor) and src.ndim == 0:
            src = src.reshape(1)
    if isinstance(src, Tensor):
        if src.ndim and src.ndim != index.ndim:
            raise RuntimeError(
                f"{op}(): Index tensor must have the same number of dimensions as src tensor"
            )
        if src.dtype != input.dtype:
            raise RuntimeError(
                f"{op}(): Expected self.dtype to be equal to src.dtype ({input.dtype} vs "
                f"{src.dtype})"
            )
    return dim, index, src


def scatter(input, dim, index, src=None, value=None, *, reduce=None):  # noqa: A002
    """A copy of input with src (a tensor, or the number ``value``) written at index."""
    xp = array_module(input)
    dim, index, src = _scatter_src("scatter", input, index, dim, src, value)
    if reduce is not None:
        return _scatter_reduce_legacy(input, dim, index, src, reduce)
    if not isinstance(src, Tensor):
        src = xp.asarray(src, input.dtype)
    return Scatter.apply(input, index, src, dim=dim)


def _scatter_reduce_legacy(input, dim, index, src, reduce):
    xp = array_module(input)
    if reduce not in ("add", "multiply"):
        raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
    if isinstance(src, Tensor) and src.requires_grad or input.requires_grad:
        raise RuntimeError("scatter(): reduce= is not differentiable (as in PyTorch)")
    out = input._data.copy()
    src_array = src._data if isinstance(src, Tensor) else xp.full(index.shape, src, out.dtype)
    ufunc = xp.add if reduce == "add" else xp.multiply
    ufunc.at(out, _positions(index, dim), src_array[_block(src_array.shape, index.shape, dim)])
    return Tensor(out)


def scatter_add(input, dim, index, src):  # noqa: A002
    """A copy of input with src added at index (repeated indices add up)."""
    dim, index, src = _scatter_src("scatter_add", input, index, dim, src, None)
    return ScatterAdd.apply(input, index, src, dim=dim)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):  # noqa: A002
    """scatter with reduce "sum", "prod", "mean", "amax" or "amin", differentiable: see
    :mod:`gradlab.ops.scatter_reduction`."""
    from gradlab.ops import scatter_reduction

    return scatter_reduction.scatter_reduce(
        input, dim, index, src, reduce, include_self=include_self
    )
