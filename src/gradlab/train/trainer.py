"""``Trainer``: Keras's ``fit`` / ``evaluate`` / ``predict`` around a gradlab model, loss and
optimizer, with metrics, callbacks, an lr scheduler and a tqdm progress bar.

Data may be NumPy arrays or Tensors ``(x, y)``, a :class:`~gradlab.data.Dataset` whose items
are ``(x, y)``, or a :class:`~gradlab.data.DataLoader` yielding ``[x, y]`` batches.
"""

from __future__ import annotations

import math
import sys

import numpy as np
from tqdm.auto import tqdm

from gradlab import autograd
from gradlab.backend import get_default_dtype
from gradlab.data.dataset import Dataset, TensorDataset
from gradlab.data.loader import DataLoader
from gradlab.optim.lr_scheduler.plateau import ReduceLROnPlateau
from gradlab.tensor import Tensor
from gradlab.train import metrics as M
from gradlab.train.callbacks import Callback, CallbackList
from gradlab.train.history import History

_CLASSIFICATION = {"accuracy": M.accuracy, "acc": M.accuracy, "precision": M.precision,
                   "recall": M.recall, "f1": M.f1}  # fmt: skip
_REGRESSION = {"mae": M.mae, "rmse": M.rmse, "r2": M.r2}
_CLASS_INDEX_LOSSES = ("CrossEntropyLoss", "NLLLoss")
_BINARY_LOSSES = ("BCELoss", "BCEWithLogitsLoss")


def _array(value) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


def _labels_average(t: np.ndarray, p: np.ndarray) -> str:
    """ "binary" for 0/1 labels, "macro" otherwise (precision/recall/F1 averaging)."""
    labels = np.union1d(t, p)
    return "binary" if set(labels.tolist()) <= {0, 1} else "macro"


def _with_context(exc: Exception, message: str) -> Exception:
    """An exception of the same type as ``exc`` with ``message`` (RuntimeError when that
    type cannot be built from one message)."""
    try:
        return type(exc)(message)
    except Exception:
        return RuntimeError(message)


class _Metric:
    """A named metric computed over a whole epoch's outputs and targets."""

    def __init__(self, spec, loss):
        if isinstance(spec, str):
            key = spec.lower()
            if key not in _CLASSIFICATION and key not in _REGRESSION:
                known = sorted(set(_CLASSIFICATION) | set(_REGRESSION))
                raise ValueError(f"Trainer: unknown metric {spec!r}; expected one of {known}")
            self.name = "accuracy" if key == "acc" else key
            self.fn = _CLASSIFICATION.get(key) or _REGRESSION[key]
            self.classification = key in _CLASSIFICATION
        elif callable(spec):  # fn(y_true, y_pred) on labels from predictions_from_output
            self.name = getattr(spec, "__name__", type(spec).__name__)
            self.fn, self.classification = spec, True
        else:
            raise TypeError(f"Trainer: a metric must be a name or a callable, got {spec!r}")
        self.loss = loss

    def __call__(self, output: np.ndarray, target: np.ndarray) -> float:
        if not self.classification:
            return self.fn(
                target.reshape(len(target), -1)[:, 0], output.reshape(len(output), -1)[:, 0]
            )
        pred = M.predictions_from_output(output, self.loss)
        target = target.reshape(-1) if target.ndim == 2 and target.shape[1] == 1 else target
        if self.fn in (M.precision, M.recall, M.f1):
            return self.fn(target, pred, average=_labels_average(target, pred))
        return self.fn(target, pred)


