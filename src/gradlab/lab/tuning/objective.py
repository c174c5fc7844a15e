"""One trial: draw the parameters, train the config with them, hand back the metric.

The trial's value is the monitored metric of its ``final`` epoch (the notes' example 13
returns ``history.history['val_accuracy'][-1]``) or of its ``best`` epoch (``[tune]
objective = "best"``). Each epoch's value is reported to Optuna; when the pruner says the
trial is behind (median pruner: worse than the median of earlier trials at the same epoch)
the callback asks the trainer to stop after that epoch, training ends normally, and the
trial is then marked pruned. A non-finite value (a diverged run) prunes the trial too.
"""

from __future__ import annotations

import math

from gradlab.lab.tuning.search_space import SearchSpace
from gradlab.lab.tuning.settings import TuneSettings
from gradlab.lab.tuning.termination import storage_write
from gradlab.optional import require
from gradlab.train.callbacks import Callback

__all__ = ["PruningCallback", "make_objective", "make_pruner"]


class PruningCallback(Callback):
    """Reports ``metric`` to an Optuna trial after every epoch; stops training when the
    trial should be pruned. ``values`` holds the reported values, ``pruned_at`` the 0-based
    epoch of the pruning decision (None when the trial ran to the end)."""

    def __init__(self, trial, metric: str):
        self.trial = trial
        self.metric = metric
        self.values: list[float] = []
        self.pruned_at: int | None = None
        self.reason = ""

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.metric not in logs:
            raise ValueError(
                f"[tune] metric = {self.metric!r} is not logged by training; "
                f"logged names are {sorted(logs)} (validation metrics need validation data)"
            )
        value = float(logs[self.metric])
        self.values.append(value)
        if not math.isfinite(value):
            self.pruned_at, self.reason = epoch, f"{self.metric} = {value} (diverged)"
        else:
            with storage_write():
                self.trial.report(value, step=epoch)
                prune = self.trial.should_prune()
            if prune:
                self.pruned_at = epoch
                self.reason = f"{self.metric} = {value:.6g} behind the other trials"
        if self.pruned_at is not None and self.trainer is not None:
            self.trainer.stop_training = True


def make_pruner(settings: TuneSettings):
    """``median`` -> MedianPruner(startup trials, warmup epochs); ``none`` -> NopPruner."""
    optuna = require("optuna", "gradlab tune")
    if settings.pruner == "none":
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(
        n_startup_trials=settings.pruner_startup_trials,
        n_warmup_steps=settings.pruner_warmup_epochs,
    )


def _train_from_config(config, out_dir=None, callbacks=(), verbose=1):
    from gradlab.lab.training import train_from_config

    return train_from_config(config, out_dir=out_dir, callbacks=callbacks, verbose=verbose)


def make_objective(config, space: SearchSpace, settings: TuneSettings, train=None):
    """The objective ``trial -> value`` for ``study.optimize``.

    Args:
        config: a :class:`~gradlab.lab.config.Config` (anything with ``with_overrides``).
        train: ``train(config, out_dir=None, callbacks=[...], verbose=0) -> RunResult``
            (default :func:`gradlab.lab.training.train_from_config`); tests pass a fake.

    The trial keeps its config overrides (with the fixed ``with`` fields) in the user
    attribute "overrides" and the metric per epoch in "curve".
    """
    optuna = require("optuna", "gradlab tune")
    train = _train_from_config if train is None else train
    pick = max if settings.resolved_direction == "maximize" else min

    def objective(trial) -> float:
        with storage_write():
            overrides = space.suggest(trial)
            trial.set_user_attr("overrides", overrides)
        trial_config = config.with_overrides(overrides)
        pruning = PruningCallback(trial, settings.metric)
        train(trial_config, out_dir=None, callbacks=[pruning], verbose=0)
        with storage_write():
            trial.set_user_attr("curve", pruning.values)
        if pruning.pruned_at is not None:
            raise optuna.TrialPruned(
                f"pruned after epoch {pruning.pruned_at + 1}: {pruning.reason}"
            )
        if not pruning.values:
            raise ValueError(f"trial {trial.number} trained no epoch")
        if settings.objective == "final":
            return pruning.values[-1]
        return pick(pruning.values)

    return objective
