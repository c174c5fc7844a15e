"""``keras.utils``: to_categorical, normalize, set_random_seed."""

from __future__ import annotations

import numpy as np

from gradlab.backend import manual_seed


def to_categorical(x, num_classes=None) -> np.ndarray:
    """Integer labels (any shape; a trailing 1 is dropped) -> one-hot float32 rows."""
    x = np.asarray(x, dtype=np.int64)
    shape = x.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    x = x.reshape(-1)
    if x.size and x.min() < 0:
        raise ValueError(f"to_categorical: labels must be non-negative, got {x.min()}")
    num_classes = int(x.max()) + 1 if num_classes is None else int(num_classes)
    if x.size and x.max() >= num_classes:
        raise ValueError(
            f"to_categorical: label {x.max()} is out of range for {num_classes} classes"
        )
    out = np.zeros((x.size, num_classes), dtype=np.float32)
    out[np.arange(x.size), x] = 1.0
    return out.reshape(*shape, num_classes)


def normalize(x, axis=-1, order=2) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def set_random_seed(seed: int) -> None:
    """Seed gradlab's generator (weights, dropout, shuffling)."""
    manual_seed(int(seed))
