"""Example 11 (notes 001 Q1 and 002 Q5, learning-rate schedules): step decay, exponential
decay and cosine annealing over 50 epochs.

The notes' Keras functions, with initial_lr = 0.01 and ``model.fit(..., epochs=50)``:

- step decay: ``0.01 * 0.5 ** (epoch // 10)`` (halve every 10 epochs);
- exponential: ``0.01 * exp(-0.05 * epoch)``;
- cosine: ``0.01 * (1 + cos(pi * epoch / total_epochs)) / 2``, with total_epochs = T = 50.

gradlab computes them with PyTorch's schedulers over a real optimizer (``optim.SGD`` on one
parameter, ``optimizer.step()`` then ``scheduler.step()`` once per epoch), reading the lr each
epoch uses: ``StepLR(step_size=10, gamma=0.5)``, ``ExponentialLR(gamma=exp(-0.05))`` and
``CosineAnnealingLR(T_max=50, eta_min=0)``; and with ``step_decay(0.01, 0.5, 10)``, the Keras
form. The notes' formula in 001, lr0·d^floor((1 + epoch)/s), is one epoch ahead of their own
code (its first drop comes at epoch 9); gradlab follows the code, as Keras and PyTorch do.
The example is text only: the plots come with the lab.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab import optim
from gradlab.lab.reproduce.registry import Report, register
from gradlab.nn import Parameter
from gradlab.optim.lr_scheduler import CosineAnnealingLR, ExponentialLR, StepLR, step_decay

_LR0 = 0.01
_DROP, _EPOCHS_DROP = 0.5, 10
_DECAY_RATE = 0.05
_EPOCHS = 50  # the notes' model.fit(..., epochs=50); the cosine's total_epochs T
_SHOWN = (0, 1, 9, 10, 19, 20, 25, 30, 40, 49)
_CHECKED = (0, 9, 10, 25, 49)


def _notes_step(epoch: int) -> float:
    return _LR0 * _DROP ** (epoch // _EPOCHS_DROP)


def _notes_step_formula(epoch: int) -> float:
    """The formula as 001 prints it: lr0 · d^floor((1 + epoch) / s)."""
    return _LR0 * _DROP ** math.floor((1 + epoch) / _EPOCHS_DROP)


def _notes_exponential(epoch: int) -> float:
    return _LR0 * math.exp(-_DECAY_RATE * epoch)


def _notes_cosine(epoch: int) -> float:
    return _LR0 * (1 + math.cos(math.pi * epoch / _EPOCHS)) / 2


def _epoch_lrs(make_scheduler) -> tuple[list[float], object]:
    """The lr of each of the 50 epochs, from a scheduler stepped after each epoch's update."""
    weight = Parameter(np.zeros(1))
    optimizer = optim.SGD([weight], lr=_LR0)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(_EPOCHS):
        lrs.append(optimizer.param_groups[0]["lr"])
        weight.grad = np.ones(1)  # a stand-in epoch of training: one real update
        optimizer.step()
        scheduler.step()
    return lrs, scheduler


