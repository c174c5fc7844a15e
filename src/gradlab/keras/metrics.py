"""Metrics, as ``keras.metrics``: stateful objects with ``update_state(y_true, y_pred,
sample_weight=None)``, ``result()`` and ``reset_state()``, and the per-sample functions
behind them. Values are NumPy (metrics are not differentiated).

A mean metric accumulates Σ value·weight and Σ weight over an epoch (float32, as Keras's
variables), so ``accuracy`` after an epoch is the fraction of samples right so far. In
``compile(metrics=["accuracy"])`` the name picks binary, sparse categorical or categorical
accuracy from the loss's targets and the model's output, as Keras does.
"""

from __future__ import annotations

import numpy as np

from gradlab.keras import backend as K
from gradlab.keras import losses as L


def _np(value, dtype=None):
    value = K.convert_to_numpy(value)
    return value.astype(dtype, copy=False) if dtype is not None else value


def _same_rank(y_true, y_pred):
    t, p = y_true.ndim, y_pred.ndim
    if t == p + 1 and y_true.shape[-1] == 1:
        return y_true.reshape(y_true.shape[:-1]), y_pred
    if p == t + 1 and y_pred.shape[-1] == 1:
        if t == 1:
            return y_true.reshape(-1, 1), y_pred
        return y_true, y_pred.reshape(y_pred.shape[:-1])
    return y_true, y_pred


def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true, y_pred = _same_rank(_np(y_true), _np(y_pred))
    pred = (y_pred > threshold).astype(y_true.dtype)
    return (y_true == pred).astype(np.float32)


def categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _np(y_true), _np(y_pred)
    return (np.argmax(y_true, -1) == np.argmax(y_pred, -1)).astype(np.float32)


def sparse_categorical_accuracy(y_true, y_pred):
    y_true, y_pred = _np(y_true), _np(y_pred)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.reshape(y_true.shape[:-1])
    return (y_true.astype(np.int64) == np.argmax(y_pred, -1)).astype(np.float32)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    top = np.argsort(-_np(y_pred), axis=-1, kind="stable")[..., :k]
    return np.any(top == np.argmax(_np(y_true), -1)[..., None], axis=-1).astype(np.float32)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    y_true = _np(y_true).reshape(-1).astype(np.int64)
    top = np.argsort(-_np(y_pred), axis=-1, kind="stable")[..., :k]
    return np.any(top == y_true[:, None], axis=-1).astype(np.float32)


def _loss_metric(fn):
    def metric(y_true, y_pred, **kwargs):
        return _np(fn(y_true, _np(y_pred, np.float32), **kwargs))

    metric.__name__ = fn.__name__
    return metric


class Metric:
    """Base class: ``update_state``, ``result``, ``reset_state``; ``name``."""

    def __init__(self, name=None, dtype=None):
        self.name = name or K.to_snake_case(type(self).__name__)
        self.reset_state()

    def reset_state(self):
        pass

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def __call__(self, y_true, y_pred, sample_weight=None):
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()


class Mean(Metric):
    """The weighted mean of the values seen: Σ v·w / Σ w (float32 accumulators)."""

    def reset_state(self):
        self.total, self.count = np.float32(0.0), np.float32(0.0)

    def update_state(self, values, sample_weight=None):
        values = np.asarray(_np(values), dtype=np.float32)
        if sample_weight is None:
            self.total += np.float32(values.sum())
            self.count += np.float32(values.size)
            return
        w = np.asarray(_np(sample_weight), dtype=np.float32)
        while w.ndim > values.ndim and w.shape[-1] == 1:
            w = w.reshape(w.shape[:-1])
        if values.ndim > w.ndim:  # per-sample weights over per-element values
            values = values.reshape(values.shape[: w.ndim] + (-1,)).mean(-1)
        w = np.broadcast_to(w, values.shape)
        self.total += np.float32((values * w).sum())
        self.count += np.float32(w.sum())

    def result(self):
        return float(self.total / self.count) if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred)`` over every sample seen."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self.fn, self.fn_kwargs = fn, kwargs
        super().__init__(name=name or getattr(fn, "__name__", "metric"))

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self.fn(y_true, y_pred, **self.fn_kwargs), sample_weight)


