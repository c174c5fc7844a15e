"""Focal loss (Lin et al. 2017, "Focal Loss for Dense Object Detection"; not in PyTorch):
cross-entropy scaled by (1 − p_t)^gamma so that well-classified examples count less.

Binary / multi-label on logits follows torchvision.ops.sigmoid_focal_loss (also given here
under that name and signature); multi-class on logits and class indices uses softmax. Each form
is one fused primitive, stable for logits of ±1e4 and any gamma >= 0.
"""

from __future__ import annotations

import numbers

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.nn.classification_losses import _class_target, _class_weight, _classes
from gradlab.nn.losses import _Loss, as_float_target, as_input, check_reduction
from gradlab.ops.losses import _class_reduce, _reduce, _row_scale, _scale, from_rows, to_rows
from gradlab.tensor import Tensor

__all__ = ["FocalLoss", "focal_loss", "sigmoid_focal_loss"]


class SigmoidFocal(Function):
    """Binary focal loss on logits (torchvision's sigmoid_focal_loss):
    ``alpha_t·(1 - p_t)^gamma·BCE(x, y)`` with p = σ(x), p_t = p·y + (1 - p)(1 - y),
    alpha_t = alpha·y + (1 - alpha)(1 - y) (1 when alpha is None).

    1 - p_t = y·σ(-x) + (1 - y)·σ(x) is formed from exp(-softplus) so it keeps its relative
    precision, and the backward uses σ(x)σ(-x)/(1 - p_t) <= 1, finite for any gamma >= 0.
    """

    __slots__ = ()

    def forward(self, x, y, alpha=None, gamma=2.0, reduction="mean"):
        xp = array_module(x)
        neg_log_sig = xp.log1p(xp.exp(-xp.abs(x)))
        neg_log_sig += xp.maximum(-x, 0)  # softplus(-x) = -log σ(x)
        sig = xp.exp(-neg_log_sig)
        sig_neg = xp.exp(-(neg_log_sig + x))  # σ(-x) = exp(-softplus(x))
        ce = (1 - y) * x + neg_log_sig
        q = y * sig_neg + (1 - y) * sig
        modulator = q**gamma
        weight = modulator if alpha is None else modulator * (alpha * y + (1 - alpha) * (1 - y))
        self.saved = (x, y, sig, sig_neg, ce, q, weight, gamma, reduction)
        return _reduce((weight * ce).astype(x.dtype, copy=False), reduction)

    def backward(self, grad):
        xp = array_module(grad)
        x, y, sig, sig_neg, ce, q, weight, gamma, reduction = self.saved
        g = _scale(grad, reduction, x.size)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = xp.where(q > 0, sig * sig_neg / q, 0)
        inner = gamma * ratio * (1 - 2 * y) * ce + (sig - y)
        return (g * weight * inner).astype(x.dtype, copy=False), None


class SoftmaxFocal(Function):
    """Multi-class focal loss on logits rows (M, C) and class indices (M,):
    ``-alpha[t]·(1 - p_t)^gamma·log p_t``, the mean over rows (alpha None: all ones).

    1 - p_t is the sum of the other classes' probabilities (no cancellation near p_t = 1).
    """

    __slots__ = ()

    def forward(self, x, target, alpha=None, gamma=2.0, reduction="mean"):
        xp = array_module(x)
        shape = x.shape
        rows = to_rows(x)
        m = rows.shape[0]
        index = xp.arange(m)
        t = target.reshape(-1)
        shifted = rows - rows.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = e.sum(axis=1)
        log_p = shifted[index, t] - xp.log(total)
        e_t = e[index, t]
        e[index, t] = 0
        q = e.sum(axis=1) / total  # 1 - p_t
        e[index, t] = e_t
        a_t = 1.0 if alpha is None else alpha[t]
        modulator = q**gamma
        loss = -a_t * modulator * log_p
        self.saved = (shape, e, total, t, log_p, q, a_t * modulator, gamma, reduction)
        return _class_reduce(loss.astype(x.dtype, copy=False), m, reduction, target.shape)

    def backward(self, grad):
        xp = array_module(grad)
        shape, e, total, t, log_p, q, weight, gamma, reduction = self.saved
        m = e.shape[0]
        p_t = xp.exp(log_p)
        with np.errstate(divide="ignore", invalid="ignore"):
            # log(p_t) / (1 - p_t): accurate from log1p where p_t is near 1, -1 in the limit
            ratio = xp.where(q > 0.5, log_p / q, xp.where(q > 0, xp.log1p(-q) / q, -1.0))
        d_log_p = weight * (gamma * p_t * ratio - 1)  # d loss / d log p_t
        s = _row_scale(grad, reduction, m, m)
        d_row = d_log_p[:, None] * s if reduction == "none" else d_log_p[:, None] * s
        grad_x = e * (-d_row / total[:, None])
        grad_x[xp.arange(m), t] += d_row[:, 0]
        return from_rows(grad_x.astype(e.dtype, copy=False), shape), None


