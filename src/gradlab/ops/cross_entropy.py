"""Cross-entropy as one fused node: log-softmax over classes and the negative log-likelihood
of class-index or probability targets, with class weights, ignore_index and label smoothing
(rows M, classes C; see :class:`CrossEntropy`). Re-exported by :mod:`gradlab.ops.losses`."""

from __future__ import annotations

from typing import NamedTuple

from gradlab.autograd import Function
from gradlab.backend import xp
from gradlab.ops.losses import _class_reduce, _row_scale, _rows_graph, from_rows, to_rows

__all__ = ["CrossEntropy"]


class _CrossEntropySaved(NamedTuple):
    """What :class:`CrossEntropy`'s backward needs, by name (rows M, classes C)."""

    targets: str  # "probabilities" (M, C), "indices" (M,), or "plain indices": the common
    # case (no weight, smoothing or ignored row, mean) whose gradient is softmax - one-hot
    shape: tuple  # the input's shape
    e: object  # exp(x - row max) (M, C)
    total: object  # its row sums (M, 1)
    log_p: object = None  # log-probabilities (M, C), probability targets only
    w_t: object = None  # per row weight (M,), or weighted smoothed targets (M, C)
    safe: object = None  # class index per row (M,), 0 where ignored
    keep: object = None  # rows not ignored (M,)
    weight: object = None  # class weights (C,) or None
    label_smoothing: float = 0.0
    reduction: str = "mean"
    denominator: object = 1  # what the mean divides by


