"""Fused loss primitives: the elementwise loss, its reduction and its backward in one node.

Every op takes ``reduction`` ('none' | 'mean' | 'sum') as a setting and returns the per-element
losses or their mean or sum. Weights (``weight``, ``pos_weight``, class weights) are constants.
Inputs are validated by the functions of :mod:`gradlab.nn.losses`, not here (the hot path).

Stability: binary cross-entropy on logits uses log(1 + exp(-|x|)) + max(-x, 0); cross-entropy
subtracts the row maximum before exponentiating; probability logs are clamped at -100 as
PyTorch. Logits of ±1e4 give finite losses and gradients.

Cross-entropy and NLL have a readable reference, log-softmax and a weighted sum of Tensor ops
with autograd's backward, in :mod:`gradlab.nn.reference.cross_entropy`; the tests compare them.
"""

from __future__ import annotations

from gradlab.autograd import Function
from gradlab.backend import xp
from gradlab.tensor import Tensor


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean() if loss.size else xp.asarray(xp.nan, dtype=loss.dtype)
    if reduction == "sum":
        return loss.sum()
    return loss


def _reduce_graph(loss, reduction):
    """:func:`_reduce` with Tensor ops (for the ``composite`` forms used by create_graph)."""
    if reduction == "mean":
        return loss.mean() if loss.numel() else loss.sum() * float("nan")
    if reduction == "sum":
        return loss.sum()
    return loss


def _scale(grad, reduction, size):
    """The output gradient spread over the elements (a scalar for mean and sum)."""
    if reduction == "mean":
        return grad / size if size else grad
    return grad


class _Pointwise(Function):
    """A loss f(input, target) elementwise; subclasses give the loss and d loss / d input."""

    __slots__ = ()

    def backward(self, grad):
        d_input, reduction = self.saved[0], self.saved[-1]
        g = _scale(grad, reduction, d_input.size) * d_input
        return g if self.needs_input_grad(0) else None, -g if self.needs_input_grad(1) else None


class MSE(_Pointwise):
    __slots__ = ()

    def forward(self, a, b, reduction="mean"):
        diff = a - b
        self.saved = (2 * diff, reduction)
        diff *= diff
        return _reduce(diff, reduction)

    def composite(self, a, b):  # the forward in primitive ops, for create_graph
        diff = a - b
        return _reduce_graph(diff * diff, self.saved[-1])


class L1(_Pointwise):
    __slots__ = ()

    def forward(self, a, b, reduction="mean"):
        diff = a - b
        self.saved = (xp.sign(diff), reduction)
        return _reduce(xp.abs(diff), reduction)

    def composite(self, a, b):
        return _reduce_graph((a - b).abs(), self.saved[-1])


class Huber(_Pointwise):
    """0.5 e² where |e| < delta, else delta·(|e| - 0.5 delta); all times ``scale``
    (smooth L1 with beta is Huber with delta=beta, scale=1/beta)."""

    __slots__ = ()

    def forward(self, a, b, delta=1.0, scale=1.0, reduction="mean"):
        diff = a - b
        size = xp.abs(diff)
        quadratic = size < delta
        loss = xp.where(quadratic, 0.5 * diff * diff, delta * (size - 0.5 * delta))
        d_input = xp.clip(diff, -delta, delta)
        if scale != 1.0:
            loss *= scale
            d_input *= scale
        self.saved = (d_input.astype(a.dtype, copy=False), delta, scale, reduction)
        return _reduce(loss.astype(a.dtype, copy=False), reduction)

    def composite(self, a, b):  # the forward in primitive ops, for create_graph
        from gradlab.ops.elementwise import where

        _, delta, scale, reduction = self.saved
        diff = a - b
        quadratic = xp.abs(diff._data) < delta
        loss = where(quadratic, 0.5 * diff * diff, (diff.abs() - 0.5 * delta) * delta)
        return _reduce_graph(loss * scale, reduction)


class Quantile(_Pointwise):
    """Pinball loss max(q·e, (q - 1)·e), e = target - input; d/d input is -q where e > 0,
    1 - q where e < 0, and 0 at e = 0."""

    __slots__ = ()

    def forward(self, a, b, quantile=0.5, reduction="mean"):
        error = b - a
        loss = xp.maximum(quantile * error, (quantile - 1) * error)
        d_input = xp.where(error > 0, -quantile, xp.where(error < 0, 1 - quantile, 0.0))
        self.saved = (d_input.astype(a.dtype, copy=False), quantile, reduction)
        return _reduce(loss.astype(a.dtype, copy=False), reduction)

    def composite(self, a, b):
        from gradlab.ops.elementwise import where

        _, quantile, reduction = self.saved
        error = b - a
        positive = error._data > 0
        return _reduce_graph(where(positive, error * quantile, error * (quantile - 1)), reduction)


