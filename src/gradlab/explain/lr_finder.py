"""Leslie Smith's learning-rate range test ("Cyclical Learning Rates for Training Neural
Networks", 2017; the "LR finder" of fastai and of the notes' CLR discussion).

Train for ``steps`` mini-batches while the learning rate grows exponentially from ``min_lr``
to ``max_lr``: step t (0-based) uses ``min_lr * (max_lr / min_lr) ** (t / (steps - 1))``.
Record each batch's loss and an exponential moving average of it, bias-corrected as in Adam
(``avg = beta·avg + (1 - beta)·loss``, ``smoothed = avg / (1 - beta^(t+1))``). Stop early
when the smoothed loss exceeds ``diverge_factor`` (4) times the best smoothed loss so far, or
a loss is inf/nan. Afterwards the model's and the optimizer's state are restored, so the test
leaves no trace but the random draws of shuffling.

The suggested learning rate is the point of steepest descent: the lr where the smoothed loss
falls fastest against log10(lr), searched between ``skip_start`` and the minimum of the
smoothed loss. The minimum's lr / 10 (Smith's and fastai's other rule of thumb) is reported
beside it. Only the steepest point is "the suggestion"; it falls back to minimum / 10 when
the loss has not fallen before its minimum.

Reading the curve (the notes' quiz of loss curves A to D, 003: A "way too high" 0.4,
B "too low" 2e-5, C "too high" 8e-3, D "good" 3e-4): lrs before the loss starts to fall train
like curve B (slowly); between that point and the minimum like D; from the minimum to where
the loss climbs back above its starting value like C (a quick fall, then a plateau at a higher
loss); beyond, like A (the loss explodes). :attr:`LRFinderResult.regions` holds those bands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from gradlab.train.callbacks import Callback
from gradlab.train.progress import display_mode, progress_bar
from gradlab.train.trainer import Trainer

__all__ = ["LRFinderResult", "lr_range_test", "suggest_lr", "quiz_regions"]

QUIZ = {
    "B": "too low: the loss barely moves",
    "D": "good: the loss falls steadily",
    "C": "too high: a fast fall, then a plateau at a higher loss",
    "A": "way too high: the loss explodes",
}
"""The notes' four loss curves (003), in lr order, and what a learning rate there does."""


@dataclass
class LRFinderResult:
    """The test's record: ``lrs``, ``losses`` (raw), ``smoothed``, each (steps run,);
    ``suggestion`` (steepest descent), ``min_lr_over_10``, ``best_lr`` (where the smoothed
    loss is lowest), ``stop_reason``, ``regions`` (quiz letter -> (low lr, high lr))."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float
    suggestion_rule: str
    best_lr: float
    best_loss: float
    stop_reason: str
    regions: dict = field(default_factory=dict)

    @property
    def min_lr_over_10(self) -> float:
        return self.best_lr / 10

    def to_text(self) -> str:
        lines = [
            f"learning-rate range test: {len(self.lrs)} steps, lr {self.lrs[0]:.3g} -> "
            f"{self.lrs[-1]:.3g}; {self.stop_reason}",
            "  lr          loss     smoothed",
        ]
        decades = np.unique(np.floor(np.log10(self.lrs)))
        for decade in decades:  # one row per decade, the first step in it
            i = int(np.argmax(np.floor(np.log10(self.lrs)) == decade))
            lines.append(f"  {self.lrs[i]:<9.3g}  {self.losses[i]:>8.4g}  {self.smoothed[i]:>8.4g}")
        lines += [
            f"lowest smoothed loss {self.best_loss:.4g} at lr {self.best_lr:.3g} "
            f"(that lr / 10 = {self.min_lr_over_10:.3g})",
            f"suggested lr: {self.suggestion:.3g} ({self.suggestion_rule})",
            "reading the curve as the notes' quiz of loss curves A-D (003):",
        ]
        for letter, (low, high) in self.regions.items():
            lines.append(f"  {letter}  lr {low:.3g} .. {high:.3g}: {QUIZ[letter]}")
        return "\n".join(lines)

    def plot(self, path, title: str | None = None):
        """Loss (raw, faint) and smoothed loss against lr on a log axis, the suggestion and the
        minimum marked, the quiz's bands shaded."""
        from gradlab.figures import pyplot, save_figure

        figure = pyplot().figure(figsize=(7.5, 4.5))
        self._draw(figure, title)
        return save_figure(figure, path)

    def _repr_png_(self):
        """The plot of :meth:`plot`, for Jupyter."""
        from gradlab._display import figure_png

        return figure_png(self._draw, size=(7.5, 4.5))

    def _repr_pretty_(self, printer, cycle):
        printer.text(self.to_text())

    def _draw(self, figure, title: str | None = None) -> None:
        axis = figure.add_subplot()
        shades = {"B": "tab:gray", "D": "tab:green", "C": "tab:orange", "A": "tab:red"}
        for letter, (low, high) in self.regions.items():
            axis.axvspan(low, high, color=shades[letter], alpha=0.08, lw=0)
            axis.text(math.sqrt(low * high), 0.98, letter, transform=axis.get_xaxis_transform(),
                      ha="center", va="top", color=shades[letter], fontweight="bold")  # fmt: skip
        axis.plot(self.lrs, self.losses, color="tab:blue", alpha=0.3, lw=1, label="loss")
        axis.plot(self.lrs, self.smoothed, color="tab:blue", lw=2, label="smoothed loss")
        axis.axvline(self.suggestion, color="tab:green", ls="--",
                     label=f"suggested lr {self.suggestion:.2g}")  # fmt: skip
        axis.plot([self.best_lr], [self.best_loss], "o", color="tab:red",
                  label=f"minimum at lr {self.best_lr:.2g}")  # fmt: skip
        axis.set_xscale("log")
        finite = self.smoothed[np.isfinite(self.smoothed)]
        top = max(finite[0], self.best_loss) * 1.5 if finite.size else None
        if top is not None and np.isfinite(top):
            axis.set_ylim(bottom=min(finite.min(), np.nanmin(self.losses)) * 0.9, top=top)
        axis.set(xlabel="learning rate (log scale)", ylabel="training loss",
                 title=title or "learning-rate range test")  # fmt: skip
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8, loc="lower left")
        figure.tight_layout()