def _wrapper_class(class_name, fn, default_name, **defaults):
    def init(self, name=default_name, dtype=None, **kwargs):
        MeanMetricWrapper.__init__(self, fn, name=name, **{**defaults, **kwargs})

    cls = type(class_name, (MeanMetricWrapper,), {"__init__": init})
    cls.__module__ = __name__
    return cls


BinaryAccuracy = _wrapper_class("BinaryAccuracy", binary_accuracy, "binary_accuracy", threshold=0.5)
CategoricalAccuracy = _wrapper_class(
    "CategoricalAccuracy", categorical_accuracy, "categorical_accuracy"
)
SparseCategoricalAccuracy = _wrapper_class(
    "SparseCategoricalAccuracy", sparse_categorical_accuracy, "sparse_categorical_accuracy"
)
TopKCategoricalAccuracy = _wrapper_class(
    "TopKCategoricalAccuracy", top_k_categorical_accuracy, "top_k_categorical_accuracy", k=5
)
mean_squared_error = mse = _loss_metric(L.mean_squared_error)
mean_absolute_error = mae = _loss_metric(L.mean_absolute_error)
binary_crossentropy = _loss_metric(L.binary_crossentropy)
categorical_crossentropy = _loss_metric(L.categorical_crossentropy)
sparse_categorical_crossentropy = _loss_metric(L.sparse_categorical_crossentropy)
MeanSquaredError = _wrapper_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")


class RootMeanSquaredError(Mean):
    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _same_rank(_np(y_true, np.float32), _np(y_pred, np.float32))
        super().update_state(np.square(y_true - y_pred), sample_weight)

    def result(self):
        return float(np.sqrt(super().result()))


class _Confusion(Metric):
    """Counts of true/false positives over predictions thresholded at ``thresholds``."""

    def __init__(self, thresholds=None, name=None, dtype=None):
        self.threshold = 0.5 if thresholds is None else float(thresholds)
        super().__init__(name=name)

    def reset_state(self):
        self.tp = self.fp = self.fn = np.float32(0.0)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _same_rank(_np(y_true, np.float32), _np(y_pred, np.float32))
        pred = y_pred > self.threshold
        truth = y_true > 0.5
        w = (
            np.ones_like(y_pred)
            if sample_weight is None
            else np.broadcast_to(
                np.asarray(_np(sample_weight), np.float32).reshape(-1, *([1] * (y_pred.ndim - 1))),
                y_pred.shape,
            )
        )
        self.tp += np.float32((w * (pred & truth)).sum())
        self.fp += np.float32((w * (pred & ~truth)).sum())
        self.fn += np.float32((w * (~pred & truth)).sum())


class Precision(_Confusion):
    def result(self):
        d = self.tp + self.fp
        return float(self.tp / d) if d else 0.0


class Recall(_Confusion):
    def result(self):
        d = self.tp + self.fn
        return float(self.tp / d) if d else 0.0


_BY_NAME = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "mean_absolute_error": MeanAbsoluteError,
    "rmse": RootMeanSquaredError,
    "root_mean_squared_error": RootMeanSquaredError,
    "precision": Precision,
    "recall": Recall,
}


def get(identifier, y_true=None, y_pred=None) -> Metric:
    """A Metric for a name, a Metric, a Metric class or a function ``fn(y_true, y_pred)``.
    "accuracy"/"acc" needs ``y_true`` and ``y_pred`` (arrays or shapes) to pick its kind."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in ("accuracy", "acc"):
            t_shape, p_shape = _shape(y_true), _shape(y_pred)
            if p_shape[-1] == 1:
                metric = BinaryAccuracy()
            elif len(t_shape) < len(p_shape) or (t_shape[-1] == 1 and p_shape[-1] > 1):
                metric = SparseCategoricalAccuracy()
            else:
                metric = CategoricalAccuracy()
            metric.name = identifier
            return metric
        key = K.to_snake_case(identifier) if identifier not in _BY_NAME else identifier
        if key not in _BY_NAME:
            raise ValueError(
                f"Unknown metric {identifier!r}; expected 'accuracy' or one of {sorted(_BY_NAME)}"
            )
        metric = _BY_NAME[key]()
        metric.name = identifier
        return metric
    if callable(identifier):
        return MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise TypeError(f"Could not interpret metric {identifier!r}")


def _shape(value):
    if isinstance(value, tuple):
        return value
    shape = getattr(value, "shape", None)
    return tuple(shape) if shape is not None else np.shape(value)