class CrossEntropy(Function):
    """log-softmax over classes and negative log-likelihood in one op.

    Input logits (N, C, d1, ...) as rows (M, C). Class-index targets (M,) with class weights
    w, ignore_index and label smoothing eps give per row
    ``(1 - eps)·w[t]·(-log p[t]) + eps/C·Σ_c w[c]·(-log p[c])`` (0 for ignored rows), the mean
    dividing by Σ w[t] over kept rows. Probability targets (M, C) give
    ``-Σ_c w[c]·t'[c]·log p[c]`` with t' = (1 - eps)·t + eps/C, the mean dividing by M.
    """

    __slots__ = ()

    def forward(
        self, x, target, weight=None, ignore_index=-100, label_smoothing=0.0, reduction="mean"
    ):
        shape = x.shape
        rows = to_rows(x)
        m, c = rows.shape
        shifted = rows - rows.max(axis=1, keepdims=True)
        e = xp.exp(shifted)
        total = e.sum(axis=1, keepdims=True)
        log_total = xp.log(total)
        if target.dtype.kind == "f":
            t = to_rows(target)
            log_p = shifted - log_total
            if label_smoothing:
                t = t * (1 - label_smoothing) + label_smoothing / c
            wt = t if weight is None else t * weight
            loss = -(log_p * wt).sum(axis=1)
            self.saved = _CrossEntropySaved(
                "probabilities", shape, e, total, log_p=log_p, w_t=wt, weight=weight,
                label_smoothing=label_smoothing, reduction=reduction, denominator=m,
            )  # fmt: skip
            return _class_reduce(
                loss.astype(x.dtype, copy=False),
                m,
                reduction,
                shape[:1] + shape[2:] if len(shape) > 1 else (),
            )
        t = target.reshape(-1)
        index = xp.arange(m)
        common = weight is None and not label_smoothing and reduction == "mean"
        no_ignore = ignore_index is None or ignore_index < 0
        if common and m and no_ignore and t.min() >= 0:  # no row ignored: mean NLL
            loss = (log_total.sum() - shifted[index, t].sum()) / m
            self.saved = _CrossEntropySaved("plain indices", shape, e, total, safe=t, denominator=m)
            return xp.asarray(loss, dtype=x.dtype)
        keep = t != ignore_index
        safe = xp.where(keep, t, 0)
        picked = shifted[index, safe] - log_total[:, 0]
        w_t = keep.astype(x.dtype) if weight is None else weight[safe] * keep
        loss = -w_t * picked
        if label_smoothing:
            log_p = shifted - log_total
            smooth = -(log_p.sum(axis=1) if weight is None else log_p @ weight)
            loss = (1 - label_smoothing) * loss + (label_smoothing / c) * (smooth * keep)
        denominator = w_t.sum()
        self.saved = _CrossEntropySaved(
            "indices", shape, e, total, w_t=w_t, safe=safe, keep=keep, weight=weight,
            label_smoothing=label_smoothing, reduction=reduction, denominator=denominator,
        )  # fmt: skip
        return _class_reduce(loss.astype(x.dtype, copy=False), denominator, reduction, target.shape)

    def backward(self, grad):
        saved = self.saved
        shape, e, total, w_t, safe, keep = (
            saved.shape, saved.e, saved.total, saved.w_t, saved.safe, saved.keep
        )  # fmt: skip
        eps, weight, reduction = saved.label_smoothing, saved.weight, saved.reduction
        m, c = e.shape
        if saved.targets == "plain indices":  # softmax minus one-hot, over m
            scale = grad / m
            grad_x = e * (scale / total)
            grad_x[xp.arange(m), safe] -= scale
            return from_rows(grad_x.astype(e.dtype, copy=False), shape), None
        s = _row_scale(grad, reduction, saved.denominator, m)
        grad_x = grad_t = None
        if saved.targets == "probabilities":  # d/dx = p·Σ_c w t' - w t'
            if self.needs_input_grad(0):
                grad_x = e * (w_t.sum(axis=1, keepdims=True) / total)
                grad_x -= w_t
                grad_x *= s
                grad_x = from_rows(grad_x, shape)
            if self.needs_input_grad(1):
                g_t = -saved.log_p * (1 - eps) * s
                grad_t = from_rows(g_t if weight is None else g_t * weight, shape)
            return grad_x, grad_t
        row = w_t * (1 - eps)  # d/dx = (1-eps)·w[t]·(p - onehot) + eps/C·(W·p - w), kept rows
        if eps:
            w_sum = c if weight is None else weight.sum()
            row = row + (eps / c) * w_sum * keep
        grad_x = e * (row[:, None] * s / total)
        grad_x[xp.arange(m), safe] -= w_t * (1 - eps) * (s[:, 0] if reduction == "none" else s)
        if eps:
            smooth = (eps / c) * keep[:, None] * s
            grad_x -= smooth if weight is None else smooth * weight
        return from_rows(grad_x.astype(e.dtype, copy=False), shape), None

    def composite(self, x, target):
        """The forward in primitive ops (log_softmax, indexing, sums), for create_graph."""
        from gradlab.ops.softmax import log_softmax

        saved = self.saved
        shape, w_t, safe, keep, weight = (
            saved.shape, saved.w_t, saved.safe, saved.keep, saved.weight
        )  # fmt: skip
        eps, reduction, denominator = saved.label_smoothing, saved.reduction, saved.denominator
        log_p = log_softmax(_rows_graph(x, shape), dim=1)
        m, c = log_p.shape
        if saved.targets == "probabilities":
            t = _rows_graph(target, shape)
            if eps:
                t = t * (1 - eps) + eps / c
            loss = -(log_p * (t if weight is None else t * weight)).sum(dim=1)
            if reduction == "none":
                return loss.reshape(shape[:1] + shape[2:] if len(shape) > 1 else ())
            return loss.sum() / m if reduction == "mean" else loss.sum()
        picked = log_p[xp.arange(m), safe]
        if saved.targets == "plain indices":  # no weight, smoothing or ignored row; mean
            return -picked.sum() / m
        loss = -(picked * w_t)
        if eps:
            smooth = -(log_p.sum(dim=1) if weight is None else log_p @ weight)
            loss = loss * (1 - eps) + (smooth * keep) * (eps / c)
        if reduction == "none":
            return loss.reshape(shape[:1] + shape[2:] if len(shape) > 1 else ())
        return loss.sum() / denominator if reduction == "mean" else loss.sum()