def suggest_lr(lrs, smoothed, skip_start: int = 0) -> tuple[int, str]:
    """``(index, rule)``: the steepest descent of ``smoothed`` against log10(lr) between
    ``skip_start`` and the minimum, or the minimum's lr / 10 when there is no descent there
    (then ``index`` is the step closest to that lr)."""
    lrs, smoothed = np.asarray(lrs, np.float64), np.asarray(smoothed, np.float64)
    best = int(np.nanargmin(smoothed))
    start = min(skip_start, best)
    if best - start >= 2:
        slope = np.gradient(smoothed[start : best + 1], np.log10(lrs[start : best + 1]))
        k = int(np.argmin(slope))
        if slope[k] < 0:
            return start + k, "steepest descent of the smoothed loss"
    target = lrs[best] / 10
    index = int(np.argmin(np.abs(np.log10(lrs) - np.log10(target))))
    return index, "the minimum's lr / 10: the loss did not fall before its minimum"


def quiz_regions(lrs, smoothed, end: float | None = None) -> dict:
    """The notes' quiz bands (see the module docstring): letter -> (low lr, high lr). ``end``
    (the test's max_lr) closes band A when the test stopped as the loss blew up."""
    lrs, smoothed = np.asarray(lrs, np.float64), np.asarray(smoothed, np.float64)
    best = int(np.nanargmin(smoothed))
    start = smoothed[0]
    fall = int(np.argmax(smoothed[: best + 1] <= start - 0.1 * (start - smoothed[best])))
    above = np.nonzero(~(smoothed[best:] <= start))[0]  # nan counts as above
    blowup = best + int(above[0]) if above.size else None
    regions = {}
    if fall > 0:
        regions["B"] = (lrs[0], lrs[fall])
    regions["D"] = (lrs[fall], lrs[best])
    regions["C"] = (lrs[best], lrs[blowup] if blowup is not None else lrs[-1])
    if blowup is not None:
        regions["A"] = (lrs[blowup], max(lrs[-1], end or 0.0))
    return {k: v for k, v in regions.items() if v[1] > v[0]}


