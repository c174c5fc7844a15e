"""Classification losses with PyTorch's names and semantics: BCELoss, BCEWithLogitsLoss,
CrossEntropyLoss, NLLLoss, KLDivLoss (FocalLoss is in :mod:`gradlab.nn.focal`). Each is a
module and a function; the math is one fused primitive of :mod:`gradlab.ops.losses`.
Cross-entropy and NLL have a readable reference (log-softmax and a weighted sum, in
:mod:`gradlab.nn.reference.cross_entropy`) that runs instead under
``gradlab.use_reference_kernels(True)`` and for tensors on a device other than the CPU.

Shapes: C classes; logits (N, C) or (N, C, d1, ...) or (C,) unbatched; class-index targets
(N,) or (N, d1, ...) or () of integers in [0, C) (or ``ignore_index``); probability targets
of the input's shape. Reductions 'none' | 'mean' | 'sum' ('batchmean' too for kl_div).
"""

from __future__ import annotations

import warnings

from gradlab.backend import backend_of, xp
from gradlab.nn.losses import (
    _Loss,
    _WeightedLoss,
    as_const,
    as_float_target,
    as_input,
    check_reduction,
)
from gradlab.nn.reference import cross_entropy as reference
from gradlab.nn.reference.switch import wants_reference
from gradlab.ops import losses as _ops
from gradlab.tensor import Tensor

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "NLLLoss", "KLDivLoss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss",
    "kl_div",
]  # fmt: skip


def _broadcast_weight(name, label, weight, input):  # noqa: A002
    """A constant weight that broadcasts to the input's shape."""
    w = as_const(weight, input.dtype)
    if w is not None:
        try:
            fits = xp.broadcast_shapes(w.shape, input.shape) == tuple(input.shape)
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"{name}: {label} has shape {tuple(w.shape)}, which does not broadcast to the "
                f"input's shape {tuple(input.shape)}"
            )
    return w


def _classes(name, input) -> int:  # noqa: A002
    if input.ndim == 0:
        raise ValueError(
            f"{name}: input must have a class dimension ((C,) or (N, C, ...)), got a 0-d tensor"
        )
    return input.shape[0] if input.ndim == 1 else input.shape[1]


def _class_weight(name, weight, classes, dtype):
    data = weight._data if isinstance(weight, Tensor) else weight
    on_device = data is not None and backend_of(data).type != "cpu"
    w = data.astype(dtype, copy=False) if on_device else as_const(weight, dtype)
    if w is not None and w.shape != (classes,):
        raise ValueError(
            f"{name}: weight has shape {tuple(w.shape)}, expected ({classes},) "
            f"(one weight per class)"
        )
    return w


def _class_target(name, input, target, classes, ignore_index=None):  # noqa: A002
    """Integer class indices of the input's shape without the class dim, checked in range."""
    data = target._data if isinstance(target, Tensor) else xp.asarray(target)
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if data.dtype.kind not in "iu":
        raise TypeError(
            f"{name}: class-index target must be an integer tensor, got dtype {data.dtype}"
        )
    if data.shape != tuple(expected):
        raise ValueError(
            f"{name}: target has shape {tuple(data.shape)} but input has shape "
            f"{tuple(input.shape)}; class indices need shape {tuple(expected)} (the input's "
            f"shape without the class dim 1)"
        )
    if data.size == 0 or (data.min() >= 0 and data.max() < classes):
        return data  # the common case, in two reductions
    bad = (data < 0) | (data >= classes)
    if ignore_index is not None:
        bad &= data != ignore_index
    if bad.any():
        where = tuple(int(i) for i in xp.argwhere(bad)[0])
        ignore = f" or ignore_index={ignore_index}" if ignore_index is not None else ""
        raise IndexError(
            f"{name}: target has class {int(data[where])} at index {where}, expected class "
            f"indices in [0, {classes}) for {classes} classes{ignore}"
        )
    return data


# ---------------------------------------------------------------------- functions


