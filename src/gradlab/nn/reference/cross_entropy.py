"""Cross-entropy as the notes define it: log-softmax, then the negative log-likelihood of the
target class, from Tensor ops.

The readable reference of :class:`gradlab.ops.losses.CrossEntropy` and
:class:`gradlab.ops.losses.NLL` (one node each, with the softmax-minus-one-hot gradient
written by hand). Here autograd differentiates the log-softmax and the weighted sum.

Shapes: C classes; logits (N, C), (N, C, d1, ...) or (C,); class-index targets (N,),
(N, d1, ...) or (); probability targets of the logits' shape.
"""

from __future__ import annotations

from gradlab import creation
from gradlab.tensor import Tensor

__all__ = ["log_softmax", "nll_loss", "cross_entropy"]


def log_softmax(x, dim=1):
    """log p = x - log(sum(exp(x))) along ``dim``. Subtracting the maximum first keeps exp
    from overflowing and changes nothing else (it cancels), so it needs no gradient."""
    shifted = x - x.amax(dim=dim, keepdim=True).detach()
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def _rows(a):
    """(N, C, d1, ...) -> (M, C) with the classes last; (C,) -> (1, C)."""
    if a.ndim == 1:
        return a.reshape(1, -1)
    if a.ndim > 2:
        a = a.movedim(1, -1)
    return a.reshape(-1, a.shape[-1])


def _reduce(per_row, reduction, denominator, shape):
    if reduction == "none":
        return per_row.reshape(shape)
    total = per_row.sum()
    return total / denominator if reduction == "mean" else total


def _class_weights(weight, classes, like):
    """The class weights (C,) as a constant tensor; ones when there are none."""
    if weight is None:
        return creation.ones(classes, dtype=like.dtype, device=like.device)
    return weight if isinstance(weight, Tensor) else Tensor(weight)


def nll_loss(log_p, target, weight=None, ignore_index=-100, reduction="mean",
             label_smoothing=0.0):  # fmt: skip
    """-w[t] log p[t] per target; rows whose target is ``ignore_index`` give 0 and the mean
    divides by the summed weight w[t] of the others. ``label_smoothing`` eps mixes in the
    uniform target: (1 - eps) (-w[t] log p[t]) + eps/C sum_c w[c] (-log p[c])."""
    rows = _rows(log_p)  # (M, C)
    classes = rows.shape[1]
    w = _class_weights(weight, classes, rows)
    t = target.reshape(-1, 1)  # (M, 1) class indices
    kept = (t != ignore_index).to(rows.dtype)  # (M, 1): 1, or 0 for an ignored row
    one_hot = (t == creation.arange(classes, device=t.device)).to(rows.dtype) * kept  # (M, C)
    w_t = (one_hot * w).sum(dim=1)  # w[t], 0 for ignored rows
    per_row = -(one_hot * w * rows).sum(dim=1)
    if label_smoothing:
        uniform = -(rows * w).sum(dim=1) * kept.reshape(-1)
        per_row = (1 - label_smoothing) * per_row + (label_smoothing / classes) * uniform
    return _reduce(per_row, reduction, w_t.sum(), target.shape)


def cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):  # fmt: skip
    """log_softmax over the class dim, then :func:`nll_loss` (class-index targets), or
    -sum_c w[c] t'[c] log p[c] with t' = (1 - eps) t + eps/C (probability targets, whose
    mean divides by the number of rows)."""
    log_p = log_softmax(x, dim=0 if x.ndim == 1 else 1)
    if target.dtype.kind != "f":
        return nll_loss(log_p, target, weight, ignore_index, reduction, label_smoothing)
    rows, t = _rows(log_p), _rows(target)
    classes = rows.shape[1]
    if label_smoothing:
        t = (1 - label_smoothing) * t + label_smoothing / classes
    per_row = -(t * _class_weights(weight, classes, rows) * rows).sum(dim=1)
    shape = x.shape[:1] + x.shape[2:] if x.ndim > 1 else ()
    return _reduce(per_row, reduction, rows.shape[0], shape)
