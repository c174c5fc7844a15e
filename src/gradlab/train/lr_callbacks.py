"""Callbacks that set the learning rate: :class:`LearningRateScheduler` (a scheduler stepped, or a
Keras-style schedule function) and Keras's :class:`ReduceLROnPlateau`."""

from __future__ import annotations

import numpy as np

from gradlab.optim.lr_scheduler.base import advance, scheduled_lr
from gradlab.train.callback_base import Callback
from gradlab.train.monitoring import monitor_mode, monitored_value


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
        self.mode = monitor_mode("ReduceLROnPlateau", mode, monitor)
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
        current = monitored_value("ReduceLROnPlateau", self.monitor, logs or {})
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
