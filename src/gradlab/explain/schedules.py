"""The notes' learning-rate schedules side by side (001 "Bonus: some more learning rates in
one plot", 002 Q5): step decay, exponential, cosine, the three cyclical windows (CLR:
triangular, Welch, Hann), 1cycle and cosine with warm restarts.

Every curve is a gradlab scheduler stepped over a stand-in optimizer
(:func:`gradlab.optim.lr_scheduler.plot_ready` and :func:`~gradlab.optim.lr_scheduler.lr_curve`),
so what is plotted is what training would use. The settings are the notes' where they give
them (lr 0.01; step decay x0.5 every 10 epochs; exponential 0.01·e^(-0.05·epoch); cosine over
all epochs); the cyclical windows cycle between 0.001 and 0.01 with a half-cycle of
``epochs // 6`` epochs, warm restarts start with a period of ``epochs // 6`` that doubles.
"""

from __future__ import annotations

import math

import numpy as np

from gradlab.optim import lr_scheduler as sched

__all__ = ["schedule_curves", "schedules_table", "plot_schedules", "PANELS"]

PANELS = {
    "decay schedules": ("step decay (x0.5 every 10)", "exponential 0.01·e^(-0.05·t)", "cosine"),
    "cyclical windows (CLR)": ("cyclical triangular", "cyclical Welch", "cyclical Hann"),
    "1cycle and warm restarts": ("1cycle", "cosine warm restarts (SGDR)"),
}
"""The figure's panels and the curves each shows."""


def schedule_curves(epochs: int = 60) -> dict[str, np.ndarray]:
    """Each schedule's lr at epochs 0 .. epochs-1, shape (epochs,), by name (see
    :data:`PANELS`)."""
    if not isinstance(epochs, int) or epochs < 6:
        raise ValueError(f"schedule_curves: epochs must be an integer >= 6, got {epochs!r}")
    half, lr = epochs // 6, 0.01
    cyclic = {"lr": lr, "base_lr": lr / 10, "max_lr": lr, "step_size_up": half,
              "cycle_momentum": False}  # fmt: skip
    built = {
        "step decay (x0.5 every 10)": sched.plot_ready(
            sched.StepLR, lr=lr, step_size=10, gamma=0.5
        ),
        "exponential 0.01·e^(-0.05·t)": sched.plot_ready(
            sched.ExponentialLR, lr=lr, gamma=math.exp(-0.05)
        ),
        "cosine": sched.plot_ready(sched.CosineAnnealingLR, lr=lr, T_max=epochs),
        "cyclical triangular": sched.plot_ready(sched.CyclicLR, **cyclic),
        "cyclical Welch": sched.plot_ready(sched.CyclicLR, window="welch", **cyclic),
        "cyclical Hann": sched.plot_ready(sched.CyclicLR, window="hann", **cyclic),
        "1cycle": sched.plot_ready(
            sched.OneCycleLR, lr=lr, max_lr=lr, total_steps=epochs, cycle_momentum=False
        ),  # fmt: skip
        "cosine warm restarts (SGDR)": sched.plot_ready(
            sched.CosineAnnealingWarmRestarts, lr=lr, T_0=half, T_mult=2
        ),
    }
    return {name: np.asarray(sched.lr_curve(s, epochs)) for name, s in built.items()}


def schedules_table(curves: dict[str, np.ndarray], every: int | None = None) -> str:
    """The curves' values every ``every`` epochs (default: 10 columns), one row per schedule."""
    epochs = len(next(iter(curves.values())))
    every = every or max(1, epochs // 10)
    at = list(range(0, epochs, every))
    width = max(len(name) for name in curves)
    lines = [f"{'epoch':<{width}}" + "".join(f"  {t:>8}" for t in at)]
    for name, values in curves.items():
        lines.append(f"{name:<{width}}" + "".join(f"  {values[t]:>8.5f}" for t in at))
    return "\n".join(lines)


def plot_schedules(path, epochs: int = 60):
    """One figure, three panels (:data:`PANELS`), every schedule's lr against the epoch."""
    from gradlab.lab.plots import pyplot, save_figure

    curves = schedule_curves(epochs)
    plt = pyplot()
    figure, axes = plt.subplots(1, len(PANELS), figsize=(5.2 * len(PANELS), 4), sharey=True)
    x = np.arange(epochs)
    for axis, (title, names) in zip(axes, PANELS.items()):
        for name in names:
            axis.plot(x, curves[name], label=name)
        axis.set(title=title, xlabel="epoch (or step)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    axes[0].set_ylabel("learning rate")
    figure.suptitle(f"learning-rate schedules over {epochs} epochs")
    figure.tight_layout()
    return save_figure(figure, path)
