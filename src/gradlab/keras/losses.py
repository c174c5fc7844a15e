"""Losses, as ``keras.losses``: functions ``fn(y_true, y_pred) -> per-sample values`` and
classes ``Loss(y_true, y_pred, sample_weight=None) -> scalar``.

Keras's formulas on its torch backend: probabilities are clipped to [ε, 1 − ε] (ε = 1e-7)
before the log (and categorical outputs renormalized to sum to 1); ``from_logits=True`` uses
the log-sum-exp forms. A class reduces with "sum_over_batch_size" (the sum of the weighted
values over their count), "sum", "mean" or None. Targets of rank one less than the
predictions with a last dimension of 1 are expanded to match (``y_true`` (N,) with ``y_pred``
(N, 1)), as Keras does.
"""

from __future__ import annotations

import numpy as np

from gradlab.keras import backend as K
from gradlab.ops import elementwise as E
from gradlab.ops.movement import reshape
from gradlab.ops.reduce import mean
from gradlab.ops.reduce import sum as _sum
from gradlab.ops.softmax import log_softmax
from gradlab.tensor import Tensor


def _pair(y_true, y_pred, integer=False):
    y_pred = K.as_tensor(y_pred)
    if isinstance(y_true, Tensor):
        y_true = y_true.numpy()
    y_true = np.asarray(y_true)
    y_true = y_true.astype(np.int64 if integer else y_pred.dtype, copy=False)
    return y_true, y_pred


def same_rank(y_true: np.ndarray, y_pred):
    """Keras's squeeze_or_expand_to_same_rank for a target array and a prediction."""
    t, p = y_true.ndim, y_pred.ndim
    if t == p + 1 and y_true.shape[-1] == 1:
        return y_true.reshape(y_true.shape[:-1]), y_pred
    if p == t + 1 and y_pred.shape[-1] == 1:
        if t == 1:
            return y_true.reshape(-1, 1), y_pred
        return y_true, reshape(y_pred, *y_pred.shape[:-1])
    return y_true, y_pred


def _check_shapes(name, y_true, y_pred):
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(
            f"{name}: y_true has shape {tuple(y_true.shape)} and y_pred has shape "
            f"{tuple(y_pred.shape)}; expected the same shape"
        )


