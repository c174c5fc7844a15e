"""How a training history looks: one panel per logged quantity (training and validation
together, against the epoch), and a table of the per-epoch values. :class:`History` shows
both in Jupyter; :func:`gradlab.lab.plots.plot_history` writes the same figure to a file."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gradlab._display import figure_png, html_table, img_tag

__all__ = ["draw_history", "history_html", "history_png", "panel_names"]

TABLE_ROWS = 12
"""Epochs shown in full in the table; a longer history shows its first and last epochs."""


def panel_names(logs: Mapping[str, list]) -> list[str]:
    """The panel names of a history: each logged name without its ``val_`` prefix, "lr" last."""
    names = []
    for name in logs:
        base = name[4:] if name.startswith("val_") else name
        if base not in names:
            names.append(base)
    return sorted(names, key=lambda n: (n == "lr", n != "loss", n))


def draw_history(figure, logs: Mapping[str, list], title: str | None = None) -> None:
    """Fill ``figure`` with one panel per logged quantity, training and validation curves
    together against the epoch (1-based, with markers so one epoch shows); the learning rate
    on a log axis when it spans more than a factor 10."""
    panels = panel_names(logs)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for axis, name in zip(axes, panels):
        for key, label in ((name, "training"), (f"val_{name}", "validation")):
            if key in logs:
                values = np.asarray(logs[key], dtype=float)
                axis.plot(np.arange(1, len(values) + 1), values, marker=".", label=label)
        if name == "lr":
            values = np.asarray(logs["lr"], dtype=float)
            positive = values[values > 0]
            if positive.size and positive.max() > 10 * positive.min():
                axis.set_yscale("log")
            elif positive.size and positive.max() == positive.min():  # constant: not a zoom
                axis.set_ylim(0, 2 * positive.max())
            axis.set_title("learning rate")
        else:
            axis.set_title(name)
            axis.legend()
        axis.set_xlabel("epoch")
        axis.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    figure.tight_layout()


def history_png(history) -> bytes | None:
    """The history's figure as PNG bytes (None when empty or without matplotlib)."""
    if not history.history:
        return None
    panels = len(panel_names(history.history))
    return figure_png(lambda f: draw_history(f, history.history), size=(4.2 * panels, 3.4))


def history_html(history) -> str:
    """The figure and a table of the per-epoch values (first and last epochs of a long run)."""
    if not history.history:
        return "<p>History: no epoch logged yet</p>"
    names = sorted(history.history, key=lambda n: (n == "lr", n.startswith("val_"), n != "loss", n))
    rows = []
    count = len(history.epoch)
    shown = range(count)
    if count > TABLE_ROWS:
        half = TABLE_ROWS // 2
        shown = [*range(half), None, *range(count - half, count)]
    for index in shown:
        if index is None:
            rows.append(["…"] * (len(names) + 1))
            continue
        rows.append([history.epoch[index] + 1, *(history.history[n][index] for n in names)])
    table = html_table(["epoch", *names], rows, numeric=[True] * (len(names) + 1), digits=4,
                       caption=f"History: {count} epoch(s)")  # fmt: skip
    return f"<div>{img_tag(history_png(history), 'training history')}{table}</div>"
