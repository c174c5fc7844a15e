"""The callbacks that watch a logged value, as Keras 3's (checked against Keras):
EarlyStopping, ReduceLROnPlateau and ModelCheckpoint. An improvement is ``current - min_delta``
beyond the best value in the monitored direction ("auto": accuracy-like names up, losses down).
"""

from __future__ import annotations

import warnings

import numpy as np

from gradlab.keras.callbacks.base import Callback

_UP = {
    "accuracy",
    "acc",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "auc",
    "precision",
    "recall",
    "f1_score",
}
_DOWN = {
    "loss",
    "mae",
    "mse",
    "mean_absolute_error",
    "mean_squared_error",
    "root_mean_squared_error",
    "rmse",
}


class _Monitor(Callback):
    """The shared part of EarlyStopping, ReduceLROnPlateau and ModelCheckpoint: improvement
    means ``current - min_delta`` beyond ``best`` in the monitored direction."""

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{type(self).__name__} mode {mode!r} is unknown, fallback to auto mode.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor, self.mode, self.best = monitor, mode, baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        if self.mode == "min":
            self.monitor_op = np.less
        elif self.mode == "max":
            self.monitor_op = np.greater
        else:
            name = self.monitor.removeprefix("val_")
            if name in _DOWN or name.endswith("_loss"):
                self.monitor_op = np.less
            elif name in _UP or name.endswith("accuracy"):
                self.monitor_op = np.greater
            else:
                raise ValueError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but "
                    f"Keras isn't able to automatically determine whether that metric should "
                    f"be maximized or minimized. Pass `mode='max'` in order to monitor based "
                    f"on the highest metric value, or pass `mode='min'` in order to use the "
                    f"lowest value."
                )
        if self.monitor_op is np.less:
            self.min_delta *= -1

    def _is_improvement(self, current, reference) -> bool:
        if reference is None:
            return True
        return bool(self.monitor_op(current - self.min_delta, reference))


class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs (never at epoch 0); ``restore_best_weights`` at the end of training."""

    def __init__(
        self,
        monitor="val_loss",
        min_delta=0,
        patience=0,
        verbose=0,
        mode="auto",
        baseline=None,
        restore_best_weights=False,
        start_from_epoch=0,
    ):
        super().__init__(monitor, mode, baseline, min_delta)
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self.wait = self.stopped_epoch = 0
        self.best_weights, self.best_epoch = None, 0

    def on_train_begin(self, logs=None):
        self.wait = self.stopped_epoch = 0
        self.best, self.best_weights, self.best_epoch = None, None, 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs or {})}",
                stacklevel=2,
            )
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)


class ReduceLROnPlateau(_Monitor):
    """Multiply the rate by ``factor`` once ``monitor`` has not improved (by more than
    ``min_delta``, absolute) for ``patience`` epochs; then wait ``cooldown`` epochs, during
    which bad epochs do not count; never below ``min_lr``. Checked at each epoch's end, so
    the cut applies from the next epoch. Logs ``learning_rate``."""

    def __init__(
        self,
        monitor="val_loss",
        factor=0.1,
        patience=10,
        verbose=0,
        mode="auto",
        min_delta=1e-4,
        cooldown=0,
        min_lr=0.0,
        **kwargs,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            self.min_delta = abs(min_delta)
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau: unexpected argument(s) {sorted(kwargs)}")
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        self.factor, self.min_lr, self.patience = factor, min_lr, patience
        self.verbose, self.cooldown = verbose, cooldown
        self.cooldown_counter = self.wait = 0

    def on_train_begin(self, logs=None):
        self.best, self.cooldown_counter, self.wait = None, 0, 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                f"which is not available. Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old = float(optimizer.learning_rate)
                if old > np.float32(self.min_lr):
                    new = max(old * self.factor, self.min_lr)
                    optimizer.learning_rate = new
                    if self.verbose > 0:
                        print(
                            f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                            f"to {new}."
                        )
                    self.cooldown_counter, self.wait = self.cooldown, 0


class ModelCheckpoint(_Monitor):
    """Save the weights (gradlab's safetensors format, ``model.save_weights``) at each epoch's
    end, or only when ``monitor`` improves with ``save_best_only``. ``filepath`` may hold
    ``{epoch}`` (1-based) and logged names, e.g. ``"w-{epoch:02d}-{val_loss:.2f}.weights.h5"``.
    Whole-model saving (``save_weights_only=False``, ``.keras`` files) is not supported."""

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__(monitor, mode, initial_value_threshold)
        self.filepath, self.verbose = str(filepath), verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        if save_freq != "epoch":
            raise NotImplementedError("ModelCheckpoint: only save_freq='epoch' is supported")
        if not save_weights_only and not self.filepath.endswith((".weights.h5", ".safetensors")):
            raise NotImplementedError(
                f"ModelCheckpoint: saving whole models ({self.filepath!r}) is not supported; "
                f"pass save_weights_only=True with a path ending in '.weights.h5' or "
                f"'.safetensors' (gradlab writes its safetensors format)"
            )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.monitor_op is None:
            self._set_monitor_op()
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"Can save best model only with {self.monitor} available.", stacklevel=2
                )
                return
            if not self._is_improvement(current, self.best):
                return
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best} to "
                    f"{current}, saving model to {path}"
                )
            self.best = current
        self.model.save_weights(path)
