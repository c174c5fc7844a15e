"""Callbacks for :class:`~gradlab.train.trainer.Trainer` (Keras's semantics).

A callback sees the trainer through ``self.trainer`` (``trainer.model``,
``trainer.optimizer``, ``trainer.stop_training``, ``trainer.history``) and gets hooks:
``on_train_begin/end(logs)``, ``on_epoch_begin/end(epoch, logs)``,
``on_batch_begin/end(batch, logs)``. Epochs and batches are 0-based. At the end of an
epoch ``logs`` holds "loss", the metrics, "val_*" and "lr"; at the end of a batch "batch",
"size" and "loss".

``state_dict()`` / ``load_state_dict()`` hold everything a callback needs to go on exactly
from the end of any batch (a resumed ``fit`` calls ``on_train_begin`` and then
``load_state_dict``, and does not call ``on_epoch_begin`` again within an epoch).
"""

from __future__ import annotations

import csv
import io
import math
import os
from pathlib import Path

import numpy as np

from gradlab.optim.lr_scheduler.base import advance, scheduled_lr
from gradlab.train import checkpoint

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
          "on_batch_begin", "on_batch_end")  # fmt: skip
_MAX_NAMES = {"accuracy", "acc", "precision", "recall", "f1", "r2", "auc", "roc_auc"}


class Callback:
    """Base class: every hook is a no-op; override the ones you need.

    ``runs_last``: when True, the callback's hooks run after every other callback's, wherever
    it is in the list (a checkpoint of the training state must see their work).
    ``chief_only``: when True (callbacks that write files), only the chief process of a
    distributed fit runs its hooks (``gradlab.train.strategy``); the others keep its state.
    """

    trainer = None
    runs_last = False
    chief_only = False

    def set_trainer(self, trainer) -> None:
        self.trainer = trainer

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class CallbackList:
    """Calls each hook on every callback, in order (those with ``runs_last`` after the rest).

    ``callbacks``: the callbacks in the order given (a training state lists them so). The
    hooks are bound once here, leaving out the base class's no-ops, so a hook that no
    callback overrides costs one empty call per batch. ``chief``: False leaves out the hooks
    of ``chief_only`` callbacks (a process of a distributed fit other than rank 0).
    """

    def __init__(self, callbacks, trainer, chief=True):
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"Trainer: callbacks must be Callback objects, got {cb!r}")
            cb.set_trainer(trainer)
        self.callbacks = callbacks
        self.chief = chief
        active = [cb for cb in callbacks if self.runs(cb)]
        calling = [cb for cb in active if not cb.runs_last]
        calling += [cb for cb in active if cb.runs_last]
        for hook in _HOOKS:
            methods = [getattr(cb, hook) for cb in calling if _overrides(cb, hook)]
            setattr(self, hook, _call_all(methods))

    def runs(self, callback) -> bool:
        """Whether this list calls ``callback``'s hooks (not for a ``chief_only`` one off
        the chief process)."""
        return self.chief or not callback.chief_only


def _overrides(callback, hook: str) -> bool:
    """Whether ``callback``'s ``hook`` does something (is not Callback's no-op)."""
    method = getattr(callback, hook)
    return getattr(method, "__func__", None) is not getattr(Callback, hook)


def _call_all(methods):
    if not methods:
        return _no_op
    if len(methods) == 1:
        return methods[0]

    def call(*args):
        for method in methods:
            method(*args)

    return call


def _no_op(*args):
    pass


def _monitored(name: str, monitor: str, logs: dict) -> float:
    if monitor not in logs:
        raise ValueError(
            f"{name}: monitor={monitor!r} is not in the logs; logged names are "
            f"{sorted(logs)} (validation metrics need validation_data)"
        )
    return float(logs[monitor])


def _mode(name: str, mode: str, monitor: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{name}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        base = monitor[4:] if monitor.startswith("val_") else monitor
        return "max" if base in _MAX_NAMES else "min"
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
        self.mode = _mode("EarlyStopping", mode, monitor)
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
        current = _monitored("EarlyStopping", self.monitor, logs or {})
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
        self.mode = _mode("ModelCheckpoint", mode, monitor)
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
            current = _monitored("ModelCheckpoint", self.monitor, logs)
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


class LearningRateScheduler(Callback):
    """Step an lr scheduler (``gradlab.optim.lr_scheduler``) after every epoch
    (``per="epoch"``) or every batch (``per="batch"``), as ``Trainer(scheduler=...)`` does
    (:func:`~gradlab.optim.lr_scheduler.advance`: ReduceLROnPlateau gets "val_loss", else
    "loss"). A plain function sets the lr at the
    start of each epoch, as Keras: ``schedule(epoch, lr) -> lr``, or ``schedule(epoch) -> lr``
    (Keras tries the two-argument form first and falls back on a TypeError)."""

    def __init__(self, scheduler, per="epoch"):
        if per not in ("epoch", "batch"):
            raise ValueError(f"LearningRateScheduler: per must be 'epoch' or 'batch', got {per!r}")
        self.scheduler, self.per = scheduler, per

    def _is_function(self) -> bool:
        return not hasattr(self.scheduler, "step")

    def on_epoch_begin(self, epoch, logs=None):
        if self._is_function():
            for group in self.trainer.optimizer.param_groups:
                group["lr"] = float(scheduled_lr(self.scheduler, epoch, group["lr"]))

    def on_batch_end(self, batch, logs=None):
        if self.per == "batch" and not self._is_function():
            advance(self.scheduler, (logs or {}).get("loss"))

    def on_epoch_end(self, epoch, logs=None):
        if self.per == "epoch" and not self._is_function():
            logs = logs or {}
            advance(self.scheduler, logs.get("val_loss", logs.get("loss")))

    def state_dict(self) -> dict:
        return {} if self._is_function() else {"scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        if "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])


