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

__all__ = ["PANELS", "ScheduleCurves", "plot_schedules", "schedule_curves", "schedule_plot",
           "schedules_table"]  # fmt: skip

PANELS = {
    "decay schedules": ("step decay (x0.5 every 10)", "exponential 0.01·e^(-0.05·t)", "cosine"),
    "cyclical windows (CLR)": ("cyclical triangular", "cyclical Welch", "cyclical Hann"),
    "1cycle and warm restarts": ("1cycle", "cosine warm restarts (SGDR)"),
}
"""The figure's panels and the curves each shows."""


class ScheduleCurves(dict):
    """Learning-rate curves by name, each an array (steps,): a dict that Jupyter shows as a
    plot and a table. ``panels`` (title -> names) splits the figure; default one panel."""

    def __init__(self, curves, panels: dict | None = None, title: str | None = None,
                 xlabel: str = "epoch (or step)"):  # fmt: skip
        super().__init__((name, np.asarray(v, dtype=np.float64)) for name, v in curves.items())
        self.panels = dict(panels) if panels else {"learning rate": tuple(self)}
        self.title, self.xlabel = title, xlabel

    def draw(self, figure) -> None:
        """Fill ``figure`` with one panel per entry of ``panels``."""
        axes = figure.subplots(1, len(self.panels), sharey=True, squeeze=False)[0]
        for axis, (title, names) in zip(axes, self.panels.items()):
            for name in names:
                values = self[name]
                axis.plot(
                    np.arange(len(values)),
                    values,
                    label=name,
                    **({"marker": "o", "markersize": 3} if len(values) <= 40 else {}),
                )
            axis.set(title=title, xlabel=self.xlabel)
            axis.grid(alpha=0.3)
            axis.legend(fontsize=8)
        axes[0].set_ylabel("learning rate")
        if self.title:
            figure.suptitle(self.title)
        figure.tight_layout()

    def _repr_png_(self):
        from gradlab._display import figure_png

        return figure_png(self.draw, size=(5.2 * len(self.panels), 4))

    def _repr_html_(self) -> str:
        from gradlab._display import html_table, img_tag

        steps = max((len(v) for v in self.values()), default=0)
        every = max(1, steps // 10)
        at = list(range(0, steps, every))
        rows = [[name, *(float(v[t]) if t < len(v) else "" for t in at)]
                for name, v in self.items()]  # fmt: skip
        table = html_table(["step", *map(str, at)], rows, digits=4,
                           numeric=[False] + [True] * len(at))  # fmt: skip
        return f"<div>{img_tag(self._repr_png_(), 'learning-rate schedules')}{table}</div>"


def schedule_plot(schedules: dict, steps: int = 60, title: str | None = None) -> ScheduleCurves:
    """Curves of your own schedules, to show in Jupyter (or ``.draw(figure)``): ``schedules``
    maps a name to a scheduler (stepped ``steps - 1`` times from where it is, so build it
    over :func:`~gradlab.optim.lr_scheduler.plot_ready` or a fresh optimizer), a function
    ``epoch -> lr``, or a sequence of lrs."""
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"schedule_plot: steps must be an integer >= 1, got {steps!r}")
    curves = {}
    for name, item in schedules.items():
        if hasattr(item, "get_last_lr") and hasattr(item, "step"):
            curves[name] = sched.lr_curve(item, steps)
        elif callable(item):
            curves[name] = [float(item(t)) for t in range(steps)]
        else:
            values = np.asarray(item, dtype=np.float64)
            if values.ndim != 1:
                raise ValueError(f"schedule_plot: {name!r}: expected a scheduler, a function "
                                 f"or a 1-D sequence of lrs, got shape {values.shape}")  # fmt: skip
            curves[name] = values
    return ScheduleCurves(curves, title=title)


def schedule_curves(epochs: int = 60) -> ScheduleCurves:
    """Each schedule's lr at epochs 0 .. epochs-1, shape (epochs,), by name (see
    :data:`PANELS`); in Jupyter the result shows as the figure and a table."""
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
    curves = {name: np.asarray(sched.lr_curve(s, epochs)) for name, s in built.items()}
    return ScheduleCurves(curves, panels=PANELS, title=f"learning-rate schedules over {epochs} "
                          "epochs")  # fmt: skip


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
    from gradlab.figures import pyplot, save_figure

    curves = schedule_curves(epochs)
    figure = pyplot().figure(figsize=(5.2 * len(PANELS), 4))
    curves.draw(figure)
    return save_figure(figure, path)
