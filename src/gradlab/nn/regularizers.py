"""Weight penalties and the max-norm constraint.

- :func:`l1_penalty` λ·Σ|w| (lasso; pushes weights to exactly zero) and :func:`l2_penalty`
  λ·Σw² (ridge), differentiable: add them to the loss before ``backward()``.
  The L2 penalty is λ·Σw², **without** the ½ some texts put in front (the notes' example uses
  λΣw²: loss 0.4, w = (0.5, −0.3), λ = 0.1 give L2 0.034, total 0.434; L1 0.08, total 0.48).
  Its gradient is 2λw, so it equals ``weight_decay = 2λ`` in SGD.
- :class:`MaxNorm`: after each optimizer step, rescale every weight vector whose L2 norm
  exceeds ``max_value`` back to exactly ``max_value`` (Keras's MaxNorm; Srivastava et al. 2014).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from gradlab.autograd import no_grad
from gradlab.backend import array_module
from gradlab.nn.module import Module
from gradlab.ops.elementwise import Abs, Mul
from gradlab.ops.reduce import Sum
from gradlab.tensor import Tensor

__all__ = ["l1_penalty", "l2_penalty", "MaxNorm"]


def _tensors(name: str, params) -> list[Tensor]:
    """A Tensor, a Module (its parameters) or an iterable of Tensors, as a list."""
    if isinstance(params, Tensor):
        return [params]
    if isinstance(params, Module):
        return list(params.parameters())
    if not isinstance(params, Iterable):
        raise TypeError(
            f"{name}: expected a Tensor, a Module or an iterable of Tensors, got "
            f"{type(params).__name__}"
        )
    out = list(params)
    for i, p in enumerate(out):
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}: element {i} is a {type(p).__name__}, expected a Tensor")
    return out


def _penalty(name: str, params, lam: float, square: bool) -> Tensor:
    tensors = _tensors(name, params)
    if lam < 0:
        raise ValueError(f"{name}: lam must be >= 0, got {lam!r}")
    total = None
    for p in tensors:
        term = Sum.apply(Mul.apply(p, p) if square else Abs.apply(p))
        total = term if total is None else total + term
    if total is None:
        return Tensor(np.zeros((), dtype=np.float32))  # no parameters: a host zero
    return Mul.apply(total, total._data.dtype.type(lam))


def l1_penalty(params, lam: float) -> Tensor:
    """lam·Σ|w| over every element of ``params`` (a Tensor, a Module's parameters or an
    iterable of Tensors); a 0-d Tensor, differentiable (gradient lam·sign(w))."""
    return _penalty("l1_penalty", params, lam, square=False)


def l2_penalty(params, lam: float) -> Tensor:
    """lam·Σw² (no ½) over every element of ``params``; gradient 2·lam·w."""
    return _penalty("l2_penalty", params, lam, square=True)


class MaxNorm:
    """Constrain weight vectors to an L2 norm of at most ``max_value`` (Keras's MaxNorm).

    ``dim`` follows ``torch.renorm``: each slice ``w.select(dim, i)`` is one vector. For a
    Linear weight (out_features, in_features) the default ``dim=0`` takes row i, the incoming
    weights of output unit i (Keras's ``axis=0`` on its (in, out) kernel means the same); for a
    Conv2d weight (out, in, kH, kW) each filter. Vectors with a larger norm are scaled to
    exactly ``max_value``; the others are untouched.

    Call it after ``optimizer.step()``: ``constraint(model)`` (every parameter of 2 or more
    dims: weights, not biases), ``constraint(params)`` / ``constraint.apply_to(params)`` (each
    given Tensor). The data change in place, under ``no_grad``.
    """

    def __init__(self, max_value: float = 2.0, dim: int = 0):
        if not max_value > 0:
            raise ValueError(f"MaxNorm: max_value must be positive, got {max_value!r}")
        self.max_value = float(max_value)
        self.dim = dim

    def __call__(self, module_or_params) -> None:
        if isinstance(module_or_params, Module):
            params = [p for p in module_or_params.parameters() if p.ndim >= 2]
        else:
            params = _tensors("MaxNorm", module_or_params)
        self.apply_to(params)

    def apply_to(self, params) -> None:
        """Rescale, in place, each vector of each given Tensor whose norm exceeds max_value."""
        with no_grad():
            for p in _tensors("MaxNorm", params):
                self._constrain(p._data)

    def _constrain(self, w) -> None:
        xp = array_module(w)
        if w.ndim == 0:
            raise ValueError("MaxNorm: cannot constrain a 0-d tensor")
        if not -w.ndim <= self.dim < w.ndim:
            raise IndexError(
                f"MaxNorm: dim {self.dim} is out of range for a weight of shape {tuple(w.shape)}"
            )
        axes = tuple(a for a in range(w.ndim) if a != self.dim % w.ndim)
        norms = xp.sqrt((w * w).sum(axis=axes, keepdims=True)) if axes else xp.abs(w)
        over = norms > self.max_value
        if over.any():
            scale = xp.where(over, self.max_value / xp.where(over, norms, 1), 1)
            w *= scale.astype(w.dtype, copy=False)

    def __repr__(self) -> str:
        return f"MaxNorm(max_value={self.max_value}, dim={self.dim})"