class ReduceLROnPlateau(Callback):
    """Keras's ReduceLROnPlateau, step for step: at each epoch's end, an improvement is
    ``monitor`` below best − ``min_delta`` (``mode="min"``; above best + min_delta in "max";
    "auto" maximizes accuracy-like names). After ``patience`` epochs in a row without one
    (the epoch whose ``wait`` reaches ``patience``), every group's lr becomes
    max(lr·factor, min_lr), unless it is already at min_lr; the cut applies from the next
    epoch. Then ``cooldown`` epochs follow in which bad epochs do not count.

    (``optim.lr_scheduler.ReduceLROnPlateau`` is PyTorch's: it cuts one epoch later, after
    more than ``patience`` bad epochs, with a relative threshold.)"""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):  # fmt: skip
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor}")
        self.monitor, self.factor, self.patience = monitor, float(factor), int(patience)
        self.verbose, self.cooldown, self.min_lr = verbose, int(cooldown), float(min_lr)
        self.mode = _mode("ReduceLROnPlateau", mode, monitor)
        self.min_delta = abs(float(min_delta))
        self._reset()

    def _reset(self):
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def _improved(self, current) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return current + self.min_delta < self.best
        return current - self.min_delta > self.best

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = _monitored("ReduceLROnPlateau", self.monitor, logs or {})
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                reduced = False
                for group in self.trainer.optimizer.param_groups:
                    old = float(group["lr"])
                    if old > np.float32(self.min_lr):
                        group["lr"] = max(old * self.factor, self.min_lr)
                        reduced = True
                if reduced:
                    self.cooldown_counter, self.wait = self.cooldown, 0
                    if self.verbose:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                              f"{self.trainer.optimizer.param_groups[0]['lr']}.")  # fmt: skip

    def state_dict(self) -> dict:
        return {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def load_state_dict(self, state: dict) -> None:
        self.best = None if state.get("best") is None else float(state["best"])
        self.wait, self.cooldown_counter = int(state["wait"]), int(state["cooldown_counter"])


class CSVLogger(Callback):
    """Write one CSV row per epoch: ``epoch`` (0-based) then the logged names, sorted.

    Its state holds the text this fit wrote, so a resumed fit leaves the file as the
    uninterrupted run would (rows written after the checkpoint are dropped)."""

    chief_only = True

    def __init__(self, path, separator=",", append=False):
        self.path, self.separator, self.append = Path(path), separator, append
        self.keys = None
        self._base, self._written = 0, ""  # file size at train begin, text written since

    def on_train_begin(self, logs=None):
        if not self.append and self.path.exists():
            os.remove(self.path)
        self.keys = None
        self._base = self.path.stat().st_size if self.path.exists() else 0
        self._written = ""

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        new = not self.path.exists() or self.path.stat().st_size == 0
        text = io.StringIO(newline="")
        writer = csv.writer(text, delimiter=self.separator)
        if new:
            writer.writerow(["epoch", *self.keys])
        writer.writerow([epoch, *(repr(float(logs[k])) if k in logs else "" for k in self.keys)])
        with open(self.path, "a", newline="", encoding="utf-8") as f:
            f.write(text.getvalue())
        self._written += text.getvalue()

    def state_dict(self) -> dict:
        return {"keys": self.keys, "base_size": self._base, "written": self._written}

    def load_state_dict(self, state: dict) -> None:
        self.keys = None if state["keys"] is None else list(state["keys"])
        self._base, self._written = int(state["base_size"]), state["written"]
        with open(self.path, "r+b" if self.path.exists() else "wb") as f:
            f.truncate(min(self._base, os.fstat(f.fileno()).st_size))
            f.seek(0, os.SEEK_END)
            f.write(self._written.encode("utf-8"))


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


class GradientFlow(Callback):
    """Per-parameter gradient L2 norms, averaged over each epoch's batches.

    ``norms``: dict parameter name -> list of per-epoch mean norms (a parameter without a
    gradient in a batch counts as norm 0 for that batch).
    """

    def __init__(self):
        self.norms: dict[str, list[float]] = {}
        self._sums: dict[str, float] = {}
        self._batches = 0

    def on_train_begin(self, logs=None):
        self.norms = {name: [] for name, _ in self.trainer.model.named_parameters()}

    def on_epoch_begin(self, epoch, logs=None):
        self._sums = dict.fromkeys(self.norms, 0.0)
        self._batches = 0

    def on_batch_end(self, batch, logs=None):
        for name, p in self.trainer.model.named_parameters():
            if p.grad is not None:
                g = np.asarray(p.grad, dtype=np.float64)
                self._sums[name] = self._sums.get(name, 0.0) + float(np.sqrt(np.sum(g * g)))
        self._batches += 1

    def on_epoch_end(self, epoch, logs=None):
        for name in self.norms:
            self.norms[name].append(self._sums.get(name, 0.0) / max(self._batches, 1))

    def state_dict(self) -> dict:
        return {"norms": {k: list(v) for k, v in self.norms.items()},
                "epoch_sums": dict(self._sums), "epoch_batches": self._batches}  # fmt: skip

    def load_state_dict(self, state: dict) -> None:
        self.norms = {k: list(v) for k, v in state["norms"].items()}
        self._sums = {k: float(v) for k, v in state.get("epoch_sums", {}).items()}
        self._batches = int(state.get("epoch_batches", 0))
