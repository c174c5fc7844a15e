"""ReduceLROnPlateau: cut the lr when a monitored metric stops improving."""

from __future__ import annotations

import math

from gradlab.optim.lr_scheduler.base import LRScheduler


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by ``factor`` after more than ``patience`` steps without improvement.

    ``step(metric)`` takes the monitored value (e.g. validation loss). It improves when it is
    below best·(1 − threshold) (``mode="min"``, ``threshold_mode="rel"``), below
    best − threshold (``"abs"``), or above best·(1 + threshold) / best + threshold in
    ``mode="max"``. After a cut, ``cooldown`` steps pass before bad steps count again. The lr
    never goes below ``min_lr`` (one value, or one per group), and changes smaller than
    ``eps`` are skipped. Same semantics as PyTorch's. It has no closed form: use
    ``lr_curve(sched, n, metrics)`` to plot it.
    """

    _needs_metric = True

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 min_lr=0, eps: float = 1e-8):  # fmt: skip
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"ReduceLROnPlateau: optimizer must be an Optimizer, got {optimizer!r}")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}"
            )
        self.optimizer = optimizer
        self.factor = factor
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(
                    f"ReduceLROnPlateau: expected {len(optimizer.param_groups)} min_lrs (one "
                    f"per param group), got {len(min_lr)}"
                )
            self.default_min_lr = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def is_better(self, a: float, best: float) -> bool:
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return a < best * (1.0 - self.threshold)
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def step(self, metrics=None, epoch=None) -> None:
        """Record one value of the monitored metric (required) and cut the lr if due."""
        if metrics is None:
            raise ValueError(
                "ReduceLROnPlateau.step: metrics is required (the monitored value, e.g. "
                "validation loss), got None"
            )
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"ReduceLROnPlateau: the optimizer has {len(groups)} param groups, min_lrs "
                    f"has {len(self.min_lrs)}; set min_lrs to one value per group"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for i, group in enumerate(groups):
            old = float(group["lr"])
            new = max(old * self.factor, self.min_lrs[i])
            if old - new > self.eps:
                group["lr"] = new

    def lr_at(self, step: int) -> float:
        raise TypeError(
            "ReduceLROnPlateau has no closed form (it depends on the metrics); use "
            "lr_curve(scheduler, steps, metrics)"
        )