class BinaryCrossEntropy(Function):
    """-w·(y·log p + (1 - y)·log(1 - p)) on probabilities p, each log clamped at -100; the
    input gradient is w·(p - y) / max(p(1 - p), 1e-12), as PyTorch."""

    __slots__ = ()

    def forward(self, p, y, weight=None, reduction="mean"):
        with xp.errstate(divide="ignore"):
            log_p = xp.maximum(xp.log(p), -100)
            log_q = xp.maximum(xp.log1p(-p), -100)
        loss = -(y * log_p + (1 - y) * log_q)
        if weight is not None:
            loss = loss * weight
        self.saved = (p, y, log_p, log_q, weight, reduction)
        return _reduce(loss.astype(p.dtype, copy=False), reduction)

    def backward(self, grad):
        p, y, log_p, log_q, weight, reduction = self.saved
        g = _scale(grad, reduction, p.size)
        if weight is not None:
            g = g * weight
        grad_p = grad_y = None
        if self.needs_input_grad(0):
            grad_p = g * (p - y) / xp.maximum(p * (1 - p), 1e-12)
        if self.needs_input_grad(1):
            grad_y = g * (log_q - log_p)
        return grad_p, grad_y

    def composite(self, p, y):  # the forward in primitive ops, for create_graph
        from gradlab.ops.elementwise import clamp

        *_, weight, reduction = self.saved
        log_p = clamp(p.log(), min=-100)
        log_q = clamp((-p).log1p(), min=-100)
        loss = -(y * log_p + (1 - y) * log_q)
        return _reduce_graph(loss if weight is None else loss * weight, reduction)


class BinaryCrossEntropyWithLogits(Function):
    """-w·(pw·y·log σ(x) + (1 - y)·log(1 - σ(x))), with softplus(-x) = -log σ(x) computed as
    log1p(exp(-|x|)) + max(-x, 0). ``pos_weight`` broadcasts along the last dim."""

    __slots__ = ()

    def forward(self, x, y, weight=None, pos_weight=None, reduction="mean"):
        neg_log_sig = xp.log1p(xp.exp(-xp.abs(x)))
        neg_log_sig += xp.maximum(-x, 0)
        if pos_weight is None:
            loss = (1 - y) * x + neg_log_sig
        else:
            loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * neg_log_sig
        if weight is not None:
            loss = loss * weight
        self.saved = (x, y, neg_log_sig, weight, pos_weight, reduction)
        return _reduce(loss.astype(x.dtype, copy=False), reduction)

    def backward(self, grad):
        x, y, neg_log_sig, weight, pos_weight, reduction = self.saved
        g = _scale(grad, reduction, x.size)
        if weight is not None:
            g = g * weight
        grad_x = grad_y = None
        if self.needs_input_grad(0):
            sig = 0.5 * (1 + xp.tanh(0.5 * x))
            if pos_weight is None:
                grad_x = g * (sig - y)
            else:
                grad_x = g * (sig * (pos_weight * y + 1 - y) - pos_weight * y)
        if self.needs_input_grad(1):
            grad_y = -g * x if pos_weight is None else g * ((pos_weight - 1) * neg_log_sig - x)
        return grad_x, grad_y

    def composite(self, x, y):  # the forward in primitive ops, for create_graph
        from gradlab.ops.activation import softplus

        *_, weight, pos_weight, reduction = self.saved
        neg_log_sig = softplus(-x)
        if pos_weight is None:
            loss = (1 - y) * x + neg_log_sig
        else:
            loss = (1 - y) * x + (1 + (pos_weight - 1) * y) * neg_log_sig
        return _reduce_graph(loss if weight is None else loss * weight, reduction)


# ---------------------------------------------------------------------- over classes


def to_rows(a):
    """(N, C, d1, ...) -> (N·d1·..., C) with classes last; (C,) -> (1, C); (N, C) as is."""
    if a.ndim == 1:
        return a[None]
    if a.ndim == 2:
        return a
    return xp.moveaxis(a, 1, -1).reshape(-1, a.shape[1])


def from_rows(rows, shape):
    """The inverse of :func:`to_rows` for an array of the original ``shape``."""
    if len(shape) <= 2:
        return rows.reshape(shape)
    moved = rows.reshape((shape[0], *shape[2:], shape[1]))
    return xp.moveaxis(moved, -1, 1)


