"""The lab's plots: training histories and per-variant curves, written as PNG files.

matplotlib (the ``lab`` extra) is imported on first use with the Agg backend, so plotting
works without a display and ``import gradlab.lab`` does not need matplotlib.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from gradlab.figures import pyplot, save_figure

__all__ = ["markers", "pyplot", "save_figure", "plot_history", "plot_curves", "plot_image_grid"]


def plot_history(history, path, title: str | None = None) -> Path:
    """One panel per logged quantity, training and validation curves together, against the
    epoch (1-based); the learning rate on a log axis when it spans more than a factor 10
    (:func:`gradlab.train.history_display.draw_history`).

    Args:
        history: a :class:`~gradlab.train.History` or a dict name -> list of per-epoch values.
        path: the PNG to write.
    """
    from gradlab.train.history_display import draw_history, panel_names

    logs = history.history if hasattr(history, "history") else dict(history)
    if not logs:
        raise ValueError(f"plot_history: the history is empty, nothing to plot into {path}")
    figure = pyplot().figure(figsize=(4.2 * len(panel_names(logs)), 3.4))
    draw_history(figure, logs, title)
    return save_figure(figure, path)


MARKERS_UP_TO = 40
"""Curves with at most this many points get a marker on each (a one-epoch curve is a dot)."""


def markers(points: int) -> dict:
    """``axis.plot`` keywords that mark each point of a short curve, so that a run of one or
    two epochs is not an empty plot; none for long curves."""
    return {"marker": "o", "markersize": 3.5} if points <= MARKERS_UP_TO else {}


def plot_curves(curves: Mapping[str, np.ndarray], path, ylabel: str, xlabel: str = "epoch",
                title: str | None = None, log_y: bool = False, x=None) -> Path:  # fmt: skip
    """One line per variant: the mean over runs, with a band from the lowest to the highest
    run when there are several.

    Args:
        curves: variant name -> values of shape (runs, steps) or (steps,).
        path: the PNG to write.
        x: the x positions, shape (steps,) (default 1..steps).
    """
    if not curves:
        raise ValueError(f"plot_curves: no curves to plot into {path}")
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(6.4, 4.2))
    for name, values in curves.items():
        values = np.atleast_2d(np.asarray(values, dtype=float))
        steps = np.arange(1, values.shape[1] + 1) if x is None else np.asarray(x)
        (line,) = axis.plot(steps, np.nanmean(values, axis=0), label=name,
                            **markers(values.shape[1]))  # fmt: skip
        if values.shape[0] > 1:
            low, high = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
            axis.fill_between(steps, low, high, color=line.get_color(), alpha=0.2)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    if log_y:
        axis.set_yscale("log")
    if title:
        axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return save_figure(figure, path)


def plot_image_grid(
    images,
    path,
    shape=(8, 8),
    columns: int = 10,
    title: str | None = None,
    vmin: float = 0.0,
    vmax: float = 1.0,
) -> Path:
    """Images (N, H*W) or (N, H, W) in a grid of ``columns`` columns, gray scale."""
    images = np.asarray(images).reshape(-1, *shape)
    rows = -(-len(images) // columns)
    plt = pyplot()
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 0.8, rows * 0.8), squeeze=False)
    for k, axis in enumerate(axes.flat):
        axis.axis("off")
        if k < len(images):
            axis.imshow(images[k], cmap="gray_r", vmin=vmin, vmax=vmax)
    if title:
        figure.suptitle(title)
    return save_figure(figure, path)
