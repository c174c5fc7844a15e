"""``Bunch``: what every dataset function returns (arrays plus the names that explain them)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Bunch:
    """A dataset in arrays.

    Attributes:
        X: inputs, (N, F) for tabular data, (N, C, H, W) for images, float32 unless a loader
            says otherwise.
        y: targets (N,): int64 class indices for classification, float32 for regression.
        feature_names: names of the F columns of X (None where columns are pixels).
        target_names: class names, index i naming class i (None for regression).
        description: a short text on where the data comes from.
        extra: anything else a loader provides (documented by the loader).

    A Bunch unpacks as ``X, y = load_iris()``.
    """

    X: np.ndarray
    y: np.ndarray | None
    feature_names: list | None = None
    target_names: list | None = None
    description: str = ""
    extra: dict = field(default_factory=dict)

    def __iter__(self):
        yield self.X
        yield self.y

    def __repr__(self) -> str:
        y = None if self.y is None else f"{self.y.shape} {self.y.dtype}"
        classes = "" if self.target_names is None else f", {len(self.target_names)} classes"
        return f"Bunch(X={self.X.shape} {self.X.dtype}, y={y}{classes})"
