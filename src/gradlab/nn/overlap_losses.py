"""Overlap losses for segmentation (not in PyTorch): DiceLoss and JaccardLoss (IoU loss).

With p the predicted probabilities and t the target, summed over one sample:

- Dice:    1 − (2·Σ p·t + smooth) / (Σ p + Σ t + smooth)
- Jaccard: 1 − (Σ p·t + smooth) / (Σ p + Σ t − Σ p·t + smooth)

Inputs are **probabilities** by default; ``from_logits=True`` applies sigmoid (binary) or
softmax over dim 1 (multi-class) first. ``smooth`` (default 1) keeps the ratio defined when a
sample has no positives and softens the gradient.

Shapes:
- binary / multi-label: input (N, *) and a target of the same shape (0/1 or soft); one score
  per sample over all its elements. A 1-D input is a single sample.
- multi-class: input (N, C, *) and class indices (N, *); one score per sample and class over
  the positions *, averaged over the C classes.

The loss per sample is then reduced over the batch: 'mean' (default), 'sum' or 'none' (N,).
"""

from __future__ import annotations

from gradlab.backend import array_module
from gradlab.nn.classification_losses import _class_target, _classes
from gradlab.nn.losses import _Loss, as_float_target, as_input, check_reduction
from gradlab.ops.activation import sigmoid
from gradlab.ops.softmax import softmax
from gradlab.tensor import Tensor

__all__ = ["DiceLoss", "JaccardLoss", "dice_loss", "jaccard_loss"]


def _total(x, dims):
    """x summed over dims (None: all); dims () leaves x as it is."""
    return x if dims == () else x.sum(dim=dims)


def _overlap(name, input, target, smooth, from_logits, reduction, kind):  # noqa: A002
    reduction = check_reduction(name, reduction)
    if smooth < 0:
        raise ValueError(f"{name}: smooth must be >= 0, got {smooth!r}")
    input = as_input(name, input)
    xp = array_module(input)
    data = target._data if isinstance(target, Tensor) else xp.asarray(target)
    if data.dtype.kind == "f" or data.shape == tuple(input.shape):  # binary or multi-label
        target = as_float_target(name, input, target)
        p = sigmoid(input) if from_logits else input
        dims = tuple(range(1, input.ndim)) if input.ndim > 1 else None
        class_dim = None
    else:  # multi-class: class indices, one-hot along dim 1
        classes = _classes(name, input)
        labels = _class_target(name, input, target, classes)
        onehot = xp.eye(classes, dtype=input.dtype)[labels]
        class_dim = 1 if input.ndim > 1 else 0
        target = Tensor(xp.moveaxis(onehot, -1, 1) if class_dim else onehot)
        p = softmax(input, dim=class_dim) if from_logits else input
        dims = tuple(range(2, input.ndim))  # () for (N, C): one score per (sample, class)
    inter = _total(p * target, dims)
    total = _total(p, dims) + _total(target, dims)
    if kind == "dice":
        score = (2 * inter + smooth) / (total + smooth)
    else:
        score = (inter + smooth) / (total - inter + smooth)
    loss = 1 - score
    if class_dim is not None:
        loss = loss.mean(dim=class_dim)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def dice_loss(
    input,
    target,
    smooth: float = 1.0,
    from_logits: bool = False,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """1 − Dice coefficient per sample; see the module docstring for shapes."""
    return _overlap("dice_loss", input, target, smooth, from_logits, reduction, "dice")


def jaccard_loss(
    input,
    target,
    smooth: float = 1.0,
    from_logits: bool = False,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """1 − Jaccard index (intersection over union) per sample; see the module docstring."""
    return _overlap("jaccard_loss", input, target, smooth, from_logits, reduction, "jaccard")


class _OverlapLoss(_Loss):
    def __init__(self, smooth: float = 1.0, from_logits: bool = False, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        if smooth < 0:
            raise ValueError(f"{type(self).__name__}: smooth must be >= 0, got {smooth!r}")
        self.smooth, self.from_logits = smooth, from_logits

    def extra_repr(self) -> str:
        return f"smooth={self.smooth}, from_logits={self.from_logits}"


class DiceLoss(_OverlapLoss):
    """1 − Dice coefficient, on probabilities (``from_logits=False``) or logits. Input (N, *)
    with target (N, *), or (N, C, *) with class indices (N, *); see the module docstring."""

    def forward(self, input, target):  # noqa: A002
        return dice_loss(input, target, self.smooth, self.from_logits, self.reduction)


class JaccardLoss(_OverlapLoss):
    """1 − Jaccard index (IoU), on probabilities (``from_logits=False``) or logits; shapes as
    :class:`DiceLoss`."""

    def forward(self, input, target):  # noqa: A002
        return jaccard_loss(input, target, self.smooth, self.from_logits, self.reduction)