# ---------------------------------------------------------------------- functions


def focal_loss(
    input,
    target,
    gamma: float = 2.0,
    alpha=None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """Focal loss (Lin et al. 2017; not in PyTorch) on logits: cross-entropy scaled by
    (1 − p_t)^gamma, so well-classified examples count less.

    - Binary / multi-label: target of the input's shape (0/1 or soft labels); as
      torchvision.ops.sigmoid_focal_loss: α_t·(1 − p_t)^γ·BCE_with_logits(x, y) with
      p_t = p·y + (1 − p)(1 − y), α_t = α·y + (1 − α)(1 − y). ``alpha`` a float in [0, 1] or
      None (no α weighting; torchvision's default is 0.25).
    - Multi-class: logits (N, C, ...) and class indices (N, ...): −α[t]·(1 − p_t)^γ·log p_t with
      p = softmax over dim 1; ``alpha`` None or C per-class weights.

    'mean' is the plain mean over elements (binary) or targets (multi-class); gamma = 0 gives
    (weighted) cross-entropy.
    """
    xp = array_module(input)
    name = "focal_loss"
    reduction = check_reduction(name, reduction)
    if not gamma >= 0:
        raise ValueError(f"{name}: gamma must be >= 0, got {gamma!r}")
    input = as_input(name, input)
    data = target._data if isinstance(target, Tensor) else xp.asarray(target)
    if data.dtype.kind == "f" or data.shape == tuple(input.shape):  # binary or multi-label
        if alpha is not None and not (isinstance(alpha, numbers.Real) and 0 <= alpha <= 1):
            raise ValueError(
                f"{name}: for binary targets alpha must be a float in [0, 1] or None, got {alpha!r}"
            )
        target = as_float_target(name, input, target)
        alpha = None if alpha is None else float(alpha)
        return SigmoidFocal.apply(
            input, target._data, alpha=alpha, gamma=float(gamma), reduction=reduction
        )
    classes = _classes(name, input)
    if isinstance(alpha, numbers.Real):
        raise ValueError(
            f"{name}: for class-index targets alpha must be None or {classes} "
            f"per-class weights, got the number {alpha!r}"
        )
    a = _class_weight(name, alpha, classes, input.dtype)
    target = _class_target(name, input, target, classes)
    return SoftmaxFocal.apply(input, target, alpha=a, gamma=float(gamma), reduction=reduction)


def sigmoid_focal_loss(
    inputs, targets, alpha: float = 0.25, gamma: float = 2, reduction: str = "none"
) -> Tensor:
    """torchvision.ops.sigmoid_focal_loss's signature and defaults (alpha 0.25, reduction
    'none'; alpha < 0 means no weighting): the binary :func:`focal_loss`."""
    return focal_loss(
        inputs, targets, gamma=gamma, alpha=None if alpha < 0 else alpha, reduction=reduction
    )


# ---------------------------------------------------------------------- module


class FocalLoss(_Loss):
    """Focal loss on logits, binary or multi-class (not in PyTorch); see :func:`focal_loss`.
    ``alpha``: None, a float (binary) or per-class weights (multi-class)."""

    def __init__(self, gamma: float = 2.0, alpha=None, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        if not gamma >= 0:
            raise ValueError(f"FocalLoss: gamma must be >= 0, got {gamma!r}")
        self.gamma, self.alpha = gamma, alpha

    def forward(self, input, target):  # noqa: A002
        return focal_loss(
            input, target, gamma=self.gamma, alpha=self.alpha, reduction=self.reduction
        )

    def extra_repr(self) -> str:
        return f"gamma={self.gamma}, alpha={self.alpha!r}"
