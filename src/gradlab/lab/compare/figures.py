"""Plots the comparisons need beyond :func:`gradlab.lab.plots.plot_curves`: a per-layer
profile (one value per layer, log scale) and fitted regression lines over the data."""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np

from gradlab.lab.plots import pyplot, save_figure

__all__ = ["plot_fitted_lines", "plot_layer_profile"]


def plot_layer_profile(profiles: Mapping[str, np.ndarray], path, ylabel: str, layer_names,
                       title: str | None = None):  # fmt: skip
    """One line per variant across the layers (input side on the left), log y axis: the
    mean over runs with a min..max band. Zeros and non-finite values are left out of the
    line (a log axis cannot show them); the legend says at how many layers.

    Args:
        profiles: variant -> values (runs, layers) or (layers,).
        layer_names: (layers,) tick labels.
    """
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(7.0, 4.2))
    x = np.arange(len(layer_names))
    for name, values in profiles.items():
        values = np.atleast_2d(np.asarray(values, dtype=float))
        shown = np.where(np.isfinite(values) & (values > 0), values, np.nan)
        with warnings.catch_warnings():  # all-NaN layers: a gap in the line
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, low, high = (f(shown, axis=0) for f in (np.nanmean, np.nanmin, np.nanmax))
        label = name
        missing = int(np.isnan(mean).sum())
        if missing:
            label += f" (0 or not finite at {missing} layer{'s' if missing > 1 else ''})"
        (line,) = axis.plot(x, mean, marker="o", label=label)
        if values.shape[0] > 1 and np.isfinite(mean).any():
            axis.fill_between(x, low, high, color=line.get_color(), alpha=0.2)
    axis.set_xticks(x)
    axis.set_xticklabels([str(n) for n in layer_names], rotation=45, ha="right")
    axis.set_xlabel("layer (input side → output side)")
    axis.set_ylabel(ylabel)
    axis.set_yscale("log")
    if title:
        axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return save_figure(figure, path)


def plot_fitted_lines(x, y, outliers, lines: Mapping[str, tuple], path, truth=None,
                      title: str | None = None):  # fmt: skip
    """The training points (outliers marked; those far off are drawn on the frame's edge
    as triangles pointing their way), and one fitted line per variant.

    Args:
        x, y: (N,) the single feature and the targets.
        outliers: (N,) bool, the points whose targets were corrupted.
        lines: variant -> (slope, intercept).
        truth: (slope, intercept) of the line the clean data came from, drawn dashed.
    """
    plt = pyplot()
    x, y, outliers = np.asarray(x, float), np.asarray(y, float), np.asarray(outliers, bool)
    figure, axis = plt.subplots(figsize=(6.8, 4.6))
    clean = y[~outliers] if (~outliers).any() else y
    span = max(float(clean.max() - clean.min()), 1e-6)
    low, high = clean.min() - 0.5 * span, clean.max() + 0.5 * span
    axis.scatter(x[~outliers], y[~outliers], s=10, color="0.6", label="training points")
    # far outliers would flatten every line: those beyond the frame sit on its edge
    inside = outliers & (y >= low) & (y <= high)
    above, below = outliers & (y > high), outliers & (y < low)
    if inside.any():
        axis.scatter(x[inside], y[inside], s=18, marker="x", color="black", label="outliers")
    for where, marker, edge in ((above, "^", high), (below, "v", low)):
        if where.any():
            axis.scatter(
                x[where],
                np.full(where.sum(), edge),
                s=22,
                marker=marker,
                color="black",
                clip_on=False,
                label=f"outliers {'above' if marker == '^' else 'below'} the frame",
            )
    grid = np.linspace(x.min(), x.max(), 50)
    if truth is not None:
        axis.plot(grid, truth[0] * grid + truth[1], "k--", linewidth=1.5, label="true line")
    for name, (slope, intercept) in lines.items():
        axis.plot(grid, slope * grid + intercept, linewidth=1.8, label=name)
    axis.set_ylim(low, high)
    axis.set_xlabel("x")
    axis.set_ylabel("y")
    if title:
        axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    figure.tight_layout()
    return save_figure(figure, path)
