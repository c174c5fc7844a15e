"""Where Keras keeps downloaded datasets: ``$KERAS_HOME/datasets`` (default
``~/.keras/datasets``). gradlab reads Keras's files there and never downloads; a missing file
raises FileNotFoundError naming it, where to put it and where to get it."""

from __future__ import annotations

import os
from pathlib import Path


class DatasetNotFoundError(FileNotFoundError):
    pass


def datasets_dir() -> Path:
    home = os.environ.get("KERAS_HOME")
    base = Path(home) if home else Path(os.path.expanduser("~")) / ".keras"
    return base / "datasets"


def require(name: str, paths: list[Path], origin: str, how: str) -> None:
    missing = [p for p in paths if not p.exists()]
    if missing:
        listed = ", ".join(str(p) for p in missing)
        raise DatasetNotFoundError(
            f"keras.datasets.{name}.load_data: missing {listed}. gradlab.keras reads Keras's "
            f"cache and does not download: {how} (from {origin}). The cache directory is "
            f"{datasets_dir()} (set KERAS_HOME to move it)."
        )
