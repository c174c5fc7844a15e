"""Focal loss primitives (Lin et al. 2017; not in PyTorch): cross-entropy scaled by
(1 − p_t)^gamma, fused with its reduction. Sigmoid (binary / multi-label, torchvision's
``sigmoid_focal_loss``) and softmax (class indices) forms, each stable for logits of ±1e4 and
any gamma >= 0. Inputs are validated by :mod:`gradlab.nn.focal`.
"""

from __future__ import annotations

import numpy as np

from gradlab.autograd import Function
from gradlab.backend import array_module
from gradlab.ops.losses import _class_reduce, _reduce, _row_scale, _scale, from_rows, to_rows

__all__ = ["SigmoidFocal", "SoftmaxFocal"]


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
