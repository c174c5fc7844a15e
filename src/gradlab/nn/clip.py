"""Gradient clipping: rescale gradients by their total norm, or clamp each value."""

from __future__ import annotations

import math

import numpy as np

from gradlab.backend import array_module, resolve_device
from gradlab.tensor import Tensor


def _grads(parameters) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad._data for p in parameters if p.grad is not None]


def _norm_type(norm_type) -> float:
    value = float(norm_type)  # accepts "inf"
    if math.isnan(value) or value <= 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 or inf, got {norm_type!r}")
    return value


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:  # fmt: skip
    """Scale all gradients in place so that their total norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients taken as one vector (``inf``:
    the largest absolute value). Every gradient is multiplied by
    ``min(1, max_norm / (total_norm + 1e-6))``, as in PyTorch.

    Args:
        parameters: a Tensor or an iterable of Tensors; those whose ``.grad`` is None are
            skipped.
        max_norm: the largest allowed total norm.
        norm_type: p of the p-norm (> 0), or ``float("inf")`` / ``"inf"``.
        error_if_nonfinite: raise RuntimeError when the total norm is NaN or infinite
            (otherwise the gradients are scaled by a NaN or zero factor, as PyTorch does).
        foreach: accepted for PyTorch compatibility; no effect.

    Returns:
        The total norm before clipping, a 0-d Tensor (of the gradients' dtype).
    """
    p = _norm_type(norm_type)
    grads = _grads(parameters)
    if not grads:
        return Tensor(resolve_device(None).xp.asarray(0.0, dtype=np.float32))
    xp = array_module(*grads)
    dtype = grads[0].dtype
    if math.isinf(p):
        norms = [xp.max(xp.abs(g)) if g.size else xp.zeros((), dtype) for g in grads]
        total = xp.max(xp.stack(norms))
    elif p == 2.0:
        norms = [xp.sqrt(xp.vdot(g.ravel(), g.ravel())) for g in grads]
        total = xp.sqrt(xp.sum(xp.stack(norms) ** 2))
    else:
        norms = [xp.sum(xp.abs(g) ** p) ** (1.0 / p) for g in grads]
        total = xp.sum(xp.stack(norms) ** p) ** (1.0 / p)
    total = xp.asarray(total, dtype=dtype)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{float(total)}, so it cannot be clipped; pass error_if_nonfinite=False to scale "
            "anyway"
        )
    coef = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    if math.isnan(float(total)):
        coef = float("nan")
    with np.errstate(invalid="ignore"):  # inf·0 = NaN, as in PyTorch
        for g in grads:
            g *= coef
    return Tensor(total)


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clamp every gradient value in place to [-clip_value, clip_value] (as PyTorch)."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        array_module(g).clip(g, -clip_value, clip_value, out=g)
