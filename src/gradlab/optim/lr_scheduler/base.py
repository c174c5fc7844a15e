"""LRScheduler: the base of gradlab's learning-rate schedules (PyTorch's model), and helpers.

A scheduler holds ``optimizer``, ``base_lrs`` (each group's ``initial_lr``) and
``last_epoch`` (how many times it has stepped; -1 before the first). Building one performs
PyTorch's initial step, so right after ``StepLR(opt, 10)`` the optimizer's lr is the
schedule's first value. Call ``scheduler.step()`` after ``optimizer.step()``.

Most schedules also have a closed form, ``lr_at(step)``: the first group's lr after ``step``
steps, computed without touching the optimizer, so a schedule can be plotted. To build a
schedule just for plotting, without a model, use :func:`plot_ready`::

    sched = plot_ready(CosineAnnealingLR, lr=0.01, T_max=100)
    curve = [sched.lr_at(t) for t in range(100)]        # or lr_curve(sched, 100)
"""

from __future__ import annotations

import math


def _plain(value) -> bool:
    """Whether ``value`` is a number, string, bool, None, or a list/tuple/dict of those."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return False


def format_param(name: str, optimizer, value) -> list:
    """One value per param group: a list of the right length, or one value repeated."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have one value per param group: got {len(value)} values, the "
                f"optimizer has {len(optimizer.param_groups)} param groups"
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


class LRScheduler:
    """Base class: ``step()``, ``get_last_lr()``, ``state_dict()``, ``lr_at(step)``.

    Subclasses implement ``get_lr()`` (the lrs for the new ``last_epoch``, PyTorch's
    chainable form, which may read the groups' current lrs) and, where one exists,
    ``_closed_form(epoch)`` (the lrs of every group at ``epoch`` from ``base_lrs`` alone).

    Args:
        optimizer: anything with ``param_groups`` (a gradlab Optimizer, or :func:`plot_ready`'s
            stand-in).
        last_epoch: -1 to start; a larger value only when resuming (the groups must then
            already hold ``initial_lr``).
    """

    _is_initial = False
    _needs_metric = False
    """Whether ``step`` takes the monitored metric (ReduceLROnPlateau); see :func:`advance`."""

    def __init__(self, optimizer, last_epoch: int = -1):
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(
                f"{type(self).__name__}: optimizer must be an Optimizer (with param_groups), "
                f"got {type(optimizer).__name__}"
            )
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}: param_groups[{i}] has no 'initial_lr'; "
                        f"resuming with last_epoch={last_epoch} needs the optimizer's state "
                        "loaded first"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list:  # pragma: no cover - abstract
        raise NotImplementedError

    def step(self, epoch=None) -> None:
        """Advance one step (or jump to ``epoch`` through the closed form, as PyTorch's
        deprecated ``step(epoch)``) and write the new lrs into the optimizer."""
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch=None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            values = self._closed_form(epoch) if self._has_closed_form() else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _has_closed_form(self) -> bool:
        return type(self)._closed_form is not LRScheduler._closed_form

    def _closed_form(self, epoch) -> list:
        raise NotImplementedError(f"{type(self).__name__} has no closed form")

    def lr_at(self, step: int) -> float:
        """The first group's lr after ``step`` steps (``last_epoch == step``), from the closed
        form; the optimizer and the scheduler are left as they are."""
        return self._closed_form(step)[0]

    def get_last_lr(self) -> list:
        """The lrs the last step set, one per param group."""
        return self._last_lr

    def state_dict(self) -> dict:
        """Every attribute that is a plain value (numbers, strings, lists of them); not the
        optimizer, nor functions."""
        return {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("optimizer", "_is_initial") and _plain(v)
        }

    def load_state_dict(self, state_dict: dict) -> None:
        self.__dict__.update(state_dict)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


class _StandInOptimizer:
    """An optimizer-shaped object with param groups and no parameters, for plotting."""

    def __init__(self, lr: float, momentum: float | None, betas: tuple | None, groups: int):
        self.defaults = {"lr": lr}
        if betas is not None:
            self.defaults["betas"] = tuple(betas)
        else:
            self.defaults["momentum"] = 0.0 if momentum is None else momentum
        self.param_groups = [dict(self.defaults, params=[]) for _ in range(groups)]

    def step(self, closure=None):
        return None


def plot_ready(scheduler_class, lr: float = 0.1, *, momentum: float | None = None,
               betas: tuple | None = None, param_groups: int = 1, **kwargs):  # fmt: skip
    """Build ``scheduler_class(stand_in, **kwargs)`` over a stand-in optimizer, for plotting.

    The stand-in has ``param_groups`` groups with lr ``lr`` and either a ``momentum`` (default
    0, so CyclicLR/OneCycleLR can cycle it) or Adam-style ``betas``; it has no parameters.
    Read values with ``lr_at(t)`` or step it with :func:`lr_curve`.
    """
    return scheduler_class(_StandInOptimizer(lr, momentum, betas, param_groups), **kwargs)


def advance(scheduler, metric=None) -> list:
    """Step ``scheduler`` once and return its new lrs: the one way gradlab steps a schedule
    (``Trainer(scheduler=...)``, the ``LearningRateScheduler`` callback, :func:`lr_curve`).
    A scheduler that monitors a metric (ReduceLROnPlateau) is given
    ``metric``; the others step on the count alone."""
    if getattr(scheduler, "_needs_metric", False):
        if metric is None:
            raise ValueError(
                f"{type(scheduler).__name__} steps on a monitored metric, and none was given"
            )
        scheduler.step(metric)
    else:
        scheduler.step()
    return scheduler.get_last_lr()


def scheduled_lr(schedule, epoch: int, lr: float):
    """The lr a Keras-style schedule function gives for ``epoch``: ``schedule(epoch, lr)``,
    or ``schedule(epoch)`` when the two-argument call raises TypeError (Keras's rule)."""
    try:
        return schedule(epoch, lr)
    except TypeError:
        return schedule(epoch)


def lr_curve(scheduler, steps: int, metrics=None) -> list:
    """The first group's lr at steps 0 .. steps-1, stepping ``scheduler`` (which changes it).

    ``metrics`` (a sequence, one value per step) feeds ReduceLROnPlateau.
    """
    values = [scheduler.get_last_lr()[0]]
    for t in range(1, steps):
        values.append(advance(scheduler, None if metrics is None else metrics[t - 1])[0])
    return values


def step_decay(initial_lr: float, drop: float, epochs_drop: int):
    """``epoch -> initial_lr · drop^floor(epoch / epochs_drop)``: the Keras example's step decay.

    The notes (001) write the formula as lr0·drop^floor((1 + epoch)/epochs_drop) but code it as
    ``lr0 * drop ** (epoch // epochs_drop)``; the two differ by one epoch (with the formula the
    first drop comes one epoch early, at epoch epochs_drop − 1). gradlab uses the code's form,
    the common one, which is also PyTorch's ``StepLR(step_size=epochs_drop, gamma=drop)``:
    with 0.01, 0.5, 10 the lr is 0.01 for epochs 0-9, 0.005 for 10-19, ...
    """
    if epochs_drop <= 0:
        raise ValueError(f"step_decay: epochs_drop must be > 0, got {epochs_drop}")

    def schedule(epoch: int) -> float:
        return initial_lr * drop ** math.floor(epoch / epochs_drop)

    return schedule
