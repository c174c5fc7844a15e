"""Figures written as files: matplotlib's pyplot on the Agg backend, and a figure saved
atomically.

matplotlib (the ``lab`` extra) is imported on first use, so importing a module that can
plot does not need it. Every layer that draws (explain, train, lab) saves through
:func:`save_figure`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gradlab.atomic import atomic_open
from gradlab.optional import require

__all__ = ["pyplot", "save_figure"]


def pyplot():
    """matplotlib.pyplot on the Agg backend (MissingDependencyError without matplotlib); a
    backend chosen before (a notebook's inline backend) is left as it is."""
    matplotlib = require("matplotlib", "plots")
    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg", force=False)
    return require("matplotlib.pyplot", "plots")


def save_figure(figure, path) -> Path:
    """Write ``figure`` to ``path`` (PNG unless the suffix says otherwise), close it, and
    return the path. The parent directory is created."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # atomically: two processes drawing the same file never leave a mix
        with atomic_open(path, "wb") as f:
            figure.savefig(f, format=path.suffix.lstrip(".") or "png", dpi=110, bbox_inches="tight")
    finally:
        pyplot().close(figure)
    return path
