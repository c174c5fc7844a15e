"""Regression losses, as modules and functions with PyTorch's names and semantics: MSELoss,
L1Loss, HuberLoss, SmoothL1Loss, and QuantileLoss (the pinball loss, which PyTorch lacks);
plus the helpers every loss file shares (reduction checks, target conversion, ``_Loss``).

Classification losses are in :mod:`gradlab.nn.classification_losses`, Dice and Jaccard in
:mod:`gradlab.nn.overlap_losses`.

Shapes: input (*) and target of the same shape; the loss is a scalar for ``reduction='mean'``
or ``'sum'`` and has the input's shape for ``'none'``. Unlike PyTorch, which broadcasts a
target of another shape with a warning (a (N, 1) input against a (N,) target silently makes an
(N, N) loss), gradlab raises an error naming both shapes.
"""

from __future__ import annotations

from gradlab.backend import array_module, as_array, backend_of, to_backend
from gradlab.nn.module import Module
from gradlab.ops import losses as _ops
from gradlab.ops.elementwise import Mul
from gradlab.tensor import Tensor

__all__ = [
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "QuantileLoss",
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "quantile_loss",
]  # fmt: skip

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(
    name: str, reduction, size_average=None, reduce=None, allowed=REDUCTIONS
) -> str:
    """The reduction to use; PyTorch's deprecated size_average/reduce override it as there."""
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "none" if not reduce else "mean" if size_average else "sum"
    if reduction not in allowed:
        valid = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{name}: reduction must be one of {valid}, got {reduction!r}")
    return reduction


def as_input(name: str, input) -> Tensor:  # noqa: A002
    """The loss input as a floating Tensor."""
    if not isinstance(input, Tensor):
        input = Tensor(array_module(input).asarray(input))
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: input must be a floating tensor, got dtype {input.dtype}")
    return input


def as_float_target(name: str, input: Tensor, target, label: str = "target") -> Tensor:  # noqa: A002
    """A target of the input's shape, in the input's floating dtype (on its device)."""
    if not isinstance(target, Tensor):
        target = Tensor(to_backend(as_array(target), backend_of(input._data)))
    if target.shape != input.shape:
        raise ValueError(
            f"{name}: {label} has shape {tuple(target.shape)} but input has shape "
            f"{tuple(input.shape)}; they must be the same"
        )
    if target.dtype != input.dtype:
        target = (
            target.to(input.dtype)
            if target.requires_grad
            else Tensor(target._data.astype(input.dtype))
        )
    return target


def as_const(value, dtype):
    """A weight (Tensor, array, sequence or number) as a constant array in ``dtype``."""
    if value is None:
        return None
    data = value._data if isinstance(value, Tensor) else value
    return array_module(data).asarray(data, dtype=dtype)


def weighted(name: str, loss_fn, input, target, weight, reduction, mean="sum"):  # noqa: A002
    """PyTorch's element-weighted mse/l1/huber: loss·weight, and for 'mean' either
    sum / sum(weight) (``mean='sum'``: mse, l1) or the plain mean (``mean='plain'``: huber)."""
    weight = as_float_target(name, input, weight, label="weight")
    loss = Mul.apply(loss_fn(reduction="none"), weight)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.mean() if mean == "plain" else loss.sum() / weight._data.sum()


