"""Batch, stochastic and mini-batch gradient descent (notes 003, "Define Batch, Stochastic,
and Mini gradient descent", "SGD with Momentum", "Mini-batch Gradient Descent").

The same MLP is trained with plain SGD at one learning rate, taking its gradient from the
whole training set (one step per epoch), from one example (batch 1), or from mini-batches
of 32 and 128. Every variant sees the same number of examples (the same epochs), so the
curves of the training loss against examples seen show what a step costs in data, and
against wall-clock time what it costs in time; the loss of the batch each step was taken
on shows the noise of the stochastic path. A second section runs gradient descent with and
without momentum on an ill-conditioned quadratic (:mod:`~gradlab.lab.compare.quadratic`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

import numpy as np

from gradlab import nn, optim
from gradlab.lab.compare.datasets import FLAT, load
from gradlab.lab.compare.experiment import Column, Experiment, Options, Part, Setup, Variant
from gradlab.lab.compare.nets import mlp
from gradlab.lab.compare.quadratic import (
    CURVATURE,
    OPTIMIZERS,
    START,
    STEPS,
    TOLERANCE,
    path_summary,
    plot_paths,
    quadratic_paths,
)
from gradlab.lab.plots import pyplot, save_figure
from gradlab.train.callbacks import Callback

HIDDEN = (32,)
LR = 0.02
MARKS_PER_EPOCH = 16  # full training-loss measurements per epoch's worth of examples
PLOTTED = ("gradient descent", "momentum 0.5")  # the momentum paths drawn (all in the table)
STEP_TRACE_POINTS = 3000  # per-step batch losses kept (seed 0), evenly thinned beyond
FULL = "full"  # the batch size that means "the whole training set"
BATCHES = [("full_batch", FULL), ("stochastic", 1), ("minibatch_32", 32),
           ("minibatch_128", 128)]  # fmt: skip


class ExamplesSeenTrace(Callback):
    """The training loss on the whole training set (``x``, ``y``), measured whenever
    another ``every`` examples have been trained on, with the examples seen and the seconds
    spent training (measurement time left out); and the loss of every step's batch.

    ``seen``, ``seconds``, ``loss``: one entry per measurement, the first at the start.
    ``step_seen``, ``step_loss``: one entry per optimizer step. ``batch_sizes``: the sizes
    of the batches trained on (a set). Measurements fall at multiples of ``every`` and at
    the end of every epoch."""

    def __init__(self, x, y, every: int):
        self.x, self.y, self.every = x, y, max(int(every), 1)

    def _measure(self):
        start = time.perf_counter()
        loss = self.trainer.evaluate(self.x, self.y, batch_size=1024)["loss"]
        self.seen.append(self.examples)
        self.seconds.append(start - self._start - self._measuring)
        self.loss.append(float(loss))
        self._measuring += time.perf_counter() - start

    def on_train_begin(self, logs=None):
        self.examples, self._next = 0, self.every
        self.seen, self.seconds, self.loss = [], [], []
        self.step_seen, self.step_loss, self.batch_sizes = [], [], set()
        self._start, self._measuring = time.perf_counter(), 0.0
        self._measure()

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        size = int(logs.get("size", 0))
        self.examples += size
        self.batch_sizes.add(size)
        self.step_seen.append(self.examples)
        self.step_loss.append(float(logs.get("loss", math.nan)))
        if self.examples >= self._next:
            self._measure()
            self._next = (self.examples // self.every + 1) * self.every

    def on_epoch_end(self, epoch, logs=None):
        if self.seen[-1] != self.examples:  # every epoch's end is a point of every variant
            self._measure()


def _variant(part: Part, name: str, batch) -> Variant:
    def build(data):
        size = len(data.x_train) if batch == FULL else int(batch)
        # the runner reads part.batch_size right after build(): one part, a batch size per
        # variant (finish_run checks the batches really had this size)
        part.batch_size = size
        model = mlp(data, HIDDEN)
        trace = ExamplesSeenTrace(data.x_train, data.y_train,
                                  every=len(data.x_train) / MARKS_PER_EPOCH)  # fmt: skip
        setup = Setup(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=LR),
                      callbacks=[trace])  # fmt: skip
        setup.batch_size = size
        return setup

    text = ("the whole training set per step (batch gradient descent)" if batch == FULL
            else "one example per step (stochastic gradient descent)" if batch == 1
            else f"mini-batches of {batch}")  # fmt: skip
    return Variant(name, build, text)


def _thin(values: list, points: int) -> list:
    if len(values) <= points:
        return list(values)
    keep = np.unique(np.linspace(0, len(values) - 1, points).round().astype(int))
    return [values[i] for i in keep]


def _series(result, key: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """variant -> (mean x over runs (k,), y (runs, k)) for x = "seen" or "seconds"."""
    out = {}
    for name in result.variant_names:
        runs = [r.extra for r in result.runs_of(name) if "trace_loss" in r.extra]
        if not runs:
            continue
        k = min(len(r["trace_loss"]) for r in runs)
        x = np.mean([r[f"trace_{key}"][:k] for r in runs], axis=0)
        out[name] = (x, np.array([r["trace_loss"][:k] for r in runs], dtype=float))
    return out


def _plot_series(series: Mapping[str, tuple], path, xlabel: str, ylabel: str, title: str,
                 log_x: bool = False):  # fmt: skip
    """One line per variant at its own x positions: mean over runs, min..max band; with
    ``log_x`` a log x axis (points at x = 0 left out)."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6.8, 4.2))
    for name, (x, y) in series.items():
        if log_x:
            x, y = x[x > 0], y[:, x > 0]
        (line,) = axis.plot(x, y.mean(axis=0), marker=".", markersize=3, label=name)
        if y.shape[0] > 1:
            axis.fill_between(x, y.min(axis=0), y.max(axis=0), color=line.get_color(), alpha=0.2)
    axis.set_yscale("log")
    if log_x:
        axis.set_xscale("log")
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return save_figure(figure, path)


