"""Softmax and log-softmax along one dim: fused, stable primitives with closed-form backward.

Both subtract the maximum along ``dim`` before exponentiating, so logits of any size give
finite results (PyTorch's rule: a slice that is all ``-inf`` gives NaN). Backward never
builds the Jacobian:

- softmax ``y``: ``dx = y * (g - sum(g * y))``
- log-softmax ``y``: ``dx = g - exp(y) * sum(g)``

(sums along ``dim``, kept as size-1 dims).
"""

from __future__ import annotations

import warnings

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.tensor import Tensor

__all__ = ["softmax", "log_softmax"]


def _shifted(a, dim):
    """a minus its maximum along dim (a max of +-inf is not subtracted, as PyTorch)."""
    xp = array_module(a)
    peak = a.max(axis=dim, keepdims=True)
    if not xp.isfinite(peak).all():
        peak = xp.where(xp.isfinite(peak), peak, 0)
    return a - peak


class Softmax(Function):
    """exp(x) / sum(exp(x)) along ``dim``; the output has the input's shape."""

    __slots__ = ()

    def forward(self, a, dim=-1):
        xp = array_module(a)
        if a.size == 0:
            self.saved = (a, dim)
            return a.copy()
        out = xp.exp(_shifted(a, dim))
        out /= out.sum(axis=dim, keepdims=True)
        self.saved = (out, dim)
        return out

    def backward(self, grad):
        out, dim = self.saved
        inner = grad * out
        total = inner.sum(axis=dim, keepdims=True)
        inner -= out * total
        return inner

    def backward_graph(self, grad):  # (see gradlab.autograd_graph)
        _, dim = self.saved
        if self.inputs[0].numel() == 0:
            return grad
        out = self.output()
        inner = grad * out
        return inner - out * inner.sum(dim=dim, keepdim=True)


class LogSoftmax(Function):
    """x - logsumexp(x) along ``dim``; the output has the input's shape."""

    __slots__ = ()

    def forward(self, a, dim=-1):
        xp = array_module(a)
        if a.size == 0:
            self.saved = (a, dim)
            return a.copy()
        out = _shifted(a, dim)
        out -= xp.log(xp.exp(out).sum(axis=dim, keepdims=True))
        self.saved = (out, dim)
        return out

    def backward(self, grad):
        xp = array_module(grad)
        out, dim = self.saved
        return grad - xp.exp(out) * grad.sum(axis=dim, keepdims=True)

    def backward_graph(self, grad):
        _, dim = self.saved
        if self.inputs[0].numel() == 0:
            return grad
        return grad - self.output().exp() * grad.sum(dim=dim, keepdim=True)


def _dim(name: str, input, dim) -> int:  # noqa: A002
    ndim = input.ndim
    if dim is None:  # PyTorch's legacy implicit choice, with its deprecation warning
        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. Change the call to "
            f"include dim=X as an argument.",
            stacklevel=3,
        )
        dim = 0 if ndim in (0, 1, 3) else 1
    if isinstance(dim, bool) or not isinstance(dim, int) or not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{name}: dim {dim!r} is out of range for a tensor of {ndim} dimension(s)")
    return dim % max(ndim, 1)


def _prepare(name, input, dim, dtype):  # noqa: A002
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if dtype is not None:
        input = input.to(dtype)
    return input, _dim(name, input, dim)


def softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002 - PyTorch's signature
    """Softmax along ``dim``: input of any shape, output the same shape, summing to 1 along dim.

    ``dtype`` casts the input first (as PyTorch). A 0-d input is treated as one element.
    """
    input, dim = _prepare("softmax", input, dim, dtype)
    if input.ndim == 0:
        return Softmax.apply(input, dim=None)
    return Softmax.apply(input, dim=dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):  # noqa: A002 - PyTorch's signature
    """Log of softmax along ``dim``, computed stably as ``x - logsumexp(x)``."""
    input, dim = _prepare("log_softmax", input, dim, dtype)
    if input.ndim == 0:
        return LogSoftmax.apply(input, dim=None)
    return LogSoftmax.apply(input, dim=dim)
