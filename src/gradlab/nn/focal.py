"""Focal loss (Lin et al. 2017, "Focal Loss for Dense Object Detection"; not in PyTorch):
cross-entropy scaled by (1 − p_t)^gamma so that well-classified examples count less.

Binary / multi-label on logits follows torchvision.ops.sigmoid_focal_loss (also given here
under that name and signature); multi-class on logits and class indices uses softmax. Each form
is one fused primitive, stable for logits of ±1e4 and any gamma >= 0.
"""

from __future__ import annotations

import numbers

from gradlab.backend import array_module
from gradlab.nn.classification_losses import _class_target, _class_weight, _classes
from gradlab.nn.losses import _Loss, as_float_target, as_input, check_reduction
from gradlab.ops.focal import SigmoidFocal, SoftmaxFocal
from gradlab.tensor import Tensor

__all__ = ["FocalLoss", "focal_loss", "sigmoid_focal_loss"]


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