@register(
    11,
    "lr-schedules",
    "Step decay, exponential and cosine learning-rate schedules over 50 epochs",
    source="001, 002 Q5",
)
def lr_schedules() -> Report:
    report = Report()
    step_lrs, step_sched = _epoch_lrs(lambda o: StepLR(o, step_size=_EPOCHS_DROP, gamma=_DROP))
    exp_lrs, exp_sched = _epoch_lrs(lambda o: ExponentialLR(o, gamma=math.exp(-_DECAY_RATE)))
    cos_lrs, cos_sched = _epoch_lrs(lambda o: CosineAnnealingLR(o, T_max=_EPOCHS, eta_min=0))
    keras = step_decay(_LR0, _DROP, _EPOCHS_DROP)

    report.print("lr each epoch uses, schedulers stepped once per epoch over optim.SGD(lr=0.01);")
    report.print("each column is followed by the notes' formula (in parentheses)")
    report.print(
        f"  {'epoch':>5}  {'StepLR':>19}  {'ExponentialLR':>19}  {'CosineAnnealingLR':>19}"
    )
    for epoch in _SHOWN:
        columns = [
            (step_lrs[epoch], _notes_step(epoch)),
            (exp_lrs[epoch], _notes_exponential(epoch)),
            (cos_lrs[epoch], _notes_cosine(epoch)),
        ]
        text = "  ".join(f"{got:.6f} ({want:.6f})" for got, want in columns)
        report.print(f"  {epoch:>5}  {text}")
    report.print()
    report.print("StepLR(step_size=10, gamma=0.5): lr = 0.01 * 0.5 ** (epoch // 10)")
    report.print(
        f"ExponentialLR(gamma=exp(-0.05) = {math.exp(-_DECAY_RATE):.6f}): "
        "lr = 0.01 * exp(-0.05 * epoch)"
    )
    report.print(
        "CosineAnnealingLR(T_max=50, eta_min=0): lr = 0.01 * (1 + cos(pi * epoch / 50)) / 2"
    )
    report.print()
    report.print("step_decay(0.01, 0.5, 10), the notes' Keras function, against StepLR:")
    report.print("  " + ", ".join(f"epoch {e}: {keras(e):g}" for e in (0, 9, 10, 20, 49)))
    report.print("the notes' (001) formula 0.01 * 0.5 ** floor((1 + epoch) / 10) runs one")
    report.print(
        f"epoch ahead of their code: at epoch 9 it gives {_notes_step_formula(9):g}, the code "
        f"{_notes_step(9):g};"
    )
    report.print("gradlab follows the code, as Keras's example and PyTorch's StepLR do")

    tight = 1e-12  # the lrs are floats; the recursive (chainable) updates drift by ~1e-18
    for epoch in _CHECKED:
        report.check(f"StepLR, epoch {epoch}", step_lrs[epoch], _notes_step(epoch), tolerance=tight)
    for epoch in _CHECKED:
        report.check(
            f"ExponentialLR, epoch {epoch}",
            exp_lrs[epoch],
            _notes_exponential(epoch),
            tolerance=tight,
        )
    for epoch in _CHECKED:
        report.check(
            f"CosineAnnealingLR, epoch {epoch}",
            cos_lrs[epoch],
            _notes_cosine(epoch),
            tolerance=tight,
        )
    # over all 50 epochs: the largest difference, so a failure names the size of the gap
    epochs = range(_EPOCHS)
    for name, lrs, formula in (
        ("StepLR", step_lrs, _notes_step),
        ("ExponentialLR", exp_lrs, _notes_exponential),
        ("CosineAnnealingLR", cos_lrs, _notes_cosine),
    ):
        gap = max(abs(lr - formula(e)) for e, lr in zip(epochs, lrs))
        report.check(f"{name}, max |lr - formula| over 50 epochs", gap, 0.0, tolerance=tight)
    gap = max(
        abs(s.lr_at(e) - lr)
        for s, lrs in ((step_sched, step_lrs), (exp_sched, exp_lrs), (cos_sched, cos_lrs))
        for e, lr in zip(epochs, lrs)
    )
    report.check("closed forms: max |lr_at(epoch) - stepped lr|", gap, 0.0, tolerance=tight)
    differ = [e for e in epochs if keras(e) != step_lrs[e]]
    report.check("epochs where step_decay(0.01, 0.5, 10) != StepLR", differ, [])
    early = [e for e in epochs if _notes_step_formula(e) != keras(e)]
    report.check("epochs where the 001 formula differs from the code", early, [9, 19, 29, 39, 49])
    late = [e for e in epochs if _notes_step_formula(e) != keras(e + 1)]
    report.check("epochs where the 001 formula differs from the code one epoch later", late, [])
    return report