def _plot_step_losses(steps: Mapping[str, tuple], path, title: str):
    """One panel per variant: the loss of each step's own batch against examples seen."""
    plt = pyplot()
    figure, axes = plt.subplots(1, len(steps), figsize=(3.4 * len(steps), 3.2), sharey=True,
                                squeeze=False)  # fmt: skip
    for axis, (name, (x, y)) in zip(axes[0], steps.items()):
        axis.plot(x, y, linewidth=0.5, marker="." if len(x) < 50 else None, markersize=4)
        axis.set_title(name, fontsize=10)
        axis.set_xlabel("examples seen")
        axis.set_yscale("log")
        axis.grid(alpha=0.3)
    axes[0, 0].set_ylabel("loss of the step's batch")
    figure.suptitle(title)
    figure.tight_layout()
    return save_figure(figure, path)


class Batching(Experiment):
    name = "batching"
    title = "batch, stochastic and mini-batch gradient descent; momentum"
    summary = "full-batch, stochastic (1), mini-batch (32, 128) SGD; momentum on a quadratic"
    notes = (
        "The notes (003) define batch gradient descent (the whole dataset per update), "
        "stochastic gradient descent (one example per update: 'faster, especially for large "
        "datasets, but it can result in noisy updates that may oscillate around the minimum') "
        "and mini-batch gradient descent (typically 32, 64 or 128 examples, 'a balance between "
        "their advantages and drawbacks'); SGD with momentum, v = γv + η∇L, θ = θ − v, "
        "'maintains direction across updates and dampens oscillations'."
    )
    datasets = FLAT
    default_data = "digits"
    default_epochs = 10
    default_seeds = 3

    def parts(self, options: Options) -> list[Part]:
        data = load(options.data, self.datasets, limit=options.limit,
                    where=f"gradlab compare {self.name}")  # fmt: skip
        n = len(data.x_train)
        part = Part(
            title=f"Batch size on {data.name}",
            data=data,
            variants=[],
            metrics=("accuracy",),
            columns=[
                Column("trace_final", "training loss", "min"),
                Column("val_loss", "test loss", "min"),
                Column("val_accuracy", "test accuracy", "max"),
                Column("steps", "steps", "", 6),
                Column("rises", "share of rises", "", 3),
                Column("step_spread", "batch-loss std / mean (last epoch)", "", 3),
                Column("train_seconds", "training s", "min", 3),
            ],
            curves=(
                ("loss", "training loss (mean over the epoch's batches)", True),
                ("val_loss", "test loss", True),
                ("val_accuracy", "test accuracy", False),
            ),
            setup=(
                f"The MLP {data.in_features} → {' → '.join(map(str, HIDDEN))} → "
                f"{data.num_classes} (ReLU), cross-entropy, SGD(lr={LR:g}) without momentum "
                f"for every variant; only the batch size changes (full batch = all {n} "
                "training samples). Every variant trains the same epochs, so the same "
                f"number of examples. The training loss on the whole training set is "
                f"measured {MARKS_PER_EPOCH} times per epoch's worth of examples (its time is "
                "left out of the training seconds). 'share of rises': how often that loss "
                "went up from one measurement to the next (0 for a smooth descent); "
                "'batch-loss std / mean': the spread of the losses of the batches the steps "
                "were taken on over the last epoch, relative to their mean (the noise in "
                "what each step sees)."
            ),
        )
        part.variants = [_variant(part, name, batch) for name, batch in BATCHES]
        return [part]

    def finish_run(self, part, run, trainer, setup) -> None:
        trace = next(c for c in setup.callbacks if isinstance(c, ExamplesSeenTrace))
        wanted = setup.batch_size
        if max(trace.batch_sizes) != wanted:  # the batch size did not reach the Trainer
            raise RuntimeError(
                f"gradlab compare batching: variant {run.variant} should train on batches of "
                f"{wanted}, but its batches had sizes {sorted(trace.batch_sizes)}"
            )
        loss = np.asarray(trace.loss, dtype=float)
        steps_per_epoch = math.ceil(len(part.data.x_train) / wanted)
        last = np.asarray(trace.step_loss[-steps_per_epoch:], dtype=float)
        run.extra.update({"trace_seen": trace.seen, "trace_seconds": trace.seconds,
                          "trace_loss": trace.loss, "batch_size": wanted})  # fmt: skip
        if run.seed == 0:
            run.extra["step_seen"] = _thin(trace.step_seen, STEP_TRACE_POINTS)
            run.extra["step_loss"] = _thin(trace.step_loss, STEP_TRACE_POINTS)
        run.final.update({
            "trace_final": float(loss[-1]),
            "steps": float(len(trace.step_loss)),
            "rises": float(np.mean(np.diff(loss) > 0)) if len(loss) > 1 else math.nan,
            "step_spread": float(np.std(last) / np.mean(last)) if len(last) > 1 else 0.0,
            "train_seconds": float(trace.seconds[-1]),
        })  # fmt: skip

    def extend_report(self, result, report, out_dir) -> None:
        report.heading("Loss against examples seen and against time", 3)
        n = len(result.part.data.x_train)
        for key, label, name in (
            ("seen", "examples seen", "loss_vs_examples.png"),
            ("seconds", "training seconds", "loss_vs_seconds.png"),
        ):
            series = _series(result, key)
            if not series:
                return
            path = _plot_series(series, out_dir / result.part.file(name), label,
                                "training loss (whole training set)",
                                f"training loss against {label} ({n} training samples)",
                                log_x=key == "seconds")  # fmt: skip
            report.image(path.relative_to(out_dir), f"training loss against {label}")
        steps = {v: (np.asarray(r.extra["step_seen"]), np.asarray(r.extra["step_loss"]))
                 for v in result.variant_names for r in result.runs_of(v)
                 if "step_loss" in r.extra}  # fmt: skip
        if steps:
            path = _plot_step_losses(steps, out_dir / result.part.file("step_losses.png"),
                                     "the loss of each step's own batch (seed 0)")  # fmt: skip
            report.paragraph(
                "What each step saw: the loss of the batch its gradient came from. One example "
                "at a time, it jumps between near 0 and several units; the whole batch gives "
                "one smooth value per step."
            )
            report.image(path.relative_to(out_dir), "per-step batch losses")
        self._momentum_section(report, out_dir)

    def _momentum_section(self, report, out_dir) -> None:
        paths = quadratic_paths()
        figure = plot_paths({k: paths[k] for k in PLOTTED}, out_dir / "momentum_paths.png",
                            title="gradient descent with and without momentum")  # fmt: skip
        report.heading("Momentum on an ill-conditioned quadratic", 3)
        report.paragraph(
            f"f(w) = ½({CURVATURE[0]:g}·w₁² + {CURVATURE[1]:g}·w₂²) from w = {START}: a valley "
            f"{CURVATURE[1] / CURVATURE[0]:g} times steeper across than along. optim.SGD with "
            f"lr = {OPTIMIZERS['gradient descent']['lr']:g} for every path; momentum γ as named "
            "(the notes: typically 0.5 to 0.9). The plot shows plain gradient descent and "
            "momentum 0.5: at this step size plain descent overshoots across the valley at every "
            "step, while momentum's alternating contributions cancel and its steady ones add "
            "up along the valley. With γ = 0.9 (table only) the oscillation in each direction "
            "shrinks by only √0.9 ≈ 0.95 a step at this step size, so the path keeps "
            "swinging: too much momentum for this valley overshoots."
        )
        rows = []
        for name, path in paths.items():
            s = path_summary(path)
            steps = f">{STEPS}" if math.isnan(s["steps_to_min"]) else f"{s['steps_to_min']:.0f}"
            rows.append([name, steps, f"{s['f_20']:.3g}", f"{s['across']:.2f}",
                         f"{s['sign_changes']:.0f}"])  # fmt: skip
        report.table(["optimizer", "steps to f < 1e-3", "f after 20 steps",
                      "distance across the valley", "crossings of the valley floor"],
                     rows)  # fmt: skip
        report.image(figure.relative_to(out_dir), "optimizer paths over the contours of f")

    def conclusions(self, results) -> list[str]:
        pr = results[0]
        lines = []
        low, loss = pr.best("trace_final", "min")
        if low is not None:
            lines.append(f"lowest training loss after the same examples: {low} ({loss:.4f})")
        fast, seconds = pr.best("train_seconds", "min")
        if fast is not None:
            lines.append(f"least training time for them: {fast} ({seconds:.2f} s)")
        lines.extend(_time_to_reach(pr))
        noisy = {v: pr.mean(v, "rises") for v in pr.variant_names}
        noisy = {v: r for v, r in noisy.items() if math.isfinite(r)}
        if noisy:
            text = ", ".join(f"{v} {r:.2f}" for v, r in noisy.items())
            lines.append(f"share of measurements where the training loss rose: {text}")
        paths = quadratic_paths()
        summary = {name: path_summary(p) for name, p in paths.items()}
        gd = summary.get("gradient descent")
        if gd is not None:
            for name, s in summary.items():
                if name != "gradient descent":
                    lines.append(
                        f"quadratic: {name} {_reached(s)} (gradient descent {_reached(gd)}); "
                        f"distance travelled across the valley {s['across']:.2f} (gradient "
                        f"descent {gd['across']:.2f})"
                    )
        return lines


def _time_to_reach(pr) -> list[str]:
    """Training seconds each variant took to bring the whole-set loss down to the highest
    final loss among the variants that at least halved theirs (mean over seeds)."""
    series = _series(pr, "seconds")
    moved = {
        v: y.mean(axis=0)
        for v, (_, y) in series.items()
        if y.mean(axis=0)[-1] < 0.5 * y.mean(axis=0)[0]
    }
    if len(moved) < 2:
        return []
    target = max(curve[-1] for curve in moved.values())
    times = []
    for name, curve in moved.items():
        first = int(np.flatnonzero(curve <= target)[0])
        times.append(f"{name} {series[name][0][first]:.2f} s")
    return [f"training seconds to bring the training loss to {target:.3f}: {', '.join(times)}"]


def _reached(summary) -> str:
    value = summary["steps_to_min"]
    if math.isnan(value):
        return f"did not reach f < {TOLERANCE:g} in {STEPS} steps"
    return f"reached f < {TOLERANCE:g} in {value:.0f} steps"


EXPERIMENT = Batching()