def binary_cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """−w·(y·log p + (1 − y)·log(1 − p)) on probabilities p in [0, 1] (logs clamped at −100,
    as PyTorch). Input (*), target (*) the same shape, weight broadcasting to it."""
    name = "binary_cross_entropy"
    reduction = check_reduction(name, reduction, size_average, reduce)
    input = as_input(name, input)
    target = as_float_target(name, input, target)
    data = input._data
    if data.size and (data.min() < 0 or data.max() > 1):
        raise ValueError(
            f"{name}: input must hold probabilities in [0, 1], got values from "
            f"{float(data.min()):g} to {float(data.max()):g} (for logits use "
            f"binary_cross_entropy_with_logits)"
        )
    values = target.numpy() if isinstance(target, Tensor) else xp.asarray(target)
    if values.size and not ((values >= 0) & (values <= 1)).all():  # NaN fails both, as torch
        numbers = values[~xp.isnan(values)]
        shown = f"values from {numbers.min():g} to {numbers.max():g}" if numbers.size else "NaN"
        if numbers.size and numbers.size < values.size:
            shown += " and NaN"
        raise RuntimeError(f"{name}: all elements of target should be between 0 and 1, got {shown}")
    w = _broadcast_weight(name, "weight", weight, input)
    return _ops.BinaryCrossEntropy.apply(input, target, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(
    input,
    target,
    weight=None,
    size_average=None,  # noqa: A002
    reduce=None,
    reduction: str = "mean",
    pos_weight=None,
) -> Tensor:
    """Sigmoid and binary cross-entropy in one stable op, on logits x:
    −w·(pos_weight·y·log σ(x) + (1 − y)·log(1 − σ(x))). ``pos_weight`` (C,) weighs the
    positives of each class (the last dim); ``weight`` broadcasts to the input."""
    name = "binary_cross_entropy_with_logits"
    reduction = check_reduction(name, reduction, size_average, reduce)
    input = as_input(name, input)
    target = as_float_target(name, input, target)
    w = _broadcast_weight(name, "weight", weight, input)
    pw = _broadcast_weight(name, "pos_weight", pos_weight, input)
    return _ops.BinaryCrossEntropyWithLogits.apply(
        input, target, weight=w, pos_weight=pw, reduction=reduction
    )


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,  # noqa: A002
    reduce=None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Log-softmax over dim 1 and negative log-likelihood, fused (PyTorch's semantics).

    input: logits (N, C), (N, C, d1, ...) or (C,). target: class indices (N,), (N, d1, ...)
    or (), or class probabilities of the input's shape. With class-index targets, 'mean'
    divides by the summed weight of the non-ignored targets; ``label_smoothing`` ε mixes in
    the uniform distribution: (1 − ε)·NLL + ε/C·Σ_c w_c·(−log p_c). With probability targets,
    'mean' divides by the number of rows N·d1·... and ignore_index does not apply.
    """
    name = "cross_entropy"
    reduction = check_reduction(name, reduction, size_average, reduce)
    input = as_input(name, input)
    classes = _classes(name, input)
    w = _class_weight(name, weight, classes, input.dtype)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    target_dtype = (target._data if isinstance(target, Tensor) else xp.asarray(target)).dtype
    if target_dtype.kind == "f":
        target = as_float_target(name, input, target)
    else:
        target = _class_target(name, input, target, classes, ignore_index)
    if wants_reference(input, target):
        if not isinstance(target, Tensor):
            target = Tensor(target)
        return reference.cross_entropy(
            input, target, w, ignore_index, reduction, float(label_smoothing)
        )
    return _ops.CrossEntropy.apply(
        input,
        target,
        weight=w,
        ignore_index=ignore_index,
        label_smoothing=float(label_smoothing),
        reduction=reduction,
    )


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index: int = -100,  # noqa: A002
    reduce=None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood −w[t]·input[t] on log-probabilities (N, C, ...) or (C,) and
    class indices (N, ...) or (); 'mean' divides by the summed weight of non-ignored targets."""
    name = "nll_loss"
    reduction = check_reduction(name, reduction, size_average, reduce)
    input = as_input(name, input)
    classes = _classes(name, input)
    w = _class_weight(name, weight, classes, input.dtype)
    target = _class_target(name, input, target, classes, ignore_index)
    if wants_reference(input, target):
        return reference.nll_loss(input, Tensor(target), w, ignore_index, reduction)
    return _ops.NLL.apply(input, target, weight=w, ignore_index=ignore_index, reduction=reduction)


def kl_div(
    input,
    target,
    size_average=None,
    reduce=None,
    reduction: str = "mean",  # noqa: A002
    log_target: bool = False,
) -> Tensor:
    """KL divergence target·(log target − input) with ``input`` log-probabilities (target
    probabilities, or log-probabilities with ``log_target=True``). 'batchmean' divides the sum
    by the batch size (the true KL per sample); 'mean' divides by every element, as PyTorch."""
    name = "kl_div"
    reduction = check_reduction(
        name, reduction, size_average, reduce, allowed=("none", "batchmean", "mean", "sum")
    )
    if reduction == "mean":
        warnings.warn(
            "kl_div: reduction='mean' divides the total loss by both the batch size and the "
            "support size; 'batchmean' divides only by the batch size and matches the KL "
            "divergence's definition",
            stacklevel=2,
        )
    input = as_input(name, input)
    target = as_float_target(name, input, target)
    return _ops.KLDiv.apply(input, target, reduction=reduction, log_target=bool(log_target))


# ---------------------------------------------------------------------- modules


def _buffer(weight):
    return None if weight is None else weight._data


def warn_if_squashed(loss, input, op: str) -> None:  # noqa: A002
    """Warn (once per loss) when a logits loss gets the output of a ``op`` (Softmax or
    Sigmoid) node: the loss applies it again, and training slows or stalls."""
    if type(getattr(input, "grad_fn", None)).__name__ != op or loss.__dict__.get("_warned"):
        return
    object.__setattr__(loss, "_warned", True)
    name = type(loss).__name__
    warnings.warn(
        f"{name}: its input is the output of a {op}, but {name} expects logits (it applies "
        f"{op.lower()} itself), so the probabilities are squashed twice and training slows or "
        f"stalls; drop the {op} layer",
        UserWarning,
        stacklevel=4,
    )


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities; see :func:`binary_cross_entropy`."""

    def forward(self, input, target):  # noqa: A002
        return binary_cross_entropy(input, target, _buffer(self.weight), reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Sigmoid + binary cross-entropy on logits, stable; see
    :func:`binary_cross_entropy_with_logits`. ``pos_weight`` is a buffer as ``weight``."""

    def __init__(
        self, weight=None, size_average=None, reduce=None, reduction: str = "mean", pos_weight=None
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer(
            "pos_weight",
            None
            if pos_weight is None
            else Tensor(
                xp.asarray(pos_weight._data if isinstance(pos_weight, Tensor) else pos_weight)
            ),
        )

    def forward(self, input, target):  # noqa: A002
        warn_if_squashed(self, input, "Sigmoid")
        return binary_cross_entropy_with_logits(
            input,
            target,
            _buffer(self.weight),
            reduction=self.reduction,
            pos_weight=_buffer(self.pos_weight),
        )


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy on logits (N, C, ...); see :func:`cross_entropy`."""

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):  # noqa: A002
        warn_if_squashed(self, input, "Softmax")
        return cross_entropy(
            input,
            target,
            _buffer(self.weight),
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood on log-probabilities (N, C, ...); see :func:`nll_loss`."""

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index: int = -100,
        reduce=None,
        reduction: str = "mean",
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):  # noqa: A002
        return nll_loss(
            input,
            target,
            _buffer(self.weight),
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class KLDivLoss(_Loss):
    """KL divergence on log-probability inputs; see :func:`kl_div`."""

    _reductions = ("none", "batchmean", "mean", "sum")

    def __init__(
        self, size_average=None, reduce=None, reduction: str = "mean", log_target: bool = False
    ):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):  # noqa: A002
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