def _clip(p):
    eps = K.epsilon()
    return E.clamp(p, eps, 1.0 - eps)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = same_rank(*_pair(y_true, y_pred))
    _check_shapes("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    t = Tensor(y_true)
    if from_logits:  # max(x, 0) - x·t + log(1 + exp(-|x|))
        values = E.maximum(y_pred, 0.0) - y_pred * t + E.log(E.exp(-E.abs(y_pred)) + 1.0)
    else:
        p = _clip(y_pred)
        values = -(
            t * E.clamp(E.log(p), min=-100.0) + (1.0 - t) * E.clamp(E.log(1.0 - p), min=-100.0)
        )
    return mean(values, dim=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    y_true, y_pred = _pair(y_true, y_pred)
    _check_shapes("categorical_crossentropy", y_true, y_pred)
    if label_smoothing:
        classes = y_pred.shape[axis]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    return -_sum(Tensor(y_true) * _log_probs(y_pred, from_logits, axis), dim=axis)


def _log_probs(y_pred, from_logits, axis):
    if from_logits:
        return log_softmax(y_pred, axis)
    return E.log(_clip(y_pred / _sum(y_pred, dim=axis, keepdim=True)))


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    y_true, y_pred = _pair(y_true, y_pred, integer=True)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    classes = y_pred.shape[axis]
    if tuple(y_true.shape) != tuple(y_pred.shape[:-1]):
        raise ValueError(
            f"sparse_categorical_crossentropy: y_true has shape {tuple(y_true.shape)}, expected "
            f"{tuple(y_pred.shape[:-1])} (integer labels for y_pred of shape "
            f"{tuple(y_pred.shape)})"
        )
    if y_true.size and (y_true.min() < 0 or y_true.max() >= classes):
        raise ValueError(
            f"sparse_categorical_crossentropy: labels must be in [0, {classes}), got values "
            f"from {y_true.min()} to {y_true.max()}"
        )
    one_hot = np.eye(classes, dtype=y_pred.dtype)[y_true]
    return -_sum(Tensor(one_hot) * _log_probs(y_pred, from_logits, axis), dim=axis)


def mean_squared_error(y_true, y_pred):
    y_true, y_pred = same_rank(*_pair(y_true, y_pred))
    d = y_pred - Tensor(y_true)
    return mean(d * d, dim=-1)


def mean_absolute_error(y_true, y_pred):
    y_true, y_pred = same_rank(*_pair(y_true, y_pred))
    return mean(E.abs(y_pred - Tensor(y_true)), dim=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    y_true, y_pred = same_rank(*_pair(y_true, y_pred))
    diff = E.abs(Tensor(y_true) - y_pred) / np.maximum(np.abs(y_true), K.epsilon())
    return 100.0 * mean(diff, dim=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    y_true, y_pred = same_rank(*_pair(y_true, y_pred))
    first = E.log(E.clamp(y_pred, min=K.epsilon()) + 1.0)
    second = np.log(np.maximum(y_true, K.epsilon()) + 1.0)
    d = first - second
    return mean(d * d, dim=-1)


def huber(y_true, y_pred, delta=1.0):
    y_true, y_pred = same_rank(*_pair(y_true, y_pred))
    err = E.abs(y_pred - Tensor(y_true))
    quadratic = E.clamp(err, max=delta)
    return mean(0.5 * quadratic * quadratic + delta * (err - quadratic), dim=-1)


def log_cosh(y_true, y_pred):
    y_true, y_pred = same_rank(*_pair(y_true, y_pred))
    x = y_pred - Tensor(y_true)
    log2 = float(np.log(2.0))
    return mean(x + E.log(E.exp(-2.0 * x) + 1.0) - log2, dim=-1)


def hinge(y_true, y_pred):
    y_true, y_pred = same_rank(*_pair(y_true, y_pred))
    signed = np.where(np.isin(y_true, (0, 1)).all(), 2.0 * y_true - 1.0, y_true).astype(
        y_pred.dtype
    )
    return mean(E.clamp(1.0 - Tensor(signed) * y_pred, min=0.0), dim=-1)


def kl_divergence(y_true, y_pred):
    y_true, y_pred = same_rank(*_pair(y_true, y_pred))
    t = np.clip(y_true, K.epsilon(), 1.0)
    return _sum(Tensor(t) * (Tensor(np.log(t)) - E.log(E.clamp(y_pred, K.epsilon(), 1.0))), dim=-1)


def poisson(y_true, y_pred):
    y_true, y_pred = same_rank(*_pair(y_true, y_pred))
    return mean(y_pred - Tensor(y_true) * E.log(y_pred + K.epsilon()), dim=-1)


mse, mae, mape, msle = (
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
)
kld = kl_divergence
_FUNCTIONS = {
    f.__name__: f
    for f in (
        binary_crossentropy,
        categorical_crossentropy,
        sparse_categorical_crossentropy,
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_logarithmic_error,
        huber,
        log_cosh,
        hinge,
        kl_divergence,
        poisson,
    )
}
_FUNCTIONS.update(
    {
        "mse": mse,
        "mae": mae,
        "mape": mape,
        "msle": msle,
        "kld": kld,
        "huber_loss": huber,
        "logcosh": log_cosh,
        "kl_div": kl_divergence,
    }
)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Weight per-sample ``values`` and reduce them to a scalar as Keras does."""
    if sample_weight is not None:
        w = np.asarray(
            sample_weight.numpy() if isinstance(sample_weight, Tensor) else sample_weight,
            dtype=values.dtype,
        )
        while w.ndim > values.ndim and w.shape[-1] == 1:
            w = w.reshape(w.shape[:-1])
        while w.ndim < values.ndim:
            w = w[..., None]
        values = values * Tensor(w)
    if reduction is None or reduction == "none":
        return values
    total = _sum(values)
    if reduction == "sum":
        return total
    return total / max(int(np.prod(values.shape)), 1)


class Loss:
    """``loss(y_true, y_pred, sample_weight=None)`` -> the reduced scalar Tensor."""

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        if reduction not in (
            "sum_over_batch_size",
            "sum",
            "mean",
            "none",
            None,
            "mean_with_sample_weight",
        ):
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}")
        self.name = name or K.to_snake_case(type(self).__name__)
        self.reduction = reduction

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        return reduce_values(self.call(y_true, y_pred), sample_weight, self.reduction)

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}


class LossFunctionWrapper(Loss):
    def __init__(self, fn, name=None, reduction="sum_over_batch_size", **kwargs):
        super().__init__(name=name or fn.__name__, reduction=reduction)
        self.fn, self.fn_kwargs = fn, kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)


def _wrapper(fn, default_name, **defaults):
    def init(self, *args, name=default_name, reduction="sum_over_batch_size", dtype=None, **kwargs):
        names = list(defaults)
        options = {**defaults, **dict(zip(names, args)), **kwargs}
        unknown = set(options) - set(defaults)
        if unknown:
            raise TypeError(f"{type(self).__name__}: unexpected argument(s) {sorted(unknown)}")
        LossFunctionWrapper.__init__(self, fn, name=name, reduction=reduction, **options)

    return init


def _loss_class(class_name, fn, default_name, **defaults):
    cls = type(
        class_name, (LossFunctionWrapper,), {"__init__": _wrapper(fn, default_name, **defaults)}
    )
    cls.__doc__ = f"Keras's ``{class_name}``: :func:`{fn.__name__}` reduced over the batch."
    cls.__module__ = __name__
    return cls


BinaryCrossentropy = _loss_class(
    "BinaryCrossentropy",
    binary_crossentropy,
    "binary_crossentropy",
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
)
CategoricalCrossentropy = _loss_class(
    "CategoricalCrossentropy",
    categorical_crossentropy,
    "categorical_crossentropy",
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
)
SparseCategoricalCrossentropy = _loss_class(
    "SparseCategoricalCrossentropy",
    sparse_categorical_crossentropy,
    "sparse_categorical_crossentropy",
    from_logits=False,
    ignore_class=None,
    axis=-1,
)
MeanSquaredError = _loss_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _loss_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _loss_class(
    "MeanAbsolutePercentageError", mean_absolute_percentage_error, "mean_absolute_percentage_error"
)
MeanSquaredLogarithmicError = _loss_class(
    "MeanSquaredLogarithmicError", mean_squared_logarithmic_error, "mean_squared_logarithmic_error"
)
Huber = _loss_class("Huber", huber, "huber_loss", delta=1.0)
LogCosh = _loss_class("LogCosh", log_cosh, "log_cosh")
Hinge = _loss_class("Hinge", hinge, "hinge")
KLDivergence = _loss_class("KLDivergence", kl_divergence, "kl_divergence")
Poisson = _loss_class("Poisson", poisson, "poisson")

_CLASSES = {
    "BinaryCrossentropy": BinaryCrossentropy,
    "CategoricalCrossentropy": CategoricalCrossentropy,
    "SparseCategoricalCrossentropy": SparseCategoricalCrossentropy,
    "MeanSquaredError": MeanSquaredError,
    "MeanAbsoluteError": MeanAbsoluteError,
    "Huber": Huber,
}


def get(identifier):
    """A name ("binary_crossentropy", "mse", "BinaryCrossentropy"), a Loss, or a function
    ``fn(y_true, y_pred)``."""
    if isinstance(identifier, str):
        if identifier in _FUNCTIONS:
            return _FUNCTIONS[identifier]
        if identifier in _CLASSES:
            return _CLASSES[identifier]()
        raise ValueError(
            f"Unknown loss {identifier!r}; expected one of {sorted(_FUNCTIONS)} or a Loss object"
        )
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret loss {identifier!r}: expected a name or a callable")