def _rows_graph(a, shape):
    """:func:`to_rows` for a Tensor (recorded)."""
    if not hasattr(a, "grad_fn"):
        return to_rows(xp.asarray(a))
    if a.ndim == 1:
        return a.unsqueeze(0)
    if a.ndim == 2:
        return a
    return a.permute(0, *range(2, a.ndim), 1).reshape(-1, shape[1])


def _class_reduce(loss, denominator, reduction, target_shape):
    if reduction == "none":
        return loss.reshape(target_shape)
    total = loss.sum()
    return total / denominator if reduction == "mean" else total


def _row_scale(grad, reduction, denominator, rows):
    """The output gradient as one factor per row, shape (rows, 1) or a scalar."""
    if reduction == "none":
        return grad.reshape(rows, 1)
    return grad / denominator if reduction == "mean" else grad


class NLL(Function):
    """-w[t]·input[t] per row of log-probabilities (M, C); ignored rows give 0; the mean divides
    by Σ w[t] over kept rows (PyTorch's weighted mean)."""

    __slots__ = ()

    def forward(self, x, target, weight=None, ignore_index=-100, reduction="mean"):
        rows = to_rows(x)
        m = rows.shape[0]
        t = target.reshape(-1)
        keep = t != ignore_index
        safe = xp.where(keep, t, 0)
        w_t = keep.astype(x.dtype) if weight is None else weight[safe] * keep
        loss = -w_t * rows[xp.arange(m), safe]
        denominator = w_t.sum()
        self.saved = (x.shape, rows.shape, w_t, safe, reduction, denominator)
        return _class_reduce(loss.astype(x.dtype, copy=False), denominator, reduction, target.shape)

    def backward(self, grad):
        shape, row_shape, w_t, safe, reduction, denominator = self.saved
        s = _row_scale(grad, reduction, denominator, row_shape[0])
        out = xp.zeros(row_shape, dtype=w_t.dtype)
        out[xp.arange(row_shape[0]), safe] = -w_t * (s[:, 0] if reduction == "none" else s)
        return from_rows(out, shape), None

    def composite(self, x, target):  # the forward in primitive ops, for create_graph
        shape, row_shape, w_t, safe, reduction, denominator = self.saved
        loss = -(_rows_graph(x, shape)[xp.arange(row_shape[0]), safe] * w_t)
        if reduction == "none":
            return loss.reshape(shape[:1] + shape[2:] if len(shape) > 1 else ())
        return loss.sum() / denominator if reduction == "mean" else loss.sum()


class KLDiv(Function):
    """Pointwise KL divergence target·(log target - input) on log-probabilities ``input``
    (``log_target``: exp(t)·(t - input)); 0 where target is 0. Reductions: none, sum, mean
    (over every element) and batchmean (the sum divided by the batch size)."""

    __slots__ = ()

    def forward(self, x, t, reduction="mean", log_target=False):
        if log_target:
            p = xp.exp(t)
            log_t = t
        else:
            p = t
            with xp.errstate(divide="ignore", invalid="ignore"):
                log_t = xp.where(t > 0, xp.log(xp.where(t > 0, t, 1)), 0)
        loss = p * (log_t - x)
        if not log_target:
            loss = xp.where(t == 0, 0, loss)
        self.saved = (x, p, log_t, reduction, log_target)
        loss = loss.astype(x.dtype, copy=False)
        if reduction == "batchmean":
            return loss.sum() / (x.shape[0] if x.ndim else 1)
        return _reduce(loss, reduction)

    def backward(self, grad):
        x, p, log_t, reduction, log_target = self.saved
        if reduction == "batchmean":
            g = grad / (x.shape[0] if x.ndim else 1)
        else:
            g = _scale(grad, reduction, x.size)
        grad_x = -g * p if self.needs_input_grad(0) else None
        grad_t = None
        if self.needs_input_grad(1):
            grad_t = g * (p * (log_t - x + 1) if log_target else xp.where(p > 0, log_t - x + 1, 0))
        return grad_x, grad_t

    def composite(self, x, t):  # the forward in primitive ops, for create_graph
        from gradlab.ops.elementwise import where

        x_array, _, _, reduction, log_target = self.saved
        if not hasattr(t, "_data"):
            t = Tensor(xp.asarray(t))
        if log_target:
            loss = t.exp() * (t - x)
        else:
            positive = t._data > 0
            loss = where(positive, t * (where(positive, t, 1.0).log() - x), 0.0)
        if reduction == "batchmean":
            return loss.sum() / (x_array.shape[0] if x_array.ndim else 1)
        return _reduce_graph(loss, reduction)


from gradlab.ops.cross_entropy import CrossEntropy  # noqa: E402, F401  (its own file)