class _RangeTest(Callback):
    def __init__(self, schedule: np.ndarray, beta: float, diverge_factor: float, bar=None):
        self.schedule, self.beta, self.diverge_factor = schedule, beta, diverge_factor
        self.bar = bar
        self.lrs: list[float] = []
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self.average, self.best = 0.0, math.inf
        self.stop_reason = f"ran all {len(schedule)} steps"

    def on_batch_begin(self, batch, logs=None):
        lr = float(self.schedule[len(self.lrs)])
        for group in self.trainer.optimizer.param_groups:
            group["lr"] = lr
        self.lrs.append(lr)

    def on_batch_end(self, batch, logs=None):
        loss = float(logs["loss"])
        t = len(self.losses)
        self.losses.append(loss)
        self.average = self.beta * self.average + (1 - self.beta) * loss
        smooth = self.average / (1 - self.beta ** (t + 1))
        self.smoothed.append(smooth)
        if self.bar is not None:
            self.bar.set_postfix_str(f"lr {self.lrs[-1]:.3g}, loss {loss:.4g}, smoothed "
                                     f"{smooth:.4g}", refresh=False)  # fmt: skip
            self.bar.update(1)
        if not math.isfinite(loss):
            self.stop_reason = f"stopped at step {t + 1}: the loss is {loss}"
        elif smooth > self.diverge_factor * self.best:
            self.stop_reason = (f"stopped at step {t + 1}: the smoothed loss {smooth:.4g} > "
                                f"{self.diverge_factor:g} x the best {self.best:.4g}")  # fmt: skip
        else:
            self.best = min(self.best, smooth)
            if len(self.lrs) < len(self.schedule):
                return
        self.trainer.stop_training = True


def lr_range_test(model, loss, optimizer, x, y=None, min_lr: float = 1e-7, max_lr: float = 10.0,
                  steps: int = 100, batch_size: int = 32, smoothing: float = 0.9,
                  diverge_factor: float = 4.0, skip_start: int | None = None,
                  shuffle: bool = True, generator=None,
                  progress: bool | None = None) -> LRFinderResult:  # fmt: skip
    """Run the range test (module docstring) on ``(x, y)`` (arrays, a Dataset or a DataLoader,
    as :meth:`Trainer.fit` takes them), cycling through the data as often as ``steps`` needs.

    ``smoothing`` is the moving average's beta (0 for none); ``skip_start`` (default
    ``steps // 10``) leaves the first, noisiest steps out of the steepest-descent search.
    The model's ``state_dict`` and the optimizer's are restored afterwards. ``progress``: a
    bar over the steps with the lr and the loss; None: in a Jupyter notebook only.
    """
    if not 0 < min_lr < max_lr:
        raise ValueError(f"lr_range_test: need 0 < min_lr < max_lr, got min_lr={min_lr}, "
                         f"max_lr={max_lr}")  # fmt: skip
    if not isinstance(steps, int) or steps < 2:
        raise ValueError(f"lr_range_test: steps must be an integer >= 2, got {steps!r}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"lr_range_test: smoothing must be in [0, 1), got {smoothing}")
    if not diverge_factor > 1:
        raise ValueError(f"lr_range_test: diverge_factor must be > 1, got {diverge_factor}")
    schedule = min_lr * (max_lr / min_lr) ** (np.arange(steps) / (steps - 1))
    model_state = model.state_dict()  # copies
    optimizer_state = optimizer.state_dict()
    saved_optimizer = {
        "state": {k: {n: np.copy(v) if isinstance(v, np.ndarray) else v for n, v in s.items()}
                  for k, s in optimizer_state["state"].items()},
        "param_groups": [dict(g) for g in optimizer_state["param_groups"]],
    }  # fmt: skip
    show = display_mode() == "notebook" if progress is None else bool(progress)
    bar = progress_bar(steps, "lr range test", unit="step") if show else None
    test = _RangeTest(schedule, smoothing, diverge_factor, bar)
    trainer = Trainer(model, loss, optimizer, callbacks=[test])
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # divergence ends the test
            while len(test.lrs) < steps and not trainer.stop_training:  # epoch after epoch
                trainer.fit(x, y, epochs=1, batch_size=batch_size, shuffle=shuffle, verbose=0,
                            generator=generator)  # fmt: skip
    finally:
        if bar is not None:
            bar.close()
        model.load_state_dict(model_state)
        optimizer.load_state_dict(saved_optimizer)
        optimizer.zero_grad()
    lrs, losses = np.asarray(test.lrs), np.asarray(test.losses)
    smoothed = np.asarray(test.smoothed)
    skip = steps // 10 if skip_start is None else int(skip_start)
    index, rule = suggest_lr(lrs, smoothed, skip)
    best = int(np.nanargmin(smoothed))
    return LRFinderResult(lrs, losses, smoothed, float(lrs[index]), rule, float(lrs[best]),
                          float(smoothed[best]), test.stop_reason,
                          quiz_regions(lrs, smoothed, end=max_lr))  # fmt: skip
