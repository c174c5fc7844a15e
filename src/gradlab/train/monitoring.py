"""Callbacks that watch a monitored value and act on it: :class:`EarlyStopping`,
:class:`ModelCheckpoint` and :class:`TerminateOnNaN` (Keras's semantics)."""

from __future__ import annotations

import math
import os

import numpy as np

from gradlab.train import checkpoint
from gradlab.train.callback_base import Callback
from gradlab.train.metrics import higher_is_better


def monitored_value(name: str, monitor: str, logs: dict) -> float:
    """``logs[monitor]`` as a float; ValueError from callback ``name`` listing the logged names."""
    if monitor not in logs:
        raise ValueError(
            f"{name}: monitor={monitor!r} is not in the logs; logged names are "
            f"{sorted(logs)} (validation metrics need validation_data)"
        )
    return float(logs[monitor])


def monitor_mode(name: str, mode: str, monitor: str) -> str:
    """The direction of ``mode``: "min" or "max" ("auto": "max" for accuracy-like names)."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{name}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if higher_is_better(monitor) else "min"
    return mode


def _finite_weights(model) -> bool:
    return all(np.isfinite(p.numpy()).all() for p in model.parameters())


def _copy_state(model) -> dict:
    return {k: np.array(v.data if hasattr(v, "data") else v, copy=True)
            for k, v in model.state_dict().items()}  # fmt: skip


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs. ``restore_best_weights``: on stopping, load the weights of the best epoch.
    ``mode="auto"`` maximizes accuracy-like names and minimizes the rest."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto",
                 restore_best_weights=False, verbose=0):  # fmt: skip
        self.monitor, self.patience, self.verbose = monitor, int(patience), verbose
        self.mode = monitor_mode("EarlyStopping", mode, monitor)
        self.min_delta = abs(float(min_delta))
        self.restore_best_weights = restore_best_weights
        self._reset()

    def _reset(self):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_weights = None

    def _improved(self, current, best) -> bool:
        if self.mode == "min":
            return current + self.min_delta < best
        return current - self.min_delta > best

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = monitored_value("EarlyStopping", self.monitor, logs or {})
        self.wait += 1
        if self._improved(current, self.best):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = _copy_state(self.trainer.model)
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.trainer.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                self.trainer.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(f"EarlyStopping: stopped at epoch {epoch + 1}; best {self.monitor} "
                      f"{self.best:.6g} at epoch {self.best_epoch + 1}")  # fmt: skip

    def state_dict(self) -> dict:
        return {"wait": self.wait, "stopped_epoch": self.stopped_epoch, "best": self.best,
                "best_epoch": self.best_epoch, "best_weights": self.best_weights}  # fmt: skip

    def load_state_dict(self, state: dict) -> None:
        self.wait, self.stopped_epoch = int(state["wait"]), int(state["stopped_epoch"])
        self.best, self.best_epoch = float(state["best"]), int(state["best_epoch"])
        self.best_weights = state.get("best_weights")


def template_fields(path: str) -> list[str]:
    """The names a ``str.format`` path template uses: ``"m-{epoch:02d}-{val_loss:.3f}"`` ->
    ``["epoch", "val_loss"]``; ValueError for a template ``format`` cannot fill by name."""
    import string

    names = []
    try:
        for _, field, _, _ in string.Formatter().parse(path):
            if field is None:
                continue
            name = field.split(".")[0].split("[")[0]
            if not name or name.isdigit():
                raise ValueError(f"{{{field}}} is positional; name a logged value, e.g. {{epoch}}")
            if name not in names:
                names.append(name)
    except ValueError as error:
        raise ValueError(f"ModelCheckpoint: path template {path!r}: {error}") from None
    return names


class ModelCheckpoint(Callback):
    """Save ``model.state_dict()`` with :func:`gradlab.train.checkpoint.save` at the end of
    each epoch (or only when ``monitor`` improves, with ``save_best_only``). ``path`` may
    hold ``{epoch}`` and logged names, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.safetensors"``
    (epoch 1-based). Never writes weights that are not finite (after a NaN).

    Checked before the first epoch (``on_train_begin``): the template names only values
    training logs (``epoch``, ``loss``, ``lr``, the trainer's metrics and their ``val_``
    twins), and its directory is created (as Keras does) or the error raised there."""

    chief_only = True

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="auto"):
        self.path, self.monitor, self.save_best_only = str(path), monitor, save_best_only
        self.fields = template_fields(self.path)
        self.mode = monitor_mode("ModelCheckpoint", mode, monitor)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.skipped: list[int] = []

    def on_train_begin(self, logs=None):
        trainer = self.trainer
        metrics = [m.name for m in getattr(trainer, "metrics", [])]
        logged = ["loss", *metrics]
        possible = ["epoch", "lr", *logged, *(f"val_{n}" for n in logged)]
        unknown = [f for f in self.fields if f not in possible]
        if unknown:
            raise ValueError(
                f"ModelCheckpoint: path {self.path!r} names {', '.join(map(repr, unknown))}, "
                f"which training never logs; it logs {', '.join(possible)}"
            )
        if self.save_best_only and self.monitor not in possible:
            raise ValueError(
                f"ModelCheckpoint: monitor={self.monitor!r} is never logged; training logs "
                f"{', '.join(possible)}"
            )
        # the part of the directory before any {field}: the same for every epoch
        directory = os.path.dirname(self.path.split("{", 1)[0])
        if directory:
            try:
                os.makedirs(directory, exist_ok=True)
            except OSError as error:
                raise ValueError(
                    f"ModelCheckpoint: cannot create the directory {directory!r} of path "
                    f"{self.path!r}: {error.strerror or error}"
                ) from None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        model = self.trainer.model
        if not math.isfinite(float(logs.get("loss", 0.0))) or not _finite_weights(model):
            self.skipped.append(epoch)
            return
        if self.save_best_only:
            current = monitored_value("ModelCheckpoint", self.monitor, logs)
            better = current < self.best if self.mode == "min" else current > self.best
            if not better:
                return
            self.best = current
        values = {**logs, "epoch": epoch + 1}
        missing = [f for f in self.fields if f not in values]
        if missing:
            raise ValueError(
                f"ModelCheckpoint: path {self.path!r} names {', '.join(map(repr, missing))}, "
                f"which is not in the logs; logged names are {sorted(values)}"
            )
        path = self.path.format(**values)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        checkpoint.save(model.state_dict(), path)

    def state_dict(self) -> dict:
        return {"best": self.best, "skipped": list(self.skipped)}

    def load_state_dict(self, state: dict) -> None:
        self.best = float(state["best"])
        self.skipped = [int(e) for e in state.get("skipped", [])]


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch loss is NaN or infinite, with a message naming the
    epoch and batch (1-based, as printed by the progress bar). ``message`` keeps it."""

    def __init__(self):
        self.message = None

    def on_batch_end(self, batch, logs=None):
        loss = float((logs or {}).get("loss", 0.0))
        if not math.isfinite(loss):
            epoch = self.trainer.epoch
            self.message = (f"TerminateOnNaN: loss is {loss} at epoch {epoch + 1}, batch "
                            f"{batch + 1}; stopping training")  # fmt: skip
            print(self.message)
            self.trainer.stop_training = True

    def state_dict(self) -> dict:
        return {"message": self.message}

    def load_state_dict(self, state: dict) -> None:
        self.message = state.get("message")