class _Loss(Module):
    """A loss module: stores ``reduction`` (and legacy size_average/reduce, as PyTorch)."""

    _reductions = REDUCTIONS

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean"):
        super().__init__()
        self.reduction = check_reduction(
            type(self).__name__, reduction, size_average, reduce, allowed=self._reductions
        )

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class _WeightedLoss(_Loss):
    """A loss with a ``weight`` buffer (None when not given), as PyTorch's _WeightedLoss."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction: str = "mean"):
        xp = array_module(weight)
        super().__init__(size_average, reduce, reduction)
        self.register_buffer(
            "weight",
            None
            if weight is None
            else Tensor(xp.asarray(weight._data if isinstance(weight, Tensor) else weight)),
        )


# ---------------------------------------------------------------------- functions


def _pair(name, input, target):  # noqa: A002
    input = as_input(name, input)
    return input, as_float_target(name, input, target)


def mse_loss(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction: str = "mean",  # noqa: A002
    weight=None,
) -> Tensor:
    """Mean squared error (input - target)². ``weight`` (input's shape) weights each element;
    with it, 'mean' divides by the sum of the weights (as PyTorch)."""
    reduction = check_reduction("mse_loss", reduction, size_average, reduce)
    input, target = _pair("mse_loss", input, target)
    if weight is not None:
        return weighted(
            "mse_loss",
            lambda reduction: _ops.MSE.apply(input, target, reduction=reduction),
            input,
            target,
            weight,
            reduction,
        )
    return _ops.MSE.apply(input, target, reduction=reduction)


def l1_loss(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction: str = "mean",  # noqa: A002
    weight=None,
) -> Tensor:
    """Mean absolute error |input - target| (MAE); the gradient at 0 is 0."""
    reduction = check_reduction("l1_loss", reduction, size_average, reduce)
    input, target = _pair("l1_loss", input, target)
    if weight is not None:
        return weighted(
            "l1_loss",
            lambda reduction: _ops.L1.apply(input, target, reduction=reduction),
            input,
            target,
            weight,
            reduction,
        )
    return _ops.L1.apply(input, target, reduction=reduction)


def huber_loss(
    input,
    target,
    reduction: str = "mean",
    delta: float = 1.0,  # noqa: A002
    weight=None,
) -> Tensor:
    """0.5·e² where |e| < delta, delta·(|e| − 0.5·delta) elsewhere, e = input − target.

    (Notes 002 write the linear part as δ|e| − ½δ; the standard form, used here, is δ|e| − ½δ².)
    With ``weight``, 'mean' is the plain mean of the weighted losses (as PyTorch).
    """
    reduction = check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta!r}")
    input, target = _pair("huber_loss", input, target)
    if weight is not None:
        return weighted(
            "huber_loss",
            lambda reduction: _ops.Huber.apply(input, target, delta=delta, reduction=reduction),
            input,
            target,
            weight,
            reduction,
            mean="plain",
        )
    return _ops.Huber.apply(input, target, delta=delta, reduction=reduction)


def smooth_l1_loss(
    input,
    target,
    size_average=None,
    reduce=None,  # noqa: A002
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """0.5·e²/beta where |e| < beta, |e| − 0.5·beta elsewhere (= huber_loss(delta=beta)/beta);
    beta = 0 gives the L1 loss."""
    reduction = check_reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta!r}")
    input, target = _pair("smooth_l1_loss", input, target)
    if beta == 0:
        return _ops.L1.apply(input, target, reduction=reduction)
    return _ops.Huber.apply(input, target, delta=beta, scale=1.0 / beta, reduction=reduction)


def quantile_loss(input, target, quantile: float = 0.5, reduction: str = "mean") -> Tensor:  # noqa: A002
    """The pinball loss of quantile regression (not in PyTorch):
    max(q·e, (q − 1)·e) with e = target − input and q = ``quantile`` in (0, 1).

    Under-prediction (e > 0) costs q per unit, over-prediction 1 − q, so the minimizer is the
    q-th quantile of the target; q = 0.5 is half the L1 loss. The gradient at e = 0 is 0.
    """
    reduction = check_reduction("quantile_loss", reduction)
    if not 0 < quantile < 1:
        raise ValueError(f"quantile_loss: quantile must be in (0, 1), got {quantile!r}")
    input, target = _pair("quantile_loss", input, target)
    return _ops.Quantile.apply(input, target, quantile=float(quantile), reduction=reduction)


# ---------------------------------------------------------------------- modules


class MSELoss(_Loss):
    """Mean squared error. Input (*), target (*) the same shape; output scalar or (*)."""

    def forward(self, input, target):  # noqa: A002
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error. Input (*), target (*) the same shape; output scalar or (*)."""

    def forward(self, input, target):  # noqa: A002
        return l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss with threshold ``delta``; see :func:`huber_loss`."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):  # noqa: A002
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self) -> str:
        return f"delta={self.delta}"


class SmoothL1Loss(_Loss):
    """Smooth L1 loss with threshold ``beta``; see :func:`smooth_l1_loss`."""

    def __init__(self, size_average=None, reduce=None, reduction: str = "mean", beta: float = 1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):  # noqa: A002
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def extra_repr(self) -> str:
        return f"beta={self.beta}"


class QuantileLoss(_Loss):
    """Pinball loss for the ``quantile``-th quantile (not in PyTorch); see
    :func:`quantile_loss`. Input (*), target (*) the same shape."""

    def __init__(self, quantile: float = 0.5, reduction: str = "mean"):
        super().__init__(reduction=reduction)
        if not 0 < quantile < 1:
            raise ValueError(f"QuantileLoss: quantile must be in (0, 1), got {quantile!r}")
        self.quantile = quantile

    def forward(self, input, target):  # noqa: A002
        return quantile_loss(input, target, quantile=self.quantile, reduction=self.reduction)

    def extra_repr(self) -> str:
        return f"quantile={self.quantile}"
