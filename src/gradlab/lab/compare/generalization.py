"""Measuring and drawing the gap between training and validation loss, for the experiments
on overfitting (``regularization``, ``fitting``).

The training loss the Trainer logs is the mean over the epoch's batches, taken while the
model trains: with dropout active, on augmented inputs, with a weight penalty added, and
while the weights still move. To compare variants fairly, :class:`TrainingSetLoss`
evaluates the training set once more at the end of every epoch exactly as the validation
set is evaluated (eval mode, no gradients, clean inputs, the data loss alone), so
validation − training loss is the generalization gap and nothing else.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from gradlab.lab.plots import markers, pyplot, save_figure
from gradlab.train.callbacks import Callback

__all__ = [
    "TrainingSetLoss", "add_gap_history", "plot_gap_panels", "plot_train_val_panels",
    "weight_norms",
]  # fmt: skip


class TrainingSetLoss(Callback):
    """Evaluate ``(x, y)`` (the training set) at the end of every epoch with
    ``trainer.evaluate``: eval mode, no gradients. ``loss`` and ``accuracy``: one value per
    epoch. Put it before an EarlyStopping that restores weights, so each epoch is measured
    with the weights that epoch ended with."""

    def __init__(self, x, y, batch_size: int = 512):
        self.x, self.y, self.batch_size = x, y, batch_size
        self.loss: list[float] = []
        self.accuracy: list[float] = []

    def on_train_begin(self, logs=None):
        self.loss, self.accuracy = [], []

    def on_epoch_end(self, epoch, logs=None):
        result = self.trainer.evaluate(self.x, self.y, batch_size=self.batch_size)
        self.loss.append(float(result["loss"]))
        self.accuracy.append(float(result.get("accuracy", math.nan)))


def add_gap_history(run, measured: TrainingSetLoss) -> None:
    """Add ``train_loss``, ``train_accuracy`` (the training set evaluated like the
    validation set) and ``gap`` (val_loss − train_loss) to ``run.history``, one value per
    epoch trained."""
    val = run.history.get("val_loss", [])
    run.history["train_loss"] = list(measured.loss)
    run.history["train_accuracy"] = list(measured.accuracy)
    run.history["gap"] = [v - t for v, t in zip(val, measured.loss)]


def weight_norms(model, zero_below: float = 1e-3) -> dict[str, float]:
    """Norms of the model's weights (parameters of 2 or more dims; biases and batch-norm
    scales left out, as the penalties leave them out): ``l2_norm`` sqrt(Σw²), ``l1_norm``
    Σ|w|, ``max_row_norm`` the largest norm of a unit's incoming weights (the quantity
    max-norm caps), ``near_zero`` the share of weights with |w| < ``zero_below``."""
    weights = [np.asarray(p.numpy(), dtype=np.float64) for p in model.parameters() if p.ndim >= 2]
    if not weights:
        return {"l2_norm": 0.0, "l1_norm": 0.0, "max_row_norm": 0.0, "near_zero": math.nan}
    flat = np.concatenate([w.reshape(-1) for w in weights])
    rows = [np.sqrt((w.reshape(w.shape[0], -1) ** 2).sum(axis=1)).max() for w in weights]
    return {
        "l2_norm": float(np.sqrt(np.sum(flat * flat))),
        "l1_norm": float(np.sum(np.abs(flat))),
        "max_row_norm": float(max(rows)),
        "near_zero": float(np.mean(np.abs(flat) < zero_below)),
    }


def _band(axis, x, values, label, color=None, style="-"):
    values = np.atleast_2d(np.asarray(values, dtype=float))
    with warnings.catch_warnings():  # epochs no run reached (early stopping): a gap in the line
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(values, axis=0)
        low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    (line,) = axis.plot(x[: len(mean)], mean, style, color=color, label=label,
                        **markers(len(mean)))  # fmt: skip
    if values.shape[0] > 1:
        axis.fill_between(x[: len(mean)], low, high, color=line.get_color(), alpha=0.2)
    return line


def plot_train_val_panels(panels: Mapping[str, tuple[np.ndarray, np.ndarray]], path,
                          title: str | None = None, ylabel: str = "loss",
                          notes: Mapping[str, str] | None = None,
                          log_y: bool = False, columns: int = 3):  # fmt: skip
    """One panel per variant with its training and validation curves (mean over runs and
    the min..max band), sharing both axes so the gaps compare at a glance.

    Args:
        panels: variant -> (train (runs, epochs), val (runs, epochs)), NaN-padded.
        notes: variant -> a short text written in the panel's corner (e.g. the final gap).
    """
    plt = pyplot()
    names: Sequence[str] = list(panels)
    columns = max(1, min(columns, len(names)))
    rows = math.ceil(len(names) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.8 * rows),
                                sharex=True, sharey=True, squeeze=False)  # fmt: skip
    for axis in axes.reshape(-1)[len(names) :]:
        axis.set_visible(False)
    for axis, name in zip(axes.reshape(-1), names):
        train, val = (np.atleast_2d(np.asarray(a, dtype=float)) for a in panels[name])
        x = np.arange(1, max(train.shape[1], val.shape[1]) + 1)
        _band(axis, x, train, "training", color="tab:blue")
        _band(axis, x, val, "validation", color="tab:orange")
        axis.set_title(name, fontsize=10)
        if notes and name in notes:
            axis.text(0.97, 0.95, notes[name], transform=axis.transAxes, ha="right",
                      va="top", fontsize=8, bbox={"facecolor": "white", "alpha": 0.7,
                                                  "edgecolor": "none"})  # fmt: skip
        if log_y:
            axis.set_yscale("log")
        axis.grid(alpha=0.3)
    for axis in axes[-1]:
        axis.set_xlabel("epoch")
    for axis in axes[:, 0]:
        axis.set_ylabel(ylabel)
    axes[0, 0].legend(fontsize=8, loc="upper left")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return save_figure(figure, path)


def plot_gap_panels(result, path, title: str):
    """:func:`plot_train_val_panels` of an experiment's result: every variant's measured
    training loss against its validation loss (log scale), its mean final gap in the corner
    (needs the ``train_loss`` history of :func:`add_gap_history` and a ``final_gap`` number)."""
    names = result.variant_names
    panels = {v: (result.curve(v, "train_loss"), result.curve(v, "val_loss")) for v in names}
    notes = {v: f"gap {result.mean(v, 'final_gap'):.3f}" for v in names}
    return plot_train_val_panels(panels, path, title=title, notes=notes, log_y=True)