class Trainer:
    """Train ``model`` on ``loss`` with ``optimizer``.

    Args:
        model: a :class:`~gradlab.nn.Module` mapping a batch x (B, ...) to an output (B, ...).
        loss: a loss module ``loss(output, target)`` returning a scalar Tensor.
        optimizer: an optimizer over the model's parameters.
        metrics: names ("accuracy", "precision", "recall", "f1", "mae", "rmse", "r2") or
            callables ``fn(y_true, y_pred)``; classification metrics see predicted labels
            (``predictions_from_output``: argmax of class scores, logit > 0, probability > 0.5).
        callbacks: :class:`~gradlab.train.callbacks.Callback` objects.
        scheduler: an lr scheduler stepped once per epoch (``ReduceLROnPlateau`` gets
            "val_loss" when there is validation data, else "loss").

    ``stop_training``: set to True (by a callback) to stop after the current batch.
    """

    def __init__(self, model, loss, optimizer, metrics=(), callbacks=(), scheduler=None):
        self.model, self.loss, self.optimizer, self.scheduler = model, loss, optimizer, scheduler
        self.metrics = [_Metric(m, loss) for m in metrics]
        self.callbacks = CallbackList(list(callbacks), self)
        self.stop_training = False
        self.history = History()
        self.epoch = 0

    # ------------------------------------------------------------------ data
    def _loader(self, where, x, y, batch_size, shuffle=False, generator=None) -> DataLoader:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"{where}: batch_size must be a positive integer, got {batch_size!r}")
        if batch_size <= 0:
            raise ValueError(f"{where}: batch_size must be a positive integer, got {batch_size}")
        if isinstance(x, DataLoader):
            if y is not None:
                raise ValueError(f"{where}: x is a DataLoader, so y must be None (got y)")
            if len(x.dataset) == 0:
                raise ValueError(f"{where}: the data is empty (0 samples)")
            return x
        if isinstance(x, Dataset):
            if y is not None:
                raise ValueError(f"{where}: x is a Dataset, so y must be None (got y)")
            dataset = x
        else:
            dataset = self._arrays_dataset(where, x, y)
        if len(dataset) == 0:
            raise ValueError(f"{where}: the data is empty (0 samples)")
        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)

    @staticmethod
    def _arrays_dataset(where, x, y) -> TensorDataset:
        xa = _array(x)
        if xa.ndim == 0:
            raise ValueError(f"{where}: x is a scalar; expected an array of shape (N, ...)")
        if xa.dtype.kind == "f" and xa.dtype != get_default_dtype():
            xa = xa.astype(get_default_dtype())
        if xa.shape[0] == 0:
            raise ValueError(f"{where}: the data is empty (x has shape {xa.shape})")
        if y is None:
            return TensorDataset(xa)
        ya = _array(y)
        if ya.ndim == 0 or ya.shape[0] != xa.shape[0]:
            raise ValueError(
                f"{where}: x and y have different lengths: x has {xa.shape[0]} samples "
                f"(shape {xa.shape}), y has {ya.shape[0] if ya.ndim else 0} (shape {ya.shape})"
            )
        if ya.dtype.kind == "f" and ya.dtype != get_default_dtype():
            ya = ya.astype(get_default_dtype())
        return TensorDataset(xa, ya)

    @staticmethod
    def _split(batch):
        """``(x, y)`` of a batch (y None when the batch has one field)."""
        if isinstance(batch, (list, tuple)):
            return batch[0], (batch[1] if len(batch) > 1 else None)
        return batch, None

    def _target(self, output: Tensor, y):
        """The target in the form the loss expects: float for non-class-index losses, a
        (N,) column reshaped to the output's (N, 1)."""
        if y is None:
            raise ValueError("Trainer: the batch has no targets (expected (x, y) pairs)")
        y = y if isinstance(y, Tensor) else Tensor(np.asarray(y))
        if type(self.loss).__name__ not in _CLASS_INDEX_LOSSES:
            if y.data.dtype.kind in "iub":
                y = Tensor(y.data.astype(output.data.dtype))
            if y.ndim == 1 and output.ndim == 2 and output.shape == (y.shape[0], 1):
                y = Tensor(y.data.reshape(-1, 1))
        return y

    def _check(self, loader: DataLoader) -> None:
        """One batch through the model and loss under no_grad, and the labels' range,
        before any training step: bad input fails with a clear error, weights untouched."""
        # an unshuffled first batch: the probe draws nothing from any generator
        probe = DataLoader(loader.dataset, loader.batch_size, collate_fn=loader.collate_fn)
        x, y = self._split(next(iter(probe)))
        was_training = self.model.training
        self.model.eval()
        try:
            with autograd.no_grad():
                try:
                    output = self.model(x)
                except Exception as exc:
                    raise _with_context(
                        exc,
                        f"fit: the model cannot take input of shape {tuple(x.shape)} "
                        f"(a batch of samples of shape {tuple(x.shape[1:])}): {exc}",
                    ) from exc
                self._check_labels(loader, output, y)
                target = self._target(output, y)
                try:
                    self.loss(output, target)
                except Exception as exc:
                    raise _with_context(
                        exc,
                        f"fit: {type(self.loss).__name__} cannot take the model's output of "
                        f"shape {tuple(output.shape)} with targets of shape "
                        f"{tuple(target.shape)}: {exc}",
                    ) from exc
        finally:
            self.model.train(was_training)

    def _check_labels(self, loader, output, y_batch) -> None:
        name = type(self.loss).__name__
        dataset = loader.dataset
        if isinstance(dataset, TensorDataset) and len(dataset.tensors) > 1:
            labels = dataset.tensors[1]
        else:
            labels = _array(y_batch) if y_batch is not None else None
        if labels is None or labels.size == 0:
            return
        if name in _CLASS_INDEX_LOSSES and output.ndim >= 2:
            classes = output.shape[1]
            if labels.dtype.kind not in "iu":
                raise TypeError(
                    f"fit: {name} needs integer class labels, got y of dtype {labels.dtype}"
                )
            ignore = getattr(self.loss, "ignore_index", None)
            bad = ((labels < 0) | (labels >= classes)) & (labels != ignore)
            if bad.any():
                raise ValueError(
                    f"fit: labels out of range for {name}: the model outputs {classes} classes "
                    f"(output shape {tuple(output.shape)}), so labels must be in [0, {classes}); "
                    f"y holds {int(labels[bad].reshape(-1)[0])} (labels range "
                    f"{int(labels.min())}..{int(labels.max())})"
                )
        elif name in _BINARY_LOSSES and ((labels < 0) | (labels > 1)).any():
            raise ValueError(
                f"fit: labels out of range for {name}: targets must be in [0, 1], y ranges "
                f"{labels.min()}..{labels.max()}"
            )

    # ------------------------------------------------------------------ fit
    def fit(self, x, y=None, epochs=1, batch_size=32, validation_data=None,
            validation_split=0.0, shuffle=True, verbose=1, generator=None) -> History:  # fmt: skip
        """Train for ``epochs`` epochs; return the :class:`History` (per-epoch "loss",
        metrics, "val_loss"/"val_<metric>" with validation data, and "lr")."""
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
        if not 0.0 <= validation_split < 1.0:
            raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split}")
        if validation_split > 0.0:
            if validation_data is not None:
                raise ValueError("fit: give validation_data or validation_split, not both")
            if isinstance(x, (Dataset, DataLoader)):
                raise ValueError(
                    "fit: validation_split needs array inputs (x, y); for a Dataset or "
                    "DataLoader pass validation_data"
                )
            xa, ya = _array(x), _array(y) if y is not None else None
            n_val = int(math.floor(len(xa) * validation_split))
            if n_val == 0 or n_val == len(xa):
                raise ValueError(
                    f"fit: validation_split={validation_split} of {len(xa)} samples leaves "
                    f"{n_val} for validation and {len(xa) - n_val} for training"
                )
            validation_data = (xa[-n_val:], ya[-n_val:] if ya is not None else None)
            x, y = xa[:-n_val], (ya[:-n_val] if ya is not None else None)
        loader = self._loader("fit", x, y, batch_size, shuffle, generator)
        val_loader = None
        if validation_data is not None:
            vx, vy = (validation_data if isinstance(validation_data, (tuple, list))
                      else (validation_data, None))  # fmt: skip
            val_loader = self._loader("fit (validation_data)", vx, vy, batch_size)
        self._check(loader)
        if val_loader is not None:
            self._check(val_loader)

        self.stop_training = False
        self.history = History()
        show = _Progress(verbose, epochs, len(loader))
        self.callbacks.on_train_begin({})
        for epoch in range(epochs):
            self.epoch = epoch
            self.callbacks.on_epoch_begin(epoch, {})
            lr = float(self.optimizer.param_groups[0]["lr"])  # the lr this epoch starts with
            logs = self._train_epoch(epoch, loader, show)
            if val_loader is not None:
                logs.update({f"val_{k}": v for k, v in self._evaluate(val_loader).items()})
            logs["lr"] = lr
            self._step_scheduler(logs)
            self.history.append(epoch, logs)
            show.epoch_end(epoch, logs)
            self.callbacks.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        self.callbacks.on_train_end(dict(logs) if epochs and self.history.epoch else {})
        return self.history

    def _train_epoch(self, epoch, loader, show) -> dict:
        self.model.train()
        total, count, outputs, targets = 0.0, 0, [], []
        bar = show.bar(epoch)
        for index, batch in enumerate(loader):
            self.callbacks.on_batch_begin(index, {})
            xb, yb = self._split(batch)
            self.optimizer.zero_grad()
            output = self.model(xb)
            target = self._target(output, yb)
            loss = self.loss(output, target)
            loss.backward()
            self.optimizer.step()
            value, n = float(loss.data), output.shape[0]
            total, count = total + value * n, count + n
            if self.metrics:
                outputs.append(output.data.copy())
                targets.append(target.data)
            bar.update(total / count)
            self.callbacks.on_batch_end(index, {"batch": index, "size": n, "loss": value})
            if self.stop_training:
                break
        bar.close()
        logs = {"loss": total / count if count else math.nan}
        if self.metrics and outputs:
            logs.update(self._metric_logs(np.concatenate(outputs), np.concatenate(targets)))
        return logs

    def _metric_logs(self, output, target) -> dict:
        if not np.isfinite(output).all():
            return {m.name: math.nan for m in self.metrics}
        return {m.name: m(output, target) for m in self.metrics}

    def _step_scheduler(self, logs: dict) -> None:
        if self.scheduler is None:
            return
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(logs.get("val_loss", logs["loss"]))
        else:
            self.scheduler.step()

    # ------------------------------------------------------------------ evaluate / predict
    def _evaluate(self, loader) -> dict:
        self.model.eval()
        total, count, outputs, targets = 0.0, 0, [], []
        with autograd.no_grad():
            for batch in loader:
                xb, yb = self._split(batch)
                output = self.model(xb)
                target = self._target(output, yb)
                n = output.shape[0]
                total, count = total + float(self.loss(output, target).data) * n, count + n
                outputs.append(output.data)
                targets.append(target.data)
        logs = {"loss": total / count}
        if self.metrics:
            logs.update(self._metric_logs(np.concatenate(outputs), np.concatenate(targets)))
        return logs

    def evaluate(self, x, y=None, batch_size=32) -> dict:
        """Loss and metrics on ``(x, y)`` with the model in eval mode, without gradients."""
        loader = self._loader("evaluate", x, y, batch_size)
        was_training = self.model.training
        try:
            return self._evaluate(loader)
        finally:
            self.model.train(was_training)

    def predict(self, x, batch_size=32) -> np.ndarray:
        """The model's outputs for ``x`` (arrays, Tensor, Dataset or DataLoader; for
        (x, y) items only x is used), concatenated into one NumPy array (N, ...)."""
        loader = self._loader("predict", x, None, batch_size)
        was_training = self.model.training
        self.model.eval()
        try:
            with autograd.no_grad():
                return np.concatenate([self.model(self._split(b)[0]).data for b in loader])
        finally:
            self.model.train(was_training)


class _NoBar:
    def update(self, loss):
        pass

    def close(self):
        pass


class _Bar:
    def __init__(self, epoch, epochs, steps):
        self.bar = tqdm(total=steps, desc=f"Epoch {epoch + 1}/{epochs}", leave=True,
                        file=sys.stdout, dynamic_ncols=True)  # fmt: skip

    def update(self, loss):
        self.bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        self.bar.update(1)

    def close(self):
        self.bar.close()


class _Progress:
    """verbose=0: silent; 1: a tqdm bar per epoch on a terminal, else one line per epoch;
    2: one line per epoch."""

    def __init__(self, verbose, epochs, steps):
        self.verbose, self.epochs, self.steps = verbose, epochs, steps
        self.tty = verbose == 1 and sys.stdout.isatty()

    def bar(self, epoch):
        return _Bar(epoch, self.epochs, self.steps) if self.tty else _NoBar()

    def epoch_end(self, epoch, logs):
        if self.verbose:
            items = " - ".join(f"{k}: {v:.4g}" for k, v in logs.items())
            tqdm.write(f"Epoch {epoch + 1}/{self.epochs} - {items}", file=sys.stdout)


__all__ = ["Callback", "Trainer"]
